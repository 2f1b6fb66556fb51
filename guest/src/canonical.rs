//! Canonical JSON: the request part of a topic.
//!
//! Byte-identical to the Python system's
//! `json.dumps(value, sort_keys=True, separators=(",", ":"))`: object keys
//! sorted at every level, no whitespace, list order kept, and `ensure_ascii`
//! escaping (every character outside printable ASCII as `\uXXXX`, UTF-16
//! surrogate pairs beyond the BMP). Integers and ordinary decimals print as
//! Python prints them.

use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;

/// `value` as canonical JSON text.
pub fn to_canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut out = String::new();
    write_value(&mut out, &value);
    Ok(out)
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted here rather than relying on serde_json's map order, which
            // a `preserve_order` feature elsewhere in the build would change.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_at_every_level_and_keeps_list_order() {
        let value = json!({"symbol": "AAPL", "resolution": "1", "nested": {"b": [3, 1, 2], "a": null}});
        assert_eq!(
            to_canonical_json(&value).unwrap(),
            r#"{"nested":{"a":null,"b":[3,1,2]},"resolution":"1","symbol":"AAPL"}"#
        );
    }

    #[test]
    fn escapes_like_python_ensure_ascii() {
        // Expected bytes produced by CPython 3.11:
        // json.dumps({"s": "é\u20ac\U0001F600\"\\\n\t\x7f/"}, sort_keys=True, separators=(",", ":"))
        let value = json!({"s": "é€😀\"\\\n\t\u{7f}/"});
        assert_eq!(to_canonical_json(&value).unwrap(), r#"{"s":"\u00e9\u20ac\ud83d\ude00\"\\\n\t\u007f/"}"#);
    }

    #[test]
    fn numbers_and_literals() {
        let value = json!({"i": -3, "f": 1.5, "t": true, "n": null, "e": []});
        assert_eq!(to_canonical_json(&value).unwrap(), r#"{"e":[],"f":1.5,"i":-3,"n":null,"t":true}"#);
    }
}

//! What several fuzz targets share: how many inputs a bounded run
//! tries, and JSON texts that say the same thing in other words (the
//! inputs equivalent requests must agree on).

use serde_json::Value;

/// The random inputs a bounded run (`cargo test`) tries after the corpus, as
/// a multiple of `base`: `TOPICWIRE_FUZZ_SCALE` (default 1) scales every
/// target at once; `BOLERO_RANDOM_ITERATIONS` sets one run's count exactly.
pub(crate) fn iterations(base: usize) -> usize {
    let scale = std::env::var("TOPICWIRE_FUZZ_SCALE").ok().and_then(|scale| scale.parse().ok()).unwrap_or(1);
    base.saturating_mul(scale)
}

/// Texts that encode `value` differently — keys in reverse order, spaces
/// and newlines between tokens, escaped characters — and decode to it.
pub(crate) fn equivalent_texts(value: &Value) -> Vec<String> {
    let mut reversed = String::new();
    write(&mut reversed, value, Style { reverse: true, spaced: false, escaped: false });
    let mut spaced = String::new();
    write(&mut spaced, value, Style { reverse: false, spaced: true, escaped: true });
    vec![reversed, spaced, serde_json::to_string_pretty(value).unwrap_or_default()]
}

/// How [`write`] spells a value.
#[derive(Clone, Copy)]
struct Style {
    /// Object keys from last to first.
    reverse: bool,
    /// Whitespace around every token.
    spaced: bool,
    /// Every character of strings outside ASCII as a `\u` escape.
    escaped: bool,
}

fn write(out: &mut String, value: &Value, style: Style) {
    let gap = if style.spaced { " \n\t " } else { "" };
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(gap);
                write(out, item, style);
                out.push_str(gap);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            if style.reverse {
                entries.reverse();
            }
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(gap);
                write_string(out, key, style);
                out.push_str(gap);
                out.push(':');
                out.push_str(gap);
                write(out, item, style);
                out.push_str(gap);
            }
            out.push('}');
        }
        Value::String(text) => write_string(out, text, style),
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(out: &mut String, text: &str, style: Style) {
    if !style.escaped {
        out.push_str(&Value::String(text.to_owned()).to_string());
        return;
    }
    out.push('"');
    for c in text.chars() {
        match c {
            ' ' | '!' | '#'..='[' | ']'..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        }
    }
    out.push('"');
}

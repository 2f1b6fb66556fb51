//! The one rule of `atomics.increment`, shared by every backend so a module
//! sees the same counters on a single node and in a cluster: a counter is
//! kept as decimal text (surrounding whitespace allowed, as in a value
//! written by hand or imported), an absent key counts as 0, and a value
//! that is not such a number or would overflow a `u64` is refused, changing
//! nothing.

use crate::state::StateError;

/// The value after adding `delta` to the counter `current` holds (absent:
/// 0), and its stored form.
pub fn increment(key: &str, current: Option<&[u8]>, delta: u64) -> Result<(u64, Vec<u8>), StateError> {
    let now = match current {
        None => 0,
        Some(value) => parse(key, value)?,
    };
    let next = now.checked_add(delta).ok_or_else(|| StateError::NotACounter {
        key: key.to_owned(),
        reason: format!("{now} + {delta} overflows a u64"),
    })?;
    Ok((next, next.to_string().into_bytes()))
}

fn parse(key: &str, value: &[u8]) -> Result<u64, StateError> {
    let not_a_counter = |reason: String| StateError::NotACounter { key: key.to_owned(), reason };
    let text = std::str::from_utf8(value).map_err(|_| not_a_counter("its value is not UTF-8 text".into()))?;
    text.trim().parse().map_err(|_| not_a_counter(format!("its value `{text}` is not a decimal u64")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_decimal_text() {
        assert_eq!(increment("n", None, 5).unwrap(), (5, b"5".to_vec()));
        assert_eq!(increment("n", Some(b"7"), 2).unwrap().0, 9);
        assert_eq!(increment("n", Some(b" 7\n"), 1).unwrap().0, 8, "whitespace around the number is allowed");
        for refused in [&b"text"[..], b"-1", b"1.5", b"", b"\xff"] {
            assert!(matches!(increment("n", Some(refused), 1), Err(StateError::NotACounter { .. })), "{refused:?}");
        }
        let max = u64::MAX.to_string();
        assert!(matches!(increment("n", Some(max.as_bytes()), 1), Err(StateError::NotACounter { .. })));
    }
}

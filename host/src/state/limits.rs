//! The bounds on what a module may store: key and value sizes, checked before
//! anything reaches the backend, and the namespace's total size, checked by
//! the backend inside the write transaction. A write over a bound is refused
//! with a `wasi:keyvalue` error; the module keeps running.

use crate::limits::Limits;

/// Longest bucket identifier, bytes; a longer one is `no-such-store`.
pub const MAX_BUCKET_NAME_BYTES: usize = 128;

/// Buckets one instance may hold open at once: each is a host resource.
pub const MAX_OPEN_BUCKETS: usize = 1024;

/// Keys returned by one `list-keys` page.
pub const LIST_KEYS_PAGE: usize = 1000;

/// The storage limits of a module, from the host's [`Limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageLimits {
    /// `max_key_bytes`.
    pub max_key_bytes: usize,
    /// `max_value_bytes`.
    pub max_value_bytes: usize,
    /// `max_state_bytes`.
    pub max_state_bytes: u64,
}

impl From<&Limits> for StorageLimits {
    fn from(limits: &Limits) -> Self {
        Self {
            max_key_bytes: limits.max_key_bytes,
            max_value_bytes: limits.max_value_bytes,
            max_state_bytes: limits.max_state_bytes,
        }
    }
}

/// A request refused for its size, before it reached the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A key longer than `max_key_bytes` (or empty).
    Key,
    /// A value longer than `max_value_bytes`.
    Value,
}

impl StorageLimits {
    /// Checks one key.
    pub fn check_key(&self, key: &str) -> Result<(), (Refusal, String)> {
        if key.is_empty() {
            return Err((Refusal::Key, "keys may not be empty".into()));
        }
        if key.len() > self.max_key_bytes {
            let message = format!("key of {} bytes is longer than max_key_bytes ({})", key.len(), self.max_key_bytes);
            return Err((Refusal::Key, message));
        }
        Ok(())
    }

    /// Checks one value.
    pub fn check_value(&self, key: &str, value: &[u8]) -> Result<(), (Refusal, String)> {
        if value.len() > self.max_value_bytes {
            let message = format!(
                "value of `{key}` ({} bytes) is larger than max_value_bytes ({})",
                value.len(),
                self.max_value_bytes
            );
            return Err((Refusal::Value, message));
        }
        Ok(())
    }
}

/// Whether `identifier` can name a bucket: at most [`MAX_BUCKET_NAME_BYTES`],
/// no control characters (`""` is the module's default bucket).
pub fn valid_bucket_name(identifier: &str) -> bool {
    identifier.len() <= MAX_BUCKET_NAME_BYTES && !identifier.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> StorageLimits {
        StorageLimits { max_key_bytes: 4, max_value_bytes: 3, max_state_bytes: 100 }
    }

    #[test]
    fn keys_and_values_over_their_limit_are_refused() {
        assert!(limits().check_key("abcd").is_ok());
        assert_eq!(limits().check_key("abcde").unwrap_err().0, Refusal::Key);
        assert_eq!(limits().check_key("").unwrap_err().0, Refusal::Key);
        assert!(limits().check_value("k", b"abc").is_ok());
        let (refusal, message) = limits().check_value("k", b"abcd").unwrap_err();
        assert_eq!(refusal, Refusal::Value);
        assert!(message.contains("max_value_bytes (3)"), "{message}");
    }

    #[test]
    fn bucket_names_are_bounded_and_printable() {
        assert!(valid_bucket_name(""));
        assert!(valid_bucket_name("orders"));
        assert!(!valid_bucket_name("a\nb"));
        assert!(!valid_bucket_name(&"x".repeat(MAX_BUCKET_NAME_BYTES + 1)));
    }
}

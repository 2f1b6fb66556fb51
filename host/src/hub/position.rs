//! A topic's position: the `offset` of its last update, growing by exactly 1
//! per update, in a sequence named by its `epoch`, a short opaque string.
//! A client that saw position (E, N) and asks again later gets every update
//! after N, if the topic is still in epoch E and keeps them (see
//! [`crate::hub::history`]).
//!
//! An epoch is new whenever the host cannot continue a topic's sequence: the
//! topic was removed and created again, or the host restarted. It survives
//! what the host does to a live topic: a hot swap, an instance restart, a
//! quarantine's end does not (the topics are dropped then).

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The longest epoch a client may send back.
pub const MAX_EPOCH_BYTES: usize = 32;
/// The largest offset: a JavaScript number holds every offset up to it exactly.
pub const MAX_OFFSET: u64 = (1 << 53) - 1;

/// Where a topic's sequence stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The sequence.
    pub epoch: Arc<str>,
    /// The last update's offset (0: none yet).
    pub offset: u64,
}

impl Position {
    /// The start of a new sequence.
    pub fn fresh() -> Self {
        Self { epoch: fresh_epoch(), offset: 0 }
    }

    /// A position not known yet (a follower's mirror before the leader's first frame):
    /// its epoch is empty, which no client's position can match.
    pub fn unknown() -> Self {
        Self { epoch: "".into(), offset: 0 }
    }

    /// Whether it is known.
    pub fn is_known(&self) -> bool {
        !self.epoch.is_empty()
    }
}

/// A new epoch, unlike any other of this process and (with a random
/// per-process part) of any other run: 8 hex digits of the process, then a
/// count.
pub fn fresh_epoch() -> Arc<str> {
    static PROCESS: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let process = *PROCESS.get_or_init(|| {
        // std's hasher keys are random per process: a seed without a crate for it.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        hasher.write_u32(std::process::id());
        hasher.finish() as u32
    });
    format!("{process:08x}{:x}", NEXT.fetch_add(1, Ordering::Relaxed)).into()
}

/// Whether `epoch` can be one this host made: 1 to [`MAX_EPOCH_BYTES`] of
/// `[0-9a-z]` (so it needs no escaping in a frame).
pub fn is_valid_epoch(epoch: &str) -> bool {
    (1..=MAX_EPOCH_BYTES).contains(&epoch.len())
        && epoch.bytes().all(|byte| byte.is_ascii_digit() || byte.is_ascii_lowercase())
}

/// The position an update frame's text ends with (`...,"offset":N,"epoch":"E"}}`).
pub fn of_update(text: &str) -> Option<(u64, &str)> {
    let tail = &text[text.rfind(",\"offset\":")? + ",\"offset\":".len()..];
    let (offset, rest) = tail.split_once(",\"epoch\":\"")?;
    let epoch = rest.strip_suffix("\"}}")?;
    let offset = offset.parse().ok()?;
    is_valid_epoch(epoch).then_some((offset, epoch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_are_fresh_and_valid() {
        let (a, b) = (fresh_epoch(), fresh_epoch());
        assert_ne!(a, b);
        assert!(is_valid_epoch(&a) && a.len() <= MAX_EPOCH_BYTES, "{a}");
        assert!(!is_valid_epoch("") && !is_valid_epoch("A") && !is_valid_epoch(&"a".repeat(33)));
    }

    #[test]
    fn a_frames_position_reads_back() {
        let text = r#"{"type":"r.update","payload":{"topic":"t","payload":{"offset":1},"offset":42,"epoch":"ab12"}}"#;
        assert_eq!(of_update(text), Some((42, "ab12")));
        assert_eq!(of_update(r#"{"type":"r.update","payload":{"topic":"t","payload":1}}"#), None);
    }
}

//! How WebSocket connections ended, counted by close code for `/metrics`:
//! a bound that closes connections (a slow consumer, a message rate, a
//! frame size) shows there, whether or not its close frame reached the
//! client (a client that stopped reading never reads it).

use crate::hub::peer::{CloseReason, close_code};
use std::sync::atomic::{AtomicU64, Ordering};

/// The codes counted apart; any other code is counted as `other`.
const CODES: [u16; 8] = [
    close_code::NORMAL,
    close_code::GOING_AWAY,
    close_code::PROTOCOL,
    close_code::INVALID_DATA,
    close_code::POLICY,
    close_code::TOO_BIG,
    close_code::TOKEN_EXPIRED,
    // Not a code the host sends: the slot of every other one.
    0,
];

/// Connections ended, by how.
#[derive(Debug, Default)]
pub struct Closes {
    /// Per entry of [`CODES`].
    by_code: [AtomicU64; CODES.len()],
    /// Dropped without a close frame: the client went away, or a dead peer.
    dropped: AtomicU64,
}

impl Closes {
    /// Counts one connection that ended for `reason`.
    pub fn record(&self, reason: Option<&CloseReason>) {
        match reason.and_then(|reason| reason.code) {
            Some(code) => {
                let slot = CODES.iter().position(|&known| known == code).unwrap_or(CODES.len() - 1);
                self.by_code[slot].fetch_add(1, Ordering::Relaxed);
            }
            None => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Every count, labelled `code` as in `/metrics` (`1008`, ..., `other`, `none`).
    pub fn counts(&self) -> Vec<(String, u64)> {
        let mut counts: Vec<(String, u64)> = CODES
            .iter()
            .zip(&self.by_code)
            .map(|(&code, count)| {
                let label = if code == 0 { "other".to_owned() } else { code.to_string() };
                (label, count.load(Ordering::Relaxed))
            })
            .collect();
        counts.push(("none".to_owned(), self.dropped.load(Ordering::Relaxed)));
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(code: Option<u16>) -> CloseReason {
        CloseReason { code, reason: String::new(), flush: false }
    }

    #[test]
    fn counts_each_code_apart_and_the_rest_together() {
        let closes = Closes::default();
        closes.record(Some(&closed(Some(close_code::POLICY))));
        closes.record(Some(&closed(Some(close_code::POLICY))));
        closes.record(Some(&closed(Some(4999))));
        closes.record(Some(&closed(None)));
        closes.record(None);
        let counts: std::collections::HashMap<String, u64> = closes.counts().into_iter().collect();
        assert_eq!((counts["1008"], counts["other"], counts["none"], counts["1000"]), (2, 1, 2, 0));
    }
}

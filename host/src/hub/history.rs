//! A topic's recent updates, kept so that a client that missed some (a
//! network blip, a slow-consumer close) gets exactly those back when it
//! subscribes again with the last position it saw.
//!
//! Bounded three ways: per topic by count and by age (the route's
//! [`HistoryPolicy`]), and per host by bytes ([`HistoryBudget`], shared by
//! every topic of every module). Going over a bound drops the topic's
//! oldest entries, never the host; a recovery that would need a dropped
//! entry is refused whole (all or nothing, never a partial replay).

use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// How much of a route's updates its topics keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryPolicy {
    /// Updates kept per topic; 0 keeps none.
    pub size: usize,
    /// How long an update is kept, and how long a topic stays live after its
    /// last subscriber left (so a client that comes back can recover).
    pub ttl: Duration,
}

impl HistoryPolicy {
    /// Keeps nothing.
    pub const NONE: Self = Self { size: 0, ttl: Duration::ZERO };

    /// Whether the route keeps a history.
    pub fn keeps(&self) -> bool {
        self.size > 0 && !self.ttl.is_zero()
    }
}

/// The bytes every topic's history may hold together (`max_history_bytes`).
#[derive(Debug)]
pub struct HistoryBudget {
    max: usize,
    used: AtomicUsize,
    /// Entries dropped to stay within a bound (count, age or bytes).
    dropped: AtomicU64,
}

impl HistoryBudget {
    /// A budget of `max` bytes.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max, used: AtomicUsize::new(0), dropped: AtomicU64::new(0) })
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Entries dropped so far to stay within a bound.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Takes `bytes` if they fit.
    fn take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.max)
            })
            .is_ok()
    }

    fn give_back(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// One kept update: its offset, its frame (the very bytes subscribers got), when.
#[derive(Debug)]
struct Entry {
    offset: u64,
    frame: Bytes,
    at: Instant,
}

/// Why a recovery cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrecoverable {
    /// The position is ahead of the topic.
    Ahead,
    /// An update after the position is no longer kept.
    TooOld,
    /// More updates were missed than one recovery may replay.
    TooMany,
}

/// One topic's kept updates, oldest first.
#[derive(Debug)]
pub struct History {
    policy: HistoryPolicy,
    budget: Arc<HistoryBudget>,
    entries: VecDeque<Entry>,
    bytes: usize,
}

impl History {
    /// An empty history under `policy`, drawing on `budget`.
    pub fn new(policy: HistoryPolicy, budget: Arc<HistoryBudget>) -> Self {
        Self { policy, budget, entries: VecDeque::new(), bytes: 0 }
    }

    /// The policy it keeps to.
    pub fn policy(&self) -> HistoryPolicy {
        self.policy
    }

    /// Updates kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Keeps update `offset` (its `frame`), published at `now`, dropping the
    /// oldest entries as the bounds require.
    pub fn push(&mut self, offset: u64, frame: Bytes, now: Instant) {
        if !self.policy.keeps() {
            return;
        }
        self.expire(now);
        while self.entries.len() >= self.policy.size {
            self.drop_oldest();
        }
        while !self.budget.take(frame.len()) {
            if self.entries.is_empty() {
                // Larger than what is left of the host's budget: not kept.
                self.budget.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            self.drop_oldest();
        }
        self.bytes += frame.len();
        self.entries.push_back(Entry { offset, frame, at: now });
    }

    /// The frames of every update after `offset`, up to `top` (the topic's
    /// offset), at most `max` of them: all or nothing.
    pub fn since(&mut self, offset: u64, top: u64, max: usize, now: Instant) -> Result<Vec<Bytes>, Unrecoverable> {
        if offset > top {
            return Err(Unrecoverable::Ahead);
        }
        let missed = top - offset;
        if missed == 0 {
            return Ok(Vec::new());
        }
        if missed > max as u64 {
            return Err(Unrecoverable::TooMany);
        }
        self.expire(now);
        let first = self.entries.front().map_or(u64::MAX, |entry| entry.offset);
        if first > offset + 1 || self.entries.back().map(|entry| entry.offset) != Some(top) {
            return Err(Unrecoverable::TooOld);
        }
        let skip = (offset + 1 - first) as usize;
        Ok(self.entries.iter().skip(skip).map(|entry| entry.frame.clone()).collect())
    }

    /// Drops the entries older than the policy's TTL.
    pub fn expire(&mut self, now: Instant) {
        while self.entries.front().is_some_and(|entry| now.saturating_duration_since(entry.at) > self.policy.ttl) {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        if let Some(entry) = self.entries.pop_front() {
            self.bytes -= entry.frame.len();
            self.budget.give_back(entry.frame.len());
            self.budget.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for History {
    fn drop(&mut self) {
        self.budget.give_back(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(size: usize) -> HistoryPolicy {
        HistoryPolicy { size, ttl: Duration::from_secs(60) }
    }

    fn frame(n: u64) -> Bytes {
        Bytes::from(format!("frame {n:03}"))
    }

    fn filled(size: usize, budget: &Arc<HistoryBudget>, updates: u64, now: Instant) -> History {
        let mut history = History::new(policy(size), budget.clone());
        for offset in 1..=updates {
            history.push(offset, frame(offset), now);
        }
        history
    }

    #[test]
    fn a_recovery_gets_exactly_the_missed_updates_or_nothing() {
        let now = Instant::now();
        let budget = HistoryBudget::new(usize::MAX);
        let mut history = filled(5, &budget, 8, now);
        assert_eq!(history.len(), 5, "count-bounded: 4..=8 kept");
        assert_eq!(history.since(5, 8, 100, now), Ok(vec![frame(6), frame(7), frame(8)]));
        assert_eq!(history.since(3, 8, 100, now), Ok(vec![frame(4), frame(5), frame(6), frame(7), frame(8)]));
        assert_eq!(history.since(8, 8, 100, now), Ok(vec![]));
        assert_eq!(history.since(2, 8, 100, now), Err(Unrecoverable::TooOld), "update 3 is gone");
        assert_eq!(history.since(9, 8, 100, now), Err(Unrecoverable::Ahead));
        assert_eq!(history.since(5, 8, 2, now), Err(Unrecoverable::TooMany));
    }

    #[test]
    fn old_entries_expire() {
        let now = Instant::now();
        let budget = HistoryBudget::new(usize::MAX);
        let mut history = filled(10, &budget, 3, now);
        let later = now + Duration::from_secs(61);
        assert_eq!(history.since(1, 3, 100, later), Err(Unrecoverable::TooOld));
        assert!(history.is_empty());
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn the_hosts_budget_bounds_every_history_together() {
        let now = Instant::now();
        let budget = HistoryBudget::new(3 * frame(0).len());
        let first = filled(10, &budget, 2, now);
        let mut second = filled(10, &budget, 5, now);
        assert_eq!((first.len(), second.len()), (2, 1), "the newcomer drops its own oldest to fit");
        assert_eq!(second.since(4, 5, 100, now), Ok(vec![frame(5)]));
        drop(first);
        assert_eq!(budget.used(), frame(0).len(), "a dropped history gives its bytes back");
        assert!(budget.dropped() >= 4);
    }

    #[test]
    fn a_policy_of_none_keeps_nothing() {
        let mut history = History::new(HistoryPolicy::NONE, HistoryBudget::new(usize::MAX));
        history.push(1, frame(1), Instant::now());
        assert!(history.is_empty());
    }
}

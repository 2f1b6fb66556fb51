//! Timers a component set with `set-timer`: a min-heap of due times.
//!
//! Cleared or replaced timers leave stale heap entries that are skipped when
//! they come up (each timer has a generation), so set and clear are O(log n)
//! and the actor finds the next deadline in O(1).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
struct Timer {
    period: Duration,
    generation: u64,
}

/// The timers of one module instance.
#[derive(Debug, Default)]
pub struct Timers {
    timers: HashMap<String, Timer>,
    due: BinaryHeap<Reverse<(Instant, u64, String)>>,
    next_generation: u64,
}

impl Timers {
    /// Number of timers set.
    pub fn len(&self) -> usize {
        self.timers.len()
    }

    /// Whether no timer is set.
    pub fn is_empty(&self) -> bool {
        self.timers.is_empty()
    }

    /// Sets (or replaces) the timer of `topic`, first due one period after `now`.
    pub fn set(&mut self, topic: &str, period: Duration, now: Instant) {
        self.next_generation += 1;
        let generation = self.next_generation;
        self.timers.insert(topic.to_owned(), Timer { period, generation });
        self.due.push(Reverse((now + period, generation, topic.to_owned())));
    }

    /// Clears the timer of `topic`, if any.
    pub fn clear(&mut self, topic: &str) {
        self.timers.remove(topic);
        if self.timers.is_empty() {
            self.due.clear();
        }
    }

    /// Clears every timer.
    pub fn clear_all(&mut self) {
        self.timers.clear();
        self.due.clear();
    }

    /// When the earliest timer is due (possibly a stale entry: harmless, it is skipped).
    pub fn next_due(&self) -> Option<Instant> {
        self.due.peek().map(|Reverse((at, _, _))| *at)
    }

    /// The next timer due at or before `now`, rescheduled for its next period.
    /// A timer that fell more than a period behind skips the missed ticks.
    pub fn pop_due(&mut self, now: Instant) -> Option<String> {
        loop {
            let Reverse((at, generation, _)) = self.due.peek()?;
            if *at > now {
                return None;
            }
            let (at, generation) = (*at, *generation);
            let Reverse((_, _, topic)) = self.due.pop()?;
            let Some(timer) = self.timers.get(&topic) else { continue };
            if timer.generation != generation {
                continue;
            }
            let next = if at + timer.period >= now { at + timer.period } else { now + timer.period };
            self.due.push(Reverse((next, generation, topic.clone())));
            return Some(topic);
        }
    }
}

/// Sleeps until `at`, or forever when there is nothing to wait for (a
/// `select!` branch that never fires).
pub async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_order_and_reschedules() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.set("slow", Duration::from_millis(300), start);
        timers.set("fast", Duration::from_millis(100), start);
        assert_eq!(timers.pop_due(start), None);
        assert_eq!(timers.next_due(), Some(start + Duration::from_millis(100)));
        let t = start + Duration::from_millis(150);
        assert_eq!(timers.pop_due(t).as_deref(), Some("fast"));
        assert_eq!(timers.pop_due(t), None);
        let t = start + Duration::from_millis(300);
        assert_eq!(timers.pop_due(t).as_deref(), Some("fast"));
        assert_eq!(timers.pop_due(t).as_deref(), Some("slow"));
        assert_eq!(timers.pop_due(t).as_deref(), Some("fast"), "due again at 300");
        assert_eq!(timers.pop_due(t), None);
    }

    #[test]
    fn cleared_and_replaced_timers_do_not_fire_twice() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.set("a", Duration::from_millis(10), start);
        timers.set("b", Duration::from_millis(10), start);
        timers.clear("a");
        timers.set("b", Duration::from_millis(20), start);
        let t = start + Duration::from_millis(20);
        assert_eq!(timers.pop_due(t).as_deref(), Some("b"));
        assert_eq!(timers.pop_due(t), None);
        assert_eq!(timers.len(), 1);
    }

    #[test]
    fn a_late_timer_skips_missed_ticks() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.set("a", Duration::from_millis(10), start);
        let late = start + Duration::from_secs(1);
        assert_eq!(timers.pop_due(late).as_deref(), Some("a"));
        assert_eq!(timers.pop_due(late), None);
        assert_eq!(timers.next_due(), Some(late + Duration::from_millis(10)));
    }
}

//! Timers a component set with `set-timer`: a min-heap of due times.
//!
//! Cleared or replaced timers leave stale heap entries that are skipped when
//! they come up (each timer has a generation), so set and clear are O(log n)
//! and the actor finds the next deadline in O(1).
//!
//! A new timer's first tick comes at a phase within its period derived from
//! its topic, so topics created together (a burst of subscriptions, a
//! restart re-creating every topic) do not all fire at the same instant: the
//! module's fan-out is spread across the period instead of bunched into one
//! burst that its last subscriber waits through.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
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
    timers: HashMap<Arc<str>, Timer>,
    /// Due times; the topic is shared with `timers`, so ticking allocates nothing.
    due: BinaryHeap<Reverse<(Instant, u64, Arc<str>)>>,
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

    /// Sets (or replaces) the timer of `topic`, first due within one period
    /// of `now` at the topic's phase.
    pub fn set(&mut self, topic: &str, period: Duration, now: Instant) {
        self.schedule(topic, period, now + phase(topic, period));
    }

    /// Sets (or replaces) the timer of `topic`, first due at `first`.
    fn schedule(&mut self, topic: &str, period: Duration, first: Instant) {
        self.next_generation += 1;
        let generation = self.next_generation;
        let topic: Arc<str> = topic.into();
        self.timers.insert(topic.clone(), Timer { period, generation });
        self.due.push(Reverse((first, generation, topic)));
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
    pub fn pop_due(&mut self, now: Instant) -> Option<Arc<str>> {
        loop {
            let Reverse((at, generation, _)) = self.due.peek()?;
            if *at > now {
                return None;
            }
            let (at, generation) = (*at, *generation);
            let Reverse((_, _, topic)) = self.due.pop()?;
            let Some(timer) = self.timers.get(&*topic) else { continue };
            if timer.generation != generation {
                continue;
            }
            let next = if at + timer.period >= now { at + timer.period } else { now + timer.period };
            self.due.push(Reverse((next, generation, topic.clone())));
            return Some(topic);
        }
    }
}

/// Where in `period` the ticks of `topic` fall: a stable spread in `(0, period]`
/// (public so the benchmarks' floor can tick on the same schedule).
pub fn phase(topic: &str, period: Duration) -> Duration {
    // FNV-1a: stable across runs and versions, unlike the std hasher.
    let hash = topic
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3));
    let nanos = u64::try_from(period.as_nanos()).unwrap_or(u64::MAX).max(1);
    Duration::from_nanos(nanos - hash % nanos)
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
    fn topics_set_together_fire_at_spread_phases() {
        let start = Instant::now();
        let mut timers = Timers::default();
        let period = Duration::from_millis(100);
        let mut firsts = std::collections::BTreeSet::new();
        for topic in 0..10 {
            timers.set(&format!("ticks:{{\"stream\":\"{topic}\"}}"), period, start);
        }
        while let Some(Reverse((at, _, _))) = timers.due.pop() {
            assert!(at > start && at <= start + period);
            firsts.insert(at);
        }
        assert!(firsts.len() >= 9, "{firsts:?}");
    }

    #[test]
    fn fires_in_order_and_reschedules() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.schedule("slow", Duration::from_millis(300), start + Duration::from_millis(300));
        timers.schedule("fast", Duration::from_millis(100), start + Duration::from_millis(100));
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
        timers.schedule("a", Duration::from_millis(10), start + Duration::from_millis(10));
        timers.schedule("b", Duration::from_millis(10), start + Duration::from_millis(10));
        timers.clear("a");
        timers.schedule("b", Duration::from_millis(20), start + Duration::from_millis(20));
        let t = start + Duration::from_millis(20);
        assert_eq!(timers.pop_due(t).as_deref(), Some("b"));
        assert_eq!(timers.pop_due(t), None);
        assert_eq!(timers.len(), 1);
    }

    #[test]
    fn a_late_timer_skips_missed_ticks() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.schedule("a", Duration::from_millis(10), start + Duration::from_millis(10));
        let late = start + Duration::from_secs(1);
        assert_eq!(timers.pop_due(late).as_deref(), Some("a"));
        assert_eq!(timers.pop_due(late), None);
        assert_eq!(timers.next_due(), Some(late + Duration::from_millis(10)));
    }
}

//! Timers a component set with `set-timer`: a timing wheel of 1 ms slots
//! over a slab of timers.
//!
//! A module with 10 000 topics ticking every 100 ms fires 100 000 timers a
//! second; a binary heap of them costs a dozen cache misses per tick, as
//! much as the update's own work. On the wheel a tick is a pop from the
//! current slot and a push onto a later one. Slots are 1 ms, the
//! resolution of the runtime's own timers: a timer fires at most 1 ms after
//! it is due, never before. Timers due more than [`WHEEL_SLOTS`] ms ahead
//! wait in a heap and move onto the wheel as it comes round to them.
//!
//! Cleared or replaced timers leave stale entries that are skipped when they
//! come up (each timer has a generation), so set and clear are O(1) beside
//! the topic's hash.
//!
//! Each timer ticks at a phase of its period derived from a key, the same
//! for every timer of one key: the instance's timers share a clock, so the
//! ticks of one key's timers of one period fall in the same slot whenever
//! they were set (a timer that falls behind keeps its phase).
//! The key is the topic's first subscriber (see `set-timer` in
//! [`crate::runtime::guest_state`]), so the topics a client subscribed to
//! tick together — in one turn of the module's actor, which writes them to
//! the client in one `writev` and wakes it once (see [`crate::hub::outbox`])
//! — while different clients' topics, and topics created together by a
//! restart, are spread across the period instead of bunched into one burst
//! that the last subscriber waits through.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The wheel's resolution, 1 ms.
const SLOT_NANOS: u64 = 1_000_000;

/// The wheel's length in slots (a power of two): about a second ahead.
pub const WHEEL_SLOTS: usize = 1024;

#[derive(Debug)]
struct Timer {
    topic: Arc<str>,
    /// The topic's id while it is live (the component's name for it).
    id: u32,
    period: Duration,
    generation: u64,
}

/// A timer's tick that is due: its topic, and the topic's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The topic.
    pub topic: Arc<str>,
    /// Its id (`topic-id`).
    pub id: u32,
}

/// One pending tick of the timer in slab slot `timer`, due at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    at: Instant,
    generation: u64,
    timer: usize,
}

/// The timers of one module instance.
#[derive(Debug)]
pub struct Timers {
    /// The slab slot of each topic's timer.
    slots: HashMap<Arc<str>, usize>,
    /// The timers by slab slot; `None` is free (listed in `free`).
    timers: Vec<Option<Timer>>,
    free: Vec<usize>,
    /// Slot `n` of the wheel starts at `base + n` ms.
    base: Instant,
    /// The first wheel slot not yet fired: the entries of slot `n` (for
    /// `cursor <= n < cursor + WHEEL_SLOTS`) are in `wheel[n % WHEEL_SLOTS]`.
    cursor: u64,
    /// Allocated with the first entry; each slot fires in the order it was filled.
    wheel: Vec<VecDeque<Entry>>,
    /// Entries on the wheel, stale ones included.
    on_wheel: usize,
    /// Entries beyond the wheel's reach.
    later: BinaryHeap<Reverse<Entry>>,
    next_generation: u64,
}

impl Default for Timers {
    fn default() -> Self {
        Self::starting(Instant::now())
    }
}

impl Timers {
    /// No timers, the wheel's first slot at `base`.
    fn starting(base: Instant) -> Self {
        Self {
            slots: HashMap::new(),
            timers: Vec::new(),
            free: Vec::new(),
            base,
            cursor: 0,
            wheel: Vec::new(),
            on_wheel: 0,
            later: BinaryHeap::new(),
            next_generation: 0,
        }
    }

    /// Number of timers set.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no timer is set.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Sets (or replaces) the timer of `topic`, live as `id`, first due
    /// within one period after `now`, at the phase of `key`.
    pub fn set(&mut self, topic: &str, id: u32, period: Duration, key: &[u8], now: Instant) {
        self.schedule(topic, id, period, self.next_at_phase(period, phase(key, period), now));
    }

    /// The first instant after `now`, within one period, at `phase` of
    /// `period` counted from the wheel's start.
    fn next_at_phase(&self, period: Duration, phase: Duration, now: Instant) -> Instant {
        self.base + next_at_phase(now.saturating_duration_since(self.base), period, phase)
    }

    /// Sets (or replaces) the timer of `topic`, live as `id`, first due at `first`.
    fn schedule(&mut self, topic: &str, id: u32, period: Duration, first: Instant) {
        self.next_generation += 1;
        let generation = self.next_generation;
        let timer = match self.slots.get(topic) {
            Some(&timer) => {
                if let Some(replaced) = &mut self.timers[timer] {
                    replaced.id = id;
                    replaced.period = period;
                    replaced.generation = generation;
                }
                timer
            }
            None => {
                let topic: Arc<str> = topic.into();
                let new = Some(Timer { topic: topic.clone(), id, period, generation });
                let timer = match self.free.pop() {
                    Some(timer) => {
                        self.timers[timer] = new;
                        timer
                    }
                    None => {
                        self.timers.push(new);
                        self.timers.len() - 1
                    }
                };
                self.slots.insert(topic, timer);
                timer
            }
        };
        self.insert(Entry { at: first, generation, timer });
    }

    /// Clears the timer of `topic`, if any.
    pub fn clear(&mut self, topic: &str) {
        if let Some(timer) = self.slots.remove(topic) {
            self.timers[timer] = None;
            self.free.push(timer);
        }
        if self.slots.is_empty() {
            self.clear_all();
        }
    }

    /// Clears every timer.
    pub fn clear_all(&mut self) {
        self.slots.clear();
        self.timers.clear();
        self.free.clear();
        self.wheel.iter_mut().for_each(VecDeque::clear);
        self.on_wheel = 0;
        self.later.clear();
    }

    /// When the earliest timer is due, to the wheel's resolution (possibly
    /// a stale entry's time: harmless, it is skipped).
    pub fn next_due(&self) -> Option<Instant> {
        let slot = match self.first_occupied() {
            Some(slot) => slot,
            None => self.slot_of(self.later.peek()?.0.at),
        };
        Some(self.start_of(slot))
    }

    /// The next timer due at or before `now`, rescheduled for its next period.
    /// A timer that fell more than a period behind skips the missed ticks.
    pub fn pop_due(&mut self, now: Instant) -> Option<Due> {
        loop {
            let next = self.first_occupied().or_else(|| Some(self.slot_of(self.later.peek()?.0.at)))?;
            if self.start_of(next) > now {
                return None;
            }
            if next > self.cursor {
                self.advance(next);
                continue;
            }
            let index = self.index(self.cursor);
            let Some(entry) = self.wheel[index].pop_front() else {
                self.advance(self.cursor + 1);
                continue;
            };
            self.on_wheel -= 1;
            let Some(timer) = self.timers[entry.timer].as_ref().filter(|timer| timer.generation == entry.generation)
            else {
                continue;
            };
            let topic = Due { topic: timer.topic.clone(), id: timer.id };
            let due = entry.at + timer.period;
            // Behind by more than a period: the next tick after now, at the same phase.
            let at = if due >= now { due } else { due + next_at_phase(now - due, timer.period, Duration::ZERO) };
            self.insert(Entry { at, ..entry });
            return Some(topic);
        }
    }

    /// Puts `entry` on the wheel, or in `later` when it is beyond the wheel.
    fn insert(&mut self, entry: Entry) {
        let slot = self.slot_of(entry.at).max(self.cursor);
        if slot >= self.cursor + WHEEL_SLOTS as u64 {
            self.later.push(Reverse(entry));
            return;
        }
        if self.wheel.is_empty() {
            self.wheel.resize_with(WHEEL_SLOTS, VecDeque::new);
        }
        let index = self.index(slot);
        self.wheel[index].push_back(entry);
        self.on_wheel += 1;
    }

    /// Moves the wheel on to `slot` (every slot before it is empty), and the
    /// entries of `later` it now reaches onto it.
    fn advance(&mut self, slot: u64) {
        self.cursor = slot;
        while let Some(Reverse(entry)) = self.later.peek().copied() {
            if self.slot_of(entry.at) >= self.cursor + WHEEL_SLOTS as u64 {
                break;
            }
            self.later.pop();
            self.insert(entry);
        }
    }

    /// The first wheel slot from the cursor holding an entry.
    fn first_occupied(&self) -> Option<u64> {
        if self.on_wheel == 0 {
            return None;
        }
        (self.cursor..self.cursor + WHEEL_SLOTS as u64).find(|&slot| !self.wheel[self.index(slot)].is_empty())
    }

    /// The wheel slot of an entry due at `at`: the first starting at or after it.
    fn slot_of(&self, at: Instant) -> u64 {
        let nanos = at.saturating_duration_since(self.base).as_nanos();
        u64::try_from(nanos.div_ceil(u128::from(SLOT_NANOS))).unwrap_or(u64::MAX / SLOT_NANOS)
    }

    /// When wheel slot `slot` starts.
    fn start_of(&self, slot: u64) -> Instant {
        self.base + Duration::from_nanos(slot.saturating_mul(SLOT_NANOS))
    }

    fn index(&self, slot: u64) -> usize {
        (slot % WHEEL_SLOTS as u64) as usize
    }
}

/// Where in `period` the ticks of timers keyed `key` fall: a stable spread
/// in `[0, period)` (public so the benchmarks' floor can tick on the same schedule).
pub fn phase(key: &[u8], period: Duration) -> Duration {
    // FNV-1a: stable across runs and versions, unlike the std hasher.
    let hash = key
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3));
    let nanos = u64::try_from(period.as_nanos()).unwrap_or(u64::MAX).max(1);
    Duration::from_nanos(hash % nanos)
}

/// Of a clock started `since` ago, the first time after now, within one
/// period, at `phase` of `period` (public so the benchmarks' floor can tick
/// on the same schedule).
pub fn next_at_phase(since: Duration, period: Duration, phase: Duration) -> Duration {
    let period = period.as_nanos().max(1);
    let since = since.as_nanos();
    let mut next = since - since % period + phase.as_nanos() % period;
    if next <= since {
        next += period;
    }
    Duration::from_nanos(u64::try_from(next).unwrap_or(u64::MAX))
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

    const MS: Duration = Duration::from_millis(1);

    /// When each pending entry is due.
    fn pending(timers: &Timers) -> Vec<Instant> {
        let wheel = timers.wheel.iter().flatten().map(|entry| entry.at);
        wheel.chain(timers.later.iter().map(|Reverse(entry)| entry.at)).collect()
    }

    #[test]
    fn timers_of_one_key_tick_together_whenever_set_and_keys_are_spread() {
        let start = Instant::now();
        let mut timers = Timers::starting(start);
        let period = 100 * MS;
        for n in 0..10u32 {
            // One client's subscriptions, a few milliseconds apart.
            timers.set(&format!("ticks:{{\"stream\":\"a{n}\"}}"), 0, period, b"client a", start + n * 3 * MS);
        }
        let firsts = pending(&timers);
        let phases: std::collections::BTreeSet<_> =
            firsts.iter().map(|&at| (at - start).as_nanos() % period.as_nanos()).collect();
        assert_eq!(phases.len(), 1, "one phase: {firsts:?}");
        assert_eq!(firsts.len(), 10);
        let last_set = start + 27 * MS;
        assert!(firsts.iter().all(|&first| first > start && first <= last_set + period), "{firsts:?}");

        let mut timers = Timers::starting(start);
        for n in 0..10u8 {
            timers.set(&format!("ticks:{{\"stream\":\"b{n}\"}}"), 0, period, &[n], start);
        }
        let spread: std::collections::BTreeSet<_> = pending(&timers).into_iter().collect();
        assert!(spread.iter().all(|&at| at > start && at <= start + period));
        assert!(spread.len() >= 9, "{spread:?}");
    }

    #[test]
    fn fires_in_order_and_reschedules() {
        let start = Instant::now();
        let mut timers = Timers::starting(start);
        timers.schedule("slow", 0, 300 * MS, start + 300 * MS);
        timers.schedule("fast", 0, 100 * MS, start + 100 * MS);
        assert_eq!(timers.pop_due(start).map(|due| due.topic), None);
        assert_eq!(timers.next_due(), Some(start + 100 * MS));
        let t = start + 150 * MS;
        assert_eq!(timers.pop_due(t).map(|due| due.topic).as_deref(), Some("fast"));
        assert_eq!(timers.pop_due(t).map(|due| due.topic), None);
        let t = start + 300 * MS;
        assert_eq!(timers.pop_due(t).map(|due| due.topic).as_deref(), Some("fast"));
        assert_eq!(timers.pop_due(t).map(|due| due.topic).as_deref(), Some("slow"));
        assert_eq!(timers.pop_due(t).map(|due| due.topic).as_deref(), Some("fast"), "due again at 300");
        assert_eq!(timers.pop_due(t).map(|due| due.topic), None);
    }

    #[test]
    fn cleared_and_replaced_timers_do_not_fire_twice() {
        let start = Instant::now();
        let mut timers = Timers::starting(start);
        timers.schedule("a", 0, 10 * MS, start + 10 * MS);
        timers.schedule("b", 0, 10 * MS, start + 10 * MS);
        timers.clear("a");
        timers.schedule("b", 0, 20 * MS, start + 20 * MS);
        let t = start + 20 * MS;
        assert_eq!(timers.pop_due(t).map(|due| due.topic).as_deref(), Some("b"));
        assert_eq!(timers.pop_due(t).map(|due| due.topic), None);
        assert_eq!(timers.len(), 1);
    }

    #[test]
    fn a_new_timer_in_a_freed_slot_ignores_the_old_timers_entries() {
        let start = Instant::now();
        let mut timers = Timers::starting(start);
        timers.schedule("keep", 0, 100 * MS, start + 100 * MS);
        timers.schedule("a", 0, 10 * MS, start + 10 * MS);
        timers.clear("a");
        timers.schedule("c", 0, 50 * MS, start + 50 * MS);
        assert_eq!(timers.timers.len(), 2, "c took a's slot");
        assert_eq!(timers.pop_due(start + 10 * MS).map(|due| due.topic), None);
        assert_eq!(timers.pop_due(start + 50 * MS).map(|due| due.topic).as_deref(), Some("c"));
        assert_eq!(timers.pop_due(start + 50 * MS).map(|due| due.topic), None);
    }

    #[test]
    fn a_late_timer_skips_missed_ticks_and_keeps_its_phase() {
        let start = Instant::now();
        let mut timers = Timers::starting(start);
        timers.schedule("a", 0, 10 * MS, start + 10 * MS);
        let late = start + Duration::from_secs(1) + 3 * MS;
        assert_eq!(timers.pop_due(late).map(|due| due.topic).as_deref(), Some("a"));
        assert_eq!(timers.pop_due(late).map(|due| due.topic), None);
        assert_eq!(timers.next_due(), Some(start + Duration::from_millis(1_010)));
    }

    #[test]
    fn timers_beyond_the_wheel_wait_and_then_fire() {
        let start = Instant::now();
        let mut timers = Timers::starting(start);
        let period = Duration::from_secs(5);
        timers.schedule("slow", 0, period, start + period);
        timers.schedule("fast", 0, 10 * MS, start + 10 * MS);
        assert_eq!(timers.next_due(), Some(start + 10 * MS));
        timers.clear("fast");
        assert_eq!(timers.next_due(), Some(start + 10 * MS), "a stale entry is harmless");
        assert_eq!(timers.pop_due(start + period - MS).map(|due| due.topic), None);
        assert_eq!(timers.next_due(), Some(start + period));
        assert_eq!(timers.pop_due(start + period).map(|due| due.topic).as_deref(), Some("slow"));
        assert_eq!(timers.pop_due(start + period).map(|due| due.topic), None);
        assert_eq!(timers.next_due(), Some(start + 2 * period));
    }

    #[test]
    fn every_timer_fires_once_a_period_never_early_and_within_the_resolution() {
        let start = Instant::now();
        let mut timers = Timers::starting(start);
        let topics: Vec<String> = (0..2_000).map(|n| format!("ticks:{{\"stream\":\"{n}\"}}")).collect();
        let periods = [7 * MS, 100 * MS, Duration::from_millis(1_500)];
        let created = start + Duration::from_micros(300);
        let mut due = HashMap::new();
        for (n, topic) in topics.iter().enumerate() {
            let period = periods[n % periods.len()];
            timers.set(topic, n as u32, period, topic.as_bytes(), created);
            let first = timers.next_at_phase(period, phase(topic.as_bytes(), period), created);
            assert!(first > created && first <= created + period);
            due.insert(topic.as_str(), (first, period));
        }
        let step = Duration::from_micros(250);
        let mut now = created;
        let mut fired = 0;
        while now < start + Duration::from_secs(4) {
            while let Some(topic) = timers.pop_due(now).map(|due| due.topic) {
                let (at, period) = due.get_mut(&*topic).expect("a topic that was set");
                assert!(*at <= now, "{topic} fired early");
                assert!(now - *at < MS + step, "{topic} fired {:?} late", now - *at);
                *at += *period;
                fired += 1;
            }
            if let Some(next) = timers.next_due() {
                assert!(next > now);
            }
            now += step;
        }
        assert!(due.values().all(|(at, _)| *at >= now - MS - step), "every timer kept up");
        assert!(fired > 2_000 * 3, "{fired}");
    }

    /// Every timer due at tokio's (paused) now, in the order popped.
    fn due_now(timers: &mut Timers) -> Vec<String> {
        let now = Instant::now();
        std::iter::from_fn(|| timers.pop_due(now)).map(|due| due.topic.to_string()).collect()
    }

    /// Moves tokio's paused clock to the next timer due; when that is.
    async fn advance_to_next(timers: &Timers) -> Instant {
        let next = timers.next_due().expect("a timer is set");
        tokio::time::advance(next.saturating_duration_since(Instant::now())).await;
        next
    }

    #[tokio::test(start_paused = true)]
    async fn a_clients_topics_fall_due_at_one_instant_and_different_clients_apart() {
        // Ten topics for each of four clients (keyed by the client, as `set-timer` does),
        // each set a little later than the one before, ticking once a second.
        let mut timers = Timers::default();
        let period = Duration::from_secs(1);
        for client in 0..4u64 {
            for stream in 0..10 {
                timers.set(&format!("c{client}-{stream}"), stream, period, &client.to_le_bytes(), Instant::now());
                tokio::time::advance(3 * MS).await;
            }
        }
        // A client's first ticks may fall on either side of the phase while it
        // subscribes; from the next period on they fall together.
        let start = Instant::now() + period;
        while timers.next_due().expect("a timer is set") < start {
            advance_to_next(&timers).await;
            due_now(&mut timers);
        }
        let mut instants: HashMap<u64, Vec<Instant>> = HashMap::new();
        while Instant::now() < start + 3 * period {
            let at = advance_to_next(&timers).await;
            let due = due_now(&mut timers);
            let clients: std::collections::BTreeSet<u64> =
                due.iter().map(|topic| topic[1..topic.find('-').unwrap()].parse().unwrap()).collect();
            for client in clients {
                let of_client = due.iter().filter(|topic| topic.starts_with(&format!("c{client}-"))).count();
                assert_eq!(of_client, 10, "all of client {client}'s topics at once: {due:?}");
                instants.entry(client).or_default().push(at);
            }
        }
        assert_eq!(instants.len(), 4, "{instants:?}");
        let firsts: std::collections::BTreeSet<Instant> = instants.values().map(|at| at[0]).collect();
        assert!(firsts.len() > 1, "four clients' topics do not all tick at one instant: {instants:?}");
        for at in instants.values() {
            assert!(at.len() >= 2, "{at:?}");
            assert!(at.windows(2).all(|pair| pair[1] - pair[0] == period), "once a period, at its phase: {at:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_hundred_timers_due_together_each_tick_once_a_period_in_order() {
        let mut timers = Timers::default();
        let period = 50 * MS;
        let topics: Vec<String> = (0..100).map(|n| format!("s{n}")).collect();
        for (id, topic) in (0..).zip(&topics) {
            timers.set(topic, id, period, b"one client", Instant::now());
        }
        let mut rounds = Vec::new();
        for _ in 0..5 {
            let at = advance_to_next(&timers).await;
            let mut due = due_now(&mut timers);
            due.sort();
            let mut expected = topics.clone();
            expected.sort();
            assert_eq!(due, expected, "every topic once, together");
            rounds.push(at);
        }
        assert!(rounds.windows(2).all(|pair| pair[1] - pair[0] == period), "{rounds:?}");
    }
}

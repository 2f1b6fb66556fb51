//! The wall clock as a service reads it: during a timer turn, the time the
//! host handed `on-timers` (read once for every tick of the turn, so a
//! tick costs no call out of the component for it); otherwise the clock.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    /// The current turn's time, epoch microseconds, while `on-timers` runs.
    static TURN_US: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The time, epoch microseconds: the turn's during `on-timers`.
pub fn now_us() -> u64 {
    TURN_US
        .get()
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_micros() as u64))
}

/// The time, epoch milliseconds: the turn's during `on-timers`.
pub fn now_ms() -> u64 {
    now_us() / 1000
}

/// Runs `f` as the turn of time `now_us`.
pub(crate) fn in_turn<T>(now_us: u64, f: impl FnOnce() -> T) -> T {
    TURN_US.set(Some(now_us));
    let result = f();
    TURN_US.set(None);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_reads_its_own_time_and_the_clock_otherwise() {
        assert_eq!(in_turn(1_234_567, || (now_us(), now_ms())), (1_234_567, 1_234));
        assert!(now_us() > 1_234_567, "the clock again after the turn");
    }
}

//! Module settings, read from the WASI environment the host builds from the
//! `[modules.datafeed]` section of its configuration.

/// Default tick (and update) interval.
pub const DEFAULT_TICK_MS: u32 = 200;
/// Default seed of the price walk.
pub const DEFAULT_SEED: u64 = 42;

/// Milliseconds between ticks: `TICK_MS`, at least 1.
pub fn tick_ms() -> u32 {
    env_number("TICK_MS").map_or(DEFAULT_TICK_MS, |ms: u32| ms.max(1))
}

/// Seed of the price walk: `SEED`.
pub fn seed() -> u64 {
    env_number("SEED").unwrap_or(DEFAULT_SEED)
}

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok()?.trim().parse().ok()
}

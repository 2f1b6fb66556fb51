//! The price path of one symbol as a pure function of its step number, so
//! every instance — a restarted one, a new version, the broker and the
//! datafeed — computes the same price for the same moment without replaying
//! the walk from its start.
//!
//! The path is fractal value noise: octave `k` interpolates uniform random
//! values placed every `2^k` steps, with amplitude growing as `√(2^k)`, so
//! moves over `m` steps scale like a random walk's (`∝ √m`) up to the
//! largest octave (~`2^16` steps, about an hour of 50 ms steps), beyond
//! which the price stays near its base.

use crate::rng::SplitMix64;

/// Octaves summed: the walk's memory is about `2^OCTAVES` steps.
const OCTAVES: u32 = 16;
/// Amplitude of the finest octave, in log-price (≈ 0.03 % per step).
const FINEST_AMPLITUDE: f64 = 0.0003;

/// Log-price deviation from the symbol's base at step `n`, for the walk keyed by `key`.
pub fn deviation(key: u64, n: u64) -> f64 {
    let mut sum = 0.0;
    let mut amplitude = FINEST_AMPLITUDE;
    for octave in 0..OCTAVES {
        let index = n >> octave;
        let fraction = (n & ((1 << octave) - 1)) as f64 / (1u64 << octave) as f64;
        let (a, b) = (lattice(key, octave, index), lattice(key, octave, index + 1));
        sum += amplitude * (a + (b - a) * smoothstep(fraction));
        amplitude *= std::f64::consts::SQRT_2;
    }
    sum
}

/// Cumulative traded volume from step `from` to step `to` (`from <= to`):
/// 100 to 4 900 shares a step, monotonic and computed in constant time.
pub fn volume_between(key: u64, from: u64, to: u64) -> u64 {
    cumulative_volume(key, to).saturating_sub(cumulative_volume(key, from))
}

fn cumulative_volume(key: u64, n: u64) -> u64 {
    // 2 500 a step on average plus a bounded jitter: each step adds
    // 2 500 ± 2 400, so the total only grows.
    let jitter = SplitMix64::new(key ^ 0x766f_6c75_6d65 ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64() % 2_400;
    n.saturating_mul(2_500).saturating_add(jitter)
}

/// The uniform value in `[-1, 1)` at lattice point `index` of `octave`.
fn lattice(key: u64, octave: u32, index: u64) -> f64 {
    let mixed = key ^ (u64::from(octave) << 58) ^ index.wrapping_mul(0xD134_2543_DE82_EF95);
    SplitMix64::new(mixed).next_signed()
}

/// Eases interpolation so the path has no kinks at lattice points.
fn smoothstep(t: f64) -> f64 {
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_step_always_gives_the_same_deviation() {
        assert_eq!(deviation(7, 123_456_789), deviation(7, 123_456_789));
        assert_ne!(deviation(7, 123_456_789), deviation(8, 123_456_789));
    }

    #[test]
    fn moves_are_small_per_step_and_bounded_overall() {
        let mut largest_step: f64 = 0.0;
        let mut largest: f64 = 0.0;
        let start = 9_000_000_000;
        for n in start..start + 200_000 {
            largest_step = largest_step.max((deviation(1, n + 1) - deviation(1, n)).abs());
            largest = largest.max(deviation(1, n).abs());
        }
        assert!(largest_step < 0.003, "{largest_step}");
        assert!(largest > 0.005 && largest < 0.25, "{largest}");
    }

    #[test]
    fn volume_only_grows() {
        for n in 1_000..2_000 {
            let traded = volume_between(3, n, n + 1);
            assert!((100..=4_900).contains(&traded), "{traded}");
        }
        assert_eq!(volume_between(3, 10, 20), volume_between(3, 10, 15) + volume_between(3, 15, 20));
    }
}

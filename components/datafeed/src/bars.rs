//! Bars: parsing resolutions and aggregating the price walk into OHLCV bars.

use crate::models::Bar;

const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 24 * 60 * MINUTE_MS;

/// The length of a bar, from a resolution string: minutes (`1`..`1440`),
/// `D`/`1D` or `W`/`1W`.
pub fn resolution_ms(resolution: &str) -> Result<u64, String> {
    let period = match resolution {
        "D" | "1D" => Some(DAY_MS),
        "W" | "1W" => Some(7 * DAY_MS),
        minutes => minutes.parse::<u64>().ok().filter(|m| (1..=1440).contains(m)).map(|m| m * MINUTE_MS),
    };
    period
        .ok_or_else(|| format!("resolution: `{resolution}` is not a resolution; use minutes (1 to 1440), D/1D or W/1W"))
}

/// Aggregates prices into the current bar of one topic.
#[derive(Debug, Clone)]
pub struct BarBuilder {
    period_ms: u64,
    bar: Option<Bar>,
    /// The symbol's cumulative volume when last seen, to add only new volume.
    last_volume: u64,
}

impl BarBuilder {
    /// A builder of bars `period_ms` long, starting from the symbol's current
    /// cumulative volume.
    pub fn new(period_ms: u64, cumulative_volume: u64) -> Self {
        Self { period_ms, bar: None, last_volume: cumulative_volume }
    }

    /// Folds the price at `now_ms` into the current bar (starting a new one at
    /// a period boundary) and returns it.
    pub fn update(&mut self, now_ms: u64, price: f64, cumulative_volume: u64) -> Bar {
        let start = (now_ms - now_ms % self.period_ms) as i64;
        let traded = cumulative_volume.saturating_sub(self.last_volume) as i64;
        self.last_volume = cumulative_volume;
        let bar = match self.bar.take() {
            Some(bar) if bar.time == start => Bar {
                high: bar.high.max(price),
                low: bar.low.min(price),
                close: price,
                volume: bar.volume + traded,
                ..bar
            },
            previous => {
                let open = previous.map_or(price, |bar| bar.close);
                Bar { time: start, open, high: open.max(price), low: open.min(price), close: price, volume: traded }
            }
        };
        self.bar = Some(bar.clone());
        bar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_resolutions() {
        assert_eq!(resolution_ms("1"), Ok(60_000));
        assert_eq!(resolution_ms("15"), Ok(900_000));
        assert_eq!(resolution_ms("1D"), Ok(DAY_MS));
        assert_eq!(resolution_ms("W"), Ok(7 * DAY_MS));
        for bad in ["0", "1441", "", "1M", "x"] {
            assert!(resolution_ms(bad).unwrap_err().starts_with("resolution: "), "{bad}");
        }
    }

    #[test]
    fn aggregates_within_a_bar_and_rolls_over() {
        let mut builder = BarBuilder::new(60_000, 1_000);
        let first = builder.update(120_010, 10.0, 1_100);
        assert_eq!(first, Bar { time: 120_000, open: 10.0, high: 10.0, low: 10.0, close: 10.0, volume: 100 });
        let second = builder.update(120_500, 12.0, 1_300);
        assert_eq!(second, Bar { time: 120_000, open: 10.0, high: 12.0, low: 10.0, close: 12.0, volume: 300 });
        let third = builder.update(180_000, 11.0, 1_350);
        assert_eq!(third, Bar { time: 180_000, open: 12.0, high: 12.0, low: 11.0, close: 11.0, volume: 50 });
    }
}

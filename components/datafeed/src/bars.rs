//! Bars: the resolutions the datafeed serves and aggregating the price walk
//! into OHLCV bars.

use crate::models::Bar;
use std::fmt;

const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 24 * 60 * MINUTE_MS;

/// The minute resolutions served (as TradingView's charting library asks for them).
pub const MINUTES: &[u64] = &[1, 3, 5, 15, 30, 45, 60, 120, 180, 240];

/// A bar length the datafeed serves, in its one canonical spelling: minutes
/// (`1`, `5`, `60`, ...), `D` (a day) or `W` (a week). Equivalent spellings
/// (`01`, `+1`, `1D`, `1W`) parse to the same value, so they share one topic;
/// anything else is refused, so a request cannot make up topics (or put a
/// 64 KB resolution in every update frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// A bar of this many minutes, one of [`MINUTES`].
    Minutes(u64),
    /// A bar of one day.
    Day,
    /// A bar of one week.
    Week,
}

impl Resolution {
    /// Parses a resolution, refusing what the datafeed does not serve.
    pub fn parse(text: &str) -> Result<Self, String> {
        let refuse = || {
            let shown: String = text.chars().take(16).collect();
            let minutes: Vec<String> = MINUTES.iter().map(u64::to_string).collect();
            format!("`{shown}` is not a resolution; use minutes ({}), D or W", minutes.join(", "))
        };
        let upper = text.to_ascii_uppercase();
        let (count, unit) = match upper
            .strip_suffix('D')
            .map(|count| (count, 'D'))
            .or_else(|| upper.strip_suffix('W').map(|count| (count, 'W')))
        {
            Some((count, unit)) => (count, Some(unit)),
            None => (upper.as_str(), None),
        };
        let count = count.strip_prefix('+').unwrap_or(count);
        let digits = count.trim_start_matches('0');
        let number = match (count.is_empty(), unit) {
            (true, Some(_)) => 1,
            _ if count.is_empty() || !count.bytes().all(|byte| byte.is_ascii_digit()) || digits.len() > 6 => {
                return Err(refuse());
            }
            _ => digits.parse::<u64>().unwrap_or(0),
        };
        match (unit, number) {
            (Some('D'), 1) => Ok(Self::Day),
            (Some('W'), 1) => Ok(Self::Week),
            (None, minutes) if MINUTES.contains(&minutes) => Ok(Self::Minutes(minutes)),
            _ => Err(refuse()),
        }
    }

    /// The length of one bar, milliseconds.
    pub fn period_ms(self) -> u64 {
        match self {
            Self::Minutes(minutes) => minutes * MINUTE_MS,
            Self::Day => DAY_MS,
            Self::Week => 7 * DAY_MS,
        }
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Minutes(minutes) => write!(f, "{minutes}"),
            Self::Day => f.write_str("D"),
            Self::Week => f.write_str("W"),
        }
    }
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
    fn parses_the_served_resolutions_into_one_spelling() {
        assert_eq!(Resolution::parse("1").unwrap().period_ms(), 60_000);
        assert_eq!(Resolution::parse("15").unwrap().period_ms(), 900_000);
        assert_eq!(Resolution::parse("1D").unwrap().period_ms(), DAY_MS);
        assert_eq!(Resolution::parse("W").unwrap().period_ms(), 7 * DAY_MS);
        for same in ["1", "01", "001", "+1", "+0001"] {
            assert_eq!(Resolution::parse(same).unwrap().to_string(), "1", "{same}");
        }
        for (spelling, canonical) in [("D", "D"), ("1D", "D"), ("d", "D"), ("01D", "D"), ("1W", "W"), ("w", "W")] {
            assert_eq!(Resolution::parse(spelling).unwrap().to_string(), canonical, "{spelling}");
        }
        let zeros = format!("{}1", "0".repeat(65_400));
        assert_eq!(Resolution::parse(&zeros).unwrap().to_string(), "1", "equivalent, however long");
    }

    #[test]
    fn refuses_what_is_not_served() {
        for bad in ["0", "2", "7", "1441", "", "+", "1M", "2D", "x", "-1", "1.0", " 1", "99999999999999999999"] {
            let error = Resolution::parse(bad).unwrap_err();
            assert!(error.contains("is not a resolution"), "{bad}: {error}");
        }
        assert!(Resolution::parse(&"9".repeat(70_000)).unwrap_err().len() < 200, "the message stays short");
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

//! Bars: the resolutions the datafeed serves and aggregating the price walk
//! into OHLCV bars.

use crate::models::Bar;
use market_sim::Market;
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

/// The current bar of one topic, continued from the market's path: a new
/// builder (a restarted instance, a new version) computes the bar so far
/// from the bar's start, so a bar never resets or goes back in time.
#[derive(Debug, Clone)]
pub struct BarBuilder {
    period_ms: u64,
    bar: Option<Bar>,
    /// When the bar was last updated, epoch ms.
    updated_ms: u64,
    /// The market's position on its path at the last update.
    position: Option<u64>,
}

impl BarBuilder {
    /// A builder of bars `period_ms` long.
    pub fn new(period_ms: u64) -> Self {
        Self { period_ms, bar: None, updated_ms: 0, position: None }
    }

    /// The bar of `symbol` containing `now_ms`, the market being positioned
    /// at `now_ms`; `None` if the market has not moved since the last update
    /// (a timer firing twice within one step of the path publishes nothing new).
    pub fn update(&mut self, market: &Market, symbol: &str, now_ms: u64) -> Option<Bar> {
        if self.position.replace(market.position()) == Some(market.position()) {
            return None;
        }
        let start = now_ms - now_ms % self.period_ms;
        let bar = match self.bar.take() {
            Some(bar) if bar.time == start as i64 => {
                let recent = market.range_since(symbol, self.updated_ms)?;
                Bar {
                    high: bar.high.max(recent.high),
                    low: bar.low.min(recent.low),
                    close: recent.close,
                    volume: bar.volume + recent.volume as i64,
                    ..bar
                }
            }
            _ => {
                let range = market.range_since(symbol, start)?;
                Bar {
                    time: start as i64,
                    open: range.open,
                    high: range.high,
                    low: range.low,
                    close: range.close,
                    volume: range.volume as i64,
                }
            }
        };
        self.updated_ms = now_ms;
        self.bar = Some(bar.clone());
        Some(bar)
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
    fn a_new_builder_continues_the_bar_of_another() {
        let noon = 1_796_126_400_000;
        let mut market = Market::at(3, 200, noon + 30_000);
        let mut running = BarBuilder::new(60_000);
        running.update(&market, "AAPL", noon + 30_000).unwrap();
        market.advance_to(noon + 45_000);
        let continued = running.update(&market, "AAPL", noon + 45_000).unwrap();
        let restarted = BarBuilder::new(60_000).update(&market, "AAPL", noon + 45_000).unwrap();
        assert_eq!(continued, restarted);
        market.advance_to(noon + 45_020);
        assert_eq!(running.update(&market, "AAPL", noon + 45_020), None, "nothing moved within the step");
        assert_eq!(continued.time, noon as i64);
        assert!(continued.volume > 0 && continued.low <= continued.close && continued.close <= continued.high);
        market.advance_to(noon + 61_000);
        let next = running.update(&market, "AAPL", noon + 61_000).unwrap();
        assert_eq!(next.time, noon as i64 + 60_000, "rolls over to the next bar");
    }
}

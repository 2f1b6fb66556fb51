//! Bars: parsing resolutions and aggregating the price walk into OHLCV bars.

use crate::models::Bar;
use market_sim::Market;

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

//! Requests and updates of the datafeed routes. Field names and types are the
//! Python system's, so its clients keep working.

use crate::bars::Resolution;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Subscription to the bars of one symbol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BarsSubscriptionRequest {
    /// Ticker, e.g. `AAPL`.
    pub symbol: String,
    /// Bar length: minutes (`1`, `3`, `5`, `15`, `30`, `45`, `60`, `120`, `180`, `240`), `D` (day) or `W`
    /// (week); `1D`, `1W`, `01` and the like mean the same and give the same topic.
    #[serde(with = "resolution_text")]
    #[schemars(with = "String")]
    pub resolution: Resolution,
}

/// One OHLCV bar. `time` is the bar's start in epoch milliseconds; the bar is
/// updated in place until the next one starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Bar {
    /// Start of the bar, epoch milliseconds.
    pub time: i64,
    /// First price of the bar.
    pub open: f64,
    /// Highest price of the bar.
    pub high: f64,
    /// Lowest price of the bar.
    pub low: f64,
    /// Last price of the bar.
    pub close: f64,
    /// Shares traded during the bar.
    pub volume: i64,
}

/// Subscription to quotes of several symbols.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QuotesSubscriptionRequest {
    /// Symbols quoted on every tick.
    #[serde(default)]
    pub symbols: Vec<String>,
    /// Symbols the client shows prominently (quoted like `symbols`).
    #[serde(default)]
    pub fast_symbols: Vec<String>,
}

/// Whether a quote carries values or an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuoteStatus {
    /// `v` holds [`QuoteValues`].
    Ok,
    /// `v` holds `{"error": "..."}`.
    Error,
}

/// One symbol's quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QuoteData {
    /// `ok` or `error`.
    pub s: QuoteStatus,
    /// Symbol name.
    pub n: String,
    /// The values, or the error.
    pub v: QuoteValue,
}

/// The `v` of a quote: values, or an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum QuoteValue {
    /// A quote.
    Values(QuoteValues),
    /// Why the symbol could not be quoted.
    Error {
        /// Human-readable reason.
        error: String,
    },
}

/// Quote values of one symbol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QuoteValues {
    /// Last price.
    pub lp: f64,
    /// Best ask.
    pub ask: f64,
    /// Best bid.
    pub bid: f64,
    /// Ask minus bid.
    pub spread: f64,
    /// Session open.
    pub open_price: f64,
    /// Session high.
    pub high_price: f64,
    /// Session low.
    pub low_price: f64,
    /// Previous session's close.
    pub prev_close_price: f64,
    /// Session volume.
    pub volume: i64,
    /// Change since the previous close.
    pub ch: f64,
    /// Change since the previous close, percent.
    pub chp: f64,
    /// Short name (the ticker).
    pub short_name: String,
    /// Listing exchange.
    pub exchange: String,
    /// Company name.
    pub description: String,
    /// `EXCHANGE:TICKER`.
    pub original_name: String,
}

/// A resolution travels as its canonical text; parsing refuses what is not served.
mod resolution_text {
    use crate::bars::Resolution;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(resolution: &Resolution, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(resolution)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Resolution, D::Error> {
        Resolution::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

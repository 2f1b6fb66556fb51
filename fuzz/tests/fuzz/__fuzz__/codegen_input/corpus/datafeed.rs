//! Route declarations of the datafeed module, read by `codegen` to generate
//! `ws_generated/`. The Rust form of the Python system's
//! `BarWsRouter: TypeAlias = WsRouter[BarsSubscriptionRequest, Bar]`.

use crate::models::{Bar, BarsSubscriptionRequest, QuoteData, QuotesSubscriptionRequest};
use topicwire_guest::{WsRouter, route};

/// OHLCV bars of one symbol at one resolution, updated every tick.
#[route("bars")]
pub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;

/// Quotes of a list of symbols, one update per symbol every tick.
#[route("quotes")]
pub type QuoteWsRouter = WsRouter<QuotesSubscriptionRequest, QuoteData>;

/// The service handling this module's topics.
pub type Service = crate::service::Datafeed;


#[derive(Serialize, Deserialize, JsonSchema)]
pub struct BarsSubscriptionRequest {
    pub symbol: String,
    pub resolution: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Bar {
    pub time: i64,
    pub close: f64,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct QuotesSubscriptionRequest {
    #[serde(default)]
    pub symbols: Vec<String>,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct QuoteData {
    pub n: String,
}

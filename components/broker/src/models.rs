//! Wire types of the broker: the Python system's field names, enums as integers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Declares an enum that travels as an integer.
macro_rules! int_enum {
    ($(#[doc = $doc:literal])* $name:ident: $repr:ty { $($(#[doc = $vdoc:literal])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(into = "i64", try_from = "i64")]
        pub enum $name {
            $($(#[doc = $vdoc])* #[doc = concat!(stringify!($variant), ": travels as ", stringify!($value), ".")] $variant = $value),+
        }

        impl From<$name> for i64 {
            fn from(value: $name) -> Self {
                value as i64
            }
        }

        impl TryFrom<i64> for $name {
            type Error = String;
            fn try_from(value: i64) -> Result<Self, String> {
                match value {
                    $($value => Ok(Self::$variant),)+
                    other => Err(format!(concat!("{} is not a ", stringify!($name), " (expected one of ", $(stringify!($value), " ",)+ ")"), other)),
                }
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "integer", "enum": [$($value),+], "description": concat!($($doc),*)})
            }
        }
    };
}

int_enum! {
    /// Order status: CANCELED 1, FILLED 2, INACTIVE 3, PLACING 4, REJECTED 5, WORKING 6.
    OrderStatus: i8 { Canceled = 1, Filled = 2, Inactive = 3, Placing = 4, Rejected = 5, Working = 6 }
}
int_enum! {
    /// Order type: LIMIT 1, MARKET 2, STOP 3, STOP_LIMIT 4.
    OrderType: i8 { Limit = 1, Market = 2, Stop = 3, StopLimit = 4 }
}
int_enum! {
    /// Side: BUY 1, SELL -1.
    Side: i8 { Buy = 1, Sell = -1 }
}
int_enum! {
    /// Stop type: STOP_LOSS 0, TRAILING_STOP 1, GUARANTEED_STOP 2.
    StopType: i8 { StopLoss = 0, TrailingStop = 1, GuaranteedStop = 2 }
}

impl Side {
    /// +1 for buys, -1 for sells.
    pub fn sign(self) -> f64 {
        f64::from(self as i8)
    }
}

/// The subscription request of every broker route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccountRequest {
    /// The paper-trading account.
    #[serde(rename = "accountId")]
    pub account_id: String,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Order id.
    pub id: String,
    /// Symbol.
    pub symbol: String,
    /// Order type.
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// Buy or sell.
    pub side: Side,
    /// Quantity.
    pub qty: f64,
    /// Status.
    pub status: OrderStatus,
    /// Limit price (limit and stop-limit orders).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<f64>,
    /// Stop price (stop and stop-limit orders).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<f64>,
    /// Take-profit price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub take_profit: Option<f64>,
    /// Stop-loss price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_loss: Option<f64>,
    /// Guaranteed stop price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guaranteed_stop: Option<f64>,
    /// Trailing stop distance, pips.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailing_stop_pips: Option<f64>,
    /// Kind of the stop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_type: Option<StopType>,
    /// Quantity filled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filled_qty: Option<f64>,
    /// Average fill price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_price: Option<f64>,
    /// Last change, epoch ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time: Option<i64>,
}

/// A position, netted per symbol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    /// Position id: the symbol.
    pub id: String,
    /// Symbol.
    pub symbol: String,
    /// Quantity, 0 once closed.
    pub qty: f64,
    /// Long (buy) or short (sell).
    pub side: Side,
    /// Average entry price.
    pub avg_price: f64,
    /// Take-profit price: the position closes when the price reaches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take_profit: Option<f64>,
    /// Stop-loss price: the position closes when the price reaches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_loss: Option<f64>,
    /// Guaranteed stop price (simulated like a stop-loss).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guaranteed_stop: Option<f64>,
    /// Trailing stop distance, pips (kept and shown, not simulated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trailing_stop_pips: Option<f64>,
}

/// A fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Execution {
    /// Symbol.
    pub symbol: String,
    /// Fill price.
    pub price: f64,
    /// Quantity filled.
    pub qty: f64,
    /// Buy or sell.
    pub side: Side,
    /// Fill time, epoch ms.
    pub time: i64,
}

/// Account equity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Equity {
    /// Balance plus unrealized P/L.
    pub equity: f64,
    /// Cash balance: the starting balance plus realized P/L.
    pub balance: f64,
    /// P/L of open positions at current prices.
    #[serde(rename = "unrealizedPL")]
    pub unrealized_pl: f64,
    /// P/L of closed trades.
    #[serde(rename = "realizedPL")]
    pub realized_pl: f64,
}

/// The connection status of the broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BrokerConnection {
    /// 1 connected, 0 disconnected.
    pub status: u8,
    /// Human-readable status.
    pub message: String,
    /// Why it disconnected (0 when connected).
    pub disconnect_type: u8,
    /// When the status was reported, epoch ms.
    pub timestamp: i64,
}

/// Quotes the client saw when it placed an order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CurrentQuotes {
    /// Best ask.
    pub ask: f64,
    /// Best bid.
    pub bid: f64,
}

/// An order as the client composes it: the body of `POST /orders`,
/// `PUT /orders/{id}` and `POST /orders/preview` (the Python system's `PreOrder`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreOrder {
    /// Symbol.
    pub symbol: String,
    /// Order type.
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// Buy or sell.
    pub side: Side,
    /// Quantity, positive.
    pub qty: f64,
    /// Limit price (limit and stop-limit orders).
    #[serde(default)]
    pub limit_price: Option<f64>,
    /// Stop price (stop and stop-limit orders).
    #[serde(default)]
    pub stop_price: Option<f64>,
    /// Take-profit price of the resulting position.
    #[serde(default)]
    pub take_profit: Option<f64>,
    /// Stop-loss price of the resulting position.
    #[serde(default)]
    pub stop_loss: Option<f64>,
    /// Guaranteed stop price of the resulting position.
    #[serde(default)]
    pub guaranteed_stop: Option<f64>,
    /// Trailing stop distance, pips.
    #[serde(default)]
    pub trailing_stop_pips: Option<f64>,
    /// Kind of the stop.
    #[serde(default)]
    pub stop_type: Option<StopType>,
    /// The price the client saw: fills a market order of a symbol the broker has no price for.
    #[serde(default)]
    pub seen_price: Option<f64>,
    /// The quotes the client saw: a market order of a symbol the broker has no
    /// price for fills at the ask (buy) or the bid (sell).
    #[serde(default)]
    pub current_quotes: Option<CurrentQuotes>,
}

/// `{"orderId": "..."}`: the answer to `POST /orders` and `DELETE /positions/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOrderResult {
    /// The new order's id.
    pub order_id: String,
}

/// `{"success": true, "message": "..."}`: the answer to changes that return no object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionResult {
    /// Always true: a refusal is an error status instead.
    pub success: bool,
    /// What was done.
    pub message: String,
}

impl ActionResult {
    /// A success saying `message`.
    pub fn done(message: impl Into<String>) -> Self {
        Self { success: true, message: message.into() }
    }
}

/// One row of an order preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PreviewRow {
    /// What the row shows.
    pub title: String,
    /// Its value, formatted.
    pub value: String,
}

/// A titled group of preview rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PreviewSection {
    /// The section's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Its rows.
    pub rows: Vec<PreviewRow>,
}

/// `POST /orders/preview`: what placing the order would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderPreview {
    /// The order's details and its estimated cost.
    pub sections: Vec<PreviewSection>,
    /// An id to confirm the previewed order with (not required to place it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_id: Option<String>,
    /// Things to know before placing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
    /// Why it would be refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
}

/// `PUT /positions/{id}/brackets`: the position's new brackets (absent ones are removed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Brackets {
    /// Stop-loss price.
    #[serde(default)]
    pub stop_loss: Option<f64>,
    /// Guaranteed stop price.
    #[serde(default)]
    pub guaranteed_stop: Option<f64>,
    /// Take-profit price.
    #[serde(default)]
    pub take_profit: Option<f64>,
    /// Trailing stop distance, pips.
    #[serde(default)]
    pub trailing_stop_pips: Option<f64>,
}

/// `GET /account`: the account's identity (the Python system's `{id, name}`) and its money.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    /// Account id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Account id (as `id`; kept for earlier clients).
    pub account_id: String,
    /// Cash balance.
    pub balance: f64,
    /// Balance plus unrealized P/L.
    pub equity: f64,
    /// P/L of open positions at current prices.
    #[serde(rename = "unrealizedPL")]
    pub unrealized_pl: f64,
    /// P/L of closed trades.
    #[serde(rename = "realizedPL")]
    pub realized_pl: f64,
}

/// What a leverage applies to: the query of `GET /leverage/info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeverageQuery {
    /// Symbol.
    pub symbol: String,
    /// Order type.
    pub order_type: OrderType,
    /// Buy or sell.
    pub side: Side,
}

/// `PUT /leverage/set` and `POST /leverage/preview`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeverageSetParams {
    /// Symbol.
    pub symbol: String,
    /// Order type.
    pub order_type: OrderType,
    /// Buy or sell.
    pub side: Side,
    /// The leverage asked for.
    pub leverage: f64,
}

/// `GET /leverage/info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeverageInfo {
    /// What it is the leverage of.
    pub title: String,
    /// The leverage in force.
    pub leverage: f64,
    /// Smallest leverage.
    pub min: f64,
    /// Largest leverage.
    pub max: f64,
    /// Leverage steps.
    pub step: f64,
}

/// `PUT /leverage/set`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeverageSetResult {
    /// The leverage now in force.
    pub leverage: f64,
}

/// `POST /leverage/preview`: what setting the leverage would do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeveragePreviewResult {
    /// What it would do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infos: Option<Vec<String>>,
    /// Things to know first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
    /// Why it would be refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
}

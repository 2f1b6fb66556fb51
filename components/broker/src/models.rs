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

/// `POST /orders`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOrder {
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
    /// Take-profit price.
    #[serde(default)]
    pub take_profit: Option<f64>,
    /// Stop-loss price.
    #[serde(default)]
    pub stop_loss: Option<f64>,
}

/// `PUT /orders/{id}`: the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModifyOrder {
    /// New quantity, positive.
    #[serde(default)]
    pub qty: Option<f64>,
    /// New limit price.
    #[serde(default)]
    pub limit_price: Option<f64>,
    /// New stop price.
    #[serde(default)]
    pub stop_price: Option<f64>,
    /// New take-profit price.
    #[serde(default)]
    pub take_profit: Option<f64>,
    /// New stop-loss price.
    #[serde(default)]
    pub stop_loss: Option<f64>,
}

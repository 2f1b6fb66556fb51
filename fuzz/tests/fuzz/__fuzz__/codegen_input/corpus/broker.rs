//! Route declarations of the broker module, read by `codegen`.

use crate::models::{AccountRequest, BrokerConnection, Equity, Execution, Order, Position};
use topicwire_guest::{WsRouter, route};

/// Orders of one account: every placement, change, cancellation and fill.
#[route("orders", delivery = "reliable")]
pub type OrderWsRouter = WsRouter<AccountRequest, Order>;

/// Positions of one account, netted per symbol (qty 0 once closed).
#[route("positions", delivery = "reliable")]
pub type PositionWsRouter = WsRouter<AccountRequest, Position>;

/// Fills of one account's orders.
#[route("executions", delivery = "reliable")]
pub type ExecutionWsRouter = WsRouter<AccountRequest, Execution>;

/// Equity of one account: after every fill and refreshed every second.
#[route("equity")]
pub type EquityWsRouter = WsRouter<AccountRequest, Equity>;

/// Connection status of the broker, sent on subscribe.
#[route("broker-connection")]
pub type BrokerConnectionWsRouter = WsRouter<AccountRequest, BrokerConnection>;

/// The service handling this module's topics.
pub type Service = crate::service::Broker;

/// The module's REST API.
pub type Http = crate::api::BrokerApi;


#[derive(Serialize, Deserialize, JsonSchema)]
pub struct AccountRequest {
    pub id: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct BrokerConnection {
    pub id: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Equity {
    pub id: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Execution {
    pub id: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Order {
    pub id: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Position {
    pub id: String,
}

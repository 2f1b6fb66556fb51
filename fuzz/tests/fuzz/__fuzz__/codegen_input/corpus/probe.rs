//! Route declarations of the probe component.

use crate::models::{Tick, TicksRequest};
use topicwire_guest::{WsRouter, route};

/// Numbered ticks with their version and send time.
#[route("ticks")]
pub type TickWsRouter = WsRouter<TicksRequest, Tick>;

/// Ticks published on request (`POST /recent/{stream}`), of which each topic keeps only the last three.
#[route("recent", delivery = "reliable", history = 3, history_ttl_secs = 60)]
pub type RecentWsRouter = WsRouter<TicksRequest, Tick>;

/// The service handling this module's topics.
pub type Service = crate::service::Probe;

/// The module's REST API.
pub type Http = crate::api::ProbeApi;

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct TicksRequest {
    pub stream: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Tick {
    pub seq: u64,
}

//! What a module reports about itself: its routes, lifecycle state, last
//! error, live counters and storage, as `/api/v1/modules`, AsyncAPI and
//! `/metrics` show them.

use crate::hub::history::HistoryPolicy;
use crate::hub::topics::{Recoveries, TopicInfo};
use crate::runtime::bindings::topicwire::ws::types::{Delivery as GuestDelivery, Route};
use crate::runtime::guest_state::Refusals;
use crate::state::stats::StorageReport;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// One route, as the component describes it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RouteInfo {
    /// Route name.
    pub name: String,
    /// What the route streams.
    pub description: String,
    /// JSON Schema of the subscription request.
    pub request_schema: serde_json::Value,
    /// JSON Schema of an update's `data`.
    pub data_schema: serde_json::Value,
    /// What a slow client gets of the route's updates.
    pub delivery: Delivery,
    /// What the route's topics keep of their updates, for clients that recover.
    pub history: RouteHistory,
}

/// How much of its updates a route's topics keep (see [`crate::hub::history`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RouteHistory {
    /// Updates kept per topic; 0 keeps none (updates are still numbered).
    pub size: u32,
    /// Seconds an update is kept, and a topic stays live after its last subscriber.
    pub ttl_secs: u32,
}

impl RouteHistory {
    /// What a route keeps unless it declares otherwise: a reliable route's
    /// events 1000 per topic for five minutes; a conflated route's states none.
    pub fn default_for(delivery: Delivery) -> Self {
        match delivery {
            Delivery::Reliable => Self { size: 1000, ttl_secs: 300 },
            Delivery::Conflate => Self { size: 0, ttl_secs: 0 },
        }
    }

    /// The hub's form of it.
    pub fn policy(self) -> HistoryPolicy {
        HistoryPolicy { size: self.size as usize, ttl: Duration::from_secs(u64::from(self.ttl_secs)) }
    }
}

/// A route's delivery policy (see [`crate::hub::peer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// A slow client gets only the latest update of each topic.
    Conflate,
    /// Never conflated; a client whose queue cannot take an update is closed with 1008.
    Reliable,
}

impl From<GuestDelivery> for Delivery {
    fn from(delivery: GuestDelivery) -> Self {
        match delivery {
            GuestDelivery::Conflate => Self::Conflate,
            GuestDelivery::Reliable => Self::Reliable,
        }
    }
}

impl RouteInfo {
    /// Converts the guest's `routes` into checked route descriptions.
    pub fn from_guest(routes: Vec<Route>) -> anyhow::Result<Vec<Self>> {
        let mut infos: Vec<Self> = Vec::with_capacity(routes.len());
        for route in routes {
            let valid = !route.name.is_empty()
                && route.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            anyhow::ensure!(valid, "the component declares an invalid route name `{}`", route.name);
            anyhow::ensure!(
                infos.iter().all(|info| info.name != route.name),
                "the component declares route `{}` twice",
                route.name
            );
            let schema = |text: &str| serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
            infos.push(Self {
                request_schema: schema(&route.request_schema),
                data_schema: schema(&route.data_schema),
                name: route.name,
                description: route.description,
                delivery: route.delivery.into(),
                history: RouteHistory::default_for(route.delivery.into()),
            });
        }
        anyhow::ensure!(!infos.is_empty(), "the component declares no routes");
        Ok(infos)
    }
}

/// The lifecycle state of a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModuleState {
    /// Serving its routes.
    Serving,
    /// Serving its previous version: the last reload failed.
    FailedReload,
    /// Its instance crashed; a fresh one is being started.
    Restarting,
    /// Crashed too often: refuses subscriptions until its cool-down is over
    /// (`retry_at_ms`) or a new version is loaded.
    Quarantined,
}

/// The last error of a module.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LastError {
    /// What went wrong.
    pub message: String,
    /// When, in epoch milliseconds.
    pub at_ms: u64,
}

/// What `/api/v1/modules` shows of a module (apart from its live topics).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModuleStatus {
    /// Module name (the file stem).
    pub module: String,
    /// The component file.
    pub file: PathBuf,
    /// Content hash (SHA-256, hex) of the version being served.
    pub version: String,
    /// Lifecycle state.
    pub state: ModuleState,
    /// The routes of the version being served.
    pub routes: Vec<RouteInfo>,
    /// When the version being served was loaded, epoch ms.
    pub loaded_at_ms: u64,
    /// Whether the version being served was loaded from the compiled-component cache.
    pub compiled_from_cache: bool,
    /// Successful reloads since the first load.
    pub reloads: u64,
    /// Instance restarts after traps.
    pub restarts: u64,
    /// Whether the module serves a REST API under `/api/v1/{module}/`.
    pub serves_http: bool,
    /// The last load, reload or runtime error.
    pub last_error: Option<LastError>,
    /// Times the module was quarantined.
    pub quarantines: u64,
    /// While quarantined: when it is retried, epoch ms.
    pub retry_at_ms: Option<u64>,
    /// In a cluster: `"leader"` (this node runs the module's topics) or
    /// `"follower"` (it mirrors the leader's); absent on a single node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_role: Option<&'static str>,
}

/// What the actor reports of its running instance.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct LiveInfo {
    /// Live topics, sorted.
    pub topics: Vec<TopicInfo>,
    /// Updates the instance published (accepted by the host).
    pub published: u64,
    /// Updates and timers the host refused from the instance.
    pub refused: Refusals,
    /// Subscribes that asked to recover, by outcome.
    pub recoveries: Recoveries,
}

/// Everything a module reports: its status and its live counters.
pub struct ModuleReport {
    /// Status (name, version, state, reloads, restarts, ...).
    pub status: ModuleStatus,
    /// Live topics and publishing counters.
    pub live: LiveInfo,
    /// Its state's usage and counters (`None`: the host keeps no state).
    pub storage: Option<StorageReport>,
}

//! What a module reports about itself: its routes, lifecycle state, last
//! error, live counters and storage, as `/api/v1/modules`, AsyncAPI and
//! `/metrics` show them.

use crate::hub::history::HistoryPolicy;
use crate::hub::topics::{Recoveries, TopicInfo};
use crate::runtime::bindings::topicwire::ws::types::{Delivery as GuestDelivery, History as GuestHistory, Route};
pub use crate::runtime::exports::World;
use crate::runtime::guest_state::Refusals;
use crate::runtime::memory::MemoryUsage;
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
    /// The most updates a route may keep per topic. Memory is bounded by
    /// `max_history_bytes` whatever the routes declare; this bounds what one
    /// topic may take of it (and a replay is bounded by `max_recovery_updates`).
    pub const MAX_SIZE: u32 = 10_000;
    /// The longest a route may keep an update, seconds: an hour. A topic
    /// with history stays live (its timers running, counted in
    /// `max_topics`) for this long after its last subscriber leaves.
    pub const MAX_TTL_SECS: u32 = 3_600;

    /// What a route keeps unless it declares otherwise: a reliable route's
    /// events 1000 per topic for five minutes; a conflated route's states none.
    pub fn default_for(delivery: Delivery) -> Self {
        match delivery {
            Delivery::Reliable => Self { size: 1000, ttl_secs: 300 },
            Delivery::Conflate => Self { size: 0, ttl_secs: 0 },
        }
    }

    /// The history a route declares (none: the default for its `delivery`),
    /// within [`Self::MAX_SIZE`] and [`Self::MAX_TTL_SECS`], keeping some
    /// updates for some time or none at all; otherwise why not.
    pub fn declared(declared: Option<GuestHistory>, delivery: Delivery) -> Result<Self, String> {
        let Some(GuestHistory { size, ttl_secs }) = declared else { return Ok(Self::default_for(delivery)) };
        if size > Self::MAX_SIZE {
            return Err(format!("a history of {size} updates per topic; at most {} are kept", Self::MAX_SIZE));
        }
        if ttl_secs > Self::MAX_TTL_SECS {
            return Err(format!("a history kept {ttl_secs} s; at most {} s", Self::MAX_TTL_SECS));
        }
        if (size == 0) != (ttl_secs == 0) {
            return Err(format!(
                "a history of {size} updates kept {ttl_secs} s, which keeps nothing; \
                 declare both above 0, or both 0 for none"
            ));
        }
        Ok(Self { size, ttl_secs })
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
            let delivery = route.delivery.into();
            let history = RouteHistory::declared(route.history, delivery)
                .map_err(|why| anyhow::anyhow!("route `{}` declares {why}", route.name))?;
            let schema = |text: &str| serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
            infos.push(Self {
                request_schema: schema(&route.request_schema),
                data_schema: schema(&route.data_schema),
                name: route.name,
                description: route.description,
                delivery,
                history,
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
    /// The version of the `ws-route-service` world it was built for.
    pub world: World,
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
    /// The instance's linear memory.
    pub memory: MemoryUsage,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn route(name: &str, delivery: GuestDelivery, history: Option<GuestHistory>) -> Route {
        Route {
            name: name.into(),
            description: String::new(),
            request_schema: "{}".into(),
            data_schema: "{}".into(),
            delivery,
            history,
        }
    }

    #[test]
    fn a_route_declaring_no_history_gets_the_default_of_its_delivery() {
        let routes = vec![route("orders", GuestDelivery::Reliable, None), route("bars", GuestDelivery::Conflate, None)];
        let infos = RouteInfo::from_guest(routes).unwrap();
        assert_eq!(infos[0].history, RouteHistory { size: 1000, ttl_secs: 300 });
        assert_eq!(infos[1].history, RouteHistory { size: 0, ttl_secs: 0 });
    }

    #[test]
    fn a_declared_history_is_used_within_its_bounds() {
        let small = GuestHistory { size: 3, ttl_secs: 60 };
        let infos = RouteInfo::from_guest(vec![route("bars", GuestDelivery::Conflate, Some(small))]).unwrap();
        assert_eq!(infos[0].history, RouteHistory { size: 3, ttl_secs: 60 });
        let none = GuestHistory { size: 0, ttl_secs: 0 };
        assert_eq!(RouteHistory::declared(Some(none), Delivery::Reliable), Ok(RouteHistory { size: 0, ttl_secs: 0 }));
        let most = GuestHistory { size: RouteHistory::MAX_SIZE, ttl_secs: RouteHistory::MAX_TTL_SECS };
        assert!(RouteHistory::declared(Some(most), Delivery::Reliable).is_ok());
    }

    #[test]
    fn a_history_out_of_bounds_is_a_load_error_naming_the_route() {
        let cases = [
            (
                GuestHistory { size: 10_001, ttl_secs: 60 },
                "route `orders` declares a history of 10001 updates per topic; at most 10000 are kept",
            ),
            (
                GuestHistory { size: 10, ttl_secs: 3_601 },
                "route `orders` declares a history kept 3601 s; at most 3600 s",
            ),
            (
                GuestHistory { size: 10, ttl_secs: 0 },
                "route `orders` declares a history of 10 updates kept 0 s, which keeps nothing",
            ),
            (
                GuestHistory { size: 0, ttl_secs: 60 },
                "route `orders` declares a history of 0 updates kept 60 s, which keeps nothing",
            ),
        ];
        for (history, expected) in cases {
            let error =
                RouteInfo::from_guest(vec![route("orders", GuestDelivery::Reliable, Some(history))]).unwrap_err();
            assert!(error.to_string().starts_with(expected), "{error}");
        }
    }
}

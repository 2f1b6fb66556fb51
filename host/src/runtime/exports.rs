//! A component's exports, through the version of the world it was built
//! for: the one place that knows there are three. The rest of the host
//! speaks `topicwire:ws@0.3.0`; a component built for 0.2.0 or 0.1.0 is
//! adapted here.
//!
//! 0.3.0 names live topics by number on the per-update path: `create-topic`
//! tells the component a topic's id, and `on-timers` hands it the ids of the
//! turn's due timers with the turn's time. An older component gets its
//! timers' topics as strings, as it always did: `on-timer` for one tick,
//! `on-timers` for several. 0.1.0's `route` record has no `history`: its
//! routes come out with none, so they get the default of their delivery
//! (see [`crate::runtime::status::RouteHistory::default_for`]). Their other
//! exports take and give the same values under types generated apart,
//! converted here field by field: nothing is added to a call that runs per
//! update or per timer tick.

use crate::runtime::bindings::topicwire::ws::types::{Caller, Delivery, Error, Route};
use crate::runtime::bindings::v0_1::topicwire::ws0_1_0::types as v0_1_types;
use crate::runtime::bindings::v0_2::topicwire::ws0_2_0::types as v0_2_types;
use crate::runtime::bindings::{WsRouteService, WsRouteServiceIndices, v0_1, v0_2};
use crate::runtime::guest_state::GuestState;
use crate::runtime::timers::Due;
use serde::Serialize;
use std::sync::Arc;
use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre, TypedFunc};

/// A version of the world the host loads components of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum World {
    /// The current version: timers and updates name topics by id.
    #[serde(rename = "topicwire:ws@0.3.0")]
    V0_3,
    /// Routes may declare their history; timers hand topics as strings.
    #[serde(rename = "topicwire:ws@0.2.0")]
    V0_2,
    /// The first version: routes get the default history of their delivery.
    #[serde(rename = "topicwire:ws@0.1.0")]
    V0_1,
}

/// Where a component's exports are, found (and type-checked) once per
/// version of the component.
#[derive(Clone)]
pub enum ExportIndices {
    /// A 0.3.0 component.
    V0_3(WsRouteServiceIndices),
    /// A 0.2.0 component.
    V0_2(v0_2::WsRouteServiceIndices),
    /// A 0.1.0 component.
    V0_1(v0_1::WsRouteServiceIndices),
}

impl ExportIndices {
    /// The exports of `pre`'s component, as 0.3.0, else 0.2.0, else 0.1.0
    /// (the exports' types tell them apart).
    pub fn new(pre: &InstancePre<GuestState>) -> anyhow::Result<Self> {
        let current = match WsRouteServiceIndices::new(pre) {
            Ok(indices) => return Ok(Self::V0_3(indices)),
            Err(current) => current,
        };
        if let Ok(indices) = v0_2::WsRouteServiceIndices::new(pre) {
            return Ok(Self::V0_2(indices));
        }
        match v0_1::WsRouteServiceIndices::new(pre) {
            Ok(indices) => Ok(Self::V0_1(indices)),
            // 0.3.0's complaint: the version a component should be built for.
            Err(_) => Err(anyhow::Error::from(current).context(
                "the component exports none of topicwire:ws@0.3.0, topicwire:ws@0.2.0 and topicwire:ws@0.1.0",
            )),
        }
    }

    /// The version of the world the component was built for.
    pub fn world(&self) -> World {
        match self {
            Self::V0_3(_) => World::V0_3,
            Self::V0_2(_) => World::V0_2,
            Self::V0_1(_) => World::V0_1,
        }
    }

    /// The exports of `instance`, an instance of this component.
    pub fn load(&self, store: &mut Store<GuestState>, instance: &Instance) -> wasmtime::Result<Exports> {
        Ok(match self {
            Self::V0_3(indices) => Exports::V0_3(indices.load(&mut *store, instance)?),
            Self::V0_2(indices) => Exports::V0_2(indices.load(&mut *store, instance)?, on_timers(store, instance)?),
            Self::V0_1(indices) => Exports::V0_1(indices.load(&mut *store, instance)?, on_timers(store, instance)?),
        })
    }
}

/// An older world's `on-timers`, typed for the host's own topic strings:
/// the bindings' version takes `&[String]`, which would copy every topic
/// once more.
type OnTopicTimers = TypedFunc<(Vec<Arc<str>>,), ()>;

fn on_timers(store: &mut Store<GuestState>, instance: &Instance) -> wasmtime::Result<OnTopicTimers> {
    instance.get_typed_func::<(Vec<Arc<str>>,), ()>(store, "on-timers")
}

/// The exports of one instance, called as 0.3.0's. The bindings take a
/// topic as `&String`: `create-topic` and `remove-topic` copy it once, in
/// every version.
pub enum Exports {
    /// A 0.3.0 component.
    V0_3(WsRouteService),
    /// A 0.2.0 component.
    V0_2(v0_2::WsRouteService, OnTopicTimers),
    /// A 0.1.0 component.
    V0_1(v0_1::WsRouteService, OnTopicTimers),
}

impl Exports {
    /// `routes`; a 0.1.0 component's routes declare no history.
    pub async fn call_routes(&self, store: &mut Store<GuestState>) -> wasmtime::Result<Vec<Route>> {
        match self {
            Self::V0_3(exports) => exports.call_routes(store).await,
            Self::V0_2(exports, _) => Ok(exports.call_routes(store).await?.into_iter().map(route_0_2).collect()),
            Self::V0_1(exports, _) => Ok(exports.call_routes(store).await?.into_iter().map(route_0_1).collect()),
        }
    }

    /// `build-topic`.
    pub async fn call_build_topic(
        &self,
        store: &mut Store<GuestState>,
        route: &str,
        request: &str,
        caller: Option<&Caller>,
    ) -> wasmtime::Result<Result<String, Error>> {
        match self {
            Self::V0_3(exports) => exports.call_build_topic(store, route, request, caller).await,
            // Once per subscribe, not per update.
            Self::V0_2(exports, _) => {
                let caller = caller.map(|caller| v0_2_types::Caller {
                    subject: caller.subject.clone(),
                    claims: caller.claims.clone(),
                });
                Ok(exports.call_build_topic(store, route, request, caller.as_ref()).await?.map_err(error_0_2))
            }
            Self::V0_1(exports, _) => {
                let caller = caller.map(|caller| v0_1_types::Caller {
                    subject: caller.subject.clone(),
                    claims: caller.claims.clone(),
                });
                Ok(exports.call_build_topic(store, route, request, caller.as_ref()).await?.map_err(error_0_1))
            }
        }
    }

    /// `create-topic` of `topic`, live as `id` (older components are not told it).
    pub async fn call_create_topic(
        &self,
        store: &mut Store<GuestState>,
        topic: &str,
        id: u32,
    ) -> wasmtime::Result<Result<(), Error>> {
        let topic = topic.to_owned();
        match self {
            Self::V0_3(exports) => exports.call_create_topic(store, &topic, id).await,
            Self::V0_2(exports, _) => Ok(exports.call_create_topic(store, &topic).await?.map_err(error_0_2)),
            Self::V0_1(exports, _) => Ok(exports.call_create_topic(store, &topic).await?.map_err(error_0_1)),
        }
    }

    /// `remove-topic`.
    pub async fn call_remove_topic(&self, store: &mut Store<GuestState>, topic: &str) -> wasmtime::Result<()> {
        let topic = topic.to_owned();
        match self {
            Self::V0_3(exports) => exports.call_remove_topic(store, &topic).await,
            Self::V0_2(exports, _) => exports.call_remove_topic(store, &topic).await,
            Self::V0_1(exports, _) => exports.call_remove_topic(store, &topic).await,
        }
    }

    /// The ticks of `due`, in one call: `on-timers` with their ids and
    /// `now_us` for a 0.3.0 component; an older one gets their topics,
    /// through `on-timer` when there is one.
    pub async fn call_on_timers(
        &self,
        store: &mut Store<GuestState>,
        now_us: u64,
        due: Vec<Due>,
    ) -> wasmtime::Result<()> {
        let (older, on_timers) = match self {
            Self::V0_3(exports) => {
                let ids: Vec<u32> = due.iter().map(|due| due.id).collect();
                return exports.call_on_timers(store, now_us, &ids).await;
            }
            Self::V0_2(exports, on_timers) => (Older::V0_2(exports), on_timers),
            Self::V0_1(exports, on_timers) => (Older::V0_1(exports), on_timers),
        };
        match due.as_slice() {
            [] => Ok(()),
            [one] => {
                let topic = String::from(&*one.topic);
                match older {
                    Older::V0_2(exports) => exports.call_on_timer(store, &topic).await,
                    Older::V0_1(exports) => exports.call_on_timer(store, &topic).await,
                }
            }
            _ => on_timers.call_async(store, (due.into_iter().map(|due| due.topic).collect(),)).await,
        }
    }
}

/// An older component's bindings, for its `on-timer`.
enum Older<'a> {
    V0_2(&'a v0_2::WsRouteService),
    V0_1(&'a v0_1::WsRouteService),
}

/// A 0.2.0 route: the same.
fn route_0_2(route: v0_2_types::Route) -> Route {
    let v0_2_types::Route { name, description, request_schema, data_schema, delivery, history } = route;
    let delivery = match delivery {
        v0_2_types::Delivery::Conflate => Delivery::Conflate,
        v0_2_types::Delivery::Reliable => Delivery::Reliable,
    };
    let history = history.map(|v0_2_types::History { size, ttl_secs }| {
        crate::runtime::bindings::topicwire::ws::types::History { size, ttl_secs }
    });
    Route { name, description, request_schema, data_schema, delivery, history }
}

/// A 0.1.0 route: the same, declaring no history.
fn route_0_1(route: v0_1_types::Route) -> Route {
    let v0_1_types::Route { name, description, request_schema, data_schema, delivery } = route;
    let delivery = match delivery {
        v0_1_types::Delivery::Conflate => Delivery::Conflate,
        v0_1_types::Delivery::Reliable => Delivery::Reliable,
    };
    Route { name, description, request_schema, data_schema, delivery, history: None }
}

/// A 0.2.0 refusal: the same.
fn error_0_2(error: v0_2_types::Error) -> Error {
    match error {
        v0_2_types::Error::UnknownRoute(route) => Error::UnknownRoute(route),
        v0_2_types::Error::InvalidRequest(reason) => Error::InvalidRequest(reason),
        v0_2_types::Error::Forbidden(reason) => Error::Forbidden(reason),
        v0_2_types::Error::Failed(reason) => Error::Failed(reason),
    }
}

/// A 0.1.0 refusal: the same.
fn error_0_1(error: v0_1_types::Error) -> Error {
    match error {
        v0_1_types::Error::UnknownRoute(route) => Error::UnknownRoute(route),
        v0_1_types::Error::InvalidRequest(reason) => Error::InvalidRequest(reason),
        v0_1_types::Error::Forbidden(reason) => Error::Forbidden(reason),
        v0_1_types::Error::Failed(reason) => Error::Failed(reason),
    }
}

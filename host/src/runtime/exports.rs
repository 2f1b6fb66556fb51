//! A component's exports, through the version of the world it was built
//! for: the one place that knows there are two. The rest of the host speaks
//! `topicwire:ws@0.2.0`; a component built for 0.1.0 is adapted here.
//!
//! 0.1.0 differs only in its `route` record, which has no `history`: its
//! routes come out as 0.2.0 routes with none, so they get the default of
//! their delivery (see [`crate::runtime::status::RouteHistory::default_for`])
//! and behave exactly as they did. Its other exports take and give the same
//! values under types generated apart, converted here field by field:
//! nothing is added to a call that runs per update or per timer tick.

use crate::runtime::bindings::topicwire::ws::types::{Caller, Delivery, Error, Route};
use crate::runtime::bindings::v0_1::topicwire::ws0_1_0::types as v0_1_types;
use crate::runtime::bindings::{WsRouteService, WsRouteServiceIndices, v0_1};
use crate::runtime::guest_state::GuestState;
use serde::Serialize;
use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre};

/// A version of the world the host loads components of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum World {
    /// The current version: routes may declare their history.
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
    /// A 0.2.0 component.
    V0_2(WsRouteServiceIndices),
    /// A 0.1.0 component.
    V0_1(v0_1::WsRouteServiceIndices),
}

impl ExportIndices {
    /// The exports of `pre`'s component, as 0.2.0 or else as 0.1.0 (the
    /// exports' types tell them apart: `routes` returns another record).
    pub fn new(pre: &InstancePre<GuestState>) -> anyhow::Result<Self> {
        match WsRouteServiceIndices::new(pre) {
            Ok(indices) => Ok(Self::V0_2(indices)),
            Err(current) => match v0_1::WsRouteServiceIndices::new(pre) {
                Ok(indices) => Ok(Self::V0_1(indices)),
                // 0.2.0's complaint: the version a component should be built for.
                Err(_) => Err(anyhow::Error::from(current)
                    .context("the component exports neither topicwire:ws@0.2.0 nor topicwire:ws@0.1.0")),
            },
        }
    }

    /// The version of the world the component was built for.
    pub fn world(&self) -> World {
        match self {
            Self::V0_2(_) => World::V0_2,
            Self::V0_1(_) => World::V0_1,
        }
    }

    /// The exports of `instance`, an instance of this component.
    pub fn load(&self, store: &mut Store<GuestState>, instance: &Instance) -> wasmtime::Result<Exports> {
        Ok(match self {
            Self::V0_2(indices) => Exports::V0_2(indices.load(store, instance)?),
            Self::V0_1(indices) => Exports::V0_1(indices.load(store, instance)?),
        })
    }
}

/// The exports of one instance, called as 0.2.0's. The bindings take a
/// topic as `&String`: each call copies it once, in either version (the
/// batched `on-timers` is typed for the host's own strings, see
/// [`crate::runtime::instance`]).
pub enum Exports {
    /// A 0.2.0 component.
    V0_2(WsRouteService),
    /// A 0.1.0 component.
    V0_1(v0_1::WsRouteService),
}

impl Exports {
    /// `routes`; a 0.1.0 component's routes declare no history.
    pub async fn call_routes(&self, store: &mut Store<GuestState>) -> wasmtime::Result<Vec<Route>> {
        match self {
            Self::V0_2(exports) => exports.call_routes(store).await,
            Self::V0_1(exports) => Ok(exports.call_routes(store).await?.into_iter().map(route).collect()),
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
            Self::V0_2(exports) => exports.call_build_topic(store, route, request, caller).await,
            Self::V0_1(exports) => {
                // Once per subscribe, not per update.
                let caller = caller.map(|caller| v0_1_types::Caller {
                    subject: caller.subject.clone(),
                    claims: caller.claims.clone(),
                });
                Ok(exports.call_build_topic(store, route, request, caller.as_ref()).await?.map_err(error))
            }
        }
    }

    /// `create-topic`.
    pub async fn call_create_topic(
        &self,
        store: &mut Store<GuestState>,
        topic: &str,
    ) -> wasmtime::Result<Result<(), Error>> {
        match self {
            Self::V0_2(exports) => exports.call_create_topic(store, &topic.to_owned()).await,
            Self::V0_1(exports) => Ok(exports.call_create_topic(store, &topic.to_owned()).await?.map_err(error)),
        }
    }

    /// `remove-topic`.
    pub async fn call_remove_topic(&self, store: &mut Store<GuestState>, topic: &str) -> wasmtime::Result<()> {
        match self {
            Self::V0_2(exports) => exports.call_remove_topic(store, &topic.to_owned()).await,
            Self::V0_1(exports) => exports.call_remove_topic(store, &topic.to_owned()).await,
        }
    }

    /// `on-timer`.
    pub async fn call_on_timer(&self, store: &mut Store<GuestState>, topic: &str) -> wasmtime::Result<()> {
        match self {
            Self::V0_2(exports) => exports.call_on_timer(store, &topic.to_owned()).await,
            Self::V0_1(exports) => exports.call_on_timer(store, &topic.to_owned()).await,
        }
    }
}

/// A 0.1.0 route: the same, declaring no history.
fn route(route: v0_1_types::Route) -> Route {
    let v0_1_types::Route { name, description, request_schema, data_schema, delivery } = route;
    let delivery = match delivery {
        v0_1_types::Delivery::Conflate => Delivery::Conflate,
        v0_1_types::Delivery::Reliable => Delivery::Reliable,
    };
    Route { name, description, request_schema, data_schema, delivery, history: None }
}

/// A 0.1.0 refusal: the same.
fn error(error: v0_1_types::Error) -> Error {
    match error {
        v0_1_types::Error::UnknownRoute(route) => Error::UnknownRoute(route),
        v0_1_types::Error::InvalidRequest(reason) => Error::InvalidRequest(reason),
        v0_1_types::Error::Forbidden(reason) => Error::Forbidden(reason),
        v0_1_types::Error::Failed(reason) => Error::Failed(reason),
    }
}

//! The declaration of a route: the Rust form of the Python system's
//! `BarWsRouter: TypeAlias = WsRouter[BarsSubscriptionRequest, Bar]`, and
//! the route its generated code makes of it ([`WsRoute`]).

use crate::host::Host;
use crate::wire::{Delivery, History};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// A route whose subscriptions are `Request`s and whose updates carry `Data`.
///
/// Declared as a type alias in a component's `src/ws.rs`, named with
/// [`route`](crate::route):
///
/// ```
/// # use topicwire_guest::{route, WsRouter};
/// # #[derive(serde::Deserialize)] pub struct BarsSubscriptionRequest;
/// # #[derive(serde::Serialize)] pub struct Bar;
/// /// OHLCV bars of one symbol at one resolution.
/// #[route("bars")]
/// pub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;
/// ```
pub struct WsRouter<Request, Data>(PhantomData<fn() -> (Request, Data)>);

/// The model types of a route declaration, for generated code to name them
/// without knowing where the component defines them.
pub trait Router {
    /// The subscription request: validated by deserialising it.
    type Request;
    /// The `data` of each update.
    type Data;
}

impl<Request, Data> Router for WsRouter<Request, Data> {
    type Request = Request;
    type Data = Data;
}

/// One route of a component, as its generated code describes it: what varies
/// between routes (name, description, delivery, history, model types), on a marker
/// type per route (`BarWsRoute` for `BarWsRouter`) that
/// [`WsTopic`](crate::WsTopic) and [`WsRouteService`](crate::WsRouteService)
/// are generic over.
///
/// ```
/// # use topicwire_guest::{Host, Router, WsRoute, WsRouter, WsTopic};
/// # use topicwire_guest::wire::Delivery;
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)] pub struct BarsSubscriptionRequest { symbol: String }
/// # #[derive(serde::Serialize, schemars::JsonSchema)] pub struct Bar { close: f64 }
/// # pub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;
/// # pub enum Imports {}
/// # impl Host for Imports {
/// #     fn topic_update(_: &str, _: &str) {}
/// #     fn topic_updates(_: &[(u32, String)]) {}
/// #     fn set_timer(_: &str, _: u32) {}
/// #     fn clear_timer(_: &str) {}
/// # }
/// /// Route `bars`: OHLCV bars of one symbol at one resolution.
/// pub enum BarWsRoute {}
///
/// impl WsRoute for BarWsRoute {
///     const NAME: &'static str = "bars";
///     const DESCRIPTION: &'static str = "OHLCV bars of one symbol at one resolution.";
///     const DELIVERY: Delivery = Delivery::Conflate;
///     type Request = <BarWsRouter as Router>::Request;
///     type Data = <BarWsRouter as Router>::Data;
///     type Host = Imports;
/// }
///
/// /// A topic of route `bars`.
/// pub type BarWsTopic = WsTopic<BarWsRoute>;
/// ```
pub trait WsRoute: Sized + 'static {
    /// The route name: the prefix of its topics and of its message types.
    const NAME: &'static str;
    /// One line saying what the route streams (the declaration's doc comment).
    const DESCRIPTION: &'static str;
    /// What a slow client gets of the route's updates.
    const DELIVERY: Delivery;
    /// What the route's topics keep for clients that recover
    /// (`#[route("orders", history = 1000, history_ttl_secs = 300)]`); none,
    /// the default: the host's default for the route's delivery (a reliable
    /// route keeps 1000 updates for 300 s, a conflated one none).
    const HISTORY: Option<History> = None;
    /// The subscription request: validated by deserialising it, canonical
    /// once serialised back.
    type Request: Serialize + DeserializeOwned + JsonSchema;
    /// The `data` of each update.
    type Data: Serialize + JsonSchema;
    /// The component's imports, through which its topics publish.
    type Host: Host;
}

//! Support library for Topicwire components.
//!
//! A component author writes models, route declarations in `src/ws.rs` and a
//! service; `topicwire-codegen` generates the rest on top of this crate, and
//! generates only what varies between components: one marker type per route
//! ([`WsRoute`]: its name, description, delivery and model types), a
//! [`WsTopic`] alias per route (`pub type BarWsTopic = WsTopic<BarWsRoute>;`),
//! the [`Host`] implementation over the component's wit-bindgen imports, and
//! the match on route names that dispatches the world's exports to
//! [`dispatch`]. What is the same for every component is here: the typed
//! topic, the handler trait, the bodies of the exports, the REST glue.
//!
//! A service implements [`WsRouteService<R>`] for each route `R`:
//!
//! ```ignore
//! impl WsRouteService<BarWsRoute> for Datafeed {
//!     fn create(topic: &BarWsTopic) -> Result<(), ServiceError> { topic.set_timer(200); Ok(()) }
//!     fn remove(topic: &BarWsTopic) {}
//!     fn on_timer(topic: &BarWsTopic) { topic.update(&bar) }
//! }
//! ```
//!
//! and routes that behave alike share one generic implementation
//! (`impl<R: AccountRoute> WsRouteService<R> for Broker`).
//!
//! # Layout
//!
//! - [`router`]: [`WsRouter<Request, Data>`], the declaration of a route, and
//!   [`WsRoute`], what generated code makes of it.
//! - [`topic`]: building a topic from a request and parsing it back;
//!   [`WsTopic<R>`], the typed topic of route `R` (request parsed once, and
//!   only when read; `update`, `set_timer`, `clear_timer`).
//! - [`host`]: [`Host`], the world's imports as typed topics reach them,
//!   implemented once per component.
//! - [`live`]: the topics the host numbered (timers tick them by id), and the
//!   updates gathered for them, sent to the host once per export call.
//! - [`clock`]: the wall clock, read once per timer turn (the host's time of it).
//! - [`service`]: [`WsRouteService<R>`], the handlers of route `R`
//!   (`create`, `remove`, `on_timer`, `authorize`).
//! - [`dispatch`]: the bodies of the world's exports for one route, called by
//!   generated code.
//! - [`canonical`]: canonical JSON, the form of topics (byte-identical to the
//!   Python system's `json.dumps(sort_keys=True, separators=(",", ":"))`).
//! - [`error`]: [`ServiceError`], what a handler returns to refuse a request.
//! - [`caller`]: [`Caller`], the verified identity `authorize` hooks and REST handlers see.
//! - [`schema`]: JSON Schemas of route models for the `routes` export.
//! - [`http`]: a component's REST API as plain request/response values, and
//!   the `wasi:http/incoming-handler` export ([`export_http!`]).
//! - [`store`]: durable state over the host's `wasi:keyvalue` (typed JSON
//!   values, counters, one-transaction batches).
//! - [`wire`]: the WIT package's shared types, generated once for every component.

pub mod caller;
pub mod canonical;
pub mod clock;
pub mod dispatch;
pub mod error;
pub mod host;
pub mod http;
pub mod live;
pub mod router;
pub mod schema;
pub mod service;
pub mod store;
pub mod topic;
pub mod wire;

#[cfg(test)]
mod testing;

pub use caller::Caller;
pub use error::ServiceError;
pub use host::Host;
pub use router::{Router, WsRoute, WsRouter};
pub use service::WsRouteService;
pub use topic::WsTopic;
pub use topicwire_guest_macros::route;

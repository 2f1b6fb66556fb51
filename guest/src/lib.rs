//! Support library for Topicwire components.
//!
//! A component author writes models, route declarations in `src/ws.rs` and a
//! service; `topicwire-codegen` generates the rest on top of this crate.
//!
//! # Layout
//!
//! - [`router`]: [`WsRouter<Request, Data>`], the declaration of a route.
//! - [`canonical`]: canonical JSON, the form of topics (byte-identical to the
//!   Python system's `json.dumps(sort_keys=True, separators=(",", ":"))`).
//! - [`topic`]: building a topic from a request and parsing it back.
//! - [`error`]: [`ServiceError`], what a handler returns to refuse a request.
//! - [`caller`]: [`Caller`], the verified identity `authorize_<route>` hooks and REST handlers see.
//! - [`schema`]: JSON Schemas of route models for the `routes` export.
//! - [`http`]: a component's REST API as plain request/response values.
//! - [`store`]: durable state over the host's `wasi:keyvalue` (typed JSON
//!   values, counters, one-transaction batches).
//! - [`wire`]: the WIT package's shared types, generated once for every component.

pub mod caller;
pub mod canonical;
pub mod error;
pub mod http;
pub mod router;
pub mod schema;
pub mod store;
pub mod topic;
pub mod wire;

pub use caller::Caller;
pub use error::ServiceError;
pub use router::{Router, WsRouter};
pub use topicwire_guest_macros::route;

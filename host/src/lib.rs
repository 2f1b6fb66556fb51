//! Topicwire's host: loads wasm components from a folder and serves their
//! topic-based WebSocket routes.
//!
//! # Layout
//!
//! - [`server`]: `topicwire serve`, wiring everything below; [`shutdown`]: signals.
//! - [`config`]: defaults < `topicwire.toml` < flags; every limit in one table.
//! - [`engine`]: the wasmtime engine, linker, epoch ticker, off-thread compilation;
//!   [`cache`]: compiled components on disk.
//! - [`bindings`]: host bindings of the `ws-route-service` world.
//! - [`registry`]: modules by name; loading component files; [`watcher`]: hot reload.
//! - [`module`]: a module's actor (owns its instance) and the handle to it;
//!   [`status`]: what a module reports about itself.
//! - [`instance`]: one instance's store and deadline-bounded calls; [`native`]: the
//!   built-in producer the benchmarks compare components against.
//! - [`guest_state`]: the store's data and the guest's imports; [`guest_log`]: guest stdio.
//! - [`topics`]: live topics, reference counting, fan-out; [`timers`]: guest timers;
//!   [`rate`]: the token bucket behind rate limits.
//! - [`gateway`]: HTTP routes; [`connection`]: one WebSocket; [`peer`]: its queue and close.
//! - [`protocol`]: the wire protocol; [`asyncapi`]: AsyncAPI documents; [`metrics`]: `/metrics`.
//! - [`cli`], [`sub`]: the command line and the `sub` client.

pub mod asyncapi;
pub mod bindings;
pub mod cache;
pub mod cli;
pub mod config;
pub mod connection;
pub mod engine;
pub mod gateway;
pub mod guest_log;
pub mod guest_state;
pub mod instance;
pub mod metrics;
pub mod module;
pub mod native;
pub mod peer;
pub mod protocol;
pub mod rate;
pub mod registry;
pub mod server;
pub mod shutdown;
pub mod status;
pub mod sub;
pub mod timers;
pub mod topics;
pub mod watcher;

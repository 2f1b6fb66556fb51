//! Topicwire's host: loads wasm components from a folder and serves their
//! topic-based WebSocket routes.
//!
//! # Layout
//!
//! - [`server`]: `topicwire serve`, wiring everything below; [`shutdown`]: signals.
//! - [`config`]: defaults < `topicwire.toml` < flags; every limit in one table.
//! - [`runtime`]: the wasmtime engine, module actors owning their instances,
//!   the registry of loaded modules and hot reload.
//! - [`state`]: durable module state: `wasi:keyvalue` over a backend (redb
//!   files under `--data-dir`), limits, usage, export and import.
//! - [`hub`]: live topics, reference counting and fan-out to connections.
//! - [`edge`]: the listener, the HTTP surface, WebSocket connections, the
//!   wire protocol, and who may do what (`edge::auth`: tokens, identities,
//!   origins; `topicwire token`).
//! - [`cluster`]: many nodes on NATS: a leader per module (a JetStream KV
//!   lease), interest routing, update fan-out and REST forwarding.
//! - [`ops`]: AsyncAPI documents, Prometheus metrics, the dashboard, the
//!   TypeScript client generator, and returning a load's heap to the system.
//! - [`rate`]: the token bucket behind rate limits.
//! - [`cli`], [`sub`]: the command line and the `sub` client.

pub mod cli;
pub mod cluster;
pub mod config;
pub mod edge;
pub mod hub;
pub mod ops;
pub mod rate;
pub mod runtime;
pub mod server;
pub mod shutdown;
pub mod state;
pub mod sub;

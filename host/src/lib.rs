//! Topicwire's host: loads wasm components from a folder and serves their
//! topic-based WebSocket routes.
//!
//! # Layout
//!
//! Layers, from the floor up; each uses only those below it (checked by
//! `layers::the_layers_hold`), and the cluster plugs into a seam the runtime
//! defines ([`runtime::remote`]):
//!
//! 1. [`limits`]: every limit, declared once, and module settings;
//!    [`module_name`]: what names a module; [`rate`]: the token bucket
//!    behind rate limits; [`shutdown`]: signals.
//! 2. [`hub`]: live topics, reference counting, fan-out to connections, and
//!    what the server says to clients (`hub::messages`). [`state`]: durable
//!    module state behind a backend trait (redb files under `--data-dir`),
//!    limits, usage, export and import.
//! 3. [`runtime`]: the wasmtime engine, the host side of the world
//!    (`runtime::host`), module actors owning their instances, the one
//!    component loader, the registry of loaded modules and hot reload.
//! 4. [`cluster`]: many nodes on NATS, implementing the runtime's seam: a
//!    leader per module (a JetStream KV lease), interest routing, update
//!    fan-out, REST forwarding, module state in JetStream KV, deploys.
//!    [`ops`]: AsyncAPI documents, Prometheus metrics, the dashboard, and
//!    returning a load's heap to the system.
//! 5. [`edge`]: the listener, the HTTP surface, WebSocket connections,
//!    parsing what clients send, and who may do what (`edge::auth`).
//! 6. [`config`]: defaults < `topicwire.toml` < flags, every section summed.
//! 7. [`server`]: `topicwire serve`'s wiring of everything below (the
//!    concrete cluster into the runtime's seam).
//! 8. [`commands`]: one file per command, with its arguments; [`cli`]
//!    dispatches to them.

pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod edge;
pub mod hub;
pub mod limits;
pub mod module_name;
pub mod ops;
pub mod rate;
pub mod runtime;
pub mod server;
pub mod shutdown;
pub mod state;

#[cfg(test)]
mod layers;

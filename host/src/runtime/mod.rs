//! The component runtime: the wasmtime engine, module actors that own their
//! instances, loading component files and hot reload.
//!
//! - [`engine`]: the engine, linker, epoch ticker, off-thread compilation;
//!   [`cache`]: compiled components on disk.
//! - [`bindings`]: host bindings of the `ws-route-service` world, 0.2.0 and
//!   the frozen 0.1.0; [`exports`]: a component's exports through the version
//!   it was built for (0.1.0 adapted to 0.2.0 there, and nowhere else).
//! - [`registry`]: modules by name, loading component files; [`loader`]: the
//!   one way a component file becomes a serving version; [`watcher`]: hot reload.
//! - [`module`]: a module's actor (owns its instance) and the handle to it;
//!   [`remote`]: what the actor needs from other nodes (the cluster's seam);
//!   [`status`]: what a module reports about itself.
//! - [`instance`]: one instance's store and deadline-bounded calls; [`native`]: the
//!   built-in producer the benchmarks compare components against.
//! - [`guest_state`]: the store's data; [`memory`]: its limiter, which counts
//!   the instance's linear memory; [`host`]: what the guest's imports do
//!   (the world's own, `wasi:keyvalue`); [`guest_log`]: guest stdio; [`timers`]: guest timers.

pub mod bindings;
pub mod cache;
pub mod engine;
pub mod exports;
pub mod guest_log;
pub mod guest_state;
pub mod host;
pub mod instance;
pub mod loader;
pub mod memory;
pub mod module;
pub mod native;
pub mod registry;
pub mod remote;
pub mod status;
pub mod timers;
pub mod watcher;

//! The component runtime: the wasmtime engine, module actors that own their
//! instances, loading component files and hot reload.
//!
//! - [`engine`]: the engine, linker, epoch ticker, off-thread compilation;
//!   [`cache`]: compiled components on disk.
//! - [`bindings`]: host bindings of the `ws-route-service` world.
//! - [`registry`]: modules by name, loading component files; [`watcher`]: hot reload.
//! - [`module`]: a module's actor (owns its instance) and the handle to it;
//!   [`status`]: what a module reports about itself.
//! - [`instance`]: one instance's store and deadline-bounded calls; [`native`]: the
//!   built-in producer the benchmarks compare components against.
//! - [`guest_state`]: the store's data and the guest's imports; [`guest_log`]: guest
//!   stdio; [`timers`]: guest timers.

pub mod bindings;
pub mod cache;
pub mod engine;
pub mod guest_log;
pub mod guest_state;
pub mod instance;
pub mod module;
pub mod native;
pub mod registry;
pub mod status;
pub mod timers;
pub mod watcher;

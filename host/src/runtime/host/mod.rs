//! The host side of the world: what a component's imports do, apart from
//! the types they serve (as wasmtime keeps `p2/host/*.rs`).
//!
//! - [`world`]: `topic-update`, `set-timer`, `clear-timer`.
//! - [`keyvalue`]: `wasi:keyvalue` over the module's namespace.

pub mod keyvalue;
pub mod world;

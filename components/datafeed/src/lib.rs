//! The `datafeed` component: simulated market data on `/api/v1/datafeed/ws`.
//!
//! - `bars`: OHLCV bars of one symbol at one resolution.
//! - `quotes`: quote snapshots of a list of symbols.
//!
//! Prices come from [`market_sim`]'s seeded random walk, advanced on a timer
//! the host drives (every `TICK_MS` milliseconds, default 200, from the
//! module's settings).
//!
//! # Layout
//!
//! - [`models`]: request and update types (wire-compatible with the Python system).
//! - [`ws`]: the route declarations `codegen` reads.
//! - [`service`]: the handlers.
//! - [`bars`], [`quotes`]: pure logic behind the handlers, unit-tested natively.
//! - [`ws_generated`]: generated router code (do not edit).

pub mod bars;
pub mod models;
pub mod quotes;
pub mod service;
pub mod settings;
pub mod ws;
pub mod ws_generated;

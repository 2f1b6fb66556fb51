//! The edge: everything a client touches. HTTP routes, WebSocket
//! connections and the wire protocol.
//!
//! - [`gateway`]: the axum router and its handlers.
//! - [`connection`]: one WebSocket, its reader and writer.
//! - [`protocol`]: the wire protocol (compatible with the Python system).

pub mod connection;
pub mod gateway;
pub mod protocol;

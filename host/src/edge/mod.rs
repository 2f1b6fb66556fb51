//! The edge: everything a client touches. HTTP routes, WebSocket
//! connections and the wire protocol.
//!
//! - [`gateway`]: the axum router and its handlers.
//! - [`connection`]: one WebSocket, its reader and writer.
//! - [`protocol`]: the wire protocol (compatible with the Python system).
//! - [`listener`]: accepting connections, HTTP/1.1 by hyper, until shutdown.
//! - [`upgrade`]: the WebSocket handshake, handing the connection's socket over.
//! - [`socket_io`]: the socket as the protocol engine reads and writes it.

pub mod connection;
pub mod gateway;
pub mod listener;
pub mod protocol;
pub mod socket_io;
pub mod upgrade;

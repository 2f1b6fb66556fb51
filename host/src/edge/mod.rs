//! The edge: everything a client touches. HTTP routes, WebSocket
//! connections, the wire protocol, and who may do what.
//!
//! - [`listener`]: accepting TCP connections, HTTP/1.1 limits and timeouts.
//! - [`gateway`]: the axum router and its handlers; [`rest`]: modules' REST APIs.
//! - [`upgrade`]: the WebSocket handshake; [`connection`]: one WebSocket, its reader and writer;
//!   [`closes`]: how connections ended, for the metrics.
//! - [`protocol`]: the wire protocol (compatible with the Python system).
//! - [`socket_io`]: the socket as the protocol engine reads and writes it.
//! - [`auth`]: tokens, identities, the admin token and the origin policy.
//! - [`per_ip`]: WebSocket connections per client address.

pub mod auth;
pub mod closes;
pub mod connection;
pub mod gateway;
pub mod listener;
pub mod per_ip;
pub mod protocol;
pub mod rest;
pub mod socket_io;
pub mod upgrade;

//! The topic hub: live topics and their subscribers, and the connection
//! handles updates are fanned out to.
//!
//! - [`topics`]: live topics, reference counting, framing each update once.
//! - [`peer`]: a connection as the hub sees it: its bounded queue, conflation, close.
//! - [`fanout`]: a large topic's writes spread over the cores.
//! - [`outbox`]: a connection's outgoing bytes, written straight to its socket when it is idle.
//! - [`frame`]: server WebSocket frames as shared wire bytes.
//! - [`messages`]: what the server says to a client (responses, updates, errors).
//! - [`position`]: a topic's offset and epoch; [`history`]: its recent updates, for recovery.

pub mod fanout;
pub mod frame;
pub mod history;
pub mod messages;
pub mod outbox;
pub mod peer;
pub mod position;
pub mod topics;

#[cfg(test)]
pub(crate) mod testing;

//! The topic hub: live topics and their subscribers, and the connection
//! handles updates are fanned out to.
//!
//! - [`topics`]: live topics, reference counting, framing each update once.
//! - [`peer`]: a connection as the hub sees it: its bounded queue, conflation, close.

pub mod peer;
pub mod topics;

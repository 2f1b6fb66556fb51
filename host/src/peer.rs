//! A connected client as the rest of the host sees it: an id, a bounded
//! outgoing queue, and a way to close it with a code and a reason.
//!
//! Slow-consumer policy: frames are queued with `try_send`, never awaited, so
//! publishing never waits on a client. A client that lets its queue fill up
//! (`outgoing_queue_frames`) is closed with 1008 "slow consumer" and must
//! reconnect; memory per connection stays bounded by the queue.

use axum::extract::ws::Utf8Bytes;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Identifies a connection for its whole life.
pub type ConnId = u64;

/// WebSocket close codes the host uses (RFC 6455, section 7.4.1).
pub mod close_code {
    /// Normal closure (lifespan reached).
    pub const NORMAL: u16 = 1000;
    /// The server is going away: shutdown, or the module was unloaded.
    pub const GOING_AWAY: u16 = 1001;
    /// Policy violation: too many messages, slow consumer.
    pub const POLICY: u16 = 1008;
    /// A frame larger than `max_frame_bytes`.
    pub const TOO_BIG: u16 = 1009;
}

/// Why a connection is being closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    /// WebSocket close code; `None` drops the connection without a close frame (dead peer).
    pub code: Option<u16>,
    /// Human-readable reason (at most 123 bytes are sent).
    pub reason: String,
}

/// The shared state of one connection: cancellation plus the close reason.
#[derive(Debug, Default)]
pub struct Control {
    cancelled: CancellationToken,
    reason: OnceLock<CloseReason>,
    /// Milliseconds since the connection's start when the client was last heard from.
    last_seen_ms: AtomicU64,
}

impl Control {
    /// Closes the connection with `code` and `reason`; the first close wins.
    pub fn close(&self, code: u16, reason: impl Into<String>) {
        let _ = self.reason.set(CloseReason { code: Some(code), reason: reason.into() });
        self.cancelled.cancel();
    }

    /// Drops the connection without a close frame (the peer is gone or dead).
    pub fn drop_silently(&self, reason: impl Into<String>) {
        let _ = self.reason.set(CloseReason { code: None, reason: reason.into() });
        self.cancelled.cancel();
    }

    /// Resolves once the connection is being closed.
    pub async fn closed(&self) {
        self.cancelled.cancelled().await;
    }

    /// Whether the connection is being closed.
    pub fn is_closed(&self) -> bool {
        self.cancelled.is_cancelled()
    }

    /// Why the connection is being closed, once it is.
    pub fn reason(&self) -> Option<&CloseReason> {
        self.reason.get()
    }

    /// Records that the client was heard from at `ms` since the connection began.
    pub fn touch(&self, ms: u64) {
        self.last_seen_ms.store(ms, Ordering::Relaxed);
    }

    /// When the client was last heard from, in ms since the connection began.
    pub fn last_seen_ms(&self) -> u64 {
        self.last_seen_ms.load(Ordering::Relaxed)
    }
}

/// A handle to a connection: what modules keep per subscriber.
#[derive(Debug, Clone)]
pub struct Peer {
    id: ConnId,
    queue: mpsc::Sender<Utf8Bytes>,
    control: Arc<Control>,
}

impl Peer {
    /// A peer and the receiving end of its outgoing queue of `capacity` frames.
    pub fn new(id: ConnId, capacity: usize) -> (Self, mpsc::Receiver<Utf8Bytes>) {
        let (queue, frames) = mpsc::channel(capacity.max(1));
        (Self { id, queue, control: Arc::new(Control::default()) }, frames)
    }

    /// The connection's id.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// The connection's control.
    pub fn control(&self) -> &Arc<Control> {
        &self.control
    }

    /// Queues `frame` without waiting. A full queue closes the connection
    /// (slow consumer); a closed one means the connection is going away.
    /// Returns whether the frame was queued.
    pub fn send(&self, frame: Utf8Bytes) -> bool {
        match self.queue.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                if !self.control.is_closed() {
                    tracing::warn!(conn = self.id, "slow consumer: outgoing queue full, closing");
                    self.control.close(close_code::POLICY, "slow consumer: outgoing queue full");
                }
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_closes_the_connection_with_1008() {
        let (peer, mut frames) = Peer::new(1, 2);
        assert!(peer.send("a".into()));
        assert!(peer.send("b".into()));
        assert!(!peer.send("c".into()));
        assert!(peer.control().is_closed());
        assert_eq!(peer.control().reason().unwrap().code, Some(close_code::POLICY));
        assert_eq!(frames.recv().await.unwrap().as_str(), "a");
    }

    #[test]
    fn the_first_close_reason_wins() {
        let (peer, _frames) = Peer::new(1, 2);
        peer.control().close(close_code::GOING_AWAY, "shutdown");
        peer.control().close(close_code::POLICY, "later");
        assert_eq!(peer.control().reason().unwrap().reason, "shutdown");
    }
}

//! A connected client as the rest of the host sees it: an id, its
//! [`Outbox`] (frames go straight to its socket when it is idle, or into a
//! bounded queue), and a way to close it with a code and a reason.
//!
//! Frames are pushed without waiting, so publishing never waits on a
//! client. What happens when a client's queue (`outgoing_queue_frames`) is
//! full depends on the route's delivery policy:
//!
//! - *conflate* (market data, the default): only the latest update of each
//!   topic is kept aside and sent once the queue drains, so a briefly slow
//!   client skips intermediate values but ends up current. Replies are kept
//!   aside in order. An overflow that lasts longer than
//!   `slow_consumer_grace_ms` closes the connection with 1008 "slow consumer".
//! - *reliable* (account events): an update is never kept aside or replaced.
//!   If the queue cannot take it, the connection is closed at once with 1008
//!   "slow consumer", so the client never sees a gap; reliable updates keep
//!   their order across topics because they all go through the one queue.
//!
//! Memory per connection stays bounded: the queue plus one frame per topic.

use crate::hub::outbox::{Batch, Outbox, Pushed};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;
// Tokio's clock, so tests can move it (`tokio::time::pause`).
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Identifies a connection for its whole life.
pub type ConnId = u64;

/// WebSocket close codes the host uses (RFC 6455, section 7.4.1).
pub mod close_code {
    /// Normal closure (lifespan reached).
    pub const NORMAL: u16 = 1000;
    /// The server is going away: shutdown, or the module was unloaded.
    pub const GOING_AWAY: u16 = 1001;
    /// The client broke the WebSocket protocol.
    pub const PROTOCOL: u16 = 1002;
    /// A text frame that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// Policy violation: too many messages, slow consumer.
    pub const POLICY: u16 = 1008;
    /// A frame larger than `max_frame_bytes`.
    pub const TOO_BIG: u16 = 1009;
    /// The connection's token expired and was not refreshed (`auth.refresh`).
    pub const TOKEN_EXPIRED: u16 = 4001;
}

/// The reason of a slow-consumer close.
pub const SLOW_CONSUMER: &str = "slow consumer";

/// Why a connection is being closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    /// WebSocket close code; `None` drops the connection without a close frame (dead peer).
    pub code: Option<u16>,
    /// Human-readable reason (at most 123 bytes are sent).
    pub reason: String,
    /// Whether frames queued before the close are still sent ahead of the
    /// close frame (replies to what the client sent); false when the client
    /// is not reading them anyway (slow consumer).
    pub flush: bool,
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
    /// Closes the connection with `code` and `reason` once what is queued for
    /// it has been sent; the first close wins.
    pub fn close(&self, code: u16, reason: impl Into<String>) {
        self.set(CloseReason { code: Some(code), reason: reason.into(), flush: true });
    }

    /// Closes the connection with `code` and `reason`, dropping what is still
    /// queued (the client is not reading it); the first close wins.
    pub fn close_now(&self, code: u16, reason: impl Into<String>) {
        self.set(CloseReason { code: Some(code), reason: reason.into(), flush: false });
    }

    /// Drops the connection without a close frame (the peer is gone or dead).
    pub fn drop_silently(&self, reason: impl Into<String>) {
        self.set(CloseReason { code: None, reason: reason.into(), flush: false });
    }

    fn set(&self, reason: CloseReason) {
        let _ = self.reason.set(reason);
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

/// Frames kept aside while the queue is full.
#[derive(Debug, Default)]
struct Aside {
    /// The latest update per topic.
    latest: HashMap<Arc<str>, Bytes>,
    /// Replies, in order.
    replies: Vec<Bytes>,
    /// When the current overflow began.
    since: Option<Instant>,
}

/// The overflow side of a connection's queue.
#[derive(Debug)]
pub struct Overflow {
    aside: Mutex<Aside>,
    pending: AtomicBool,
    wake: Notify,
    grace: Duration,
}

impl Overflow {
    fn lock(&self) -> std::sync::MutexGuard<'_, Aside> {
        // The map stays consistent even if a holder panicked.
        self.aside.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether frames are kept aside.
    pub fn is_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Resolves when frames are put aside.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Takes the frames kept aside: replies first, then the latest update per topic.
    pub fn take(&self) -> Vec<Bytes> {
        let mut aside = self.lock();
        self.pending.store(false, Ordering::Release);
        aside.since = None;
        let mut frames = std::mem::take(&mut aside.replies);
        frames.extend(aside.latest.drain().map(|(_, frame)| frame));
        frames
    }
}

/// A handle to a connection: what modules keep per subscriber.
#[derive(Debug, Clone)]
pub struct Peer {
    id: ConnId,
    outbox: Arc<Outbox>,
    control: Arc<Control>,
    overflow: Arc<Overflow>,
}

impl Peer {
    /// The peer of connection `id` writing through `outbox`; an overflow
    /// of the outbox's queue longer than `grace` closes it.
    pub fn new(id: ConnId, outbox: Arc<Outbox>, grace: Duration) -> Self {
        let overflow =
            Arc::new(Overflow { aside: Mutex::default(), pending: AtomicBool::new(false), wake: Notify::new(), grace });
        Self { id, outbox, control: Arc::new(Control::default()), overflow }
    }

    /// The connection's outgoing frames (for its writer).
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// The overflow side of the connection's queue (for its writer).
    pub fn overflow(&self) -> &Arc<Overflow> {
        &self.overflow
    }

    /// The connection's id.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// The connection's control.
    pub fn control(&self) -> &Arc<Control> {
        &self.control
    }

    /// Queues a reply without waiting; kept aside, in order, if the queue is full.
    /// Returns whether the connection is still open.
    pub fn send(&self, frame: Bytes) -> bool {
        self.enqueue(frame, None, None)
    }

    /// Queues an update of `topic` without waiting; if the queue is full only
    /// the latest update of each topic is kept. Returns whether the connection is still open.
    pub fn send_update(&self, topic: &Arc<str>, frame: Bytes) -> bool {
        self.enqueue(frame, Some(topic), None)
    }

    /// As [`send_update`](Self::send_update), held by `batch`, if given, while the connection is idle.
    pub fn send_update_in(&self, topic: &Arc<str>, frame: Bytes, batch: Option<&Batch>) -> bool {
        self.enqueue(frame, Some(topic), batch)
    }

    /// Queues an update of a reliable route without waiting. If the queue
    /// cannot take it (full, or replies are waiting aside that must go first)
    /// the connection is closed at once with 1008 "slow consumer": the update
    /// is never dropped silently or replaced. Returns whether it was queued.
    pub fn send_reliable(&self, frame: Bytes) -> bool {
        self.send_reliable_in(frame, None)
    }

    /// As [`send_reliable`](Self::send_reliable), held by `batch`, if given, while the connection is idle.
    pub fn send_reliable_in(&self, frame: Bytes, batch: Option<&Batch>) -> bool {
        if self.overflow.is_pending() && !self.overflow.lock().replies.is_empty() {
            return self.slow_consumer();
        }
        match self.push(frame, batch) {
            Pushed::Sent | Pushed::Queued => true,
            Pushed::Closed => false,
            Pushed::Full(_) => self.slow_consumer(),
        }
    }

    fn push(&self, frame: Bytes, batch: Option<&Batch>) -> Pushed {
        match batch {
            Some(batch) => self.outbox.push_held(frame, batch),
            None => self.outbox.push(frame),
        }
    }

    fn slow_consumer(&self) -> bool {
        if !self.control.is_closed() {
            tracing::warn!(conn = self.id, "slow consumer: a reliable update does not fit its queue, closing");
            self.control.close_now(close_code::POLICY, SLOW_CONSUMER);
        }
        false
    }

    fn enqueue(&self, frame: Bytes, topic: Option<&Arc<str>>, batch: Option<&Batch>) -> bool {
        // Once frames are aside, later ones go aside too, so order is kept.
        let frame = if self.overflow.is_pending() {
            frame
        } else {
            match self.push(frame, batch) {
                Pushed::Sent | Pushed::Queued => return true,
                Pushed::Closed => return false,
                Pushed::Full(frame) => frame,
            }
        };
        let mut aside = self.overflow.lock();
        let since = *aside.since.get_or_insert_with(Instant::now);
        if since.elapsed() > self.overflow.grace {
            drop(aside);
            if !self.control.is_closed() {
                tracing::warn!(conn = self.id, "slow consumer: queue overflowing for too long, closing");
                self.control.close_now(close_code::POLICY, SLOW_CONSUMER);
            }
            return false;
        }
        match topic {
            Some(topic) => {
                aside.latest.insert(topic.clone(), frame);
            }
            None => aside.replies.push(frame),
        }
        self.overflow.pending.store(true, Ordering::Release);
        drop(aside);
        self.overflow.wake.notify_one();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpStream;

    /// A peer whose socket's other end is returned, unread.
    async fn peer(capacity: usize, grace: Duration) -> (Peer, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (Peer::new(1, Arc::new(Outbox::new(Arc::new(server), capacity)), grace), client)
    }

    /// Fills the socket's kernel buffers until the outbox starts queueing.
    fn fill(peer: &Peer) {
        let filler = Bytes::from(vec![0u8; 64 * 1024]);
        while peer.outbox().push(filler.clone()) == Pushed::Sent {}
    }

    #[tokio::test]
    async fn frames_go_straight_out_while_the_client_keeps_up() {
        let (peer, mut client) = peer(2, Duration::from_secs(60)).await;
        let topic: Arc<str> = "a".into();
        assert!(peer.send_update(&topic, Bytes::from_static(b"a1")));
        assert!(peer.send(Bytes::from_static(b"r1")));
        let mut read = [0u8; 4];
        client.read_exact(&mut read).await.unwrap();
        assert_eq!(&read, b"a1r1");
        assert!(!peer.overflow().is_pending());
    }

    #[tokio::test]
    async fn a_full_queue_keeps_the_latest_update_per_topic_and_replies_in_order() {
        let (peer, _client) = peer(2, Duration::from_secs(60)).await;
        fill(&peer);
        let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
        assert!(peer.send_update(&a, Bytes::from_static(b"a1")));
        for frame in ["a2", "b2", "a3"] {
            let topic = if frame.starts_with('a') { &a } else { &b };
            assert!(peer.send_update(topic, Bytes::from_static(frame.as_bytes())));
        }
        assert!(peer.send(Bytes::from_static(b"reply")));
        assert!(peer.overflow().is_pending());
        let mut aside: Vec<Bytes> = peer.overflow().take();
        assert_eq!(aside.remove(0), "reply");
        aside.sort();
        assert_eq!(aside, ["a3", "b2"]);
        assert!(!peer.overflow().is_pending());
        assert!(!peer.control().is_closed());
    }

    #[tokio::test(start_paused = true)]
    async fn an_overflow_past_the_grace_period_closes_with_1008() {
        let (peer, _client) = peer(1, Duration::from_millis(50)).await;
        fill(&peer);
        let topic: Arc<str> = "t".into();
        assert!(peer.send_update(&topic, Bytes::from_static(b"2")), "the overflow starts");
        tokio::time::advance(Duration::from_millis(50)).await;
        assert!(peer.send_update(&topic, Bytes::from_static(b"3")), "within the grace period");
        assert!(!peer.control().is_closed());
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(!peer.send_update(&topic, Bytes::from_static(b"4")));
        assert_eq!(peer.control().reason().unwrap().code, Some(close_code::POLICY));
    }

    #[tokio::test]
    async fn reliable_updates_are_never_conflated_and_a_full_queue_closes_at_once() {
        let (peer, _client) = peer(2, Duration::from_secs(60)).await;
        fill(&peer);
        assert!(peer.send_reliable(Bytes::from_static(b"1")));
        assert!(!peer.send_reliable(Bytes::from_static(b"2")), "the queue is full");
        let reason = peer.control().reason().unwrap();
        assert_eq!(
            (reason.code, reason.reason.as_str(), reason.flush),
            (Some(close_code::POLICY), SLOW_CONSUMER, false)
        );
        assert!(!peer.overflow().is_pending(), "nothing was kept aside");
    }

    #[tokio::test]
    async fn a_reliable_update_never_overtakes_a_reply_kept_aside() {
        let (peer, _client) = peer(1, Duration::from_secs(60)).await;
        fill(&peer);
        assert!(peer.send(Bytes::from_static(b"reply")), "kept aside");
        assert!(!peer.send_reliable(Bytes::from_static(b"reliable")), "the reply must go first");
        assert!(peer.control().is_closed());
    }

    #[tokio::test]
    async fn a_reliable_update_may_pass_conflated_ones_kept_aside() {
        let (peer, mut client) = peer(2, Duration::from_secs(60)).await;
        fill(&peer);
        let topic: Arc<str> = "t".into();
        assert!(peer.send_update(&topic, Bytes::from_static(b"a1")), "queued");
        assert!(peer.send_update(&topic, Bytes::from_static(b"a2")), "kept aside");
        let reader = tokio::spawn(async move { while client.read(&mut [0u8; 65536]).await.unwrap_or(0) > 0 {} });
        peer.outbox().drain().await.unwrap();
        assert!(peer.send_reliable(Bytes::from_static(b"reliable")), "the queue has room");
        assert_eq!(peer.overflow().take(), ["a2"]);
        assert!(!peer.control().is_closed());
        reader.abort();
    }

    #[tokio::test]
    async fn the_first_close_reason_wins() {
        let (peer, _client) = peer(2, Duration::from_secs(1)).await;
        peer.control().close(close_code::GOING_AWAY, "shutdown");
        peer.control().close(close_code::POLICY, "later");
        assert_eq!(peer.control().reason().unwrap().reason, "shutdown");
    }
}

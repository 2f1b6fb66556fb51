//! One WebSocket connection: a reader (this task) that answers client frames,
//! and a writer task that drains the connection's bounded queue into the
//! socket, coalescing queued frames into one flush, and sends pings.
//! Whichever side ends closes the other through the peer's [`Control`].
//!
//! Bad input never closes the connection: every frame gets an answer. What
//! does close it (codes in [`close_code`]): a protocol violation (1002:
//! reserved bits, unknown opcodes, bad control frames; 1007: invalid UTF-8),
//! a frame over `max_frame_bytes` (1009), more than the allowed message rate
//! (1008), a slow consumer (1008, see [`crate::hub::peer`]), the token's
//! expiry without `auth.refresh` (4001), the lifespan limit (1000), module
//! unload and shutdown (1001), and a dead peer (dropped after
//! `idle_timeout_ms` without a frame).
//!
//! A close the server decides is orderly: replies to frames already accepted
//! are sent first (not after a slow consumer: it is not reading them), then
//! the close frame; then the server shuts down its side and drains what the
//! client still sends for a moment, so the client reads the close frame
//! instead of a TCP reset.

use crate::config::Limits;
use crate::edge::auth::Auth;
use crate::edge::auth::identity::Identity;
use crate::edge::auth::refresh;
use crate::edge::protocol;
use crate::edge::upgrade::Socket;
use crate::hub::peer::{CloseReason, Control, Overflow, Peer, close_code};
use crate::rate::TokenBucket;
use crate::runtime::module::Module;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;

/// Frames written before one flush.
const MAX_BATCH: usize = 256;
/// How long the frames still queued at a close may take to send.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the close frame may take to send: a client that stopped reading
/// gets this long to start again and read it.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long, after its close frame, the server reads (and discards) what the
/// client still sends before it drops the socket.
const LINGER: Duration = Duration::from_secs(2);

/// What a connection lives with besides its socket.
pub struct Session {
    /// The module it is connected to.
    pub module: Arc<Module>,
    /// Its handle, as the module's topics know it.
    pub peer: Peer,
    /// The receiving end of its outgoing queue.
    pub frames: mpsc::Receiver<Utf8Bytes>,
    /// Who it is; replaced by `auth.refresh`.
    pub identity: Identity,
    /// Verifies refreshed tokens.
    pub auth: Arc<Auth>,
    /// Limits.
    pub limits: Arc<Limits>,
    /// Cancelled on shutdown.
    pub shutdown: CancellationToken,
}

/// Serves `socket` until either side ends it; then releases the connection's
/// subscriptions.
pub async fn serve(socket: Socket, session: Session) {
    let Session { module, peer, frames, identity, auth, limits, shutdown } = session;
    let started = Instant::now();
    let (sink, stream) = socket.split();
    let control = peer.control().clone();
    let writer = tokio::spawn(write_loop(sink, frames, peer.clone(), limits.clone(), started));
    let mut reader = Reader { module: &module, peer: &peer, limits: &limits, auth: &auth, identity, started };
    let stream = reader.run(stream, &shutdown).await;
    module.disconnect(peer.id()).await;
    control.drop_silently("connection ended");
    let closed = writer.await.ok().flatten();
    if let Some(CloseReason { code, reason, .. }) = control.reason() {
        tracing::debug!(conn = peer.id(), module = module.name(), ?code, reason, "connection closed");
    }
    if let Some(Ok(socket)) = closed.map(|sink| sink.reunite(stream)) {
        linger(socket).await;
    }
}

/// The reading side of a connection.
struct Reader<'a> {
    /// The module requests go to.
    module: &'a Module,
    /// The connection, for replies and its control.
    peer: &'a Peer,
    /// Limits.
    limits: &'a Limits,
    /// Verifies refreshed tokens.
    auth: &'a Auth,
    /// Who the client is, until its token expires or is refreshed.
    identity: Identity,
    /// When the connection began (heartbeat bookkeeping).
    started: Instant,
}

impl Reader<'_> {
    /// Reads until the connection is to end; gives the stream back for the lingering close.
    async fn run(&mut self, mut stream: SplitStream<Socket>, shutdown: &CancellationToken) -> SplitStream<Socket> {
        let control = self.peer.control().clone();
        let lifespan = async {
            match self.limits.max_connection_lifespan_secs {
                0 => std::future::pending().await,
                secs => tokio::time::sleep(Duration::from_secs(secs)).await,
            }
        };
        tokio::pin!(lifespan);
        let mut rate = TokenBucket::new(
            f64::from(self.limits.client_messages_per_second),
            f64::from(self.limits.client_message_burst.max(1)),
        );
        loop {
            let expiry = expiry_of(&self.identity, self.auth.leeway_secs());
            let message = tokio::select! {
                () = control.closed() => return stream,
                () = shutdown.cancelled() => {
                    control.close(close_code::GOING_AWAY, "server shutting down");
                    return stream;
                }
                () = self.module.unloaded().cancelled() => {
                    control.close(close_code::GOING_AWAY, "module unloaded");
                    return stream;
                }
                () = &mut lifespan => {
                    control.close(close_code::NORMAL, "connection lifespan reached; reconnect");
                    return stream;
                }
                () = crate::runtime::timers::sleep_until(expiry) => {
                    control.close(close_code::TOKEN_EXPIRED, "token expired; reconnect with a new token");
                    return stream;
                }
                message = stream.next() => message,
            };
            let message = match message {
                None => {
                    control.drop_silently("client went away");
                    return stream;
                }
                Some(Err(error)) => {
                    close_on_error(&control, error, self.limits);
                    return stream;
                }
                Some(Ok(message)) => message,
            };
            control.touch(self.started.elapsed().as_millis() as u64);
            match message {
                Message::Text(text) => {
                    if !rate.try_take() {
                        control.close(close_code::POLICY, "too many messages");
                        return stream;
                    }
                    self.handle_text(&text).await;
                }
                Message::Binary(_) => {
                    if !rate.try_take() {
                        control.close(close_code::POLICY, "too many messages");
                        return stream;
                    }
                    self.peer.send(protocol::error_message("binary frames are not supported; send JSON text frames"));
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                Message::Close(_) => {
                    control.drop_silently("client closed the connection");
                    return stream;
                }
            }
        }
    }

    async fn handle_text(&mut self, text: &str) {
        if let Some(token) = refresh::parse(text) {
            let result = token.and_then(|token| self.refresh(&token));
            self.peer.send(refresh::response(result));
            return;
        }
        match protocol::parse_client_message(text) {
            Err(message) => {
                self.peer.send(protocol::error_message(&message));
            }
            Ok(request) if request.payload.len() > self.limits.max_request_bytes => {
                let message =
                    format!("request too large: at most {} bytes (max_request_bytes)", self.limits.max_request_bytes);
                self.peer.send(protocol::error_response(&request.route, request.op, &message));
            }
            Ok(request) => {
                let caller = self.identity.caller();
                if !self.module.request(request.op, request.route, request.payload, caller, self.peer.clone()).await {
                    self.peer.control().close(close_code::GOING_AWAY, "module unloaded");
                }
            }
        }
    }

    /// Replaces the connection's identity with that of `token`, which must
    /// be valid and name the same subject.
    fn refresh(&mut self, token: &str) -> Result<(), String> {
        let identity = self.auth.verify(token).map_err(|error| error.to_string())?;
        if identity.subject() != self.identity.subject() {
            return Err("the new token is for another subject; reconnect to change who you are".into());
        }
        self.identity = identity;
        Ok(())
    }
}

/// When a connection of `identity` must close: its token's `exp` plus the leeway.
fn expiry_of(identity: &Identity, leeway_secs: u64) -> Option<Instant> {
    let exp = identity.expires_at()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let left = Duration::from_secs(exp.saturating_add(leeway_secs)).saturating_sub(now);
    Some(Instant::now() + left)
}

/// Closes with the RFC 6455 code of a read error.
fn close_on_error(control: &Control, error: WsError, limits: &Limits) {
    match error {
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => control
            .close(close_code::TOO_BIG, format!("frame too large: the limit is {} bytes", limits.max_frame_bytes)),
        WsError::Capacity(error) => control.close(close_code::TOO_BIG, error.to_string()),
        WsError::Utf8(_) => control.close(close_code::INVALID_DATA, "invalid UTF-8 in a text frame"),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => control.drop_silently("client went away"),
        WsError::Protocol(error) => control.close(close_code::PROTOCOL, format!("protocol error: {error}")),
        _ => control.drop_silently("read error"),
    }
}

/// Writes until the connection closes; then the close frame. Returns the sink
/// when a close frame went out, for the lingering close.
async fn write_loop(
    mut sink: SplitSink<Socket, Message>,
    mut frames: mpsc::Receiver<Utf8Bytes>,
    peer: Peer,
    limits: Arc<Limits>,
    started: Instant,
) -> Option<SplitSink<Socket, Message>> {
    let control = peer.control().clone();
    let overflow = peer.overflow().clone();
    drop(peer);
    let every = Duration::from_millis(limits.ping_interval_ms.max(1));
    let mut ping = tokio::time::interval_at(started + every, every);
    loop {
        tokio::select! {
            biased;
            () = control.closed() => break,
            frame = frames.recv() => {
                let Some(frame) = frame else { break };
                // A client that stops reading blocks this write; the close
                // (e.g. slow consumer) must still get through.
                let written = tokio::select! {
                    result = write_batch(&mut sink, frame, &mut frames, &overflow) => result,
                    () = control.closed() => break,
                };
                if written.is_err() {
                    control.drop_silently("write failed");
                    return None;
                }
            }
            () = overflow.woken(), if frames.is_empty() => {
                let written = tokio::select! {
                    result = write_aside(&mut sink, &overflow) => result,
                    () = control.closed() => break,
                };
                if written.is_err() {
                    control.drop_silently("write failed");
                    return None;
                }
            }
            _ = ping.tick() => {
                let idle = (started.elapsed().as_millis() as u64).saturating_sub(control.last_seen_ms());
                if idle > limits.idle_timeout_ms {
                    tracing::debug!("dropping a dead peer after {idle} ms of silence");
                    control.drop_silently("heartbeat timeout");
                    return None;
                }
                let sent = tokio::select! {
                    result = sink.send(Message::Ping(Default::default())) => result,
                    () = control.closed() => break,
                };
                if sent.is_err() {
                    control.drop_silently("write failed");
                    return None;
                }
            }
        }
    }
    let Some(CloseReason { code: Some(code), reason, flush }) = control.reason().cloned() else {
        // A dead or departed peer: finish what tungstenite owes (the reply to a client's close).
        let _ = tokio::time::timeout(FLUSH_TIMEOUT, sink.close()).await;
        return None;
    };
    if flush {
        let _ = tokio::time::timeout(FLUSH_TIMEOUT, flush_queued(&mut sink, &mut frames, &overflow)).await;
    }
    let frame = CloseFrame { code: code.into(), reason: truncate(&reason, 123).into() };
    match tokio::time::timeout(CLOSE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await {
        Ok(Ok(())) => Some(sink),
        _ => None,
    }
}

/// Writes `first` and whatever else is queued (up to [`MAX_BATCH`]) with one
/// flush; once the queue is empty, also what overflowed (see [`crate::hub::peer`]).
async fn write_batch(
    sink: &mut SplitSink<Socket, Message>,
    first: Utf8Bytes,
    frames: &mut mpsc::Receiver<Utf8Bytes>,
    overflow: &Overflow,
) -> Result<(), WsError> {
    sink.feed(Message::Text(first)).await?;
    for _ in 1..MAX_BATCH {
        let Ok(frame) = frames.try_recv() else { break };
        sink.feed(Message::Text(frame)).await?;
    }
    if frames.is_empty() && overflow.is_pending() {
        for frame in overflow.take() {
            sink.feed(Message::Text(frame)).await?;
        }
    }
    sink.flush().await
}

/// Writes what overflowed while the queue was full.
async fn write_aside(sink: &mut SplitSink<Socket, Message>, overflow: &Overflow) -> Result<(), WsError> {
    for frame in overflow.take() {
        sink.feed(Message::Text(frame)).await?;
    }
    sink.flush().await
}

/// Writes everything still queued, then what overflowed: the replies to
/// frames accepted before the close.
async fn flush_queued(
    sink: &mut SplitSink<Socket, Message>,
    frames: &mut mpsc::Receiver<Utf8Bytes>,
    overflow: &Overflow,
) -> Result<(), WsError> {
    while let Ok(frame) = frames.try_recv() {
        sink.feed(Message::Text(frame)).await?;
    }
    write_aside(sink, overflow).await
}

/// After the close frame: shut down the server's side and discard what the
/// client still sends (its close reply, or the rest of an oversized frame)
/// until it closes too or [`LINGER`] passes. Dropping a socket with unread
/// input makes the kernel send a reset, which can destroy the close frame
/// before the client reads it.
async fn linger(socket: Socket) {
    let mut io = socket.into_inner();
    let drain = async {
        let _ = io.shutdown().await;
        let mut buffer = [0u8; 4096];
        while let Ok(read) = io.read(&mut buffer).await {
            if read == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// Cuts `text` to at most `max` bytes on a character boundary (close reasons are limited to 123).
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("abc", 123), "abc");
    }

    #[test]
    fn a_connection_expires_with_its_token() {
        assert_eq!(expiry_of(&Identity::anonymous(), 30), None);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let identity = Identity::from_claims(serde_json::json!({"exp": now + 100})).unwrap();
        let left = expiry_of(&identity, 0).unwrap() - Instant::now();
        assert!(left > Duration::from_secs(98) && left <= Duration::from_secs(100), "{left:?}");
        let expired = Identity::from_claims(serde_json::json!({"exp": now - 100})).unwrap();
        assert!(expiry_of(&expired, 0).unwrap() <= Instant::now());
    }
}

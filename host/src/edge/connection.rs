//! One WebSocket connection. Its socket is shared three ways: the module's
//! actor writes update frames straight to it through the connection's
//! [`Outbox`] (see [`crate::hub::outbox`]); this task reads and answers
//! client frames (tungstenite parses and validates them over
//! [`SocketIo`]); and a writer task drains what the socket did not take at
//! once, sends pings, and writes the close frame.
//! Whichever side ends closes the other through the peer's [`Control`].
//!
//! Bad input never closes the connection: every frame gets an answer. What
//! does close it: a frame over `max_frame_bytes` (1009), more than the
//! allowed message rate (1008), a lasting slow consumer (1008, see
//! [`crate::hub::peer`]), a protocol violation (1002, or 1007 for text that
//! is not UTF-8), the token's expiry without `auth.refresh` (4001), the
//! lifespan limit (1000), module unload and shutdown (1001), and a dead peer
//! (dropped after `idle_timeout_ms` without a frame).
//! A close frame is written after every frame accepted before it, and the
//! socket is shut down for writing only then, so it reaches the client.

use crate::edge::auth::Auth;
use crate::edge::auth::identity::Identity;
use crate::edge::auth::refresh;
use crate::edge::protocol;
use crate::edge::socket_io::SocketIo;
use crate::edge::upgrade::Upgraded;
use crate::hub::frame;
use crate::hub::messages;
use crate::hub::outbox::Outbox;
use crate::hub::peer::{CloseReason, Control, Peer, close_code};
use crate::limits::Limits;
use crate::rate::TokenBucket;
use crate::runtime::module::Module;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, error::CapacityError, error::ProtocolError};
use tokio_util::sync::CancellationToken;

/// How long a close frame may take to be written before the socket is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the client's input is read (and dropped) after the close frame,
/// so that closing never resets the connection before the client has read it.
const LINGER: Duration = Duration::from_secs(1);
/// Read buffer of one socket (tungstenite grows it for larger frames, up to `max_frame_bytes`).
const READ_BUFFER_BYTES: usize = 512;

/// The outbox and peer of a new connection on `socket`.
pub fn peer(id: u64, socket: &Arc<TcpStream>, limits: &Limits) -> Peer {
    let outbox = Arc::new(Outbox::new(socket.clone(), limits.outgoing_queue_frames));
    Peer::new(id, outbox, Duration::from_millis(limits.slow_consumer_grace_ms))
}

/// What a connection lives with besides its socket.
pub struct Session {
    /// The module it is connected to.
    pub module: Arc<Module>,
    /// Its handle, as the module's topics know it.
    pub peer: Peer,
    /// Who it is; replaced by `auth.refresh`.
    pub identity: Identity,
    /// Verifies refreshed tokens.
    pub auth: Arc<Auth>,
    /// Limits.
    pub limits: Arc<Limits>,
    /// Cancelled on shutdown.
    pub shutdown: CancellationToken,
    /// Where the connection's end is counted.
    pub closes: Arc<crate::edge::closes::Closes>,
}

/// What the protocol engine accepts from a client under `limits`.
pub fn websocket_config(limits: &Limits) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(Some(limits.max_frame_bytes))
        .max_frame_size(Some(limits.max_frame_bytes))
}

/// Serves `upgraded` until either side ends it; then releases the
/// connection's subscriptions.
pub async fn serve(upgraded: Upgraded, session: Session) {
    let Session { module, peer, identity, auth, limits, shutdown, closes } = session;
    let started = Instant::now();
    let Upgraded { socket, read_ahead } = upgraded;
    let config = websocket_config(&limits);
    let io = SocketIo::new(socket.clone(), peer.outbox().clone());
    let stream = WebSocketStream::from_partially_read(io, read_ahead, Role::Server, Some(config)).await;
    let control = peer.control().clone();
    let writer = tokio::spawn(write_loop(peer.clone(), limits.clone(), started));
    let mut reader = Reader { module: &module, peer: &peer, limits: &limits, auth: &auth, identity, started };
    reader.run(stream, &shutdown).await;
    module.disconnect(peer.id()).await;
    control.drop_silently("connection ended");
    let _ = writer.await;
    closes.record(control.reason());
    linger(&socket).await;
    if let Some(CloseReason { code, reason, .. }) = control.reason() {
        tracing::debug!(conn = peer.id(), module = module.name(), ?code, reason, "connection closed");
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
    /// Reads and answers client frames until the connection is to end.
    async fn run(&mut self, mut stream: WebSocketStream<SocketIo>, shutdown: &CancellationToken) {
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
            // Biased: an ending (an expired token above all) is seen before
            // another message is read, so nothing is served past it.
            let message = tokio::select! {
                biased;
                () = control.closed() => return,
                () = shutdown.cancelled() => return control.close(close_code::GOING_AWAY, "server shutting down"),
                () = self.module.unloaded().cancelled() => {
                    return control.close(close_code::GOING_AWAY, "module unloaded");
                }
                () = &mut lifespan => {
                    return control.close(close_code::NORMAL, "connection lifespan reached; reconnect");
                }
                () = crate::runtime::timers::sleep_until(expiry) => {
                    return control.close(close_code::TOKEN_EXPIRED, "token expired; reconnect with a new token");
                }
                message = stream.next() => message,
            };
            let message = match message {
                None => return control.drop_silently("client went away"),
                Some(Err(error)) => return close_on_error(&control, error, self.limits),
                Some(Ok(message)) => message,
            };
            control.touch(self.started.elapsed().as_millis() as u64);
            match message {
                Message::Text(text) => {
                    if !rate.try_take() {
                        return control.close(close_code::POLICY, "too many messages");
                    }
                    self.handle_text(text.as_str()).await;
                }
                Message::Binary(_) => {
                    if !rate.try_take() {
                        return control.close(close_code::POLICY, "too many messages");
                    }
                    self.peer.send(messages::error_message("binary frames are not supported; send JSON text frames"));
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                // tungstenite has queued the close reply; nothing more is read.
                Message::Close(_) => return control.drop_silently("client closed the connection"),
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
            Err(refusal) => {
                self.peer.send(refusal.reply());
            }
            Ok(request) if request.payload.len() > self.limits.max_request_bytes => {
                let message =
                    format!("request too large: at most {} bytes (max_request_bytes)", self.limits.max_request_bytes);
                self.peer.send(messages::error_response(&request.route, request.op, &message));
            }
            Ok(request) => {
                let caller = self.identity.caller();
                if !self.module.request(request, caller, self.peer.clone()).await {
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

/// Closes with the RFC 6455 code for what the client did wrong, or drops a broken connection.
fn close_on_error(control: &Control, error: WsError, limits: &Limits) {
    match close_for(&error, limits) {
        Ok((code, reason)) => control.close(code, reason),
        Err(why) => control.drop_silently(why),
    }
}

/// The close code and reason answering a read `error`, or why the
/// connection is dropped without a close frame (it is broken, or gone).
pub fn close_for(error: &WsError, limits: &Limits) -> Result<(u16, String), &'static str> {
    match error {
        WsError::Capacity(CapacityError::MessageTooLong { .. }) | WsError::Capacity(_) => {
            Ok((close_code::TOO_BIG, format!("frame too large: the limit is {} bytes", limits.max_frame_bytes)))
        }
        WsError::Utf8(_) => Ok((close_code::INVALID_DATA, "text frame is not valid UTF-8".into())),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Err("client went away"),
        WsError::Protocol(violation) => Ok((close_code::PROTOCOL, format!("protocol error: {violation}"))),
        _ => Err("read error"),
    }
}

/// Drains what the socket did not take at once (first the queue, then what
/// was conflated aside), pings, and finally writes the close frame.
async fn write_loop(peer: Peer, limits: Arc<Limits>, started: Instant) {
    let control = peer.control().clone();
    let outbox = peer.outbox().clone();
    let overflow = peer.overflow().clone();
    let every = Duration::from_millis(limits.ping_interval_ms.max(1));
    let mut ping = tokio::time::interval_at(started + every, every);
    drop(peer);
    loop {
        tokio::select! {
            biased;
            () = control.closed() => break,
            () = outbox.woken() => {
                // A client that stops reading blocks this drain; the close must still get through.
                let drained = tokio::select! {
                    result = outbox.drain() => result,
                    () = control.closed() => break,
                };
                if drained.is_err() {
                    return control.drop_silently("write failed");
                }
                if overflow.is_pending() {
                    for frame in overflow.take() {
                        outbox.push_always(frame);
                    }
                }
            }
            () = overflow.woken(), if outbox.is_empty() => {
                for frame in overflow.take() {
                    outbox.push_always(frame);
                }
            }
            _ = ping.tick() => {
                let idle = (started.elapsed().as_millis() as u64).saturating_sub(control.last_seen_ms());
                if idle > limits.idle_timeout_ms {
                    tracing::debug!("dropping a dead peer after {idle} ms of silence");
                    outbox.close();
                    return control.drop_silently("heartbeat timeout");
                }
                outbox.push_always(frame::ping());
            }
        }
    }
    if let Some(CloseReason { code: Some(code), reason, flush }) = control.reason() {
        if !flush {
            // The client is not reading: what is queued is dropped, the close frame still goes.
            outbox.discard_queued();
        }
        outbox.push_always(frame::close(*code, reason));
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, outbox.drain()).await;
    }
    outbox.close();
}

/// Ends the connection without a reset: shuts the socket down for writing
/// (the client sees everything written, then the end) and reads and drops
/// what the client still sends, for at most [`LINGER`].
async fn linger(socket: &TcpStream) {
    let _ = socket2::SockRef::from(socket).shutdown(std::net::Shutdown::Write);
    let _ = tokio::time::timeout(LINGER, async {
        let mut scratch = [0u8; 4096];
        loop {
            if socket.readable().await.is_err() {
                return;
            }
            match socket.try_read(&mut scratch) {
                // The client closed its side, or the connection broke.
                Ok(0) => return,
                Err(error) if error.kind() != std::io::ErrorKind::WouldBlock => return,
                _ => {}
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

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

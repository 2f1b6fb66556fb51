//! One WebSocket connection: a reader (this task) that answers client frames,
//! and a writer task that drains the connection's bounded queue into the
//! socket, coalescing queued frames into one flush, and sends pings.
//! Whichever side ends closes the other through the peer's [`Control`].
//!
//! Bad input never closes the connection: every frame gets an answer. What
//! does close it: a frame over `max_frame_bytes` (1009), more than the
//! allowed message rate (1008), a lasting slow consumer (1008, see [`crate::hub::peer`]),
//! the lifespan limit (1000), module unload and shutdown (1001), and a dead
//! peer (dropped after `idle_timeout_ms` without a frame).

use crate::config::Limits;
use crate::edge::protocol;
use crate::hub::peer::{CloseReason, Control, Overflow, Peer, close_code};
use crate::rate::TokenBucket;
use crate::runtime::bindings::topicwire::ws::types::Caller;
use crate::runtime::module::Module;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Frames written before one flush.
const MAX_BATCH: usize = 256;
/// How long a close frame may take to send before the socket is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Serves `socket` for `module` until either side ends it; then releases the
/// connection's subscriptions.
pub async fn serve(
    socket: WebSocket,
    module: Arc<Module>,
    peer: Peer,
    frames: mpsc::Receiver<Utf8Bytes>,
    limits: Arc<Limits>,
    shutdown: CancellationToken,
) {
    let started = Instant::now();
    let (sink, stream) = socket.split();
    let control = peer.control().clone();
    let writer = tokio::spawn(write_loop(sink, frames, peer.clone(), limits.clone(), started));
    read_loop(stream, &module, &peer, &limits, &shutdown, started).await;
    module.disconnect(peer.id()).await;
    control.drop_silently("connection ended");
    let _ = writer.await;
    if let Some(CloseReason { code, reason, .. }) = control.reason() {
        tracing::debug!(conn = peer.id(), module = module.name(), ?code, reason, "connection closed");
    }
}

async fn read_loop(
    mut stream: SplitStream<WebSocket>,
    module: &Module,
    peer: &Peer,
    limits: &Limits,
    shutdown: &CancellationToken,
    started: Instant,
) {
    let control = peer.control();
    let lifespan = async {
        match limits.max_connection_lifespan_secs {
            0 => std::future::pending().await,
            secs => tokio::time::sleep(Duration::from_secs(secs)).await,
        }
    };
    tokio::pin!(lifespan);
    let mut rate =
        TokenBucket::new(f64::from(limits.client_messages_per_second), f64::from(limits.client_message_burst.max(1)));
    loop {
        let message = tokio::select! {
            () = control.closed() => return,
            () = shutdown.cancelled() => return control.close(close_code::GOING_AWAY, "server shutting down"),
            () = module.unloaded().cancelled() => return control.close(close_code::GOING_AWAY, "module unloaded"),
            () = &mut lifespan => return control.close(close_code::NORMAL, "connection lifespan reached; reconnect"),
            message = stream.next() => message,
        };
        let message = match message {
            None => return control.drop_silently("client went away"),
            Some(Err(error)) => return close_on_error(control, error, limits),
            Some(Ok(message)) => message,
        };
        control.touch(started.elapsed().as_millis() as u64);
        match message {
            Message::Text(text) => {
                if !rate.try_take() {
                    return control.close(close_code::POLICY, "too many messages");
                }
                handle_text(module, peer, limits, &text).await;
            }
            Message::Binary(_) => {
                if !rate.try_take() {
                    return control.close(close_code::POLICY, "too many messages");
                }
                peer.send(protocol::error_message("binary frames are not supported; send JSON text frames"));
            }
            Message::Ping(_) | Message::Pong(_) => {}
            Message::Close(_) => return control.drop_silently("client closed the connection"),
        }
    }
}

async fn handle_text(module: &Module, peer: &Peer, limits: &Limits, text: &str) {
    match protocol::parse_client_message(text) {
        Err(message) => {
            peer.send(protocol::error_message(&message));
        }
        Ok(request) if request.payload.len() > limits.max_request_bytes => {
            let message = format!("request too large: at most {} bytes (max_request_bytes)", limits.max_request_bytes);
            peer.send(protocol::error_response(&request.route, request.op, &message));
        }
        Ok(request) => {
            // Every caller is anonymous until the edge verifies tokens.
            let caller = Caller { subject: None, claims: "{}".to_owned() };
            if !module.request(request.op, request.route, request.payload, caller, peer.clone()).await {
                peer.control().close(close_code::GOING_AWAY, "module unloaded");
            }
        }
    }
}

fn close_on_error(control: &Control, error: axum::Error, limits: &Limits) {
    let too_big = error
        .into_inner()
        .downcast_ref::<tokio_tungstenite::tungstenite::Error>()
        .is_some_and(|error| matches!(error, tokio_tungstenite::tungstenite::Error::Capacity(_)));
    if too_big {
        control.close(close_code::TOO_BIG, format!("frame too large: the limit is {} bytes", limits.max_frame_bytes));
    } else {
        control.drop_silently("read error");
    }
}

async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut frames: mpsc::Receiver<Utf8Bytes>,
    peer: Peer,
    limits: Arc<Limits>,
    started: Instant,
) {
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
                    return control.drop_silently("write failed");
                }
            }
            () = overflow.woken(), if frames.is_empty() => {
                let written = tokio::select! {
                    result = write_aside(&mut sink, &overflow) => result,
                    () = control.closed() => break,
                };
                if written.is_err() {
                    return control.drop_silently("write failed");
                }
            }
            _ = ping.tick() => {
                let idle = (started.elapsed().as_millis() as u64).saturating_sub(control.last_seen_ms());
                if idle > limits.idle_timeout_ms {
                    tracing::debug!("dropping a dead peer after {idle} ms of silence");
                    return control.drop_silently("heartbeat timeout");
                }
                let sent = tokio::select! {
                    result = sink.send(Message::Ping(Default::default())) => result,
                    () = control.closed() => break,
                };
                if sent.is_err() {
                    return control.drop_silently("write failed");
                }
            }
        }
    }
    if let Some(CloseReason { code: Some(code), reason, .. }) = control.reason() {
        let frame = CloseFrame { code: *code, reason: truncate(reason, 123).into() };
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.close()).await;
}

/// Writes `first` and whatever else is queued (up to [`MAX_BATCH`]) with one
/// flush; once the queue is empty, also what overflowed (see [`crate::hub::peer`]).
async fn write_batch(
    sink: &mut SplitSink<WebSocket, Message>,
    first: Utf8Bytes,
    frames: &mut mpsc::Receiver<Utf8Bytes>,
    overflow: &Overflow,
) -> Result<(), axum::Error> {
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
async fn write_aside(sink: &mut SplitSink<WebSocket, Message>, overflow: &Overflow) -> Result<(), axum::Error> {
    for frame in overflow.take() {
        sink.feed(Message::Text(frame)).await?;
    }
    sink.flush().await
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
}

//! The load generator: WebSocket connections that subscribe, then count
//! `ticks.update` frames (or, speaking the Pusher protocol to a peer
//! server, `tick` events) and their latency during a measuring window.
//!
//! It is built to cost little per message: frames are recognised by prefix
//! and only `sent_us` is parsed (no JSON tree); each connection keeps its own
//! samples and they are merged once at the end, so connections share nothing
//! but two atomics.
//!
//! Connections come from [`SOURCE_ADDRESSES`] loopback addresses in turn
//! (`bind` before `connect`): one address has only ~28 000 ephemeral ports,
//! and closed connections hold theirs for a minute.

use crate::pusher;
use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Loopback source addresses connections are spread over: 127.0.0.1 to 127.0.0.32.
pub(crate) const SOURCE_ADDRESSES: u8 = 32;

/// A load-generator connection.
pub(crate) type Socket = WebSocketStream<TcpStream>;

/// How much buffer a client connection keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Buffers {
    /// The WebSocket library's defaults (128 KiB to read): for streaming at full rate.
    Streaming,
    /// 4 KiB each way: for tens of thousands of mostly idle connections.
    Lean,
}

/// The protocol the connections speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// Topicwire's: `ticks.subscribe` to a module's `ticks` streams.
    Topicwire,
    /// Pusher's (Sockudo): `pusher:subscribe` to a channel per stream.
    Pusher,
}

/// A frame as the counting loop sees it.
enum Seen {
    Update,
    Subscribed,
    Refused,
    Ping,
    Ignored,
    Unexpected,
}

impl Protocol {
    fn subscribe_message(self, stream: &str) -> Message {
        match self {
            Self::Topicwire => subscribe_message(stream),
            Self::Pusher => Message::text(pusher::subscribe_message(stream)),
        }
    }

    fn classify(self, text: &str) -> Seen {
        match self {
            Self::Topicwire if text.starts_with(r#"{"type":"ticks.update""#) => Seen::Update,
            Self::Topicwire if text.starts_with(r#"{"type":"ticks.subscribe.response""#) => {
                if text.contains(r#""status":"ok""#) { Seen::Subscribed } else { Seen::Refused }
            }
            Self::Topicwire => Seen::Unexpected,
            Self::Pusher => match pusher::frame(text) {
                pusher::Frame::Event => Seen::Update,
                pusher::Frame::Subscribed => Seen::Subscribed,
                pusher::Frame::Refused => Seen::Refused,
                pusher::Frame::Ping => Seen::Ping,
                pusher::Frame::Other => Seen::Ignored,
            },
        }
    }
}

const WARMING: u8 = 0;
const MEASURING: u8 = 1;

/// What one connection saw during the window.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Updates received in the window.
    pub(crate) delivered: u64,
    /// Latency samples, microseconds.
    pub(crate) latencies_us: Vec<u32>,
    /// Error replies and failed connections.
    pub(crate) errors: u64,
    /// Connections the server closed or dropped.
    pub(crate) disconnects: u64,
}

/// Connections subscribed and streaming.
pub(crate) struct Load {
    phase: Arc<AtomicU8>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<Tally>>,
}

impl Load {
    /// Opens `subscriptions.len()` connections to `module` at `addr`; connection
    /// `i` subscribes to the `ticks` streams `subscriptions[i]`. Returns once
    /// every connection has its subscribe responses (or failed).
    pub(crate) async fn start(
        addr: SocketAddr,
        module: &str,
        subscriptions: Vec<Vec<String>>,
        buffers: Buffers,
    ) -> Result<Self> {
        Self::start_speaking(addr, Protocol::Topicwire, &format!("/api/v1/{module}/ws"), subscriptions, buffers).await
    }

    /// [`Load::start`] in `protocol`, at `path`: connection `i` subscribes
    /// to the streams (Pusher: channels) `subscriptions[i]`.
    pub(crate) async fn start_speaking(
        addr: SocketAddr,
        protocol: Protocol,
        path: &str,
        subscriptions: Vec<Vec<String>>,
        buffers: Buffers,
    ) -> Result<Self> {
        let phase = Arc::new(AtomicU8::new(WARMING));
        let (stop, stopped) = watch::channel(false);
        let (ready, mut readies) = mpsc::channel(subscriptions.len().max(1));
        // Bounded concurrent handshakes, so connecting thousands does not look like a flood.
        let handshakes = Arc::new(Semaphore::new(256));
        let path: Arc<str> = path.into();
        let count = subscriptions.len();
        let tasks = subscriptions
            .into_iter()
            .enumerate()
            .map(|(index, streams)| {
                let connection = Connection {
                    addr,
                    protocol,
                    path: path.clone(),
                    index,
                    buffers,
                    streams,
                    phase: phase.clone(),
                    stopped: stopped.clone(),
                };
                tokio::spawn(connection.run(handshakes.clone(), ready.clone()))
            })
            .collect();
        for _ in 0..count {
            readies.recv().await;
        }
        Ok(Self { phase, stop, tasks })
    }

    /// Starts counting.
    pub(crate) fn measure(&self) {
        self.phase.store(MEASURING, Ordering::Relaxed);
    }

    /// Stops counting; the connections stay open and subscribed.
    pub(crate) fn pause(&self) {
        self.phase.store(WARMING, Ordering::Relaxed);
    }

    /// Stops every connection and merges what they counted.
    pub(crate) async fn finish(self) -> Tally {
        let _ = self.stop.send(true);
        let mut total = Tally::default();
        for task in self.tasks {
            let Ok(tally) = task.await else { continue };
            total.delivered += tally.delivered;
            total.errors += tally.errors;
            total.disconnects += tally.disconnects;
            total.latencies_us.extend(tally.latencies_us);
        }
        total
    }
}

struct Connection {
    addr: SocketAddr,
    protocol: Protocol,
    path: Arc<str>,
    /// Its place among the load's connections, which picks its source address.
    index: usize,
    buffers: Buffers,
    streams: Vec<String>,
    phase: Arc<AtomicU8>,
    stopped: watch::Receiver<bool>,
}

impl Connection {
    async fn run(mut self, handshakes: Arc<Semaphore>, ready: mpsc::Sender<()>) -> Tally {
        let mut tally = Tally::default();
        let permit = handshakes.acquire_owned().await;
        let socket = connect(self.addr, &self.path, self.index, self.buffers).await;
        drop(permit);
        let Ok(mut socket) = socket else {
            tally.errors += 1;
            let _ = ready.send(()).await;
            return tally;
        };
        for stream in &self.streams {
            if socket.send(self.protocol.subscribe_message(stream)).await.is_err() {
                tally.errors += 1;
            }
        }
        let mut pending = self.streams.len();
        let mut signalled = false;
        if pending == 0 {
            let _ = ready.send(()).await;
            signalled = true;
        }
        loop {
            let message = tokio::select! {
                message = socket.next() => message,
                _ = self.stopped.changed() => break,
            };
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    tally.disconnects += 1;
                    break;
                }
                Some(Ok(_)) => continue,
            };
            match self.protocol.classify(&text) {
                Seen::Update => {
                    if self.phase.load(Ordering::Relaxed) == MEASURING {
                        tally.delivered += 1;
                        if let Some(sent) = sent_us(&text) {
                            tally.latencies_us.push(now_us().saturating_sub(sent).min(u64::from(u32::MAX)) as u32);
                        }
                    }
                }
                seen @ (Seen::Subscribed | Seen::Refused) => {
                    if matches!(seen, Seen::Refused) {
                        tally.errors += 1;
                    }
                    pending = pending.saturating_sub(1);
                    if pending == 0 && !signalled {
                        let _ = ready.send(()).await;
                        signalled = true;
                    }
                }
                Seen::Ping => {
                    if socket.send(Message::text(pusher::PONG)).await.is_err() {
                        tally.errors += 1;
                    }
                }
                Seen::Ignored => {}
                Seen::Unexpected => tally.errors += 1,
            }
        }
        if !signalled {
            let _ = ready.send(()).await;
        }
        tally
    }
}

/// Opens WebSocket connection number `index` of a load to `path` at `addr`,
/// from its source address.
pub(crate) async fn connect(addr: SocketAddr, path: &str, index: usize, buffers: Buffers) -> Result<Socket> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((source_address(index), 0))).context("cannot bind a source address")?;
    let stream = socket.connect(addr).await?;
    let config = match buffers {
        Buffers::Streaming => None,
        Buffers::Lean => Some(WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(4096)),
    };
    let (socket, _) = tokio_tungstenite::client_async_with_config(format!("ws://{addr}{path}"), stream, config).await?;
    Ok(socket)
}

/// Subscribes `socket` to the `ticks` stream `stream` and waits for the answer.
pub(crate) async fn subscribe(socket: &mut Socket, stream: &str) -> Result<()> {
    socket.send(subscribe_message(stream)).await?;
    while let Some(message) = socket.next().await {
        if let Message::Text(text) = message? {
            if !text.starts_with(r#"{"type":"ticks.subscribe.response""#) {
                continue;
            }
            if !text.contains(r#""status":"ok""#) {
                bail!("subscription refused: {text}");
            }
            return Ok(());
        }
    }
    bail!("closed before answering the subscription")
}

fn subscribe_message(stream: &str) -> Message {
    Message::text(format!(r#"{{"type":"ticks.subscribe","payload":{{"stream":"{stream}"}}}}"#))
}

/// The loopback address connection `index` comes from.
fn source_address(index: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 1 + (index % usize::from(SOURCE_ADDRESSES)) as u8)
}

/// The send time in a frame: `"sent_us":N`, or `\"sent_us\":N` inside
/// Pusher's data string.
pub(crate) fn sent_us(text: &str) -> Option<u64> {
    let start = text.find("sent_us")? + "sent_us".len();
    let number = text[start..].trim_start_matches(['\\', '"', ':']);
    let digits = number.bytes().take_while(u8::is_ascii_digit).count();
    number[..digits].parse().ok()
}

/// Wall-clock microseconds since the epoch: the clock the probe stamps ticks with.
pub(crate) fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_micros() as u64)
}

/// The `q`-quantile of sorted samples, in milliseconds.
pub(crate) fn quantile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let index = ((sorted_us.len() - 1) as f64 * q).round() as usize;
    f64::from(sorted_us[index]) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_send_time_without_parsing_json() {
        let frame = r#"{"type":"ticks.update","payload":{"topic":"t","payload":{"version":1,"seq":3,"sent_us":1732240000123456}}}"#;
        assert_eq!(sent_us(frame), Some(1_732_240_000_123_456));
        let pusher =
            r#"{"event":"tick","channel":"s0","data":"{\"version\":1,\"seq\":3,\"sent_us\":1732240000123456}"}"#;
        assert_eq!(sent_us(pusher), Some(1_732_240_000_123_456));
        assert_eq!(sent_us("{}"), None);
    }

    #[test]
    fn connections_take_turns_over_the_source_addresses() {
        assert_eq!(source_address(0), Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(source_address(31), Ipv4Addr::new(127, 0, 0, 32));
        assert_eq!(source_address(32), Ipv4Addr::new(127, 0, 0, 1));
    }

    #[test]
    fn quantiles() {
        let samples: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(quantile_ms(&samples, 0.5), 51.0);
        assert_eq!(quantile_ms(&samples, 0.99), 99.0);
        assert_eq!(quantile_ms(&[], 0.5), 0.0);
    }
}

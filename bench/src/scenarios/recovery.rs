//! Recovery on one node, with the broker's `orders` route (reliable, the
//! default history: 1000 updates per topic for 300 s), every order
//! committed as in the state scenario:
//!
//! - **Memory per topic of history**: [`TOPICS`] accounts each get
//!   [`MISSED`] orders while nobody watches them (their topics are not live,
//!   so nothing is kept: the broker's own state grows), then as many other
//!   accounts get as many while a watcher keeps each one's `orders` topic
//!   live, so every update is kept. The host's RSS grows by both; the
//!   difference is what the histories hold, beside the bytes the host
//!   counts for them (`topicwire_history_bytes`).
//! - **Time to recover [`MISSED`] missed updates**: a client subscribes,
//!   notes its position and goes away while a watcher keeps the topic live;
//!   [`MISSED`] orders later it subscribes again on a new connection with
//!   `since` that position, and is timed from sending the subscribe to
//!   receiving the last missed update (checked: `recovered: true`, the
//!   offsets right after its position, in order, none missing). Then many
//!   clients that missed the same updates recover at once, as after a
//!   network blip: until the last has them all, and the server's CPU per
//!   update replayed.

use super::state::place;
use super::{Settings, round3};
use crate::http::Http;
use crate::load::{Buffers, Socket, connect};
use crate::server::{Launch, Server};
use anyhow::{Context, Result, bail, ensure};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use topicwire_tests::{BROKER_WASM, TempDir};

/// Updates missed, and kept per topic: the default history of a reliable route, and at most
/// what one recovery replays (`max_recovery_updates`).
const MISSED: usize = 1000;
/// Topics whose histories are measured.
const TOPICS: usize = 10;
/// How long the awaited updates may take to arrive.
const LIMIT: Duration = Duration::from_secs(60);
const WS_PATH: &str = "/api/v1/broker/ws";

/// The sizes of the recovery scenario.
pub(crate) struct Recovery {
    /// Recoveries timed.
    trials: usize,
    /// Clients recovering at once.
    together: usize,
}

impl Recovery {
    pub(super) fn new(quick: bool) -> Self {
        if quick { Self { trials: 2, together: 20 } } else { Self { trials: 5, together: 100 } }
    }

    pub(super) async fn run(&self, settings: &Settings) -> Result<Value> {
        let (components, cache, data) =
            (TempDir::new("bench"), TempDir::new("bench-cache"), TempDir::new("bench-data"));
        std::fs::copy(BROKER_WASM, components.path().join("broker.wasm"))?;
        let config = format!("data_dir = {:?}\n", data.path().display().to_string());
        let launch = Launch::Topicwire {
            binary: &settings.server,
            components: &components,
            cache: cache.path(),
            config: &config,
            native: false,
        };
        let server = Server::start(launch, settings.server_cpus.as_deref()).await?;
        let mut http = Http::connect(server.addr).await?;
        let mut connections = 0;

        let before = server.rss_kib();
        for topic in 0..TOPICS {
            place_many(&mut http, &format!("U{topic}"), MISSED).await?;
        }
        let unwatched = server.rss_kib();
        let mut watchers = Vec::new();
        for topic in 0..TOPICS {
            let account = format!("H{topic}");
            let (watcher, _) = subscribe(&server, &mut connections, &account, None).await?;
            watchers.push(watch(watcher));
            place_many(&mut http, &account, MISSED).await?;
        }
        // Each watcher stays connected (and its topic live) until the end.
        let mut watching = Vec::new();
        for watcher in watchers {
            watching.push(watcher.await?.context("a watcher's updates")?);
        }
        let watched = server.rss_kib();
        let history_bytes = history_bytes(&mut http).await?;
        let kept_kib = (watched.saturating_sub(unwatched) as f64 - unwatched.saturating_sub(before) as f64).max(0.0);

        let mut trials = Vec::new();
        for trial in 0..self.trials {
            trials.push(self.recover(&server, &mut http, &mut connections, &format!("R{trial}")).await?);
        }
        let storm = self.storm(&server, &mut http, &mut connections, "S").await?;
        let mut millis: Vec<f64> = trials.iter().filter_map(|trial| trial["ms"].as_f64()).collect();
        millis.sort_by(f64::total_cmp);
        drop(watching);
        Ok(json!({
            "scenario": "recovery",
            "server_cpus": settings.server_cpus,
            "route": "orders (broker, reliable: history 1000 updates for 300 s)",
            "topics": TOPICS,
            "updates_per_topic": MISSED,
            "history_bytes": history_bytes,
            "history_bytes_per_topic": (history_bytes as f64 / TOPICS as f64).round(),
            "history_bytes_per_update": round3(history_bytes as f64 / (TOPICS * MISSED) as f64),
            "rss_before_kib": before,
            "rss_unwatched_kib": unwatched,
            "rss_watched_kib": watched,
            "rss_kib_per_topic": round3(kept_kib / TOPICS as f64),
            "missed": MISSED,
            "recover_ms_median": round3(crate::results::median(&millis).unwrap_or(0.0)),
            "recover_ms_min": round3(millis.first().copied().unwrap_or(0.0)),
            "recover_ms_max": round3(millis.last().copied().unwrap_or(0.0)),
            "trials": trials,
            "together": storm,
        }))
    }

    /// One timed recovery of [`MISSED`] updates on `account`'s orders.
    async fn recover(&self, server: &Server, http: &mut Http, connections: &mut usize, account: &str) -> Result<Value> {
        // The watcher keeps the topic live while the client is away, as a lingering topic would.
        let (watcher, _) = subscribe(server, connections, account, None).await?;
        let watcher = watch(watcher);
        let (client, position) = subscribe(server, connections, account, None).await?;
        drop(client);
        place_many(http, account, MISSED).await?;
        let _watcher = watcher.await?.context("the watcher's updates")?;
        let mut back = connect(server.addr, WS_PATH, next(connections), Buffers::Streaming).await?;
        let started = Instant::now();
        let answered = recover_from(&mut back, account, &position).await?;
        Ok(json!({
            "account": account,
            "ms": round3(started.elapsed().as_secs_f64() * 1000.0),
            "answered_ms": round3(answered.as_secs_f64() * 1000.0),
        }))
    }

    /// [`Self::together`] clients that missed the same [`MISSED`] updates of `account`'s orders
    /// recover at once, as after a network blip: how long until the last has them all, and the
    /// server's CPU per update replayed (one recovery alone is too short for the process's CPU clock).
    async fn storm(&self, server: &Server, http: &mut Http, connections: &mut usize, account: &str) -> Result<Value> {
        let (watcher, _) = subscribe(server, connections, account, None).await?;
        let watcher = watch(watcher);
        let (client, position) = subscribe(server, connections, account, None).await?;
        drop(client);
        place_many(http, account, MISSED).await?;
        let _watcher = watcher.await?.context("the watcher's updates")?;
        let mut clients = Vec::with_capacity(self.together);
        for _ in 0..self.together {
            clients.push(connect(server.addr, WS_PATH, next(connections), Buffers::Streaming).await?);
        }
        let cpu = server.cpu();
        let started = Instant::now();
        let tasks: Vec<_> = clients
            .into_iter()
            .map(|mut socket| {
                let (account, position) = (account.to_owned(), position.clone());
                tokio::spawn(async move { recover_from(&mut socket, &account, &position).await })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        let elapsed = started.elapsed();
        let cpu = server.cpu().saturating_sub(cpu);
        let replayed = (self.together * MISSED) as f64;
        Ok(json!({
            "clients": self.together,
            "ms": round3(elapsed.as_secs_f64() * 1000.0),
            "server_cpu_ms": round3(cpu.as_secs_f64() * 1000.0),
            "server_cpu_us_per_update": round3(cpu.as_secs_f64() * 1e6 / replayed),
        }))
    }
}

/// Subscribes `socket` to `account`'s orders since `position` and reads the [`MISSED`] updates
/// that must follow, checking the answer says recovered and the offsets are the ones right after
/// the position, in order; how long the answer took.
async fn recover_from(socket: &mut Socket, account: &str, position: &Value) -> Result<Duration> {
    let started = Instant::now();
    socket.send(subscribe_message(account, Some(position))).await?;
    let answer = response(socket).await?;
    let answered = started.elapsed();
    ensure!(answer["recovered"] == true, "not recovered: {answer}");
    let offsets = updates(socket, MISSED).await?;
    let from = position["offset"].as_u64().context("the position's offset")?;
    ensure!(
        offsets.iter().copied().eq(from + 1..=from + MISSED as u64),
        "the recovered offsets are not the {MISSED} after {from}: {:?}..{:?}",
        offsets.first(),
        offsets.last()
    );
    Ok(answered)
}

/// `count` resting orders on `account`, each answered (so committed) before the next.
async fn place_many(http: &mut Http, account: &str, count: usize) -> Result<()> {
    for _ in 0..count {
        place(http, account).await?;
    }
    Ok(())
}

/// A new connection subscribed to `account`'s orders (recovering from `since` if given) and the
/// position its answer gives.
async fn subscribe(
    server: &Server,
    connections: &mut usize,
    account: &str,
    since: Option<&Value>,
) -> Result<(Socket, Value)> {
    let mut socket = connect(server.addr, WS_PATH, next(connections), Buffers::Streaming).await?;
    socket.send(subscribe_message(account, since)).await?;
    let answer = response(&mut socket).await?;
    Ok((socket, json!({"epoch": answer["epoch"], "offset": answer["offset"]})))
}

fn next(connections: &mut usize) -> usize {
    *connections += 1;
    *connections
}

fn subscribe_message(account: &str, since: Option<&Value>) -> Message {
    let mut message = json!({"type": "orders.subscribe", "payload": {"accountId": account}});
    if let Some(since) = since {
        message["since"] = since.clone();
    }
    Message::text(message.to_string())
}

/// The payload of the subscribe response `socket` gets next, refused or not.
async fn response(socket: &mut Socket) -> Result<Value> {
    let answer = tokio::time::timeout(LIMIT, async {
        while let Some(message) = socket.next().await {
            if let Message::Text(text) = message?
                && text.starts_with(r#"{"type":"orders.subscribe.response""#)
            {
                return Ok(serde_json::from_str::<Value>(&text)?["payload"].clone());
            }
        }
        bail!("closed before answering the subscription")
    })
    .await
    .context("no subscribe response")??;
    ensure!(answer["status"] == "ok", "subscription refused: {answer}");
    Ok(answer)
}

/// Reads [`MISSED`] orders updates on `socket` as they come; the socket once they have.
fn watch(mut socket: Socket) -> tokio::task::JoinHandle<Result<Socket>> {
    tokio::spawn(async move {
        updates(&mut socket, MISSED).await?;
        Ok(socket)
    })
}

/// The offsets of the next `count` orders updates on `socket`, read from the end of each frame
/// (the position is its last field) without parsing the rest.
async fn updates(socket: &mut Socket, count: usize) -> Result<Vec<u64>> {
    let mut offsets = Vec::with_capacity(count);
    let read = async {
        while offsets.len() < count {
            let Some(message) = socket.next().await else { bail!("closed after {} updates", offsets.len()) };
            if let Message::Text(text) = message?
                && text.starts_with(r#"{"type":"orders.update""#)
            {
                offsets.push(offset_of(&text).with_context(|| format!("no position in {text}"))?);
            }
        }
        Ok(())
    };
    tokio::time::timeout(LIMIT, read)
        .await
        .with_context(|| format!("fewer than {count} updates within {LIMIT:?}"))??;
    Ok(offsets)
}

/// The `offset` an update frame ends with (`...,"offset":N,"epoch":"E"}}`).
fn offset_of(text: &str) -> Option<u64> {
    let tail = &text[text.rfind(r#","offset":"#)? + r#","offset":"#.len()..];
    tail.split_once(',')?.0.parse().ok()
}

/// What the host counts in its topics' histories (`topicwire_history_bytes` in `/metrics`).
async fn history_bytes(http: &mut Http) -> Result<u64> {
    let (status, body) = http.send("GET", "/metrics", &[], b"").await?;
    ensure!(status == 200, "GET /metrics: {status}");
    let text = String::from_utf8_lossy(&body);
    text.lines()
        .find_map(|line| line.strip_prefix("topicwire_history_bytes "))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map(|bytes| bytes as u64)
        .context("no topicwire_history_bytes in /metrics")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_updates_offset_from_its_end() {
        let frame =
            r#"{"type":"orders.update","payload":{"topic":"t","payload":{"offset":3},"offset":42,"epoch":"ab"}}"#;
        assert_eq!(offset_of(frame), Some(42));
        assert_eq!(offset_of(r#"{"type":"orders.update","payload":{}}"#), None);
    }
}

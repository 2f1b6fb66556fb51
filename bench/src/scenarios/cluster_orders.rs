//! Reliable events through a failover: three nodes on one `nats-server`
//! serve the broker (state in each node's data folder, reliable updates in
//! the module's JetStream stream). A watcher on each node that does not lead
//! the broker subscribes to account `F`'s orders; orders are placed one
//! after another, every [`PACE`], through one of those nodes (it forwards
//! them to the leader) before, while and after the leader is killed
//! (`SIGKILL`). Every order answered 200 is acknowledged, and must reach
//! every watcher: **lost** counts the acknowledged orders a watcher never
//! received (target 0), beside what the failover costs in time — the
//! longest span with no order taken, and the largest gap between two
//! events a watcher received. Repeats, holes in the offsets and a changed
//! epoch are counted too (each should be 0).

use super::Settings;
use super::cluster::{NODES, Nats, Node, largest_gap, leader_of};
use super::round3;
use super::state::place_order;
use crate::http::Http;
use crate::load::{Buffers, Socket, connect};
use anyhow::{Context, Result, bail, ensure};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use topicwire_tests::{BROKER_WASM, TempDir};

/// Time between one order's answer and the next order.
const PACE: Duration = Duration::from_millis(20);
/// Orders placed before the kill.
const BEFORE_KILL: Duration = Duration::from_secs(1);
/// Orders acknowledged after the kill before placing stops.
const AFTER_KILL: usize = 50;
/// How long the watchers may take to receive every acknowledged order, and placing to resume.
const LIMIT: Duration = Duration::from_secs(60);
const ACCOUNT: &str = "F";
const TOPIC: &str = r#"orders:{"accountId":"F"}"#;

/// One event a watcher received.
#[derive(Debug, Clone)]
struct Event {
    offset: u64,
    epoch: String,
    order: String,
    at: Instant,
}

/// Runs the measure; one JSON object.
pub(super) async fn run(settings: &Settings) -> Result<Value> {
    let nats = Nats::start(settings.server_cpus.as_deref()).await?;
    let mut nodes = Vec::new();
    for name in NODES {
        let components = TempDir::new("bench");
        std::fs::copy(BROKER_WASM, components.path().join("broker.wasm"))?;
        nodes.push(Node::serving(settings, &nats, name, components).await?);
    }
    let leader = leader_of(&nodes.iter().collect::<Vec<_>>(), "broker").await?;
    let mut watchers = Vec::new();
    for (i, node) in nodes.iter().enumerate().filter(|&(i, _)| i != leader) {
        watchers.push(Watcher::start(node, i).await?);
    }
    live_on(&nodes[leader]).await?;
    let through = nodes[(leader + 1) % nodes.len()].server.addr;

    let mut placer = Placer::new(through).await?;
    let started = Instant::now();
    while started.elapsed() < BEFORE_KILL {
        placer.place_one().await;
    }
    let killed_node = nodes.remove(leader);
    let killed_name = killed_node.name;
    // Dropping the server kills it: `Child::kill` is SIGKILL.
    drop(killed_node);
    let kill = Instant::now();
    let acknowledged_before = placer.acknowledged.len();
    let placing = async {
        while placer.acknowledged.len() < acknowledged_before + AFTER_KILL {
            if kill.elapsed() > LIMIT {
                bail!("fewer than {AFTER_KILL} orders taken within {LIMIT:?} of the kill");
            }
            placer.place_one().await;
        }
        Ok(())
    };
    placing.await?;
    let survivors: Vec<&Node> = nodes.iter().collect();
    let new_leader = survivors[leader_of(&survivors, "broker").await?].name;

    let wanted: HashSet<String> = placer.acknowledged.iter().map(|(id, _)| id.clone()).collect();
    let settled = Instant::now();
    while !watchers.iter().all(|watcher| watcher.has(&wanted)) && settled.elapsed() < LIMIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut rows = Vec::new();
    let mut lost_total = 0;
    for watcher in &watchers {
        let events = watcher.events();
        let seen: HashSet<&str> = events.iter().map(|event| event.order.as_str()).collect();
        let lost = wanted.iter().filter(|id| !seen.contains(id.as_str())).count();
        let repeated = events.len() - seen.len();
        let holes = events.windows(2).filter(|pair| pair[1].offset != pair[0].offset + 1).count();
        let epochs: HashSet<&str> = events.iter().map(|event| event.epoch.as_str()).collect();
        let arrivals: Vec<Instant> = events.iter().map(|event| event.at).collect();
        let gap = largest_gap(&arrivals, kill).map_or(Duration::ZERO, |(gap, _)| gap);
        lost_total += lost;
        rows.push(json!({
            "node": watcher.node,
            "events": events.len(),
            "lost": lost,
            "repeated": repeated,
            "holes": holes,
            "epochs": epochs.len(),
            "gap_ms": ms(gap),
        }));
    }
    let taken: Vec<Instant> = placer.acknowledged.iter().map(|(_, at)| *at).collect();
    let unavailable = largest_gap(&taken, kill).map_or(Duration::ZERO, |(gap, _)| gap);
    eprintln!(
        "cluster reliable failover: {} orders acknowledged, {lost_total} lost, no order taken for {} ms",
        wanted.len(),
        ms(unavailable)
    );
    Ok(json!({
        "module": "broker",
        "topic": TOPIC,
        "killed": killed_name,
        "through": NODES[(leader + 1) % NODES.len()],
        "new_leader": new_leader,
        "pace_ms": PACE.as_millis() as u64,
        "acknowledged": wanted.len(),
        "acknowledged_before_kill": acknowledged_before,
        "refused": placer.refused,
        "lost": lost_total,
        "unavailable_ms": ms(unavailable),
        "watchers": rows,
    }))
}

/// Milliseconds with three decimals.
fn ms(duration: Duration) -> f64 {
    round3(duration.as_secs_f64() * 1000.0)
}

/// Waits until the leader runs the watched topic: a follower's subscription becomes live there
/// once its interest is heard.
async fn live_on(leader: &Node) -> Result<()> {
    let started = Instant::now();
    loop {
        let broker = leader.module("broker").await.unwrap_or_default();
        if broker["topics"].as_array().into_iter().flatten().any(|topic| topic["topic"] == TOPIC) {
            return Ok(());
        }
        ensure!(started.elapsed() < LIMIT, "the leader never ran the watched topic: {broker}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Places orders through one node, one after another.
struct Placer {
    addr: std::net::SocketAddr,
    http: Option<Http>,
    /// Each acknowledged order's id and when its answer came.
    acknowledged: Vec<(String, Instant)>,
    /// Orders answered otherwise, or not at all.
    refused: usize,
}

impl Placer {
    async fn new(addr: std::net::SocketAddr) -> Result<Self> {
        Ok(Self { addr, http: Some(Http::connect(addr).await?), acknowledged: Vec::new(), refused: 0 })
    }

    /// Places one order, then waits [`PACE`].
    async fn place_one(&mut self) {
        if self.http.as_ref().is_none_or(|http| !http.reusable()) {
            self.http = Http::connect(self.addr).await.ok();
        }
        match self.http.as_mut() {
            Some(http) => match place_order(http, ACCOUNT).await {
                Ok((200, reply)) => match serde_json::from_slice::<Value>(&reply)
                    .ok()
                    .and_then(|reply| reply["orderId"].as_str().map(str::to_owned))
                {
                    Some(id) => self.acknowledged.push((id, Instant::now())),
                    None => self.refused += 1,
                },
                Ok(_) => self.refused += 1,
                Err(_) => {
                    self.refused += 1;
                    self.http = None;
                }
            },
            None => self.refused += 1,
        }
        tokio::time::sleep(PACE).await;
    }
}

/// A connection subscribed to the watched topic, its events collected by a task of its own.
struct Watcher {
    node: &'static str,
    events: Arc<Mutex<Vec<Event>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Watcher {
    async fn start(node: &Node, index: usize) -> Result<Self> {
        let mut socket = connect(node.server.addr, "/api/v1/broker/ws", index, Buffers::Streaming).await?;
        let message = json!({"type": "orders.subscribe", "payload": {"accountId": ACCOUNT}});
        socket.send(Message::text(message.to_string())).await?;
        let answer = tokio::time::timeout(LIMIT, answer(&mut socket)).await.context("no subscribe response")??;
        ensure!(answer["status"] == "ok", "subscription refused: {answer}");
        let events: Arc<Mutex<Vec<Event>>> = Arc::default();
        let task = tokio::spawn(collect(socket, events.clone()));
        Ok(Self { node: node.name, events, task })
    }

    fn events(&self) -> Vec<Event> {
        self.events.lock().map(|events| events.clone()).unwrap_or_default()
    }

    /// Whether it received every order of `wanted`.
    fn has(&self, wanted: &HashSet<String>) -> bool {
        let events = self.events();
        let seen: HashSet<&str> = events.iter().map(|event| event.order.as_str()).collect();
        wanted.iter().all(|id| seen.contains(id.as_str()))
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The subscribe response's payload.
async fn answer(socket: &mut Socket) -> Result<Value> {
    while let Some(message) = socket.next().await {
        if let Message::Text(text) = message?
            && text.starts_with(r#"{"type":"orders.subscribe.response""#)
        {
            return Ok(serde_json::from_str::<Value>(&text)?["payload"].clone());
        }
    }
    bail!("closed before answering the subscription")
}

/// Collects `socket`'s orders updates into `events` until it closes.
async fn collect(mut socket: Socket, events: Arc<Mutex<Vec<Event>>>) {
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else { continue };
        if !text.starts_with(r#"{"type":"orders.update""#) {
            continue;
        }
        let Ok(update) = serde_json::from_str::<Value>(&text) else { continue };
        let payload = &update["payload"];
        let event = Event {
            offset: payload["offset"].as_u64().unwrap_or(0),
            epoch: payload["epoch"].as_str().unwrap_or_default().to_owned(),
            order: payload["payload"]["id"].as_str().unwrap_or_default().to_owned(),
            at: Instant::now(),
        };
        if let Ok(mut events) = events.lock() {
            events.push(event);
        }
    }
}

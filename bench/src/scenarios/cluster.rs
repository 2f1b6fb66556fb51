//! The cluster scenario: three `topicwire serve` nodes on one `nats-server`
//! (JetStream on, a free loopback port, its store and every node's data and
//! cache folders temporary), each serving the probe component as module
//! `bench`, with the fan-out scenarios' limits and a `[cluster]` section.
//! Once exactly one node reports `cluster_role = "leader"` for `bench`, each
//! node gets the same number of connections, spread evenly over shared
//! topics ticking every 100 ms; the leader produces every update, publishes
//! it once to NATS, and the followers write it to their own clients.
//!
//! - **Delivered/s and latency**, end to end: from the probe's send stamp
//!   on the leader to receipt by a client of any node (the same clock).
//! - **CPU per delivered message per node**: each node's CPU time
//!   (`/proc/<pid>/stat`) over the messages its own clients received; the
//!   leader's includes producing and publishing, a follower's receiving
//!   from NATS. NATS's own CPU is reported per update.
//! - **NATS messages per update**, from the server's monitoring port
//!   (`-m`): `/varz` `in_msgs`/`out_msgs` and `/connz` per node connection,
//!   before and after the window. The cluster's background traffic (lease
//!   renewals, interest announcements at 1/s per follower, JetStream's
//!   replies) is measured first, in a window with no client, and its rate
//!   subtracted. Updates produced are counted from the leader's own
//!   clients (each of its topics' subscribers receives every update), so
//!   `published_per_update` is the leader's publishes per update (1 by
//!   design) and `delivered_per_update` what NATS sent the followers (one
//!   per interested node, 2 here).
//! - **Failover gap**: after the window, watchers (one per topic on each
//!   survivor) are subscribed, the leader is killed (`SIGKILL`), and the
//!   largest gap between two updates a watcher receives until they resume
//!   is reported, with when they resumed and when a survivor took the lease.
//!
//! Pinning: the three nodes and `nats-server` share the server CPUs
//! (`--server-core`) as one server would, the load generator stays on its
//! own; with one server core they take turns on it, so per-node CPU is
//! what each node spent, not what it could do alone.

use super::{ServerConfig, Settings, probe_folder, round3};
use crate::load::{Buffers, Load, Tally, connect, quantile_ms, subscribe};
use crate::server::{Launch, Server, free_port, process_cpu};
use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use topicwire_tests::{PROBE_WASM, TempDir, http_get};

/// The nodes' names; as many nodes.
pub(super) const NODES: [&str; 3] = ["a", "b", "c"];
/// The shared topics every node's connections are spread over.
const TOPICS: usize = 10;
const TICK_MS: u64 = 100;
/// How long the nodes may take to agree on a leader, and NATS to listen.
const SETTLE_LIMIT: Duration = Duration::from_secs(30);
/// How long the survivors may take to resume after the leader is killed.
const FAILOVER_LIMIT: Duration = Duration::from_secs(30);
/// Updates a watcher must receive after the kill to count as resumed.
const RESUMED_AFTER: usize = 3;

/// The sizes of the cluster scenario.
pub(crate) struct ClusterRun {
    conns_per_node: usize,
    /// With no client: the cluster's background NATS traffic.
    baseline: Duration,
    warmup: Duration,
    window: Duration,
}

impl ClusterRun {
    pub(super) fn new(quick: bool) -> Self {
        if quick {
            Self {
                conns_per_node: 100,
                baseline: Duration::from_secs(2),
                warmup: Duration::from_secs(1),
                window: Duration::from_secs(3),
            }
        } else {
            Self {
                conns_per_node: 1000,
                baseline: Duration::from_secs(5),
                warmup: Duration::from_secs(3),
                window: Duration::from_secs(10),
            }
        }
    }

    pub(super) async fn run(&self, settings: &Settings) -> Result<Value> {
        let cpus = settings.server_cpus.as_deref();
        let nats = Nats::start(cpus).await?;
        let mut nodes = Vec::new();
        for name in NODES {
            nodes.push(Node::start(settings, &nats, name).await?);
        }
        let settle = Instant::now();
        let leader = single_leader(&nodes.iter().collect::<Vec<_>>()).await?;
        let leader_s = settle.elapsed().as_secs_f64();

        // The background: no client, so no topic and no update.
        let (varz_before, connz_before) = (nats.varz().await, nats.connz().await);
        let started = Instant::now();
        tokio::time::sleep(self.baseline).await;
        let baseline_s = started.elapsed().as_secs_f64();
        let (varz_after, connz_after) = (nats.varz().await, nats.connz().await);
        let background = Traffic::between(&varz_before, &varz_after, &connz_before, &connz_after, baseline_s);

        let mut loads = Vec::new();
        for node in &nodes {
            let subscriptions = (0..self.conns_per_node).map(|i| vec![format!("s{}", i % TOPICS)]).collect();
            loads.push(Load::start(node.server.addr, "bench", subscriptions, Buffers::Streaming).await?);
        }
        tokio::time::sleep(self.warmup).await;
        let cpu_before: Vec<Duration> = nodes.iter().map(|node| node.server.cpu()).collect();
        let nats_cpu_before = nats.cpu();
        let (varz_before, connz_before) = (nats.varz().await, nats.connz().await);
        let started = Instant::now();
        for load in &loads {
            load.measure();
        }
        tokio::time::sleep(self.window).await;
        for load in &loads {
            load.pause();
        }
        let seconds = started.elapsed().as_secs_f64();
        let (varz_after, connz_after) = (nats.varz().await, nats.connz().await);
        let nats_cpu = nats.cpu().saturating_sub(nats_cpu_before).as_secs_f64();
        let cpu: Vec<f64> = nodes
            .iter()
            .zip(&cpu_before)
            .map(|(node, before)| node.server.cpu().saturating_sub(*before).as_secs_f64())
            .collect();
        let traffic = Traffic::between(&varz_before, &varz_after, &connz_before, &connz_after, seconds);

        let failover_watchers = self.watchers(&nodes, leader).await?;
        // The leader's clients are done; the survivors' stay connected through the failover.
        let mut loads: Vec<Option<Load>> = loads.into_iter().map(Some).collect();
        let mut tallies: Vec<Option<Tally>> = (0..NODES.len()).map(|_| None).collect();
        tallies[leader] = Some(loads[leader].take().context("the leader's load")?.finish().await);
        let failover = failover(&mut nodes, leader, failover_watchers).await?;
        for (i, load) in loads.into_iter().enumerate() {
            if let Some(load) = load {
                tallies[i] = Some(load.finish().await);
            }
        }
        let tallies: Vec<Tally> = tallies.into_iter().map(Option::unwrap_or_default).collect();
        drop(nodes);
        drop(nats);
        // On a cluster of its own: the broker's reliable orders through its leader's death.
        let reliable = super::cluster_orders::run(settings).await?;

        // Every update of a topic reaches each of its subscribers on the leader.
        let per_topic_on_leader = (self.conns_per_node / TOPICS).max(1) as f64;
        let updates = tallies[leader].delivered as f64 / per_topic_on_leader;
        let updates_expected = TOPICS as f64 * 1000.0 / TICK_MS as f64 * seconds;
        let mut rows = Vec::new();
        let mut all_latencies = Vec::new();
        let (mut delivered, mut errors, mut disconnects) = (0, 0, 0);
        for (i, tally) in tallies.into_iter().enumerate() {
            let Tally { delivered: node_delivered, mut latencies_us, errors: node_errors, disconnects: node_disc } =
                tally;
            latencies_us.sort_unstable();
            let connection = &traffic.connections[i];
            rows.push(json!({
                "node": NODES[i],
                "role": if i == leader { "leader" } else { "follower" },
                "conns": self.conns_per_node,
                "delivered_per_s": (node_delivered as f64 / seconds).round(),
                "p50_ms": round3(quantile_ms(&latencies_us, 0.50)),
                "p99_ms": round3(quantile_ms(&latencies_us, 0.99)),
                "max_ms": round3(quantile_ms(&latencies_us, 1.0)),
                "cpu_pct": round3(cpu[i] / seconds * 100.0),
                "cpu_us_per_msg": round3(cpu[i] * 1e6 / node_delivered.max(1) as f64),
                "nats_in_msgs": connection.in_msgs,
                "nats_out_msgs": connection.out_msgs,
                "errors": node_errors,
                "disconnects": node_disc,
            }));
            delivered += node_delivered;
            errors += node_errors;
            disconnects += node_disc;
            all_latencies.extend(latencies_us);
        }
        all_latencies.sort_unstable();
        let expected = (NODES.len() * self.conns_per_node) as f64 * 1000.0 / TICK_MS as f64;

        // Counts less the background's rate over the window: what the updates cost NATS.
        let less = |count: u64, rate: f64| (count as f64 - rate * seconds).max(0.0);
        let per_update = |count: f64| round3(count / updates.max(1.0));
        let published = less(traffic.connections[leader].in_msgs, background.connections[leader].in_per_s());
        let to_followers: f64 = (0..NODES.len())
            .filter(|&i| i != leader)
            .map(|i| less(traffic.connections[i].out_msgs, background.connections[i].out_per_s()))
            .sum();
        let varz_in = less(traffic.in_msgs, background.in_msgs as f64 / background.seconds);
        let varz_out = less(traffic.out_msgs, background.out_msgs as f64 / background.seconds);
        Ok(json!({
            "scenario": "cluster",
            "server_cpus": settings.server_cpus,
            "nodes": NODES.len(),
            "leader": NODES[leader],
            "leader_elected_s": round3(leader_s),
            "conns": NODES.len() * self.conns_per_node,
            "conns_per_node": self.conns_per_node,
            "topics": TOPICS,
            "tick_ms": TICK_MS,
            "window_s": round3(seconds),
            "delivered_per_s": (delivered as f64 / seconds).round(),
            "expected_per_s": expected.round(),
            "delivered_ratio": round3(delivered as f64 / seconds / expected),
            "p50_ms": round3(quantile_ms(&all_latencies, 0.50)),
            "p90_ms": round3(quantile_ms(&all_latencies, 0.90)),
            "p99_ms": round3(quantile_ms(&all_latencies, 0.99)),
            "max_ms": round3(quantile_ms(&all_latencies, 1.0)),
            "errors": errors,
            "disconnects": disconnects,
            "per_node": rows,
            "updates_per_s": (updates / seconds).round(),
            "updates_expected_per_s": (updates_expected / seconds).round(),
            "nats_published_per_update": per_update(published),
            "nats_delivered_per_update": per_update(to_followers),
            "nats_in_per_update": per_update(varz_in),
            "nats_out_per_update": per_update(varz_out),
            "nats_in_msgs": traffic.in_msgs,
            "nats_out_msgs": traffic.out_msgs,
            "nats_background_in_per_s": round3(background.in_msgs as f64 / background.seconds),
            "nats_background_out_per_s": round3(background.out_msgs as f64 / background.seconds),
            "nats_background_s": round3(background.seconds),
            "nats_cpu_pct": round3(nats_cpu / seconds * 100.0),
            "nats_cpu_us_per_update": round3(nats_cpu * 1e6 / updates.max(1.0)),
            "failover": failover,
            "reliable_failover": reliable,
        }))
    }

    /// Connections subscribed to every topic on each node but the leader, each having had an update.
    async fn watchers(&self, nodes: &[Node], leader: usize) -> Result<Vec<crate::load::Socket>> {
        let mut watchers = Vec::new();
        for (i, node) in nodes.iter().enumerate().filter(|&(i, _)| i != leader) {
            for topic in 0..TOPICS {
                // Source addresses past the loads' first connections.
                let index = self.conns_per_node + i * TOPICS + topic;
                let mut socket = connect(node.server.addr, "/api/v1/bench/ws", index, Buffers::Streaming).await?;
                subscribe(&mut socket, &format!("s{topic}")).await?;
                watchers.push(socket);
            }
        }
        for socket in &mut watchers {
            tokio::time::timeout(SETTLE_LIMIT, next_update(socket))
                .await
                .context("a watcher had no update before the failover")??;
        }
        Ok(watchers)
    }
}

/// Kills the leader (SIGKILL) and times the survivors' watchers until their updates resume.
async fn failover(nodes: &mut Vec<Node>, leader: usize, watchers: Vec<crate::load::Socket>) -> Result<Value> {
    let killed: Arc<OnceLock<Instant>> = Arc::default();
    let tasks: Vec<_> = watchers.into_iter().map(|socket| tokio::spawn(arrivals(socket, killed.clone()))).collect();
    let watched = tasks.len();
    // Dropping the server kills it: `Child::kill` is SIGKILL.
    let dead = nodes.remove(leader);
    drop(dead);
    let kill = Instant::now();
    let _ = killed.set(kill);
    let survivors: Vec<&Node> = nodes.iter().collect();
    let new_leader = single_leader(&survivors).await?;
    let new_leader_ms = kill.elapsed().as_secs_f64() * 1000.0;
    let (mut gap, mut resumed, mut resumed_watchers) = (Duration::ZERO, Duration::ZERO, 0);
    for task in tasks {
        let arrivals = task.await?;
        if let Some((watcher_gap, watcher_resumed)) = largest_gap(&arrivals, kill) {
            gap = gap.max(watcher_gap);
            resumed = resumed.max(watcher_resumed);
            resumed_watchers += 1;
        }
    }
    let ms = |duration: Duration| round3(duration.as_secs_f64() * 1000.0);
    eprintln!(
        "cluster failover: largest update gap {} ms, resumed {} ms after the kill ({resumed_watchers}/{watched} watchers)",
        ms(gap),
        ms(resumed)
    );
    Ok(json!({
        "killed": NODES[leader],
        "new_leader": survivors[new_leader].name,
        "new_leader_ms": round3(new_leader_ms),
        "watchers": watched,
        "resumed_watchers": resumed_watchers,
        "gap_ms": ms(gap),
        "resumed_ms": ms(resumed),
    }))
}

/// When `socket`'s updates arrive, until [`RESUMED_AFTER`] have come after
/// `killed` is set (or [`FAILOVER_LIMIT`] passes, or the connection ends).
async fn arrivals(mut socket: crate::load::Socket, killed: Arc<OnceLock<Instant>>) -> Vec<Instant> {
    let limit = tokio::time::Instant::now() + FAILOVER_LIMIT;
    let mut arrivals = Vec::new();
    let mut after_kill = 0;
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(limit, socket.next()).await {
        let Message::Text(text) = message else { continue };
        if !text.starts_with(r#"{"type":"ticks.update""#) {
            continue;
        }
        let now = Instant::now();
        arrivals.push(now);
        if killed.get().is_some_and(|kill| now > *kill) {
            after_kill += 1;
            if after_kill >= RESUMED_AFTER {
                break;
            }
        }
    }
    arrivals
}

/// The largest gap between consecutive arrivals from the last one before
/// `killed` on (from `killed` when none came before), and how long after
/// `killed` the arrival ending it came; `None` when nothing came after.
pub(super) fn largest_gap(arrivals: &[Instant], killed: Instant) -> Option<(Duration, Duration)> {
    let first_after = arrivals.iter().position(|arrival| *arrival > killed)?;
    let start = if first_after == 0 { killed } else { arrivals[first_after - 1] };
    let mut previous = start;
    let mut best = (Duration::ZERO, Duration::ZERO);
    for arrival in &arrivals[first_after..] {
        let gap = arrival.duration_since(previous);
        if gap > best.0 {
            best = (gap, arrival.duration_since(killed));
        }
        previous = *arrival;
    }
    Some(best)
}

/// The next `ticks.update` on `socket`.
async fn next_update(socket: &mut crate::load::Socket) -> Result<()> {
    while let Some(message) = socket.next().await {
        if let Message::Text(text) = message?
            && text.starts_with(r#"{"type":"ticks.update""#)
        {
            return Ok(());
        }
    }
    bail!("the connection closed before an update")
}

/// A node: `topicwire serve` in the cluster, with its own folders.
pub(super) struct Node {
    pub(super) name: &'static str,
    pub(super) server: Server,
    _components: TempDir,
    _cache: TempDir,
    _data: TempDir,
}

impl Node {
    async fn start(settings: &Settings, nats: &Nats, name: &'static str) -> Result<Self> {
        Self::serving(settings, nats, name, probe_folder(PROBE_WASM)?).await
    }

    /// Node `name` serving the modules of `components`.
    pub(super) async fn serving(
        settings: &Settings,
        nats: &Nats,
        name: &'static str,
        components: TempDir,
    ) -> Result<Self> {
        let (cache, data) = (TempDir::new("bench-cache"), TempDir::new("bench-data"));
        let config = ServerConfig::new(TICK_MS, 1).toml().replacen(
            "data_dir = \"\"",
            &format!("data_dir = {:?}", data.path().display().to_string()),
            1,
        );
        let config = format!("{config}[cluster]\nnats_url = \"{}\"\nnode_name = \"{name}\"\n", nats.url());
        let launch = Launch::Topicwire {
            binary: &settings.server,
            components: &components,
            cache: cache.path(),
            config: &config,
            native: false,
        };
        let server = Server::start(launch, settings.server_cpus.as_deref()).await?;
        Ok(Self { name, server, _components: components, _cache: cache, _data: data })
    }

    /// Its entry for `module` in `/api/v1/modules`.
    pub(super) async fn module(&self, module: &str) -> Option<Value> {
        let (_, modules) = http_get(self.server.addr, "/api/v1/modules").await;
        modules["modules"].as_array()?.iter().find(|entry| entry["module"] == module).cloned()
    }
}

/// Waits until exactly one of `nodes` leads module `bench`; its index.
async fn single_leader(nodes: &[&Node]) -> Result<usize> {
    leader_of(nodes, "bench").await
}

/// Waits until exactly one of `nodes` leads `module`; its index.
pub(super) async fn leader_of(nodes: &[&Node], module: &str) -> Result<usize> {
    let started = Instant::now();
    loop {
        let mut leaders = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let entry = node.module(module).await.unwrap_or_default();
            if entry["cluster_role"] == "leader" {
                leaders.push(i);
            }
        }
        if let [one] = leaders[..] {
            return Ok(one);
        }
        if started.elapsed() > SETTLE_LIMIT {
            bail!("no single leader of `{module}` within {SETTLE_LIMIT:?}: {leaders:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// NATS messages counted over a window: the server's totals and each node's connection.
struct Traffic {
    seconds: f64,
    in_msgs: u64,
    out_msgs: u64,
    /// Per node, in [`NODES`] order.
    connections: Vec<Counts>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    in_msgs: u64,
    out_msgs: u64,
    seconds: f64,
}

impl Counts {
    /// Messages the node published, per second.
    fn in_per_s(&self) -> f64 {
        self.in_msgs as f64 / self.seconds.max(1e-9)
    }

    /// Messages NATS sent the node, per second.
    fn out_per_s(&self) -> f64 {
        self.out_msgs as f64 / self.seconds.max(1e-9)
    }
}

impl Traffic {
    fn between(
        varz_before: &Value,
        varz_after: &Value,
        connz_before: &Value,
        connz_after: &Value,
        seconds: f64,
    ) -> Self {
        let delta = |before: &Value, after: &Value, field: &str| {
            after[field].as_u64().unwrap_or(0).saturating_sub(before[field].as_u64().unwrap_or(0))
        };
        let connections = NODES
            .iter()
            .map(|name| {
                let (before, after) = (connection(connz_before, name), connection(connz_after, name));
                Counts {
                    in_msgs: delta(&before, &after, "in_msgs"),
                    out_msgs: delta(&before, &after, "out_msgs"),
                    seconds,
                }
            })
            .collect();
        Self {
            seconds,
            in_msgs: delta(varz_before, varz_after, "in_msgs"),
            out_msgs: delta(varz_before, varz_after, "out_msgs"),
            connections,
        }
    }
}

/// Node `name`'s connection in a `/connz` answer (the host names it `topicwire <node>`).
fn connection(connz: &Value, name: &str) -> Value {
    let wanted = format!("topicwire {name}");
    connz["connections"]
        .as_array()
        .and_then(|connections| connections.iter().find(|connection| connection["name"] == wanted.as_str()))
        .cloned()
        .unwrap_or_default()
}

/// `nats-server` with JetStream and its monitoring port, killed on drop.
pub(super) struct Nats {
    child: Child,
    addr: SocketAddr,
    monitor: SocketAddr,
    _store: TempDir,
}

impl Nats {
    /// Starts it on free loopback ports, pinned to `cpus` when given and `taskset` is installed.
    pub(super) async fn start(cpus: Option<&str>) -> Result<Self> {
        let (addr, monitor, store) = (free_port()?, free_port()?, TempDir::new("bench-nats"));
        let binary = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".to_owned());
        let mut command = match cpus {
            Some(cpus) if Path::new("/usr/bin/taskset").exists() => {
                let mut command = Command::new("taskset");
                command.arg("-c").arg(cpus).arg(&binary);
                command
            }
            _ => Command::new(&binary),
        };
        command
            .args(["-js", "-a", "127.0.0.1", "-p", &addr.port().to_string(), "-m", &monitor.port().to_string()])
            .arg("-sd")
            .arg(store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command.spawn().with_context(|| format!("cannot run `{binary}` (is nats-server on the PATH?)"))?;
        let nats = Self { child, addr, monitor, _store: store };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(nats.addr).await.is_err()
            || tokio::net::TcpStream::connect(nats.monitor).await.is_err()
        {
            if started.elapsed() > SETTLE_LIMIT {
                bail!("nats-server did not listen on {} and {}", nats.addr, nats.monitor);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(nats)
    }

    fn url(&self) -> String {
        format!("nats://{}", self.addr)
    }

    async fn varz(&self) -> Value {
        http_get(self.monitor, "/varz").await.1
    }

    async fn connz(&self) -> Value {
        http_get(self.monitor, "/connz?limit=1024").await.1
    }

    fn cpu(&self) -> Duration {
        process_cpu(&format!("/proc/{}/stat", self.child.id()))
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gap_spans_the_kill_and_ends_with_the_resuming_update() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let arrivals = [at(0), at(100), at(200), at(3400), at(3500), at(3600)];
        let (gap, resumed) = largest_gap(&arrivals, at(250)).unwrap();
        assert_eq!(gap, Duration::from_millis(3200));
        assert_eq!(resumed, Duration::from_millis(3150));
        assert_eq!(largest_gap(&arrivals[..3], at(250)), None, "nothing after the kill");
        let (gap, _) = largest_gap(&arrivals[3..], at(250)).unwrap();
        assert_eq!(gap, Duration::from_millis(3150), "from the kill when nothing came before");
    }

    #[test]
    fn node_connections_are_found_by_name() {
        let connz =
            json!({"connections": [{"name": "topicwire b", "in_msgs": 5}, {"name": "topicwire a", "in_msgs": 9}]});
        assert_eq!(connection(&connz, "a")["in_msgs"], 9);
        assert!(connection(&connz, "c").is_null());
    }
}

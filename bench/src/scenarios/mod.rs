//! The scenarios, each on a fresh server, and what they all share. Topicwire
//! serves the `probe` component as module `bench` (its ticks carry their send
//! time; its rate is the module settings `TICK_MS` per topic and `BURST`
//! ticks per timer), or the built-in native producer as module `native`;
//! the state scenario serves the `ledger` fixture and the broker, keeping
//! their state in a data folder of its own; the cluster scenario serves the
//! probe from three nodes on one NATS server. The peer, Sockudo, serves
//! the layouts of s1, s2, s2b and s5 fed by a publisher from outside, and so
//! does Topicwire's probe (`-rest`); the `-python` fan-out rows and
//! the `python` scenario serve the probe's Python twin (`tests/fixtures/probe-py`).

mod allocators;
mod cluster;
mod cluster_orders;
mod fanout;
mod lifecycle;
mod memory;
mod python;
mod recovery;
mod state;
mod storm;

pub(crate) use allocators::Variant;
pub(crate) use fanout::Layout;

use anyhow::{Context, Result};
use fanout::{Cores, Fanout, Producer};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use topicwire_tests::TempDir;

/// What every scenario needs to know about the run.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The `topicwire` binary.
    pub(crate) server: PathBuf,
    /// The CPUs to pin the server to (a `taskset -c` list), when pinned.
    pub(crate) server_cpus: Option<String>,
    /// Every online CPU, shared by the server and the load generator in the many-core scenarios.
    pub(crate) all_cpus: String,
    /// The open-files limit of the harness and of the servers it starts.
    pub(crate) open_files: u64,
    /// A smoke run: small sizes, short windows.
    pub(crate) quick: bool,
    /// The Sockudo binary the peer rows run, when built.
    pub(crate) sockudo: Option<PathBuf>,
    /// The host built without positions in its update frames (feature `unnumbered`), when built.
    pub(crate) unnumbered: Option<PathBuf>,
}

/// One scenario.
pub(crate) enum Scenario {
    /// Connections subscribed to ticking topics.
    Fanout(Fanout),
    /// Idle connections: server memory per connection, and after they are gone.
    Idle { conns: usize },
    /// Server memory before, at the peak of and after a fan-out load.
    MemoryAfterLoad(memory::AfterLoad),
    /// Connects + subscribes per second, in rising stages until errors appear.
    Storm(storm::Stages),
    /// Process start to the first served subscription, cold and warm cache.
    Startup,
    /// A client subscribed across an atomic replacement of the component file.
    HotSwap,
    /// The Python probe beside the Rust one: size, compile, cache, instantiation, start, memory per module.
    Python,
    /// Durable puts and gets from a component, and broker orders/s with every order committed.
    State(state::Durable),
    /// Memory per topic of history, and the time to recover 1000 missed updates.
    Recovery(recovery::Recovery),
    /// Three nodes on NATS: delivered/s, latency, CPU per node, NATS messages per update, failover gap.
    Cluster(cluster::ClusterRun),
    /// Other builds of the server (global allocators) on the allocator-sensitive measures.
    Allocators(Vec<Variant>),
}

/// The fan-out layouts: connections, streams each, shared topics, tick, burst.
fn layouts(quick: bool) -> [(&'static str, Layout); 6] {
    let many = if quick { 200 } else { 1000 };
    [
        ("s1", Layout::shared(100, 1, 10, 1)),
        ("s2", Layout::shared(many, 10, 100, 1)),
        ("s2b", Layout::own(many, 10, 100)),
        ("s3", Layout::shared(100, 1, 1, 100)),
        // s2b's layout ten times faster: more than one core can serve, to see how a second one helps.
        ("s4", Layout::own(many, 10, 10)),
        // One large topic at 200 updates/s: its writes are spread over the cores (`hub::fanout`).
        ("s5", Layout::shared(many, 1, 5, 1)),
    ]
}

/// Idle connections asked for (as many as the open-files limit allows are opened).
fn idle_conns(quick: bool) -> usize {
    if quick { 1000 } else { 50_000 }
}

/// Every scenario, sized for a full or a quick run; `variants` are compared
/// on allocator-sensitive measures when given; Sockudo's rows when `sockudo`;
/// the host without positions on s1 and s2 when `unnumbered`.
pub(crate) fn all(quick: bool, variants: Vec<Variant>, sockudo: bool, unnumbered: bool) -> Vec<Scenario> {
    let windows = Windows::new(quick);
    let mut scenarios = Vec::new();
    for (name, layout) in layouts(quick) {
        let variants: &[(Producer, Cores)] = match name {
            "s4" | "s5" => &[(Producer::Component, Cores::Pinned), (Producer::Component, Cores::All)],
            // The ratio targets' layouts: also the floor on the host's schedule.
            // The Python probe too where the comparison is: one shared topic, and many of their own.
            "s1" | "s2b" => &[
                (Producer::Component, Cores::Pinned),
                (Producer::Native, Cores::Pinned),
                (Producer::FloorSpread, Cores::Pinned),
                (Producer::Python, Cores::Pinned),
            ],
            "s2" => &[
                (Producer::Component, Cores::Pinned),
                (Producer::Native, Cores::Pinned),
                (Producer::FloorSpread, Cores::Pinned),
            ],
            _ => &[(Producer::Component, Cores::Pinned), (Producer::Native, Cores::Pinned)],
        };
        // Against the peer, each fed from outside.
        let peers: &[(Producer, Cores)] = match name {
            "s1" | "s2" | "s2b" | "s5" if sockudo => {
                &[(Producer::Sockudo, Cores::Pinned), (Producer::Rest, Cores::Pinned)]
            }
            "s1" | "s2" | "s2b" | "s5" => &[(Producer::Rest, Cores::Pinned)],
            _ => &[],
        };
        // What positions cost: the same probe on the same commit, its frames unnumbered.
        let unnumbered: &[(Producer, Cores)] = match name {
            "s1" | "s2" if unnumbered => &[(Producer::Unnumbered, Cores::Pinned)],
            _ => &[],
        };
        let (first, rest) = variants.split_at(1);
        let floor = [(Producer::Floor, Cores::Pinned)];
        for &(producer, cores) in first.iter().chain(unnumbered).chain(peers).chain(rest).chain(&floor) {
            scenarios.push(Scenario::Fanout(Fanout::new(name, producer, cores, layout, windows)));
        }
    }
    scenarios.push(Scenario::Idle { conns: idle_conns(quick) });
    scenarios.push(Scenario::MemoryAfterLoad(memory::AfterLoad::new(quick)));
    scenarios.push(Scenario::Storm(storm::Stages::new(quick)));
    scenarios.push(Scenario::Startup);
    scenarios.push(Scenario::HotSwap);
    scenarios.push(Scenario::Python);
    scenarios.push(Scenario::State(state::Durable::new(quick)));
    scenarios.push(Scenario::Recovery(recovery::Recovery::new(quick)));
    scenarios.push(Scenario::Cluster(cluster::ClusterRun::new(quick)));
    if !variants.is_empty() {
        scenarios.push(Scenario::Allocators(variants));
    }
    scenarios
}

impl Scenario {
    /// Whether it is a fan-out run (repeated, its rounds interleaved).
    pub(crate) fn is_fanout(&self) -> bool {
        matches!(self, Self::Fanout(_))
    }

    /// The scenario's name, as in the results.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Fanout(fanout) => &fanout.name,
            Self::Idle { .. } => "idle",
            Self::MemoryAfterLoad(_) => "memory_after_load",
            Self::Storm(_) => "storm",
            Self::Startup => "startup",
            Self::HotSwap => "hot_swap",
            Self::Python => "python",
            Self::State(_) => "state",
            Self::Recovery(_) => "recovery",
            Self::Cluster(_) => "cluster",
            Self::Allocators(_) => "allocators",
        }
    }

    /// Runs the scenario; one JSON object of results.
    pub(crate) async fn run(&self, settings: &Settings) -> Result<Value> {
        match self {
            Self::Fanout(fanout) => fanout.run(settings).await,
            Self::Idle { conns } => memory::idle(settings, *conns).await,
            Self::MemoryAfterLoad(load) => load.run(settings).await,
            Self::Storm(stages) => stages.run(settings).await,
            Self::Startup => lifecycle::startup(settings).await,
            Self::HotSwap => lifecycle::hot_swap(settings).await,
            Self::Python => python::run(settings).await,
            Self::State(durable) => durable.run(settings).await,
            Self::Recovery(recovery) => recovery.run(settings).await,
            Self::Cluster(cluster) => cluster.run(settings).await,
            Self::Allocators(variants) => allocators::compare(settings, variants).await,
        }
        .with_context(|| format!("scenario {}", self.name()))
    }
}

/// Warm-up and measuring window of the fan-out scenarios.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Windows {
    warmup: Duration,
    window: Duration,
}

impl Windows {
    fn new(quick: bool) -> Self {
        if quick {
            Self { warmup: Duration::from_millis(500), window: Duration::from_secs(2) }
        } else {
            Self { warmup: Duration::from_secs(2), window: Duration::from_secs(10) }
        }
    }
}

/// The server's configuration for a scenario.
#[derive(Debug, Clone, Copy)]
struct ServerConfig {
    max_connections: usize,
    tick_ms: u64,
    burst: u64,
    /// Frames queued per connection before conflation.
    queue_frames: usize,
}

impl ServerConfig {
    fn new(tick_ms: u64, burst: u64) -> Self {
        Self { max_connections: 20_000, tick_ms, burst, queue_frames: 65_536 }
    }

    /// The TOML. Limits are out of the way, so the benchmarks measure the
    /// fan-out path rather than its policies: no update rate cap, and a
    /// saturated client is kept rather than closed as a slow consumer. No
    /// module state is kept (the probe has none, and nothing is written
    /// into the working directory).
    fn toml(&self) -> String {
        let Self { max_connections, tick_ms, burst, queue_frames } = self;
        format!(
            "data_dir = \"\"\n[limits]\nmax_connections = {max_connections}\nmax_connections_per_ip = {max_connections}\n\
             max_http_connections = {max_connections}\nmax_topics = 20000\nmax_timers = 20000\n\
             max_updates_per_second = 100000000\noutgoing_queue_frames = {queue_frames}\n\
             slow_consumer_grace_ms = 3600000\n\
             [modules.bench]\nTICK_MS = {tick_ms}\nBURST = {burst}\n\
             [modules.native]\nTICK_MS = {tick_ms}\nBURST = {burst}\n"
        )
    }
}

/// A components folder holding `wasm` as module `bench`.
fn probe_folder(wasm: &str) -> Result<TempDir> {
    let components = TempDir::new("bench");
    std::fs::copy(wasm, components.path().join("bench.wasm"))?;
    Ok(components)
}

/// Seconds with three decimals, for the results.
fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

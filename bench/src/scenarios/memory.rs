//! The server's memory: per idle connection, and whether it goes back near
//! its baseline once the connections of a load are gone (what a long-running
//! server keeps after a busy hour is mostly what its allocator holds on to).
//!
//! The readings after a load wait until the server counts no connection,
//! then [`SETTLE`] (what the targets ask), and [`LATER`] (whether an allocator
//! that returns memory on a timer, as jemalloc's decay does, got there).

use super::{ServerConfig, Settings, probe_folder, round3};
use crate::limits::connection_budget;
use crate::load::{Buffers, Load};
use crate::server::{Launch, Server};
use anyhow::Result;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use topicwire_tests::{PROBE_WASM, TempDir};

/// How long after the last connection is gone memory is read again.
const SETTLE: Duration = Duration::from_secs(2);
/// And once more, later.
const LATER: Duration = Duration::from_secs(12);
/// How long the server may take to notice every connection closed.
const CLOSE_LIMIT: Duration = Duration::from_secs(30);

async fn start(settings: &Settings, components: &TempDir, cache: &TempDir, config: ServerConfig) -> Result<Server> {
    let config = config.toml();
    let launch =
        Launch::Topicwire { binary: &settings.server, components, cache: cache.path(), config: &config, native: false };
    let server = Server::start(launch, settings.server_cpus.as_deref()).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(server)
}

/// `conns` idle connections (as many as the open-files limit allows).
pub(super) async fn idle(settings: &Settings, wanted: usize) -> Result<Value> {
    let conns = wanted.min(connection_budget(settings.open_files));
    let (components, cache) = (probe_folder(PROBE_WASM)?, TempDir::new("bench-cache"));
    let config = ServerConfig { max_connections: conns + 100, ..ServerConfig::new(60_000, 1) };
    let server = start(settings, &components, &cache, config).await?;
    let before = server.rss_kib();
    let connecting = Instant::now();
    let load = Load::start(server.addr, "bench", vec![Vec::new(); conns], Buffers::Lean).await?;
    let connect_s = connecting.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let open = server.rss_kib();
    let tally = load.finish().await;
    let after = AfterClose::read(&server).await?;
    Ok(json!({
        "scenario": "idle",
        "conns_wanted": wanted,
        "conns": conns,
        "open_files_limit": settings.open_files,
        "connect_s": round3(connect_s),
        "server_rss_before_kib": before,
        "server_rss_open_kib": open,
        "kib_per_conn": round3(open.saturating_sub(before) as f64 / conns.max(1) as f64),
        "server_rss_after_kib": after.settled_kib,
        "server_rss_later_kib": after.later_kib,
        "settle_s": SETTLE.as_secs_f64(),
        "later_s": LATER.as_secs_f64(),
        "errors": tally.errors,
    }))
}

/// A fan-out load of many connections on shared topics, then none.
pub(crate) struct AfterLoad {
    conns: usize,
    topics: usize,
    tick_ms: u64,
    window: Duration,
}

impl AfterLoad {
    pub(super) fn new(quick: bool) -> Self {
        if quick {
            Self { conns: 500, topics: 100, tick_ms: 100, window: Duration::from_secs(1) }
        } else {
            Self { conns: 10_000, topics: 100, tick_ms: 100, window: Duration::from_secs(5) }
        }
    }

    pub(super) async fn run(&self, settings: &Settings) -> Result<Value> {
        let conns = self.conns.min(connection_budget(settings.open_files));
        let (components, cache) = (probe_folder(PROBE_WASM)?, TempDir::new("bench-cache"));
        let config = ServerConfig { max_connections: conns + 100, ..ServerConfig::new(self.tick_ms, 1) };
        let server = start(settings, &components, &cache, config).await?;
        let before = server.rss_kib();
        let subscriptions = (0..conns).map(|conn| vec![format!("m{}", conn % self.topics)]).collect();
        let load = Load::start(server.addr, "bench", subscriptions, Buffers::Lean).await?;
        let started = Instant::now();
        load.measure();
        tokio::time::sleep(self.window).await;
        let seconds = started.elapsed().as_secs_f64();
        let tally = load.finish().await;
        let peak = server.peak_rss_kib();
        let after = AfterClose::read(&server).await?;
        Ok(json!({
            "scenario": "memory_after_load",
            "conns": conns,
            "topics": self.topics,
            "tick_ms": self.tick_ms,
            "delivered_per_s": (tally.delivered as f64 / seconds).round(),
            "server_rss_before_kib": before,
            "server_rss_peak_kib": peak,
            "server_rss_after_kib": after.settled_kib,
            "server_rss_later_kib": after.later_kib,
            "retained_kib": after.settled_kib.saturating_sub(before),
            "settle_s": SETTLE.as_secs_f64(),
            "later_s": LATER.as_secs_f64(),
            "errors": tally.errors,
            "disconnects": tally.disconnects,
        }))
    }
}

/// The server's memory once a load's connections are gone.
struct AfterClose {
    settled_kib: u64,
    later_kib: u64,
}

impl AfterClose {
    async fn read(server: &Server) -> Result<Self> {
        server.wait_until_no_connections(CLOSE_LIMIT).await?;
        let gone = Instant::now();
        tokio::time::sleep(SETTLE).await;
        let settled_kib = server.rss_kib();
        tokio::time::sleep(LATER.saturating_sub(gone.elapsed())).await;
        Ok(Self { settled_kib, later_kib: server.rss_kib() })
    }
}

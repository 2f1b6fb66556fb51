//! The scenarios. Fan-out scenarios serve the `probe` component as module
//! `bench`, whose ticks carry their send time and whose rate is its module
//! settings (`TICK_MS` per topic, `BURST` ticks per timer).

use crate::load::{Load, Tally, quantile_ms};
use crate::server::Server;
use anyhow::{Context, Result};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use topicwire_tests::{PROBE_V2_WASM, PROBE_WASM, TempDir, http_get};

/// What every scenario needs.
pub(crate) struct Settings {
    /// The server binary.
    pub(crate) server: PathBuf,
    /// The core to pin it to.
    pub(crate) server_core: Option<usize>,
}

/// One scenario.
pub(crate) enum Scenario {
    /// Connections subscribed to ticking topics.
    Fanout(Fanout),
    /// Idle connections: server memory per connection.
    Idle { conns: usize },
    /// Process start to the first served subscription, cold and warm cache.
    Startup,
    /// A client subscribed across an atomic replacement of the component file.
    HotSwap,
}

/// A fan-out scenario.
pub(crate) struct Fanout {
    name: &'static str,
    /// Fed by the built-in native producer instead of the probe component.
    native: bool,
    conns: usize,
    /// Streams each connection subscribes to.
    streams_per_conn: usize,
    /// Shared: connection `i` subscribes to streams `i % topics ..`; distinct: every stream is its own.
    shared_topics: Option<usize>,
    tick_ms: u64,
    burst: u64,
    warmup: Duration,
    window: Duration,
}

/// Every scenario, sized for a full or a quick run.
pub(crate) fn all(quick: bool) -> Vec<Scenario> {
    let (warmup, window) = if quick {
        (Duration::from_millis(500), Duration::from_secs(2))
    } else {
        (Duration::from_secs(2), Duration::from_secs(10))
    };
    let scale = |full: usize, small: usize| if quick { small } else { full };
    let fanout = |name: &'static str, conns, streams_per_conn, shared_topics, tick_ms, burst| {
        let native = name.ends_with("-native");
        Scenario::Fanout(Fanout {
            name,
            native,
            conns,
            streams_per_conn,
            shared_topics,
            tick_ms,
            burst,
            warmup,
            window,
        })
    };
    vec![
        fanout("s1", 100, 1, Some(1), 10, 1),
        fanout("s1-native", 100, 1, Some(1), 10, 1),
        fanout("s2", scale(1000, 200), 1, Some(10), 100, 1),
        fanout("s2b", scale(1000, 200), 10, None, 100, 1),
        fanout("s3", 100, 1, Some(1), 1, 100),
        fanout("s3-native", 100, 1, Some(1), 1, 100),
        Scenario::Idle { conns: scale(10_000, 1000) },
        Scenario::Startup,
        Scenario::HotSwap,
    ]
}

impl Scenario {
    /// The scenario's name.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Fanout(fanout) => fanout.name,
            Self::Idle { .. } => "idle",
            Self::Startup => "startup",
            Self::HotSwap => "hot_swap",
        }
    }

    /// Runs the scenario on a fresh server; one JSON object of results.
    pub(crate) async fn run(&self, settings: &Settings) -> Result<Value> {
        match self {
            Self::Fanout(fanout) => fanout.run(settings).await,
            Self::Idle { conns } => idle(settings, *conns).await,
            Self::Startup => startup(settings).await,
            Self::HotSwap => hot_swap(settings).await,
        }
        .with_context(|| format!("scenario {}", self.name()))
    }
}

fn config(tick_ms: u64, burst: u64) -> String {
    format!(
        "[limits]\nmax_connections = 20000\nmax_connections_per_ip = 20000\nmax_topics = 20000\nmax_timers = 20000\n\
         max_updates_per_second = 100000000\noutgoing_queue_frames = 65536\n\
         [modules.bench]\nTICK_MS = {tick_ms}\nBURST = {burst}\n\
         [modules.native]\nTICK_MS = {tick_ms}\nBURST = {burst}\n"
    )
}

async fn start(settings: &Settings, components: &TempDir, cache: &Path, config: &str) -> Result<Server> {
    Server::start(&settings.server, settings.server_core, components, cache, config, false).await
}

fn probe_folder(wasm: &str) -> Result<TempDir> {
    let components = TempDir::new("bench");
    std::fs::copy(wasm, components.path().join("bench.wasm"))?;
    Ok(components)
}

impl Fanout {
    fn subscriptions(&self) -> Vec<Vec<String>> {
        (0..self.conns)
            .map(|conn| {
                (0..self.streams_per_conn)
                    .map(|k| match self.shared_topics {
                        Some(topics) => format!("s{}", (conn + k) % topics),
                        None => format!("c{conn}-{k}"),
                    })
                    .collect()
            })
            .collect()
    }

    async fn run(&self, settings: &Settings) -> Result<Value> {
        let components = probe_folder(PROBE_WASM)?;
        let cache = TempDir::new("bench-cache");
        let config = config(self.tick_ms, self.burst);
        let server =
            Server::start(&settings.server, settings.server_core, &components, cache.path(), &config, self.native)
                .await?;
        let subscriptions = self.subscriptions();
        let total_subscriptions: usize = subscriptions.iter().map(Vec::len).sum();
        let module = if self.native { "native" } else { "bench" };
        let load = Load::start(server.addr, module, subscriptions).await?;
        tokio::time::sleep(self.warmup).await;
        let cpu_before = server.cpu();
        let started = Instant::now();
        load.measure();
        tokio::time::sleep(self.window).await;
        let elapsed = started.elapsed();
        let cpu = server.cpu().saturating_sub(cpu_before);
        let Tally { delivered, mut latencies_us, errors, disconnects } = load.finish().await;
        latencies_us.sort_unstable();
        let seconds = elapsed.as_secs_f64();
        let expected = total_subscriptions as f64 * (1000.0 / self.tick_ms as f64) * self.burst as f64;
        Ok(json!({
            "scenario": self.name,
            "conns": self.conns,
            "subscriptions": total_subscriptions,
            "topics": self.shared_topics.unwrap_or(total_subscriptions),
            "tick_ms": self.tick_ms,
            "burst": self.burst,
            "window_s": seconds,
            "delivered_per_s": round(delivered as f64 / seconds),
            "expected_per_s": round(expected),
            "delivered_ratio": round3(delivered as f64 / seconds / expected),
            "p50_ms": round3(quantile_ms(&latencies_us, 0.50)),
            "p90_ms": round3(quantile_ms(&latencies_us, 0.90)),
            "p99_ms": round3(quantile_ms(&latencies_us, 0.99)),
            "max_ms": round3(quantile_ms(&latencies_us, 1.0)),
            "server_cpu_pct": round3(cpu.as_secs_f64() / seconds * 100.0),
            "server_cpu_us_per_msg": round3(cpu.as_secs_f64() * 1e6 / (delivered.max(1) as f64)),
            "errors": errors,
            "disconnects": disconnects,
        }))
    }
}

async fn idle(settings: &Settings, conns: usize) -> Result<Value> {
    let components = probe_folder(PROBE_WASM)?;
    let cache = TempDir::new("bench-cache");
    let server = start(settings, &components, cache.path(), &config(1000, 1)).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = server.rss_kib();
    let load = Load::start(server.addr, "bench", vec![Vec::new(); conns]).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.rss_kib();
    let tally = load.finish().await;
    Ok(json!({
        "scenario": "idle",
        "conns": conns,
        "server_rss_before_kib": before,
        "server_rss_after_kib": after,
        "kib_per_conn": round3(after.saturating_sub(before) as f64 / conns as f64),
        "errors": tally.errors,
    }))
}

/// Spawn to first subscribe response, with an empty cache and then a warm one.
async fn startup(settings: &Settings) -> Result<Value> {
    let components = probe_folder(PROBE_WASM)?;
    let cache = TempDir::new("bench-cache");
    let mut result = json!({"scenario": "startup"});
    for run in ["cold_ms", "warm_ms"] {
        let server = start(settings, &components, cache.path(), &config(1000, 1)).await?;
        let load = Load::start(server.addr, "bench", vec![vec!["x".to_owned()]]).await?;
        result[run] = json!(round3(server.age().as_secs_f64() * 1e3));
        load.finish().await;
        let (_, modules) = http_get(server.addr, "/api/v1/modules").await;
        result[run.replace("_ms", "_from_cache")] = modules["modules"][0]["compiled_from_cache"].clone();
    }
    Ok(result)
}

/// Rename version 2 over version 1 under a subscribed client ticking every 5 ms.
async fn hot_swap(settings: &Settings) -> Result<Value> {
    let components = probe_folder(PROBE_WASM)?;
    let cache = TempDir::new("bench-cache");
    let server = start(settings, &components, cache.path(), &config(5, 1)).await?;
    let url = format!("ws://{}/api/v1/bench/ws", server.addr);
    let mut client = topicwire_tests::Client::connect(&url).await;
    client.subscribe("ticks", json!({"stream": "swap"})).await;
    client.next_update("ticks").await;
    let temporary = components.path().join(".bench.wasm.part");
    std::fs::copy(PROBE_V2_WASM, &temporary)?;
    let swapped = Instant::now();
    std::fs::rename(&temporary, components.path().join("bench.wasm"))?;
    let (mut last, mut largest_gap) = (Instant::now(), Duration::ZERO);
    let to_first_new = loop {
        let update = client.next_update("ticks").await;
        let now = Instant::now();
        largest_gap = largest_gap.max(now - last);
        last = now;
        if update["data"]["version"] == 2 {
            break swapped.elapsed();
        }
    };
    Ok(json!({
        "scenario": "hot_swap",
        "rename_to_first_new_update_ms": round3(to_first_new.as_secs_f64() * 1e3),
        "largest_gap_ms": round3(largest_gap.as_secs_f64() * 1e3),
        "disconnects": 0,
    }))
}

fn round(value: f64) -> f64 {
    value.round()
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

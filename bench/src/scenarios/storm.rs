//! A connection storm, as after an outage when every client reconnects at
//! once: stages of new connections opened at a steady rate, each connecting,
//! upgrading and subscribing, the rate doubling each stage until attempts
//! fail (or take longer than [`ATTEMPT_LIMIT`]), or a stage would need more
//! descriptors than the open-files limit. A stage asking more than can be
//! served takes longer than asked: its achieved rate is what was served.
//! Connections stay open to the end of their stage, then all close before the
//! next one.

use super::{ServerConfig, Settings, probe_folder, round3};
use crate::limits::connection_budget;
use crate::load::{Buffers, Socket, connect, quantile_ms, subscribe};
use crate::server::{Launch, Server, process_cpu};
use anyhow::Result;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use topicwire_tests::{PROBE_WASM, TempDir};

/// How long one attempt (connect, upgrade, subscribe) may take before it counts as an error.
const ATTEMPT_LIMIT: Duration = Duration::from_secs(3);
/// Topics the storm's connections share (ticking once a minute: the storm is about connecting).
const TOPICS: usize = 100;

/// The storm's stages.
pub(crate) struct Stages {
    /// Connections per second of the first stage; each next stage doubles it.
    first_rate: usize,
    stages: usize,
    stage: Duration,
}

/// Why the storm stopped rising.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Errors,
    OpenFilesLimit,
    LastStage,
}

impl Stop {
    fn as_str(self) -> &'static str {
        match self {
            Self::Errors => "the first stage with errors",
            Self::OpenFilesLimit => "the open-files limit (a next stage would need more descriptors)",
            Self::LastStage => "the last stage",
        }
    }
}

/// What one stage saw.
struct Stage {
    rate: usize,
    attempts: usize,
    subscribed: usize,
    errors: usize,
    /// Subscribed connections per second, from the stage's start to its last subscription.
    achieved_per_s: f64,
    /// Connect to subscribed, per attempt, sorted.
    latencies_us: Vec<u32>,
    server_cpu_pct: f64,
    load_cpu_pct: f64,
}

impl Stages {
    pub(super) fn new(quick: bool) -> Self {
        if quick {
            Self { first_rate: 100, stages: 3, stage: Duration::from_millis(500) }
        } else {
            Self { first_rate: 250, stages: 8, stage: Duration::from_secs(1) }
        }
    }

    pub(super) async fn run(&self, settings: &Settings) -> Result<Value> {
        let budget = connection_budget(settings.open_files);
        let (components, cache) = (probe_folder(PROBE_WASM)?, TempDir::new("bench-cache"));
        let config = ServerConfig { max_connections: budget + 100, ..ServerConfig::new(60_000, 1) }.toml();
        let launch = Launch::Topicwire {
            binary: &settings.server,
            components: &components,
            cache: cache.path(),
            config: &config,
            native: false,
        };
        let server = Server::start(launch, settings.server_cpus.as_deref()).await?;
        let mut stages = Vec::new();
        let mut stop = Stop::LastStage;
        for rate in (0..self.stages).map(|stage| self.first_rate << stage) {
            let attempts = (rate as f64 * self.stage.as_secs_f64()).ceil() as usize;
            if attempts > budget {
                stop = Stop::OpenFilesLimit;
                break;
            }
            let stage = self.stage(&server, rate, attempts).await?;
            let errors = stage.errors > 0;
            stages.push(stage);
            if errors {
                stop = Stop::Errors;
                break;
            }
            server.wait_until_no_connections(Duration::from_secs(30)).await?;
        }
        let reached =
            stages.iter().filter(|stage| stage.errors == 0).map(|stage| stage.achieved_per_s).fold(0.0, f64::max);
        Ok(json!({
            "scenario": "storm",
            "reached_per_s": reached.round() as u64,
            "stopped_by": stop.as_str(),
            "stage_s": self.stage.as_secs_f64(),
            "attempt_limit_s": ATTEMPT_LIMIT.as_secs_f64(),
            "stages": stages.iter().map(Stage::to_json).collect::<Vec<_>>(),
        }))
    }

    /// Opens `attempts` connections at `rate` per second; each subscribes and stays open to the end.
    async fn stage(&self, server: &Server, rate: usize, attempts: usize) -> Result<Stage> {
        let (server_before, load_before) = (server.cpu(), process_cpu("/proc/self/stat"));
        let started = Instant::now();
        let pace = Duration::from_secs_f64(1.0 / rate as f64);
        let mut tasks = Vec::with_capacity(attempts);
        for attempt in 0..attempts {
            tokio::time::sleep_until((started + pace * attempt as u32).into()).await;
            tasks.push(tokio::spawn(open(server.addr, attempt)));
        }
        let (mut sockets, mut latencies_us, mut last) = (Vec::with_capacity(attempts), Vec::new(), Duration::ZERO);
        for task in tasks {
            if let Ok(Some((socket, begun, subscribed))) = task.await {
                last = last.max(subscribed.duration_since(started));
                sockets.push(socket);
                let latency = subscribed.duration_since(begun);
                latencies_us.push(latency.as_micros().min(u128::from(u32::MAX)) as u32);
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        let server_cpu = server.cpu().saturating_sub(server_before).as_secs_f64();
        let load_cpu = process_cpu("/proc/self/stat").saturating_sub(load_before).as_secs_f64();
        let subscribed = sockets.len();
        drop(sockets);
        latencies_us.sort_unstable();
        Ok(Stage {
            rate,
            attempts,
            subscribed,
            errors: attempts - subscribed,
            achieved_per_s: subscribed as f64 / last.max(self.stage).as_secs_f64(),
            latencies_us,
            server_cpu_pct: server_cpu / elapsed * 100.0,
            load_cpu_pct: load_cpu / elapsed * 100.0,
        })
    }
}

/// One attempt: the open, subscribed connection, when the attempt began and
/// when it was subscribed; `None` when it failed.
async fn open(addr: SocketAddr, attempt: usize) -> Option<(Socket, Instant, Instant)> {
    let begun = Instant::now();
    let attempt = async {
        let mut socket = connect(addr, "/api/v1/bench/ws", attempt, Buffers::Lean).await?;
        subscribe(&mut socket, &format!("storm{}", attempt % TOPICS)).await?;
        anyhow::Ok(socket)
    };
    let socket = tokio::time::timeout(ATTEMPT_LIMIT, attempt).await.ok()?.ok()?;
    Some((socket, begun, Instant::now()))
}

impl Stage {
    fn to_json(&self) -> Value {
        json!({
            "rate": self.rate,
            "attempts": self.attempts,
            "subscribed": self.subscribed,
            "errors": self.errors,
            "achieved_per_s": self.achieved_per_s.round() as u64,
            "p50_ms": round3(quantile_ms(&self.latencies_us, 0.5)),
            "p99_ms": round3(quantile_ms(&self.latencies_us, 0.99)),
            "server_cpu_pct": round3(self.server_cpu_pct),
            "load_cpu_pct": round3(self.load_cpu_pct),
        })
    }
}

//! Fan-out scenarios: connections subscribed to ticking topics, counted and
//! timed by the load generator during a window, with the server's CPU time.
//!
//! The same layout runs against several producers — the probe component, the
//! host's built-in native producer, and the floor server — so each Topicwire
//! row can be divided by the floor's and the native one's; and on one server
//! core or on every core (shared with the load generator). Against the peer,
//! Sockudo, a publisher process feeds the topics from outside over HTTP
//! ([`crate::publisher`]), and feeds Topicwire's probe the same way (`-rest`)
//! for a comparison on the same footing.

use super::{ServerConfig, Settings, Windows, probe_folder, round3};
use crate::limits::{Moved, cpu_count, own_cpus};
use crate::load::{Buffers, Load, Protocol, Tally, quantile_ms};
use crate::publisher::{Publisher, Target};
use crate::pusher;
use crate::server::{Launch, Server, process_cpu};
use anyhow::{Context, Result};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use topicwire_tests::python::PROBE_PY_WASM;
use topicwire_tests::{PROBE_WASM, TempDir, http_get};

/// What publishes the ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Producer {
    /// The probe component on Topicwire.
    Component,
    /// Topicwire's built-in native producer, on the same host path.
    Native,
    /// The floor server.
    Floor,
    /// The floor server ticking each topic at the host's phase for it.
    FloorSpread,
    /// Sockudo, fed by the publisher through its HTTP events API.
    Sockudo,
    /// The probe component without timers, fed by the publisher through its REST API.
    Rest,
    /// The probe's Python twin (componentize-py) on Topicwire.
    Python,
    /// The probe component on a build of the same host whose update frames carry no position
    /// (feature `unnumbered`): what positions cost.
    Unnumbered,
}

/// Where the server and the load generator run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cores {
    /// The server on its own core(s) (`--server-core`), the load generator where it was started.
    Pinned,
    /// Both on every online CPU.
    All,
}

/// Who subscribes to what, and how fast topics tick.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub(crate) conns: usize,
    /// Streams each connection subscribes to.
    pub(crate) streams_per_conn: usize,
    /// Shared: connection `i` subscribes to streams `i % topics ..`; `None`: every stream is its own.
    pub(crate) shared_topics: Option<usize>,
    pub(crate) tick_ms: u64,
    pub(crate) burst: u64,
    /// The server's per-connection queue: small where the load saturates it
    /// and every frame is a connection's own (memory stays bounded).
    queue_frames: usize,
}

impl Layout {
    /// `conns` connections over `topics` shared topics.
    pub(crate) fn shared(conns: usize, topics: usize, tick_ms: u64, burst: u64) -> Self {
        Self { conns, streams_per_conn: 1, shared_topics: Some(topics), tick_ms, burst, queue_frames: 65_536 }
    }

    /// `conns` connections with `streams` topics of their own each.
    pub(crate) fn own(conns: usize, streams: usize, tick_ms: u64) -> Self {
        Self { conns, streams_per_conn: streams, shared_topics: None, tick_ms, burst: 1, queue_frames: 1024 }
    }

    /// The layout of [`Layout::shared`] (`shared_topics`) or [`Layout::own`] (none), by its parts.
    pub(crate) fn new(conns: usize, streams: usize, shared_topics: Option<usize>, tick_ms: u64, burst: u64) -> Self {
        match shared_topics {
            Some(topics) => Self { streams_per_conn: streams, ..Self::shared(conns, topics, tick_ms, burst) },
            None => Self { burst, ..Self::own(conns, streams, tick_ms) },
        }
    }

    /// The streams each connection subscribes to.
    pub(crate) fn subscriptions(&self) -> Vec<Vec<String>> {
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

    /// Updates per second the layout asks for.
    fn offered_per_s(&self) -> f64 {
        (self.conns * self.streams_per_conn) as f64 * (1000.0 / self.tick_ms as f64) * self.burst as f64
    }
}

/// A fan-out scenario.
#[derive(Clone)]
pub(crate) struct Fanout {
    /// `s1`, `s1-native`, `s1-floor`, `s4-all-cores`...
    pub(crate) name: String,
    producer: Producer,
    cores: Cores,
    layout: Layout,
    windows: Windows,
}

impl Fanout {
    /// The `layout` named `base`, fed by `producer` on `cores`.
    pub(crate) fn new(base: &str, producer: Producer, cores: Cores, layout: Layout, windows: Windows) -> Self {
        let name = match (producer, cores) {
            (Producer::Component, Cores::Pinned) => base.to_owned(),
            (Producer::Native, Cores::Pinned) => format!("{base}-native"),
            (Producer::Floor, Cores::Pinned) => format!("{base}-floor"),
            (Producer::FloorSpread, Cores::Pinned) => format!("{base}-floor-spread"),
            (Producer::FloorSpread, Cores::All) => format!("{base}-floor-spread-all-cores"),
            (Producer::Component, Cores::All) => format!("{base}-all-cores"),
            (Producer::Native, Cores::All) => format!("{base}-native-all-cores"),
            (Producer::Floor, Cores::All) => format!("{base}-floor-all-cores"),
            (Producer::Sockudo, Cores::Pinned) => format!("{base}-sockudo"),
            (Producer::Sockudo, Cores::All) => format!("{base}-sockudo-all-cores"),
            (Producer::Rest, Cores::Pinned) => format!("{base}-rest"),
            (Producer::Rest, Cores::All) => format!("{base}-rest-all-cores"),
            (Producer::Python, Cores::Pinned) => format!("{base}-python"),
            (Producer::Python, Cores::All) => format!("{base}-python-all-cores"),
            (Producer::Unnumbered, Cores::Pinned) => format!("{base}-unnumbered"),
            (Producer::Unnumbered, Cores::All) => format!("{base}-unnumbered-all-cores"),
        };
        Self { name, producer, cores, layout, windows }
    }

    pub(crate) async fn run(&self, settings: &Settings) -> Result<Value> {
        match self.cores {
            Cores::Pinned => self.measure(settings, settings.server_cpus.clone()).await,
            Cores::All => {
                // The load generator moves to every CPU too, on a runtime with a
                // thread per CPU (the harness's own has one per CPU it started on).
                let _moved = Moved::to(&settings.all_cpus)?;
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(cpu_count(&settings.all_cpus))
                    .enable_all()
                    .build()?;
                let (fanout, settings) = (self.clone(), settings.clone());
                let measured = runtime.spawn(async move {
                    let cpus = settings.all_cpus.clone();
                    fanout.measure(&settings, Some(cpus)).await
                });
                let measured = measured.await;
                runtime.shutdown_background();
                measured?
            }
        }
    }

    /// Runs the scenario with the server on `server_cpus`.
    async fn measure(&self, settings: &Settings, server_cpus: Option<String>) -> Result<Value> {
        let layout = &self.layout;
        let components = probe_folder(if self.producer == Producer::Python { PROBE_PY_WASM } else { PROBE_WASM })?;
        let cache = TempDir::new("bench-cache");
        // Fed over REST, the probe sets no timers of its own.
        let tick_ms = if self.producer == Producer::Rest { 0 } else { layout.tick_ms };
        let config = ServerConfig { queue_frames: layout.queue_frames, ..ServerConfig::new(tick_ms, layout.burst) };
        let max_connections = config.max_connections;
        let config = config.toml();
        let sockudo_folder = TempDir::new("bench-sockudo");
        let launch = match self.producer {
            Producer::Floor | Producer::FloorSpread => Launch::Floor {
                tick_ms: layout.tick_ms,
                burst: layout.burst,
                spread: self.producer == Producer::FloorSpread,
            },
            Producer::Sockudo => Launch::Sockudo {
                binary: settings.sockudo.as_deref().context("no Sockudo binary (--sockudo)")?,
                folder: &sockudo_folder,
                max_connections,
                queue_frames: layout.queue_frames,
            },
            Producer::Unnumbered => Launch::Topicwire {
                binary: settings.unnumbered.as_deref().context("no unnumbered build (--unnumbered)")?,
                components: &components,
                cache: cache.path(),
                config: &config,
                native: false,
            },
            producer => Launch::Topicwire {
                binary: &settings.server,
                components: &components,
                cache: cache.path(),
                config: &config,
                native: producer == Producer::Native,
            },
        };
        let server = Server::start(launch, server_cpus.as_deref()).await?;
        let subscriptions = layout.subscriptions();
        let total_subscriptions: usize = subscriptions.iter().map(Vec::len).sum();
        let load = match self.producer {
            Producer::Sockudo => {
                Load::start_speaking(
                    server.addr,
                    Protocol::Pusher,
                    &pusher::ws_path(),
                    subscriptions,
                    Buffers::Streaming,
                )
                .await?
            }
            Producer::Native => Load::start(server.addr, "native", subscriptions, Buffers::Streaming).await?,
            _ => Load::start(server.addr, "bench", subscriptions, Buffers::Streaming).await?,
        };
        // Fed from outside once every subscription is in place (a topic is live only then).
        let publisher = match self.producer {
            Producer::Sockudo => Some(Publisher::start(Target::Sockudo, server.addr, layout)?),
            Producer::Rest => Some(Publisher::start(Target::Topicwire, server.addr, layout)?),
            _ => None,
        };
        let publisher_cpu = || publisher.as_ref().map_or(Duration::ZERO, Publisher::cpu);
        tokio::time::sleep(self.windows.warmup).await;
        let (server_before, load_before) = (server.cpu(), process_cpu("/proc/self/stat"));
        let publisher_before = publisher_cpu();
        let started = Instant::now();
        load.measure();
        tokio::time::sleep(self.windows.window).await;
        let seconds = started.elapsed().as_secs_f64();
        let server_cpu = server.cpu().saturating_sub(server_before).as_secs_f64();
        let load_cpu = process_cpu("/proc/self/stat").saturating_sub(load_before).as_secs_f64();
        let publisher_cpu = publisher_cpu().saturating_sub(publisher_before).as_secs_f64();
        // The probe instance's linear memory after the window (what `max_memory_mib` bounds).
        let instance_memory = if matches!(self.producer, Producer::Component | Producer::Python | Producer::Rest) {
            let (_, modules) = http_get(server.addr, "/api/v1/modules").await;
            modules["modules"][0]["memory"].clone()
        } else {
            Value::Null
        };
        let published = publisher.map(Publisher::finish).transpose()?;
        let Tally { delivered, mut latencies_us, errors, disconnects } = load.finish().await;
        latencies_us.sort_unstable();
        let expected = layout.offered_per_s();
        let producer = match self.producer {
            Producer::Component => "component",
            Producer::Native => "native",
            Producer::Floor => "floor",
            Producer::FloorSpread => "floor-spread",
            Producer::Sockudo => "sockudo",
            Producer::Rest => "rest",
            Producer::Python => "python-component",
            Producer::Unnumbered => "unnumbered-component",
        };
        let mut result = json!({
            "scenario": self.name,
            "producer": producer,
            "server_cpus": server_cpus,
            "load_cpus": own_cpus()?,
            "conns": layout.conns,
            "subscriptions": total_subscriptions,
            "topics": layout.shared_topics.unwrap_or(total_subscriptions),
            "tick_ms": layout.tick_ms,
            "burst": layout.burst,
            "window_s": round3(seconds),
            "delivered_per_s": (delivered as f64 / seconds).round(),
            "expected_per_s": expected.round(),
            "delivered_ratio": round3(delivered as f64 / seconds / expected),
            "p50_ms": round3(quantile_ms(&latencies_us, 0.50)),
            "p90_ms": round3(quantile_ms(&latencies_us, 0.90)),
            "p99_ms": round3(quantile_ms(&latencies_us, 0.99)),
            "max_ms": round3(quantile_ms(&latencies_us, 1.0)),
            "server_cpu_pct": round3(server_cpu / seconds * 100.0),
            "server_cpu_us_per_msg": round3(server_cpu * 1e6 / (delivered.max(1) as f64)),
            "load_cpu_pct": round3(load_cpu / seconds * 100.0),
            "errors": errors,
            "disconnects": disconnects,
        });
        if !instance_memory.is_null() {
            result["instance_memory"] = instance_memory;
        }
        if let Some(published) = published {
            result["publisher_cpu_pct"] = json!(round3(publisher_cpu / seconds * 100.0));
            result["publisher_cpu_us_per_msg"] = json!(round3(publisher_cpu * 1e6 / (delivered.max(1) as f64)));
            result["publisher"] = published;
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_topics_are_spread_over_connections_and_own_ones_are_not() {
        let shared = Layout::shared(4, 2, 10, 1).subscriptions();
        assert_eq!(shared, [["s0"], ["s1"], ["s0"], ["s1"]]);
        let own = Layout::own(2, 2, 100).subscriptions();
        assert_eq!(own, [["c0-0", "c0-1"], ["c1-0", "c1-1"]]);
        assert_eq!(Layout::own(1000, 10, 100).offered_per_s(), 100_000.0);
    }

    #[test]
    fn names_tell_the_producer_and_the_cores() {
        let windows = Windows::new(true);
        let layout = Layout::shared(1, 1, 1, 1);
        let name = |producer, cores| Fanout::new("s4", producer, cores, layout, windows).name;
        assert_eq!(name(Producer::Component, Cores::Pinned), "s4");
        assert_eq!(name(Producer::Floor, Cores::Pinned), "s4-floor");
        assert_eq!(name(Producer::Component, Cores::All), "s4-all-cores");
    }
}

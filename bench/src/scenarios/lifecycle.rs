//! A module's lifecycle as clients see it: how soon a started server serves
//! (with an empty and a warm compiled-component cache), and what a client
//! notices when the component file is replaced under it.

use super::{ServerConfig, Settings, probe_folder, round3};
use crate::load::{Buffers, Load};
use crate::server::{Launch, Server};
use anyhow::Result;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use topicwire_tests::{PROBE_V2_WASM, PROBE_WASM, TempDir, http_get};

async fn start(settings: &Settings, components: &TempDir, cache: &Path, config: &str) -> Result<Server> {
    let launch = Launch::Topicwire { binary: &settings.server, components, cache, config, native: false };
    Server::start(launch, settings.server_cpus.as_deref()).await
}

/// Spawn to first subscribe response, with an empty cache and then a warm one.
pub(super) async fn startup(settings: &Settings) -> Result<Value> {
    let components = probe_folder(PROBE_WASM)?;
    let cache = TempDir::new("bench-cache");
    let config = ServerConfig::new(1000, 1).toml();
    let mut result = json!({"scenario": "startup"});
    for run in ["cold_ms", "warm_ms"] {
        let server = start(settings, &components, cache.path(), &config).await?;
        let load = Load::start(server.addr, "bench", vec![vec!["x".to_owned()]], Buffers::Lean).await?;
        result[run] = json!(round3(server.age().as_secs_f64() * 1e3));
        load.finish().await;
        let (_, modules) = http_get(server.addr, "/api/v1/modules").await;
        result[run.replace("_ms", "_from_cache")] = modules["modules"][0]["compiled_from_cache"].clone();
    }
    Ok(result)
}

/// Rename version 2 over version 1 under a subscribed client ticking every 5 ms.
pub(super) async fn hot_swap(settings: &Settings) -> Result<Value> {
    let components = probe_folder(PROBE_WASM)?;
    let cache = TempDir::new("bench-cache");
    let server = start(settings, &components, cache.path(), &ServerConfig::new(5, 1).toml()).await?;
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
        if update["payload"]["version"] == 2 {
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

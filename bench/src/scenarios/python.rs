//! What a Python component costs beside a Rust one, for the same probe:
//! file size, Cranelift compile time, loading it from the cache, a fresh
//! instance, the host serving it from an empty and a warm cache, the host's
//! memory per loaded module with a live topic, and the instance's own linear
//! memory (what `max_memory_mib` bounds, from `/api/v1/modules`) when loaded
//! and with that topic live. (Its CPU per delivered message is the `-python`
//! rows of the fan-out scenarios.)
//!
//! Compile, cache and instantiation times come from wasmtime directly, in
//! this process, with the host's engine settings (component model, epoch
//! interruption, pooling allocator), so they are the component's and not
//! the host's; the imports are stubs that trap (instantiating a
//! componentize-py component calls none: its interpreter was initialised
//! when it was built).

use super::{ServerConfig, Settings, round3};
use crate::load::{Buffers, Load};
use crate::server::{Launch, Server};
use anyhow::{Result, anyhow};
use serde_json::{Value, json};
use std::time::Instant;
use topicwire_tests::python::{PROBE_PY_WASM, TRADING_WASM};
use topicwire_tests::{PROBE_WASM, TempDir, http_get};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};

/// Loaded copies of a component, to measure the host's memory per module.
const COPIES: usize = 4;
/// Instantiations timed per component.
const INSTANCES: u32 = 20;

pub(super) async fn run(settings: &Settings) -> Result<Value> {
    let mut result = json!({"scenario": "python"});
    for (label, wasm) in [("rust_probe", PROBE_WASM), ("python_probe", PROBE_PY_WASM), ("python_trading", TRADING_WASM)]
    {
        result["size_bytes"][label] = json!(std::fs::metadata(wasm)?.len());
    }
    for (label, wasm) in [("rust", PROBE_WASM), ("python", PROBE_PY_WASM)] {
        let engine_wasm = wasm.to_owned();
        result["engine"][label] = tokio::task::spawn_blocking(move || engine_costs(&engine_wasm)).await??;
        result["host"][label] = host_costs(settings, wasm).await?;
    }
    Ok(result)
}

/// Compile, serialise, deserialise (the cache) and instantiate with wasmtime.
fn engine_costs(wasm: &str) -> Result<Value> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(INSTANCES + 2).max_memory_size(64 << 20);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    let engine = Engine::new(&config).map_err(|error| anyhow!("{error}"))?;
    let bytes = std::fs::read(wasm)?;
    let started = Instant::now();
    let component = Component::new(&engine, &bytes).map_err(|error| anyhow!("{error}"))?;
    let compile_ms = started.elapsed().as_secs_f64() * 1e3;
    let serialized = component.serialize().map_err(|error| anyhow!("{error}"))?;
    let cache = TempDir::new("bench-python-cache");
    let file = cache.path().join("component.cwasm");
    std::fs::write(&file, &serialized)?;
    let started = Instant::now();
    let component = deserialize(&engine, &file)?;
    let from_cache_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut linker: Linker<()> = Linker::new(&engine);
    linker.define_unknown_imports_as_traps(&component).map_err(|error| anyhow!("{error}"))?;
    let pre = linker.instantiate_pre(&component).map_err(|error| anyhow!("{error}"))?;
    let mut stores = Vec::new();
    let started = Instant::now();
    for _ in 0..INSTANCES {
        let mut store = Store::new(&engine, ());
        store.set_epoch_deadline(u64::MAX / 2);
        pre.instantiate(&mut store).map_err(|error| anyhow!("{error}"))?;
        stores.push(store);
    }
    let instantiate_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(INSTANCES);
    Ok(json!({
        "compile_ms": round3(compile_ms),
        "cache_entry_bytes": serialized.len(),
        "from_cache_ms": round3(from_cache_ms),
        "instantiate_us": round3(instantiate_us),
    }))
}

/// The compiled component in `file`, as the host's cache loads it.
#[allow(
    unsafe_code,
    reason = "the artifact was serialised by this very engine a moment ago, as the host's cache entries are"
)]
fn deserialize(engine: &Engine, file: &std::path::Path) -> Result<Component> {
    // SAFETY: `file` holds what `Component::serialize` of this engine wrote, unchanged.
    unsafe { Component::deserialize_file(engine, file) }.map_err(|error| anyhow!("{error}"))
}

/// The host: spawn to first served subscription, cold and warm; memory per loaded module.
async fn host_costs(settings: &Settings, wasm: &str) -> Result<Value> {
    let config = ServerConfig::new(1000, 1).toml();
    let mut result = json!({});
    let one = copies(wasm, 1)?;
    let cache = TempDir::new("bench-cache");
    for run in ["cold_start_ms", "warm_start_ms"] {
        let launch = Launch::Topicwire {
            binary: &settings.server,
            components: &one,
            cache: cache.path(),
            config: &config,
            native: false,
        };
        let server = Server::start(launch, settings.server_cpus.as_deref()).await?;
        let load = Load::start(server.addr, "bench0", vec![vec!["x".to_owned()]], Buffers::Lean).await?;
        result[run] = json!(round3(server.age().as_secs_f64() * 1e3));
        load.finish().await;
    }
    // RSS with one module and with COPIES of it, each with a live topic (so an instance, and its timer, run).
    let mut rss = Vec::new();
    for count in [1, COPIES] {
        let components = copies(wasm, count)?;
        let launch = Launch::Topicwire {
            binary: &settings.server,
            components: &components,
            cache: cache.path(),
            config: &config,
            native: false,
        };
        let server = Server::start(launch, settings.server_cpus.as_deref()).await?;
        if count == 1 {
            result["instance_memory_loaded"] = instance_memory(&server).await;
        }
        let mut loads = Vec::new();
        for module in 0..count {
            loads.push(
                Load::start(server.addr, &format!("bench{module}"), vec![vec!["x".to_owned()]], Buffers::Lean).await?,
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        rss.push(server.rss_kib());
        if count == 1 {
            result["instance_memory_live"] = instance_memory(&server).await;
        }
        for load in loads {
            load.finish().await;
        }
    }
    result["rss_kib_one_module"] = json!(rss[0]);
    result["rss_kib_per_more_module"] = json!(rss[1].saturating_sub(rss[0]) / (COPIES as u64 - 1));
    Ok(result)
}

/// The linear memory of module `bench0`'s instance: `{bytes, largest_bytes}`.
async fn instance_memory(server: &Server) -> Value {
    let (_, modules) = http_get(server.addr, "/api/v1/modules").await;
    modules["modules"]
        .as_array()
        .and_then(|modules| modules.iter().find(|module| module["module"] == "bench0"))
        .map_or(Value::Null, |module| module["memory"].clone())
}

/// A components folder with `count` copies of `wasm`, as modules `bench0`, `bench1`, ...
fn copies(wasm: &str, count: usize) -> Result<TempDir> {
    let components = TempDir::new("bench-python");
    for module in 0..count {
        std::fs::copy(wasm, components.path().join(format!("bench{module}.wasm")))?;
    }
    Ok(components)
}

//! The process-wide wasmtime [`Engine`], the [`Linker`] every component is
//! linked with, and compilation off the async threads.
//!
//! Epoch interruption bounds every call into a guest: a ticker thread bumps
//! the epoch every [`EPOCH_TICK`], and each store checks its call deadline at
//! each tick (see [`crate::runtime::instance`]).

use crate::limits::Limits;
use crate::runtime::bindings::{WsRouteService, v0_1, v0_2};
use crate::runtime::cache::ArtifactCache;
use crate::runtime::guest_state::GuestState;
use anyhow::{Context, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances: the granularity of call deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The engine, the linker and the epoch ticker, shared by every module.
#[derive(Clone)]
pub struct Runtime {
    /// The one engine of the process.
    pub engine: Engine,
    /// WASI p2 (no preopens, no sockets) plus the `ws-route-service` imports
    /// of 0.2.0 and 0.1.0.
    pub linker: Arc<Linker<GuestState>>,
    cache: ArtifactCache,
    _ticker: Arc<EpochTicker>,
}

impl Runtime {
    /// Builds the engine and linker and starts the epoch ticker; compiled
    /// components are cached in `cache_dir`.
    pub fn new(cache_dir: Option<std::path::PathBuf>, limits: &Limits) -> Result<Self> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(limits)));
        let engine = Engine::new(&config).map_err(anyhow::Error::from).context("cannot create the wasmtime engine")?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from).context("cannot link WASI")?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)
            .context("cannot link wasi:http")?;
        WsRouteService::add_to_linker::<GuestState, HasSelf<GuestState>>(&mut linker, |state| state)
            .map_err(anyhow::Error::from)
            .context("cannot link the ws-route-service imports")?;
        // A 0.2.0 or 0.1.0 component imports a part of the same functions,
        // and its own `types` (types only, nothing to call): the one import
        // the current world's do not cover.
        v0_2::topicwire::ws0_2_0::types::add_to_linker::<GuestState, HasSelf<GuestState>>(&mut linker, |state| state)
            .map_err(anyhow::Error::from)
            .context("cannot link the ws-route-service@0.2.0 types")?;
        v0_1::topicwire::ws0_1_0::types::add_to_linker::<GuestState, HasSelf<GuestState>>(&mut linker, |state| state)
            .map_err(anyhow::Error::from)
            .context("cannot link the ws-route-service@0.1.0 types")?;
        crate::runtime::host::world::link_topic_update(&mut linker)
            .map_err(anyhow::Error::from)
            .context("cannot link topic-update")?;

        let ticker = Arc::new(EpochTicker::start(engine.clone()));
        let cache = ArtifactCache::new(cache_dir, &engine);
        Ok(Self { engine, linker: Arc::new(linker), cache, _ticker: ticker })
    }

    /// Prunes the compiled-component cache down to the versions in `keep`
    /// (content hashes), on a blocking thread.
    pub async fn prune_cache(&self, keep: std::collections::HashSet<String>) {
        let cache = self.cache.clone();
        match tokio::task::spawn_blocking(move || cache.prune(&keep)).await {
            Ok(0) => {}
            Ok(removed) => tracing::debug!(removed, "pruned the compiled-component cache"),
            Err(error) => tracing::warn!("pruning the compiled-component cache failed: {error}"),
        }
    }

    /// The compiled component of `bytes` (whose SHA-256 is `content_hash`):
    /// from the cache, or compiled with Cranelift on a blocking thread (so the
    /// async workers keep serving meanwhile) and cached. The flag tells which.
    pub async fn compile(&self, bytes: Vec<u8>, content_hash: &str) -> Result<(Component, bool)> {
        let engine = self.engine.clone();
        let cache = self.cache.clone();
        let hash = content_hash.to_owned();
        tokio::task::spawn_blocking(move || {
            if let Some(component) = cache.load(&engine, &hash) {
                return Ok((component, true));
            }
            let component =
                Component::new(&engine, &bytes).map_err(anyhow::Error::from).context("not a valid wasm component")?;
            cache.store(&hash, &component);
            Ok((component, false))
        })
        .await
        .context("the compile task panicked")?
    }
}

/// The pooling allocator, sized from the limits: instantiation (and so a
/// restart or a swap) reuses pre-reserved slots instead of mapping memory.
fn pool(limits: &Limits) -> PoolingAllocationConfig {
    // Two instances per module while a new version starts beside the old one.
    let instances = u32::try_from(limits.max_modules.saturating_mul(2).saturating_add(2)).unwrap_or(u32::MAX);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(16))
        .total_memories(instances.saturating_mul(4))
        .total_tables(instances.saturating_mul(8))
        .total_stacks(instances)
        .max_memory_size(limits.max_memory_mib.saturating_mul(1024 * 1024));
    pool
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        // A plain thread: ticks must keep coming even when every async worker
        // is busy running guest code.
        std::thread::Builder::new()
            .name("topicwire-epoch".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .map(|_| ())
            .unwrap_or_else(|err| tracing::error!("cannot start the epoch ticker, deadlines are off: {err}"));
        Self { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

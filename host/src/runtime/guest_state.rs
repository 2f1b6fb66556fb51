//! The data of one instance's [`Store`](wasmtime::Store): WASI context,
//! memory limits, the module's live topics and timers, its storage. What
//! the world's imports do with it is in [`crate::runtime::host`].

use crate::hub::topics::TopicTable;
use crate::limits::Limits;
use crate::rate::TokenBucket;
use crate::runtime::guest_log::{GuestLog, Stream};
use crate::runtime::host::world::Scratch;
use crate::runtime::memory::MemoryLimiter;
use crate::runtime::timers::Timers;
use crate::state::ModuleStorage;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::StoreLimitsBuilder;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

/// Updates and timer requests the host refused from one instance.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Refusals {
    /// Updates to topics the module does not have live.
    pub not_live: u64,
    /// Updates larger than `max_update_bytes`.
    pub too_large: u64,
    /// Updates whose data is not JSON.
    pub invalid_json: u64,
    /// Updates over `max_updates_per_second`.
    pub rate_limited: u64,
    /// `set-timer` calls refused (topic not live, or `max_timers` reached).
    pub timers: u64,
    /// Updates of routes with a history the cluster could not store (see [`crate::hub::topics`]).
    pub not_stored: u64,
}

/// Everything a component instance's store holds.
pub struct GuestState {
    pub(super) module: Arc<str>,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: NoOutgoingRequests,
    table: ResourceTable,
    /// Caps linear memory growth (`max_memory_mib`) and counts it.
    pub store_limits: MemoryLimiter,
    /// The module's live topics; moves to the next instance on reload or restart.
    pub topics: TopicTable,
    /// Timers the guest set.
    pub timers: Timers,
    /// Refused updates and timers.
    pub refusals: Refusals,
    /// Updates delivered to at least the topic's table.
    pub published: u64,
    /// When the current call into the guest started, for its deadline.
    pub call_started: Instant,
    /// The module's state (`None`: the host keeps none), shared by all its instances.
    pub(crate) storage: Option<Arc<ModuleStorage>>,
    /// Buckets the guest holds open, bounded by [`crate::state::limits::MAX_OPEN_BUCKETS`].
    pub(crate) open_buckets: usize,
    /// `max_updates_per_second`, holding one second's worth.
    pub(super) updates: TokenBucket,
    pub(super) limits: Arc<Limits>,
    /// The update being read out of the guest (see [`crate::runtime::host::world`]).
    pub(super) scratch: Scratch,
}

impl GuestState {
    /// The state of a fresh instance of `module`, whose environment is `env`
    /// and whose stored data is `storage`.
    pub fn new(
        module: Arc<str>,
        env: &[(String, String)],
        limits: Arc<Limits>,
        topics: TopicTable,
        storage: Option<Arc<ModuleStorage>>,
    ) -> Self {
        let wasi = WasiCtx::builder()
            .envs(env)
            .stdout(GuestLog::new(module.clone(), Stream::Stdout))
            .stderr(GuestLog::new(module.clone(), Stream::Stderr))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let store_limits = StoreLimitsBuilder::new()
            .memory_size(limits.max_memory_mib.saturating_mul(1024 * 1024))
            .instances(16)
            .tables(64)
            .memories(16)
            .build();
        let store_limits = MemoryLimiter::new(store_limits);
        Self {
            module,
            wasi,
            http: WasiHttpCtx::new(),
            hooks: NoOutgoingRequests,
            table: ResourceTable::new(),
            store_limits,
            topics,
            timers: Timers::default(),
            refusals: Refusals::default(),
            published: 0,
            call_started: Instant::now(),
            storage,
            open_buckets: 0,
            updates: TokenBucket::new(limits.max_updates_per_second as f64, limits.max_updates_per_second as f64),
            limits,
            scratch: Scratch::default(),
        }
    }

    /// The resource table (WASI's, HTTP's and the open buckets).
    pub(crate) fn resources(&mut self) -> &mut ResourceTable {
        &mut self.table
    }

    pub(super) fn refuse(&self, count: u64, what: &str, topic: &str) {
        // Log the 1st, 2nd, 4th, 8th... occurrence: a flood stays visible without flooding the log.
        if count.is_power_of_two() {
            tracing::warn!(module = &*self.module, topic, count, "dropped update: {what}");
        }
    }
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for GuestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

/// Modules serve HTTP; they may not make outgoing requests. Also what
/// decides which of a request's headers a module is shown (wasi:http's
/// defaults: none of the hop-by-hop ones).
#[derive(Debug, Default)]
pub struct NoOutgoingRequests;

type Outgoing = Box<
    dyn std::future::Future<
            Output = wasmtime_wasi_http::Result<(
                axum::http::Response<wasmtime_wasi_http::WasiBody>,
                Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for NoOutgoingRequests {
    fn send_request(
        &mut self,
        _request: axum::http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _io: Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Outgoing {
        Box::new(async { Err(ErrorCode::HttpRequestDenied.into()) })
    }
}

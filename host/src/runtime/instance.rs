//! One instance of a component: its [`Store`] and bindings, and calls into it
//! under a deadline.
//!
//! A [`Blueprint`] (the pre-linked component plus the module's environment and
//! limits) makes instances cheaply, so a trapped instance is replaced rather
//! than re-entered, and a new version is instantiated beside the old one.

use crate::runtime::bindings::topicwire::ws::types::{Caller, Error as GuestError, Route};
use crate::runtime::exports::{ExportIndices, Exports, World};
use wasmtime::component::InstancePre;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::exports::wasi::http::incoming_handler::{
    Guest as HttpHandler, GuestIndices as HttpIndices,
};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;

/// A request for a module's REST API, its body already read.
pub type HttpRequest = axum::http::Request<http_body_util::Full<bytes::Bytes>>;

/// What became of a REST request the instance was given. Only a trap (the
/// `Err` of [`Instance::handle_http`]) is the guest's fault; everything here
/// is answered to the client and the instance keeps serving.
#[derive(Debug)]
pub enum HttpOutcome {
    /// The component's response, its body read whole.
    Response(axum::http::Response<bytes::Bytes>),
    /// The body grew past `max_http_response_bytes`.
    TooLarge,
    /// The component answered with an error code (named here) instead of a response.
    Refused(String),
    /// The component returned without a (complete) response.
    NoResponse,
    /// The host could not turn the request into a `wasi:http` request.
    Unusable(String),
    /// No instance could take it (quarantined, or it trapped on this request): why.
    Unavailable(String),
}
use crate::hub::history::HistoryBudget;
use crate::hub::topics::TopicTable;
use crate::limits::Limits;
use crate::runtime::guest_state::GuestState;
use crate::runtime::native::NativeProbe;
use crate::runtime::timers::Due;
use crate::state::ModuleStorage;
use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wasmtime::component::Component;
use wasmtime::{Store, UpdateDeadline};

/// What a module's instances are given besides the component.
pub struct Setting {
    /// The module's WASI environment (`[modules.<name>]`).
    pub env: Arc<[(String, String)]>,
    /// Limits.
    pub limits: Arc<Limits>,
    /// Its state (`None`: the host keeps none).
    pub storage: Option<Arc<ModuleStorage>>,
    /// What every topic's history may hold, host-wide.
    pub history: Arc<HistoryBudget>,
}

/// What it takes to instantiate a module's component.
#[derive(Clone)]
pub struct Blueprint {
    module: Arc<str>,
    kind: Kind,
    env: Arc<[(String, String)]>,
    limits: Arc<Limits>,
    /// The module's state, the same for every instance and version.
    storage: Option<Arc<ModuleStorage>>,
    /// What the topics' histories may hold, host-wide.
    history: Arc<HistoryBudget>,
}

#[derive(Clone)]
enum Kind {
    Wasm {
        pre: InstancePre<GuestState>,
        /// The `ws-route-service` exports, of the world version it was built for.
        indices: ExportIndices,
        /// Present when the component also exports `wasi:http/incoming-handler`.
        http: Option<HttpIndices>,
    },
    /// The benchmarks' built-in baseline, see [`crate::runtime::native`].
    Native,
}

impl Blueprint {
    /// Links `component` for `module`, whose state is `storage`. Fails if it
    /// does not implement a `ws-route-service` world the host loads (0.2.0
    /// or 0.1.0; missing exports, unknown imports).
    pub fn new(
        runtime: &crate::runtime::engine::Runtime,
        module: Arc<str>,
        component: &Component,
        setting: Setting,
    ) -> Result<Self> {
        let Setting { env, limits, storage, history } = setting;
        let pre = runtime
            .linker
            .instantiate_pre(component)
            .map_err(anyhow::Error::from)
            .context("the component's imports are not those of the ws-route-service world")?;
        let indices = ExportIndices::new(&pre).context("the component does not export the ws-route-service world")?;
        let http = match HttpIndices::new(&pre) {
            Ok(indices) => Some(indices),
            Err(error) => {
                tracing::debug!(module = &*module, "no REST API: {error:#}");
                None
            }
        };
        Ok(Self { module, kind: Kind::Wasm { pre, indices, http }, env, limits, storage, history })
    }

    /// The built-in native producer as module `module` (benchmark baseline).
    pub fn native(module: Arc<str>, setting: Setting) -> Self {
        let Setting { env, limits, history, .. } = setting;
        Self { module, kind: Kind::Native, env, limits, storage: None, history }
    }

    /// The version of the world the component was built for.
    pub fn world(&self) -> World {
        match &self.kind {
            Kind::Wasm { indices, .. } => indices.world(),
            Kind::Native => World::V0_3,
        }
    }

    /// A fresh instance, with no topics yet. Its start code runs under the call deadline.
    pub async fn instantiate(&self) -> Result<Instance> {
        let topics = TopicTable::new(self.history.clone());
        let state = GuestState::new(self.module.clone(), &self.env, self.limits.clone(), topics, self.storage.clone());
        let (pre, indices, http) = match &self.kind {
            Kind::Wasm { pre, indices, http } => (pre, indices, http),
            Kind::Native => {
                let producer = NativeProbe::new(&self.env);
                return Ok(Instance { backend: Backend::Native { state: Box::new(state), producer } });
            }
        };
        let mut store = Store::new(pre.engine(), state);
        store.limiter(|state| &mut state.store_limits);
        let deadline = Duration::from_millis(self.limits.call_deadline_ms);
        // At every epoch tick during a call: yield to the executor, or trap once
        // the call has run past its deadline (a guest spinning forever).
        store.epoch_deadline_callback(move |store| {
            if store.data().call_started.elapsed() >= deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        arm(&mut store);
        let instance = pre
            .instantiate_async(&mut store)
            .await
            .map_err(anyhow::Error::from)
            .context("the component failed to start")?;
        let bindings = indices.load(&mut store, &instance).map_err(anyhow::Error::from)?;
        let http = match http {
            Some(http) => Some(http.load(&mut store, &instance).map_err(anyhow::Error::from)?),
            None => None,
        };
        Ok(Instance { backend: Backend::Wasm { store, bindings, http } })
    }
}

/// A live instance. After a call returns `Err` (a trap) it must be dropped.
pub struct Instance {
    backend: Backend,
}

enum Backend {
    Wasm { store: Store<GuestState>, bindings: Exports, http: Option<HttpHandler> },
    Native { state: Box<GuestState>, producer: NativeProbe },
}

impl Instance {
    /// The store's data: topics, timers, counters.
    pub fn state(&mut self) -> &mut GuestState {
        match &mut self.backend {
            Backend::Wasm { store, .. } => store.data_mut(),
            Backend::Native { state, .. } => state,
        }
    }

    /// When the instance's next timer is due.
    pub fn next_timer(&self) -> Option<tokio::time::Instant> {
        match &self.backend {
            Backend::Wasm { store, .. } => store.data().timers.next_due(),
            Backend::Native { state, .. } => state.timers.next_due(),
        }
    }

    /// When the next topic lingering without subscribers is to go.
    pub fn next_lapse(&self) -> Option<tokio::time::Instant> {
        match &self.backend {
            Backend::Wasm { store, .. } => store.data().topics.next_lapse(),
            Backend::Native { state, .. } => state.topics.next_lapse(),
        }
    }

    /// Gives up the instance, keeping its topics for the next one.
    pub fn into_topics(mut self) -> TopicTable {
        std::mem::take(&mut self.state().topics)
    }

    /// Whether the component serves HTTP (`wasi:http/incoming-handler`).
    pub fn serves_http(&self) -> bool {
        matches!(&self.backend, Backend::Wasm { http: Some(_), .. })
    }

    /// Calls the component's `wasi:http/incoming-handler` with `request` and
    /// reads its response body whole, at most `max_body` bytes, while the
    /// guest writes it: the client's reading speed never reaches the guest
    /// (the connection's own task writes the bytes out). Bounded by
    /// `deadline` also while the guest waits on host I/O; `Err` is a trap or
    /// the deadline, the only outcomes that are the guest's fault.
    pub async fn handle_http(
        &mut self,
        request: HttpRequest,
        deadline: Duration,
        max_body: usize,
    ) -> Result<HttpOutcome> {
        let Backend::Wasm { store, http: Some(http), .. } = &mut self.backend else {
            return Ok(HttpOutcome::Unusable("the module serves no HTTP".into()));
        };
        let request = match store.data_mut().http().new_incoming_request(Scheme::Http, request) {
            Ok(request) => request,
            Err(error) => return Ok(HttpOutcome::Unusable(format!("{error:#}"))),
        };
        let (reply, response) = tokio::sync::oneshot::channel();
        let outparam = match store.data_mut().http().new_response_outparam(reply) {
            Ok(outparam) => outparam,
            Err(error) => return Ok(HttpOutcome::Unusable(format!("{error:#}"))),
        };
        let until = tokio::time::Instant::now() + deadline;
        arm(store);
        let mut collect = Box::pin(async move {
            match response.await {
                Ok(Ok(response)) => read_whole(response, max_body).await,
                Ok(Err(code)) => HttpOutcome::Refused(format!("{code:?}")),
                Err(_) => HttpOutcome::NoResponse,
            }
        });
        let mut collected = None;
        let called = {
            let call = http.call_handle(&mut *store, request, outparam);
            tokio::pin!(call);
            let run = async {
                loop {
                    tokio::select! {
                        result = &mut call => break result,
                        outcome = &mut collect, if collected.is_none() => collected = Some(outcome),
                    }
                }
            };
            tokio::time::timeout_at(until, run).await
        };
        match called {
            Err(_) => anyhow::bail!("the HTTP handler ran past its deadline"),
            Ok(result) => result?,
        }
        // The guest has returned: whatever it wrote is buffered and the body
        // ends, unless it kept the response open (then it never will).
        Ok(match collected {
            Some(outcome) => outcome,
            None => tokio::time::timeout_at(until, collect).await.unwrap_or(HttpOutcome::NoResponse),
        })
    }

    /// The `routes` export.
    pub async fn routes(&mut self) -> Result<Vec<Route>> {
        match &mut self.backend {
            Backend::Wasm { store, bindings, .. } => {
                arm(store);
                Ok(bindings.call_routes(store).await?)
            }
            Backend::Native { .. } => Ok(NativeProbe::routes()),
        }
    }

    /// The `build-topic` export; `caller` is given for a subscribe (the
    /// component checks its permission), none for an unsubscribe.
    pub async fn build_topic(
        &mut self,
        route: &str,
        request: &str,
        caller: Option<&Caller>,
    ) -> Result<Result<String, GuestError>> {
        match &mut self.backend {
            Backend::Wasm { store, bindings, .. } => {
                arm(store);
                Ok(bindings.call_build_topic(store, route, request, caller).await?)
            }
            Backend::Native { .. } => Ok(NativeProbe::build_topic(route, request)),
        }
    }

    /// The `create-topic` export, with the id `topic` is live as (it must be
    /// in the instance's topic table).
    pub async fn create_topic(&mut self, topic: &str) -> Result<Result<(), GuestError>> {
        match &mut self.backend {
            Backend::Wasm { store, bindings, .. } => {
                // Never an id: a topic not in the table is not live.
                let id = store.data().topics.id_of(topic).unwrap_or(u32::MAX);
                arm(store);
                Ok(bindings.call_create_topic(store, topic, id).await?)
            }
            Backend::Native { state, producer } => {
                producer.create_topic(state, topic);
                Ok(Ok(()))
            }
        }
    }

    /// The `remove-topic` export. The topic's timer is cleared first.
    pub async fn remove_topic(&mut self, topic: &str) -> Result<()> {
        self.state().timers.clear(topic);
        match &mut self.backend {
            Backend::Wasm { store, bindings, .. } => {
                arm(store);
                Ok(bindings.call_remove_topic(store, topic).await?)
            }
            Backend::Native { producer, .. } => {
                producer.remove_topic(topic);
                Ok(())
            }
        }
    }

    /// The ticks of `due` (`on-timers`, adapted to older worlds): one call,
    /// under one deadline, with the wall-clock time of the turn, read once
    /// (the native producer handles them one by one, as a component's
    /// generated code does).
    pub async fn on_timers(&mut self, due: Vec<Due>) -> Result<()> {
        let now_us = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_micros() as u64);
        match &mut self.backend {
            Backend::Wasm { store, bindings, .. } => {
                arm(store);
                Ok(bindings.call_on_timers(store, now_us, due).await?)
            }
            Backend::Native { state, producer } => {
                due.iter().for_each(|due| producer.on_timer(state, &due.topic, due.id, now_us));
                Ok(())
            }
        }
    }
}

/// The body of `response`, read whole, or [`HttpOutcome::TooLarge`] past
/// `max` bytes (dropping the body then makes the guest's further writes fail).
async fn read_whole(
    response: axum::http::Response<wasmtime_wasi_http::p2::body::HyperOutgoingBody>,
    max: usize,
) -> HttpOutcome {
    use http_body_util::BodyExt;
    let (parts, mut body) = response.into_parts();
    let mut bytes = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return HttpOutcome::NoResponse };
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > max {
                return HttpOutcome::TooLarge;
            }
            bytes.extend_from_slice(&data);
        }
    }
    HttpOutcome::Response(axum::http::Response::from_parts(parts, bytes.freeze()))
}

/// Starts the deadline of the next call into `store`'s guest.
fn arm(store: &mut Store<GuestState>) {
    store.data_mut().call_started = std::time::Instant::now();
    store.set_epoch_deadline(1);
}

/// A guest's refusal as text for a client.
pub fn describe(error: &GuestError) -> String {
    match error {
        GuestError::UnknownRoute(route) => format!("unknown route `{route}`"),
        GuestError::InvalidRequest(reason) => format!("invalid request: {reason}"),
        GuestError::Forbidden(reason) => format!("forbidden: {reason}"),
        GuestError::Failed(reason) => format!("failed: {reason}"),
    }
}

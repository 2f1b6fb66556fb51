//! The HTTP surface (axum): one WebSocket endpoint per loaded module, module
//! introspection, AsyncAPI documents and health.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/v1/{module}/ws` | the module's WebSocket (404 for an unknown module) |
//! | `GET /api/v1/{module}/ws/asyncapi.json` | the module's AsyncAPI 3.0 document |
//! | `* /api/v1/{module}/{path}` | the module's REST API (`wasi:http/incoming-handler`), see [`crate::edge::rest`] |
//! | `GET /api/v1/ws/asyncapi.json` | one AsyncAPI document for every module |
//! | `GET /api/v1/modules` | loaded modules: version, state, routes, storage; live topics only for the admin |
//! | `GET /` | the dashboard (and its files under `/assets/`) |
//! | `GET /healthz` | liveness, and which modules are quarantined or failing (open to all) |
//! | `GET /metrics` | Prometheus metrics (open to all) |
//!
//! A WebSocket upgrade passes, in order: the module exists (404), it is an
//! upgrade (400/426), its `Origin` is allowed (403), its token (401),
//! `max_connections` (503) and `max_connections_per_ip` (429).

use crate::edge::auth::Auth;
use crate::edge::auth::error::AuthError;
use crate::edge::connection::{self, Session};
use crate::edge::per_ip::PerIp;
use crate::edge::upgrade::Upgrade;
use crate::limits::Limits;
use crate::ops::asyncapi;
use crate::runtime::module::ModuleState;
use crate::runtime::registry::Registry;
use crate::runtime::status::ModuleReport;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower_http::timeout::RequestBodyDeadlineLayer;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Loaded modules.
    pub registry: Arc<Registry>,
    /// Limits.
    pub limits: Arc<Limits>,
    /// One permit per open WebSocket (`max_connections`).
    pub connections: Arc<Semaphore>,
    /// One permit per open HTTP connection that is not a WebSocket (`max_http_connections`).
    pub http_connections: Arc<Semaphore>,
    /// WebSockets per client address (`max_connections_per_ip`).
    pub per_ip: Arc<PerIp>,
    /// Tokens, the admin token and the origin policy.
    pub auth: Arc<Auth>,
    /// Requests refused by authentication.
    pub auth_refusals: Arc<AtomicU64>,
    /// How WebSocket connections ended.
    pub closes: Arc<crate::edge::closes::Closes>,
    /// Cancelled on shutdown: connections close with 1001.
    pub shutdown: CancellationToken,
    /// Next connection id.
    pub next_id: Arc<AtomicU64>,
}

impl AppState {
    /// The state for `registry`, with `limits` and `auth`.
    pub fn new(registry: Arc<Registry>, limits: Arc<Limits>, auth: Arc<Auth>, shutdown: CancellationToken) -> Self {
        Self {
            registry,
            connections: Arc::new(Semaphore::new(limits.max_connections)),
            http_connections: Arc::new(Semaphore::new(limits.max_http_connections.max(1))),
            per_ip: Arc::new(PerIp::new(limits.max_connections_per_ip)),
            limits,
            auth,
            auth_refusals: Arc::new(AtomicU64::new(0)),
            closes: Arc::default(),
            shutdown,
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The 401 of a failed authentication, counted.
    pub fn unauthorized(&self, error: &AuthError) -> Response {
        self.auth_refusals.fetch_add(1, Ordering::Relaxed);
        let body = json!({"status": "error", "message": error.to_string(), "reason": error.reason()});
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    }
}

/// The router, shared by `topicwire serve` and the tests.
pub fn app(state: AppState) -> Router {
    let body_deadline = Duration::from_millis(state.limits.http_body_timeout_ms.max(1));
    Router::new()
        .route("/", get(|| async { crate::ops::dashboard::serve("/") }))
        .route(
            "/assets/{*file}",
            get(|Path(file): Path<String>| async move { crate::ops::dashboard::serve(&format!("/assets/{file}")) }),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/modules", get(modules))
        .route("/api/v1/ws/asyncapi.json", get(merged_asyncapi))
        .route("/api/v1/{module}/ws", get(websocket))
        .route("/api/v1/{module}/ws/asyncapi.json", get(module_asyncapi))
        .route("/api/v1/{module}/{*path}", any(module_http))
        .layer(RequestBodyDeadlineLayer::new(body_deadline))
        .with_state(state)
}

/// Liveness, and what is not well: quarantined modules (with when they are
/// retried), modules restarting or serving an old version after a failed
/// reload, and files that failed to load. Always 200: the host itself lives.
async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    let statuses: Vec<_> = state.registry.modules().iter().map(|module| module.status()).collect();
    let quarantined: Vec<_> = statuses
        .iter()
        .filter(|status| status.state == ModuleState::Quarantined)
        .map(|status| json!({"module": status.module, "retry_at_ms": status.retry_at_ms, "last_error": status.last_error}))
        .collect();
    let failing: Vec<_> = statuses
        .iter()
        .filter(|status| matches!(status.state, ModuleState::Restarting | ModuleState::FailedReload))
        .map(|status| json!({"module": status.module, "state": status.state, "last_error": status.last_error}))
        .collect();
    let failed_loads: Vec<_> = state.registry.failed().into_iter().map(|failed| failed.module).collect();
    let cluster = state.registry.nodes_report();
    let connected = cluster.as_ref().is_none_or(|cluster| cluster["state"] == "connected");
    let healthy = quarantined.is_empty() && failing.is_empty() && failed_loads.is_empty() && connected;
    let mut health = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "modules": statuses.len(),
        "quarantined": quarantined,
        "failing": failing,
        "failed_loads": failed_loads,
    });
    if let Some(cluster) = cluster {
        health["cluster"] = cluster;
    }
    Json(health)
}

/// The report of every loaded module, for `/api/v1/modules` and `/metrics`.
async fn reports(registry: &Registry) -> Vec<ModuleReport> {
    let mut reports = Vec::new();
    for module in registry.modules() {
        let storage = match registry.storage(module.name()) {
            Some(storage) => Some(storage.report().await),
            None => None,
        };
        reports.push(ModuleReport { status: module.status(), live: module.live().await, storage });
    }
    reports
}

async fn metrics(State(state): State<AppState>) -> Response {
    let gauges = crate::ops::metrics::HostGauges {
        connections: state.limits.max_connections - state.connections.available_permits(),
        http_connections: state.limits.max_http_connections.max(1) - state.http_connections.available_permits(),
        failed_loads: state.registry.failed().len(),
        auth_refusals: state.auth_refusals.load(Ordering::Relaxed),
        history_bytes: state.registry.history().used(),
        history_dropped: state.registry.history().dropped(),
        closes: state.closes.counts(),
    };
    let text = crate::ops::metrics::render(&reports(&state.registry).await, &gauges);
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Every module; its live topics (which name accounts) only for the admin
/// (see [`Auth::is_admin`]), counts for everyone.
async fn modules(State(state): State<AppState>, headers: HeaderMap) -> Json<serde_json::Value> {
    let admin = state.auth.is_admin(&headers);
    let mut modules = Vec::new();
    for ModuleReport { status, live, storage } in reports(&state.registry).await {
        let mut entry = serde_json::to_value(status).unwrap_or_default();
        entry["topic_count"] = live.topics.len().into();
        entry["subscriber_count"] = live.topics.iter().map(|topic| topic.subscribers).sum::<usize>().into();
        if admin {
            entry["topics"] = serde_json::to_value(live.topics).unwrap_or_default();
        }
        entry["published"] = live.published.into();
        entry["refused"] = serde_json::to_value(live.refused).unwrap_or_default();
        entry["recoveries"] = serde_json::to_value(live.recoveries).unwrap_or_default();
        entry["memory"] = serde_json::to_value(live.memory).unwrap_or_default();
        entry["storage"] = serde_json::to_value(storage).unwrap_or_default();
        modules.push(entry);
    }
    let mut answer = json!({"modules": modules, "failed": state.registry.failed()});
    if let Some(cluster) = state.registry.nodes_report() {
        answer["cluster"] = cluster;
    }
    Json(answer)
}

async fn module_asyncapi(State(state): State<AppState>, Path(module): Path<String>) -> Response {
    match state.registry.get(&module) {
        Some(module) => Json(asyncapi::module_document(&module.status())).into_response(),
        None => unknown_module(&module),
    }
}

async fn merged_asyncapi(State(state): State<AppState>) -> Json<serde_json::Value> {
    let statuses: Vec<_> = state.registry.modules().iter().map(|module| module.status()).collect();
    Json(asyncapi::merged_document(&statuses))
}

async fn websocket(
    State(state): State<AppState>,
    Path(module): Path<String>,
    mut request: axum::extract::Request,
) -> Response {
    let Some(module) = state.registry.get(&module) else { return unknown_module(&module) };
    let upgrade = match Upgrade::from_request(&mut request) {
        Ok(upgrade) => upgrade,
        Err(refused) => return refused.into_response(),
    };
    if let Err(message) = state.auth.origins().check(request.headers()) {
        return error(StatusCode::FORBIDDEN, &message);
    }
    let identity = match state.auth.authenticate(request.headers(), request.uri().query()) {
        Ok(identity) => identity,
        Err(refusal) => return state.unauthorized(&refusal),
    };
    let Ok(permit) = state.connections.clone().try_acquire_owned() else {
        tracing::warn!("refusing a connection: max_connections ({}) reached", state.limits.max_connections);
        return error(StatusCode::SERVICE_UNAVAILABLE, "too many connections; try again later");
    };
    let ip_slot = match crate::edge::listener::peer_of(&request) {
        Some(peer) => match state.per_ip.try_acquire(peer.ip()) {
            Some(slot) => Some(slot),
            None => {
                let message = format!(
                    "too many connections from your address: at most {} (max_connections_per_ip)",
                    state.limits.max_connections_per_ip
                );
                return error(StatusCode::TOO_MANY_REQUESTS, &message);
            }
        },
        None => None,
    };
    let id = state.next_id.fetch_add(1, Ordering::Relaxed);
    let limits = state.limits.clone();
    let auth = state.auth.clone();
    let shutdown = state.shutdown.clone();
    let closes = state.closes.clone();
    let response = upgrade.response();
    tokio::spawn(async move {
        match upgrade.socket().await {
            Ok(upgraded) => {
                let peer = connection::peer(id, &upgraded.socket, &limits);
                let session = Session { module, peer, identity, auth, limits, shutdown, closes };
                connection::serve(upgraded, session).await;
            }
            Err(error) => tracing::debug!("a WebSocket upgrade did not complete: {error:#}"),
        }
        drop(permit);
        drop(ip_slot);
    });
    response
}

async fn module_http(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    crate::edge::rest::forward(&state, request).await
}

fn unknown_module(module: &str) -> Response {
    error(StatusCode::NOT_FOUND, &format!("no module `{module}` is loaded"))
}

/// `{"status": "error", "message": ...}` with `status`.
pub fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"status": "error", "message": message}))).into_response()
}

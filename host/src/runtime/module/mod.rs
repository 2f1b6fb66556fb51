//! A loaded module: an actor task that owns the module's instance (and so
//! its store), and the [`Module`] handle everyone else talks to it through.
//!
//! Everything that touches the instance goes through the actor's bounded
//! queue, one request at a time: subscribe and unsubscribe (reference counted
//! in the [`TopicTable`](crate::hub::topics::TopicTable)), disconnects, timer
//! ticks, version swaps, what other nodes say. So topic creation never races,
//! and publishing needs no lock.
//!
//! - this file: the handle, the actor's commands, its [`ModuleInbox`];
//! - [`actor`]: the actor's loop, and the one place a call into the instance
//!   may trap ([`actor::Actor::guarded`]);
//! - [`routes`]: the routes of the version being served, looked up in one place;
//! - [`subscriptions`]: subscribe, unsubscribe, disconnect;
//! - [`lifecycle`]: traps, restarts, quarantine, new versions, unloading;
//! - [`leadership`]: in a cluster, leading or following (through the seam
//!   of [`crate::runtime::remote`]).
//!
//! Faults: a trap (deadline, memory cap, guest panic) discards the instance
//! and starts a fresh one with every live topic re-created; subscribers stay.
//! Nothing else is a fault: a request the host cannot hand to the guest is
//! answered by the host. Repeated crashes back off exponentially and, past
//! [`MAX_CRASHES`] within [`CRASH_WINDOW`], quarantine the module: its topics
//! are dropped (subscribers told) and it refuses requests. A quarantined
//! module is retried with a fresh instance after `quarantine_cooldown_ms`,
//! doubling with each consecutive quarantine up to [`MAX_COOLDOWN`]; a new
//! version of its file is loaded at once and resets the cool-down.

mod actor;
mod leadership;
mod lifecycle;
mod routes;
mod subscriptions;
#[cfg(test)]
mod tests;

use crate::hub::messages::Op;
use crate::hub::peer::{ConnId, Peer};
use crate::hub::position::Position;
use crate::limits::Limits;
use crate::runtime::bindings::topicwire::ws::types::Caller;
use crate::runtime::instance::{HttpOutcome, HttpRequest};
pub use crate::runtime::loader::Version;
use crate::runtime::remote::{Nodes, Remote};
pub use crate::runtime::status::{Delivery, LastError, LiveInfo, ModuleState, ModuleStatus, RouteInfo};
use bytes::Bytes;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

/// Crashes within [`CRASH_WINDOW`] that quarantine a module.
pub const MAX_CRASHES: usize = 5;
/// The window over which crashes are counted.
pub const CRASH_WINDOW: Duration = Duration::from_secs(60);
/// The longest cool-down of a module quarantined again and again.
pub const MAX_COOLDOWN: Duration = Duration::from_secs(3600);

/// A client's subscribe or unsubscribe, for the module to handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Subscribe or unsubscribe.
    pub op: Op,
    /// Route name, e.g. `bars`.
    pub route: String,
    /// The request (JSON object text), for the component to validate.
    pub payload: String,
    /// The last position the client saw of the topic, to recover from (subscribe only).
    pub since: Option<Position>,
}

/// What a REST request got, and, when its handling published updates the
/// cluster stores first, the sign that they are stored.
struct Answer {
    outcome: HttpOutcome,
    stored: Option<oneshot::Receiver<()>>,
}

/// How long a REST answer waits for the updates it published to be stored.
const STORED_WITHIN: Duration = Duration::from_secs(5);

/// What the actor is asked to do.
enum Command {
    Request { request: Request, caller: Caller, peer: Peer, done: oneshot::Sender<()> },
    Disconnect { conn: ConnId },
    Live { reply: oneshot::Sender<LiveInfo> },
    Replace { version: Box<Version>, reply: oneshot::Sender<()> },
    Http { request: HttpRequest, reply: oneshot::Sender<Answer> },
    ReloadFailed { message: String },
    Unload { done: oneshot::Sender<()> },
    Lead { leading: bool },
    RemoteInterest { wanted: Vec<String>, unwanted: Vec<String> },
    Frame { topic: String, frame: Bytes },
    Durable { topic: Arc<str>, frame: Bytes },
    Filled { topic: String, frames: Vec<Bytes> },
    CatchUp { topic: String, frame: Bytes },
    Latest { topic: String, reply: oneshot::Sender<Option<Bytes>> },
}

/// What the other nodes tell a module's actor (see [`crate::runtime::remote`]).
#[derive(Clone)]
pub struct ModuleInbox(mpsc::Sender<Command>);

impl ModuleInbox {
    /// This node took (`true`) or lost the module's lead.
    pub async fn lead(&self, leading: bool) {
        let _ = self.0.send(Command::Lead { leading }).await;
    }

    /// Other nodes want `wanted` (some may be wanted already: wanting is
    /// idempotent) and no other node wants `unwanted` any more. Heeded
    /// while this node leads.
    pub async fn remote_interest(&self, wanted: Vec<String>, unwanted: Vec<String>) {
        let _ = self.0.send(Command::RemoteInterest { wanted, unwanted }).await;
    }

    /// A frame of mirrored `topic` from the leader.
    pub async fn frame(&self, topic: String, frame: Bytes) {
        let _ = self.0.send(Command::Frame { topic, frame }).await;
    }

    /// An update this node leads, now stored by the cluster: its subscribers get it.
    pub async fn durable(&self, topic: Arc<str>, frame: Bytes) {
        let _ = self.0.send(Command::Durable { topic, frame }).await;
    }

    /// The stored updates that fill mirror `topic`'s hole (none if they could not be had).
    pub async fn filled(&self, topic: String, frames: Vec<Bytes>) {
        let _ = self.0.send(Command::Filled { topic, frames }).await;
    }

    /// The latest frame of `topic` a follower's newcomers start from (see
    /// [`crate::hub::topics::TopicTable::latest`]); none unless this node leads.
    pub async fn latest(&self, topic: String) -> Option<Bytes> {
        let (reply, latest) = oneshot::channel();
        self.0.send(Command::Latest { topic, reply }).await.ok()?;
        latest.await.ok().flatten()
    }

    /// The leader's latest frame of mirror `topic`, for a follower that just began mirroring it.
    pub async fn catch_up(&self, topic: String, frame: Bytes) {
        let _ = self.0.send(Command::CatchUp { topic, frame }).await;
    }

    /// Has this node's instance answer a REST request another node forwarded.
    pub async fn http(&self, request: HttpRequest) -> Result<HttpOutcome, Unavailable> {
        queue_http(&self.0, request).await
    }
}

/// Queues a REST request for the actor without waiting for room; the
/// answer waits until the updates its handling published are stored.
async fn queue_http(commands: &mpsc::Sender<Command>, request: HttpRequest) -> Result<HttpOutcome, Unavailable> {
    let (reply, response) = oneshot::channel();
    match commands.try_send(Command::Http { request, reply }) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => return Err(Unavailable::Busy),
        Err(mpsc::error::TrySendError::Closed(_)) => return Err(Unavailable::Gone),
    }
    let Answer { outcome, stored } = response.await.map_err(|_| Unavailable::Gone)?;
    if let Some(stored) = stored
        && !matches!(tokio::time::timeout(STORED_WITHIN, stored).await, Ok(Ok(())))
    {
        let why = "the module's updates could not be stored by the cluster in time; the request may have been applied";
        return Ok(HttpOutcome::Unavailable(why.into()));
    }
    Ok(outcome)
}

/// Why a module could not take a REST request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    /// Its queue (`module_queue`) is full.
    #[error("the module is busy; retry shortly")]
    Busy,
    /// It was unloaded.
    #[error("the module is gone")]
    Gone,
}

/// The handle to a loaded module.
pub struct Module {
    name: Arc<str>,
    commands: mpsc::Sender<Command>,
    status: watch::Receiver<ModuleStatus>,
    unloaded: CancellationToken,
    /// The actor's task, awaited by [`Module::unload`] so that its instance
    /// (and its hold on the module's state) is gone when unloading returns.
    actor: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The module's reach to other nodes (nothing on a single node).
    remote: Arc<dyn Remote>,
}

impl Module {
    /// Starts the actor of module `name` serving `version` from `file`,
    /// joined to `nodes`: in a cluster it follows until it takes the lead.
    pub fn start(name: Arc<str>, file: PathBuf, version: Version, limits: Arc<Limits>, nodes: &dyn Nodes) -> Self {
        let (commands, queue) = mpsc::channel(limits.module_queue.max(1));
        let remote = nodes.join(&name, ModuleInbox(commands.clone()), &limits);
        let status = ModuleStatus {
            module: name.to_string(),
            file,
            version: version.hash.clone(),
            world: version.world,
            state: ModuleState::Serving,
            routes: version.routes.clone(),
            loaded_at_ms: now_ms(),
            compiled_from_cache: version.from_cache,
            reloads: 0,
            restarts: 0,
            serves_http: version.instance.serves_http(),
            last_error: None,
            quarantines: 0,
            retry_at_ms: None,
            cluster_role: remote.clustered().then_some("follower"),
        };
        let (status_tx, status) = watch::channel(status);
        let actor = actor::Actor::new(name.clone(), version, limits, status_tx, queue, remote.clone());
        let actor = std::sync::Mutex::new(Some(tokio::spawn(actor.run())));
        Self { name, commands, status, unloaded: CancellationToken::new(), actor, remote }
    }

    /// The module's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The module's current status.
    pub fn status(&self) -> ModuleStatus {
        self.status.borrow().clone()
    }

    /// Cancelled when the module is unloaded: its connections close with 1001.
    pub fn unloaded(&self) -> &CancellationToken {
        &self.unloaded
    }

    /// Handles a subscribe or unsubscribe of `peer`, made by `caller` (whom
    /// the component checks on a subscribe). The reply goes to the peer's
    /// queue; this returns once it is queued. False if the module is gone.
    pub async fn request(&self, request: Request, caller: Caller, peer: Peer) -> bool {
        let (done, finished) = oneshot::channel();
        let command = Command::Request { request, caller, peer, done };
        self.commands.send(command).await.is_ok() && finished.await.is_ok()
    }

    /// Releases every subscription of connection `conn`.
    pub async fn disconnect(&self, conn: ConnId) {
        let _ = self.commands.send(Command::Disconnect { conn }).await;
    }

    /// The live topics and the instance's publishing counters.
    pub async fn live(&self) -> LiveInfo {
        let (reply, info) = oneshot::channel();
        if self.commands.send(Command::Live { reply }).await.is_err() {
            return LiveInfo::default();
        }
        info.await.unwrap_or_default()
    }

    /// Switches to `version`, re-creating every live topic on it.
    pub async fn replace(&self, version: Version) {
        let (reply, done) = oneshot::channel();
        if self.commands.send(Command::Replace { version: Box::new(version), reply }).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Has the module's `wasi:http/incoming-handler` answer `request` (the
    /// leader's, in a cluster). Never waits for room in the module's queue:
    /// a full queue is [`Unavailable::Busy`] (the client is told to retry).
    pub async fn http(&self, request: HttpRequest) -> Result<HttpOutcome, Unavailable> {
        if self.remote.is_leader() {
            queue_http(&self.commands, request).await
        } else {
            self.remote.forward(request).await
        }
    }

    /// Records that loading a new version failed: the current one keeps serving.
    pub async fn reload_failed(&self, message: String) {
        let _ = self.commands.send(Command::ReloadFailed { message }).await;
    }

    /// Removes every topic, stops the actor (waiting until its instance is
    /// dropped) and closes the module's connections.
    pub async fn unload(&self) {
        self.remote.leave().await;
        let (done, finished) = oneshot::channel();
        if self.commands.send(Command::Unload { done }).await.is_ok() {
            let _ = finished.await;
        }
        let actor = self.actor.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(actor) = actor {
            let _ = actor.await;
        }
        self.unloaded.cancel();
    }
}

/// Wall-clock time in epoch milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64)
}

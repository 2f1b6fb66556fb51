//! A loaded module: an actor task that owns the module's instance (and so
//! its store), and the [`Module`] handle everyone else talks to it through.
//!
//! Everything that touches the instance goes through the actor's bounded
//! queue, one request at a time: subscribe and unsubscribe (reference counted
//! in the [`TopicTable`]), disconnects, timer ticks, version swaps. So topic
//! creation never races, and publishing needs no lock.
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
//!
//! In a cluster (see [`crate::cluster`]) every node runs the actor, but only
//! the module's leader creates topics and fires timers: on the other nodes,
//! the followers, a subscribe is still checked by the component, then the
//! topic is a mirror fed with the leader's frames. The leader also keeps
//! topics other nodes have interest in, and hands their frames to NATS once.

use crate::cluster::Cluster;
use crate::cluster::link::{INTEREST_TTL, ModuleLink};
use crate::config::Limits;
use crate::edge::protocol::{self, Op};
use crate::hub::peer::{ConnId, Peer};
use crate::hub::topics::{Removal, TopicTable};
use crate::runtime::bindings::topicwire::ws::types::Caller;
use crate::runtime::instance::{Blueprint, HttpOutcome, HttpRequest, Instance, describe};
pub use crate::runtime::status::{Delivery, LastError, LiveInfo, ModuleState, ModuleStatus, RouteInfo};
use crate::runtime::timers::sleep_until;
use bytes::Bytes;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Crashes within [`CRASH_WINDOW`] that quarantine a module.
pub const MAX_CRASHES: usize = 5;
/// The window over which crashes are counted.
pub const CRASH_WINDOW: Duration = Duration::from_secs(60);
/// First restart delay; doubles with each crash in the window.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest cool-down of a module quarantined again and again.
pub const MAX_COOLDOWN: Duration = Duration::from_secs(3600);
/// Nodes whose interest a leader keeps track of.
const MAX_NODES: usize = 1024;
/// Timer ticks handled before the actor looks at its queue again: one
/// `on-timers` call, whose ticks share the call's deadline.
const TICKS_PER_TURN: usize = 64;

/// A compiled, started version of a component, ready to serve.
pub struct Version {
    /// Makes more instances of it.
    pub blueprint: Blueprint,
    /// The instance that will serve.
    pub instance: Instance,
    /// Its routes.
    pub routes: Vec<RouteInfo>,
    /// Content hash.
    pub hash: String,
    /// Whether its compiled code came from the on-disk cache.
    pub from_cache: bool,
}

enum Command {
    Request { op: Op, route: String, payload: String, caller: Caller, peer: Peer, done: oneshot::Sender<()> },
    Disconnect { conn: ConnId },
    Live { reply: oneshot::Sender<LiveInfo> },
    Replace { version: Box<Version>, reply: oneshot::Sender<()> },
    Http { request: HttpRequest, reply: oneshot::Sender<HttpOutcome> },
    ReloadFailed { message: String },
    Unload { done: oneshot::Sender<()> },
    Lead { leading: bool },
    Interest { node: String, topics: Vec<String> },
    Frame { topic: String, frame: Bytes },
    CatchUp { topic: String, frame: Bytes },
    Latest { topic: String, reply: oneshot::Sender<Option<Bytes>> },
}

/// What a module's cluster link tells its actor.
#[derive(Clone)]
pub struct ModuleInbox(mpsc::Sender<Command>);

impl ModuleInbox {
    /// This node took (`true`) or lost the module's lease.
    pub async fn lead(&self, leading: bool) {
        let _ = self.0.send(Command::Lead { leading }).await;
    }

    /// `node` announced every topic its clients are subscribed to.
    pub async fn interest(&self, node: String, topics: Vec<String>) {
        let _ = self.0.send(Command::Interest { node, topics }).await;
    }

    /// A frame of `topic` from the leader.
    pub async fn frame(&self, topic: String, frame: Bytes) {
        let _ = self.0.send(Command::Frame { topic, frame }).await;
    }

    /// The latest frame of `topic` a follower's newcomers start from (see
    /// [`crate::hub::topics::TopicTable::latest`]).
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

/// Queues a REST request for the actor without waiting for room.
async fn queue_http(commands: &mpsc::Sender<Command>, request: HttpRequest) -> Result<HttpOutcome, Unavailable> {
    let (reply, response) = oneshot::channel();
    match commands.try_send(Command::Http { request, reply }) {
        Ok(()) => response.await.map_err(|_| Unavailable::Gone),
        Err(mpsc::error::TrySendError::Full(_)) => Err(Unavailable::Busy),
        Err(mpsc::error::TrySendError::Closed(_)) => Err(Unavailable::Gone),
    }
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
    /// In a cluster: the module's lease, interest and forwarding.
    link: Option<Arc<ModuleLink>>,
}

impl Module {
    /// Starts the actor of module `name` serving `version` from `file`.
    /// In a cluster it follows until its link takes the module's lease.
    pub fn start(
        name: Arc<str>,
        file: PathBuf,
        version: Version,
        limits: Arc<Limits>,
        cluster: Option<Arc<Cluster>>,
    ) -> Self {
        let status = ModuleStatus {
            module: name.to_string(),
            file,
            version: version.hash.clone(),
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
            cluster_role: cluster.is_some().then_some("follower"),
        };
        let (status_tx, status) = watch::channel(status);
        let (commands, queue) = mpsc::channel(limits.module_queue.max(1));
        let link = cluster.map(|cluster| ModuleLink::start(cluster, &name, ModuleInbox(commands.clone()), &limits));
        let actor = Actor {
            leading: link.is_none(),
            link: link.clone(),
            interest: HashMap::new(),
            name: name.clone(),
            blueprint: version.blueprint,
            instance: Some(version.instance),
            routes: version.routes,
            limits,
            status: status_tx,
            queue,
            crashes: Vec::new(),
            retry_at: None,
            quarantined_in_a_row: 0,
        };
        let actor = std::sync::Mutex::new(Some(tokio::spawn(actor.run())));
        Self { name, commands, status, unloaded: CancellationToken::new(), actor, link }
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
    pub async fn request(&self, op: Op, route: String, payload: String, caller: Caller, peer: Peer) -> bool {
        let (done, finished) = oneshot::channel();
        let command = Command::Request { op, route, payload, caller, peer, done };
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

    /// Has the module's `wasi:http/incoming-handler` answer `request`. Never
    /// waits for room in the module's queue: a full queue is
    /// [`Unavailable::Busy`] (the client is told to retry).
    pub async fn http(&self, request: HttpRequest) -> Result<HttpOutcome, Unavailable> {
        match self.link.as_ref().filter(|link| !link.is_leader()) {
            // A follower's REST requests are the leader's to answer.
            Some(link) => link.forward(request).await,
            None => queue_http(&self.commands, request).await,
        }
    }

    /// Records that loading a new version failed: the current one keeps serving.
    pub async fn reload_failed(&self, message: String) {
        let _ = self.commands.send(Command::ReloadFailed { message }).await;
    }

    /// Removes every topic, stops the actor (waiting until its instance is
    /// dropped) and closes the module's connections.
    pub async fn unload(&self) {
        if let Some(link) = &self.link {
            link.stop().await;
        }
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

struct Actor {
    name: Arc<str>,
    blueprint: Blueprint,
    /// `None` while quarantined.
    instance: Option<Instance>,
    routes: Vec<RouteInfo>,
    limits: Arc<Limits>,
    status: watch::Sender<ModuleStatus>,
    queue: mpsc::Receiver<Command>,
    /// When recent crashes happened, for backoff and quarantine.
    crashes: Vec<Instant>,
    /// While quarantined: when a fresh instance is tried.
    retry_at: Option<Instant>,
    /// Consecutive quarantines since the last new version: the cool-down doubles with each.
    quarantined_in_a_row: u32,
    /// Whether this node runs the module's topics: always on a single node.
    leading: bool,
    /// In a cluster: the module's link.
    link: Option<Arc<ModuleLink>>,
    /// While leading: each other node's interest, and when it was announced.
    interest: HashMap<String, (HashSet<String>, Instant)>,
}

impl Actor {
    async fn run(mut self) {
        loop {
            let next_tick = self.instance.as_ref().and_then(|instance| instance.next_timer());
            let interest_lapses = self.interest_expiry();
            tokio::select! {
                command = self.queue.recv() => match command {
                    Some(Command::Unload { done }) => {
                        self.unload().await;
                        let _ = done.send(());
                        break;
                    }
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                () = sleep_until(next_tick) => self.fire_timers().await,
                () = sleep_until(self.retry_at) => self.retry().await,
                () = sleep_until(interest_lapses) => self.expire_interest().await,
            }
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Request { op, route, payload, caller, peer, done } => {
                self.request(op, &route, &payload, &caller, &peer).await;
                let _ = done.send(());
            }
            Command::Disconnect { conn } => self.disconnect(conn).await,
            Command::Live { reply } => {
                let info = self
                    .instance
                    .as_mut()
                    .map(|instance| {
                        let state = instance.state();
                        LiveInfo {
                            topics: state.topics.info(),
                            published: state.published,
                            refused: state.refusals.clone(),
                        }
                    })
                    .unwrap_or_default();
                let _ = reply.send(info);
            }
            Command::Replace { version, reply } => {
                self.replace(*version).await;
                let _ = reply.send(());
            }
            Command::Http { request, reply } => {
                let deadline = Duration::from_millis(self.limits.call_deadline_ms);
                let Some(instance) = self.instance.as_mut() else {
                    let _ = reply.send(HttpOutcome::Unavailable("the module is quarantined after repeated crashes"));
                    return;
                };
                match instance.handle_http(request, deadline, self.limits.max_http_response_bytes).await {
                    Ok(outcome) => {
                        let _ = reply.send(outcome);
                    }
                    Err(trap) => {
                        let _ = reply.send(HttpOutcome::Unavailable("the module failed; try again"));
                        self.crashed(trap).await;
                    }
                }
            }
            Command::ReloadFailed { message } => {
                tracing::error!(module = &*self.name, "reload failed, the previous version keeps serving: {message}");
                self.status.send_modify(|status| {
                    if status.state == ModuleState::Serving {
                        status.state = ModuleState::FailedReload;
                    }
                    status.last_error = Some(LastError { message, at_ms: now_ms() });
                });
            }
            Command::Unload { .. } => {}
            Command::Lead { leading } => self.lead(leading).await,
            Command::Interest { node, topics } => self.heed(node, topics.into_iter().collect()).await,
            Command::Frame { topic, frame } => {
                if !self.leading
                    && let Some(instance) = self.instance.as_mut()
                {
                    instance.state().topics.deliver_frame(&topic, frame);
                }
            }
            Command::CatchUp { topic, frame } => {
                if !self.leading
                    && let Some(instance) = self.instance.as_mut()
                {
                    instance.state().topics.catch_up_frame(&topic, frame);
                }
            }
            Command::Latest { topic, reply } => {
                let latest = match self.instance.as_mut() {
                    Some(instance) if self.leading => instance.state().topics.latest(&topic),
                    _ => None,
                };
                let _ = reply.send(latest);
            }
        }
    }

    async fn request(&mut self, op: Op, route: &str, payload: &str, caller: &Caller, peer: &Peer) {
        let Some(instance) = self.instance.as_mut() else {
            peer.send(protocol::error_response(route, op, "the module is quarantined after repeated crashes"));
            return;
        };
        if !self.routes.iter().any(|known| known.name == route) {
            let served: Vec<&str> = self.routes.iter().map(|known| known.name.as_str()).collect();
            let message = format!("unknown route `{route}`; this module serves: {}", served.join(", "));
            peer.send(protocol::error_response(route, op, &message));
            return;
        }
        // Every subscribe is checked by the component, not only the one that creates the topic.
        let caller = (op == Op::Subscribe).then_some(caller);
        let topic = match instance.build_topic(route, payload, caller).await {
            Ok(Ok(topic)) if topic.len() > self.limits.max_topic_bytes => {
                let message = format!(
                    "topic too long: {} bytes, at most {} (max_topic_bytes); shorten the request",
                    topic.len(),
                    self.limits.max_topic_bytes
                );
                peer.send(protocol::error_response(route, op, &message));
                return;
            }
            Ok(Ok(topic)) if route_of_topic(&topic) == route => topic,
            Ok(Ok(topic)) => {
                let message = format!("the module built topic `{topic}`, which is not of route `{route}`");
                peer.send(protocol::error_response(route, op, &message));
                return;
            }
            Ok(Err(error)) => {
                peer.send(protocol::error_response(route, op, &describe(&error)));
                return;
            }
            Err(trap) => {
                peer.send(protocol::error_response(route, op, "the module failed; try again"));
                self.crashed(trap).await;
                return;
            }
        };
        match op {
            Op::Subscribe => self.subscribe(route, &topic, peer).await,
            Op::Unsubscribe => self.unsubscribe(route, &topic, peer).await,
        }
    }

    async fn subscribe(&mut self, route: &str, topic: &str, peer: &Peer) {
        let limits = self.limits.clone();
        let Some(instance) = self.instance.as_mut() else { return };
        let table = &mut instance.state().topics;
        if table.is_subscribed(topic, peer.id()) {
            // Counts once; answered as the Python system does, whose clients compare the message.
            peer.send(protocol::ok_response(route, Op::Subscribe, "Subscribed", topic));
            return;
        }
        if table.subscriptions_of(peer.id()) >= limits.max_subscriptions_per_connection {
            let message = format!(
                "subscription limit reached: at most {} topics per connection",
                limits.max_subscriptions_per_connection
            );
            peer.send(protocol::error_response(route, Op::Subscribe, &message));
            return;
        }
        if table.contains(topic) {
            table.add_subscriber(topic, peer.clone());
            peer.send(protocol::ok_response(route, Op::Subscribe, "Subscribed", topic));
            table.catch_up(topic, peer);
            return;
        }
        if table.len() >= limits.max_topics {
            let message = format!("the module serves its maximum of {} topics; try later", limits.max_topics);
            peer.send(protocol::error_response(route, Op::Subscribe, &message));
            return;
        }
        let reliable = self.routes.iter().any(|known| known.name == route && known.delivery == Delivery::Reliable);
        if !self.leading {
            // A follower mirrors the leader's topic; the leader learns of the interest.
            table.mirror(topic, route, reliable, peer.clone());
            peer.send(protocol::ok_response(route, Op::Subscribe, "Subscribed", topic));
            if let Some(link) = &self.link {
                link.watch(topic);
            }
            return;
        }
        table.begin_create(topic, route, reliable, peer.clone());
        match instance.create_topic(topic).await {
            Ok(Ok(())) => {
                peer.send(protocol::ok_response(route, Op::Subscribe, "Subscribed", topic));
                instance.state().topics.finish_create(topic);
            }
            Ok(Err(error)) => {
                instance.state().topics.abort_create(topic);
                instance.state().timers.clear(topic);
                peer.send(protocol::error_response(route, Op::Subscribe, &describe(&error)));
            }
            Err(trap) => {
                instance.state().topics.abort_create(topic);
                peer.send(protocol::error_response(route, Op::Subscribe, "the module failed creating the topic"));
                self.crashed(trap).await;
            }
        }
    }

    async fn unsubscribe(&mut self, route: &str, topic: &str, peer: &Peer) {
        let Some(instance) = self.instance.as_mut() else { return };
        match instance.state().topics.remove_subscriber(topic, peer.id()) {
            Removal::NotSubscribed => {
                let message = format!("not subscribed to `{topic}`");
                peer.send(protocol::error_response(route, Op::Unsubscribe, &message));
            }
            Removal::Remaining => {
                peer.send(protocol::ok_response(route, Op::Unsubscribe, "Unsubscribed", topic));
            }
            Removal::LastGone => {
                peer.send(protocol::ok_response(route, Op::Unsubscribe, "Unsubscribed", topic));
                self.topic_gone(topic).await;
            }
        }
    }

    async fn disconnect(&mut self, conn: ConnId) {
        let Some(instance) = self.instance.as_mut() else { return };
        for topic in instance.state().topics.disconnect(conn) {
            if !self.topic_gone(&topic).await {
                return;
            }
        }
    }

    /// `topic` lost its last subscriber (and every other node its interest):
    /// the leader's component removes it; a follower stops mirroring it.
    /// False if the instance trapped.
    async fn topic_gone(&mut self, topic: &str) -> bool {
        if let Some(link) = &self.link {
            link.unwatch(topic);
        }
        if !self.leading {
            return true;
        }
        let Some(instance) = self.instance.as_mut() else { return true };
        if let Err(trap) = instance.remove_topic(topic).await {
            self.crashed(trap).await;
            return false;
        }
        true
    }

    /// This node took or lost the module's lease. Taking it, the instance
    /// creates every topic local clients mirror (and, as followers announce
    /// theirs, the topics they have interest in); losing it, the instance
    /// removes them all and this node mirrors the new leader's.
    async fn lead(&mut self, leading: bool) {
        if leading == self.leading {
            return;
        }
        self.leading = leading;
        self.interest.clear();
        self.status.send_modify(|status| status.cluster_role = Some(if leading { "leader" } else { "follower" }));
        let outlet = self.outlet();
        let Some(link) = self.link.clone() else { return };
        let Some(instance) = self.instance.as_mut() else {
            // Quarantined: it serves (and gets its outlet) once retried.
            return link.set_leading(leading);
        };
        instance.state().topics.set_outlet(outlet);
        if leading {
            link.unwatch_all();
            // A fresh instance: whatever the guest kept in memory may be stale,
            // since another leader may have changed the module's state meanwhile.
            let topics = std::mem::take(&mut instance.state().topics);
            match self.blueprint.instantiate(TopicTable::default()).await {
                Ok(fresh) => self.instance = Some(fresh),
                Err(error) => return self.quarantine(topics, &format!("{error:#}")),
            }
            self.recreate(topics).await;
            return link.set_leading(true);
        }
        link.set_leading(false);
        let topics = instance.state().topics.topics();
        // Mirror first, so a trap below cannot leave a local client without its topic.
        for topic in &topics {
            instance.state().timers.clear(topic);
            // A topic only other nodes wanted goes; they follow the new leader now.
            if !instance.state().topics.set_remote(topic, false) {
                link.watch(topic);
            }
        }
        for topic in &topics {
            if let Err(trap) = instance.remove_topic(topic).await {
                return self.crashed(trap).await;
            }
        }
    }

    /// Where the topics' frames for other nodes go while this node leads.
    fn outlet(&self) -> Option<crate::hub::topics::Outlet> {
        self.link.as_ref().map(|link| link.outlet()).filter(|_| self.leading)
    }

    /// `node` has interest in exactly `topics`: the leader creates those it
    /// does not have yet and lets go of those no node wants any more.
    async fn heed(&mut self, node: String, topics: HashSet<String>) {
        if !self.leading || (self.interest.len() >= MAX_NODES && !self.interest.contains_key(&node)) {
            return;
        }
        let before = self.interest.insert(node, (topics.clone(), Instant::now())).map(|(topics, _)| topics);
        for topic in &topics {
            self.want(topic).await;
        }
        for topic in before.unwrap_or_default().difference(&topics) {
            self.unwant(topic).await;
        }
    }

    /// When the oldest announcement lapses.
    fn interest_expiry(&self) -> Option<Instant> {
        self.interest.values().map(|(_, heard)| *heard + INTEREST_TTL).min()
    }

    /// Forgets nodes not heard from for [`INTEREST_TTL`] (gone, or cut off).
    async fn expire_interest(&mut self) {
        let now = Instant::now();
        let lapsed: Vec<String> = self
            .interest
            .iter()
            .filter(|(_, (_, heard))| *heard + INTEREST_TTL <= now)
            .map(|(node, _)| node.clone())
            .collect();
        for node in lapsed {
            tracing::info!(module = &*self.name, node, "a node's interest lapsed");
            let topics = self.interest.remove(&node).map(|(topics, _)| topics).unwrap_or_default();
            for topic in &topics {
                self.unwant(topic).await;
            }
        }
    }

    /// Some node has interest in `topic`: make it live, or mark it wanted.
    async fn want(&mut self, topic: &str) {
        let Some(instance) = self.instance.as_mut() else { return };
        let table = &mut instance.state().topics;
        if table.is_remote(topic) {
            return;
        }
        if table.contains(topic) {
            table.set_remote(topic, true);
            return;
        }
        let route = route_of_topic(topic);
        if topic.len() > self.limits.max_topic_bytes
            || !self.routes.iter().any(|known| known.name == route)
            || table.len() >= self.limits.max_topics
        {
            return;
        }
        let reliable = self.routes.iter().any(|known| known.name == route && known.delivery == Delivery::Reliable);
        table.begin_create_remote(topic, route, reliable);
        match instance.create_topic(topic).await {
            Ok(Ok(())) => instance.state().topics.finish_create(topic),
            Ok(Err(error)) => {
                tracing::warn!(module = &*self.name, topic, "another node's topic was refused: {}", describe(&error));
                instance.state().topics.abort_create(topic);
                instance.state().timers.clear(topic);
            }
            Err(trap) => {
                instance.state().topics.abort_create(topic);
                self.crashed(trap).await;
            }
        }
    }

    /// `topic` may have lost the last node with interest in it.
    async fn unwant(&mut self, topic: &str) {
        if self.interest.values().any(|(topics, _)| topics.contains(topic)) {
            return;
        }
        let Some(instance) = self.instance.as_mut() else { return };
        if instance.state().topics.set_remote(topic, false)
            && let Err(trap) = instance.remove_topic(topic).await
        {
            self.crashed(trap).await;
        }
    }

    /// Every timer due now, up to [`TICKS_PER_TURN`]: one `on-timer` call
    /// when one is due, one `on-timers` call for all of them when more are.
    /// The updates they publish to a connection leave it in one write.
    async fn fire_timers(&mut self) {
        let Some(instance) = self.instance.as_mut() else { return };
        let now = Instant::now();
        let timers = &mut instance.state().timers;
        let due: Vec<Arc<str>> = std::iter::from_fn(|| timers.pop_due(now)).take(TICKS_PER_TURN).collect();
        instance.state().topics.hold_writes();
        let called = match due.as_slice() {
            [] => Ok(()),
            [topic] => instance.on_timer(topic).await,
            _ => instance.on_timers(due).await,
        };
        instance.state().topics.release_writes();
        if let Err(trap) = called {
            self.crashed(trap).await;
        }
    }

    /// The instance trapped: back off, then serve the same topics from a fresh
    /// instance, or quarantine the module after too many crashes.
    async fn crashed(&mut self, trap: anyhow::Error) {
        let message = format!("{trap:#}");
        tracing::error!(module = &*self.name, "instance trapped: {message}");
        let now = Instant::now();
        self.crashes.retain(|at| now.duration_since(*at) < CRASH_WINDOW);
        self.crashes.push(now);
        let topics = self.instance.take().map(Instance::into_topics).unwrap_or_default();
        self.status.send_modify(|status| {
            status.state = ModuleState::Restarting;
            status.last_error = Some(LastError { message: message.clone(), at_ms: now_ms() });
        });
        if self.crashes.len() >= MAX_CRASHES {
            self.quarantine(topics, &message);
            return;
        }
        let backoff = FIRST_BACKOFF * 2u32.saturating_pow(self.crashes.len() as u32 - 1);
        tokio::time::sleep(backoff).await;
        match self.blueprint.instantiate(TopicTable::default()).await {
            Ok(instance) => {
                self.instance = Some(instance);
                self.status.send_modify(|status| {
                    status.state = ModuleState::Serving;
                    status.restarts += 1;
                });
                self.recreate(topics).await;
            }
            Err(error) => self.quarantine(topics, &format!("{error:#}")),
        }
    }

    /// Moves `topics` into the (new) instance and calls `create-topic` for
    /// each; a topic the instance refuses is dropped and its subscribers told.
    async fn recreate(&mut self, topics: TopicTable) {
        let Some(instance) = self.instance.as_mut() else { return };
        instance.state().topics = topics;
        if !self.leading {
            // A follower's topics are mirrors: nothing to create.
            return;
        }
        instance.state().topics.resume_all();
        for topic in instance.state().topics.topics() {
            match instance.create_topic(&topic).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    let message = format!("topic dropped: the module no longer serves it ({})", describe(&error));
                    drop_topic(instance, &topic, &message);
                }
                Err(trap) => {
                    // Box the recursion: crashed() calls recreate() again.
                    Box::pin(self.crashed(trap)).await;
                    return;
                }
            }
        }
    }

    fn quarantine(&mut self, mut topics: TopicTable, message: &str) {
        let notice = format!("topic dropped: the module is quarantined after repeated crashes ({message})");
        for topic in topics.topics() {
            notify_dropped(&mut topics, &topic, &notice);
        }
        if let Some(link) = &self.link {
            link.retain(&[]);
        }
        self.instance = None;
        let cooldown = cooldown(Duration::from_millis(self.limits.quarantine_cooldown_ms), self.quarantined_in_a_row);
        self.quarantined_in_a_row = self.quarantined_in_a_row.saturating_add(1);
        self.retry_at = Some(Instant::now() + cooldown);
        tracing::error!(
            module = &*self.name,
            "quarantined after {} crashes, retried in {} ms: {message}",
            self.crashes.len(),
            cooldown.as_millis()
        );
        let retry_at_ms = now_ms() + cooldown.as_millis() as u64;
        self.status.send_modify(|status| {
            status.state = ModuleState::Quarantined;
            status.quarantines += 1;
            status.retry_at_ms = Some(retry_at_ms);
        });
    }

    /// The cool-down is over: serve again from a fresh instance (with no
    /// topics: they were dropped), or quarantine again for twice as long.
    async fn retry(&mut self) {
        self.retry_at = None;
        self.crashes.clear();
        match self.blueprint.instantiate(TopicTable::default()).await {
            Ok(mut instance) => {
                tracing::info!(module = &*self.name, "serving again after its quarantine");
                instance.state().topics.set_outlet(self.outlet());
                self.instance = Some(instance);
                self.status.send_modify(|status| {
                    status.state = ModuleState::Serving;
                    status.retry_at_ms = None;
                });
            }
            Err(error) => self.quarantine(TopicTable::default(), &format!("{error:#}")),
        }
    }

    /// Serves `version` from now on: its instance takes over the live topics
    /// (re-created on it) and the old instance is dropped. Topics of routes the
    /// new version no longer serves are dropped with a message to their subscribers.
    async fn replace(&mut self, version: Version) {
        let Version { blueprint, instance, routes, hash, from_cache } = version;
        let serves_http = instance.serves_http();
        let mut topics = self.instance.replace(instance).map(Instance::into_topics).unwrap_or_default();
        for topic in topics.topics() {
            let route = topics.route_of(&topic).unwrap_or_default().to_owned();
            if !routes.iter().any(|known| known.name == route) {
                let message = format!("topic dropped: the new version of the module no longer serves route `{route}`");
                notify_dropped(&mut topics, &topic, &message);
            }
        }
        if let Some(link) = &self.link {
            link.retain(&topics.topics());
        }
        topics.set_delivery(|route| {
            routes.iter().any(|known| known.name == route && known.delivery == Delivery::Reliable)
        });
        self.blueprint = blueprint;
        self.routes = routes.clone();
        self.crashes.clear();
        self.retry_at = None;
        self.quarantined_in_a_row = 0;
        self.status.send_modify(|status| {
            status.version = hash;
            status.routes = routes;
            status.state = ModuleState::Serving;
            status.loaded_at_ms = now_ms();
            status.compiled_from_cache = from_cache;
            status.serves_http = serves_http;
            status.reloads += 1;
            status.retry_at_ms = None;
        });
        self.recreate(topics).await;
        tracing::info!(module = &*self.name, "serving the new version");
    }

    async fn unload(&mut self) {
        let Some(instance) = self.instance.as_mut() else { return };
        for topic in instance.state().topics.topics() {
            instance.state().topics.drop_topic(&topic);
            if instance.remove_topic(&topic).await.is_err() {
                break;
            }
        }
    }
}

/// The cool-down after the `previous + 1`-th consecutive quarantine: `base`,
/// doubled for each previous one, at most [`MAX_COOLDOWN`].
fn cooldown(base: Duration, previous: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(previous.min(31))).min(MAX_COOLDOWN)
}

fn drop_topic(instance: &mut Instance, topic: &str, message: &str) {
    instance.state().timers.clear(topic);
    notify_dropped(&mut instance.state().topics, topic, message);
}

fn notify_dropped(topics: &mut TopicTable, topic: &str, message: &str) {
    for peer in topics.drop_topic(topic) {
        peer.send(protocol::topic_dropped(topic, message));
    }
}

fn route_of_topic(topic: &str) -> &str {
    topic.split_once(':').map_or("", |(route, _)| route)
}

/// Wall-clock time in epoch milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cooldown_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(cooldown(base, 0), base);
        assert_eq!(cooldown(base, 1), base * 2);
        assert_eq!(cooldown(base, 3), base * 8);
        assert_eq!(cooldown(base, 40), MAX_COOLDOWN);
    }
}

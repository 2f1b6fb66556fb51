//! One module's part in the cluster, beside its actor on every node.
//!
//! It implements the runtime's seam, [`Remote`], and tells the module's
//! actor what the other nodes say through its [`ModuleInbox`].
//!
//! - **Lease**: every node tries to take the module's lease (a JetStream KV
//!   entry, compare-and-set, expiring [`LEASE_TTL`] after its last renewal);
//!   the holder is the leader and renews it every third of the TTL. The
//!   actor is told each change ([`ModuleInbox::lead`]).
//! - **Interest**: a follower announces the topics its clients are
//!   subscribed to every [`ANNOUNCE_EVERY`] and at once on a change; the
//!   link counts *nodes* per topic ([`NodeInterest`]) and, while this node
//!   leads, tells the actor which topics are wanted and which no node wants
//!   any more; the actor creates and removes them as for local subscribers.
//! - **Updates**: the leader publishes each frame of a topic with interest
//!   once, as the WebSocket bytes its own clients get; a follower subscribes
//!   to the subjects of its topics only and delivers what arrives as is. A
//!   follower that begins mirroring a topic of a conflated route first asks
//!   the leader for its latest frame, so its clients start current.
//! - **REST**: a follower forwards a module's REST request to the leader
//!   (bounded by NATS's payload limit and `call_deadline_ms`) and answers
//!   with what comes back.

use crate::cluster::history::HistoryStream;
use crate::cluster::interest::{Change, NodeInterest};
use crate::cluster::{Cluster, LEASE_TTL, envelope, token, topic_token};
use crate::hub::position::Position;
use crate::hub::topics::{Continuation, Durable, Outlet, StreamOutlet};
use crate::limits::Limits;
use crate::runtime::instance::{HttpOutcome, HttpRequest};
use crate::runtime::module::{ModuleInbox, Unavailable};
use crate::runtime::remote::{Remote, RemoteFuture};
use crate::runtime::timers::sleep_until;
use async_nats::jetstream::kv::{self, Operation};
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What a forwarded REST request may take beyond the leader's call deadline.
const FORWARDING_MARGIN: Duration = Duration::from_secs(2);
/// Frames a leader may have waiting for NATS (see [`Outlet`]).
const OUTLET_FRAMES: usize = 8192;
/// Updates a leader may have waiting to be stored (see [`StreamOutlet`]).
const STREAM_UPDATES: usize = 65_536;
/// Between attempts to store an update while JetStream cannot.
const STORE_RETRY: Duration = Duration::from_millis(200);
/// How long a follower waits for the leader's latest frame of a topic.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a follower announces its interest (well within [`crate::cluster::interest::INTEREST_TTL`]).
pub const ANNOUNCE_EVERY: Duration = Duration::from_secs(1);

/// A follower's announcement: every topic its clients are subscribed to.
#[derive(Debug, Serialize, Deserialize)]
struct Interest {
    node: String,
    topics: Vec<String>,
}

/// One module's link to the cluster.
pub struct ModuleLink {
    /// The link itself, for the tasks it spawns.
    me: Weak<Self>,
    cluster: Arc<Cluster>,
    inbox: ModuleInbox,
    /// `topicwire.m.<module>`.
    prefix: String,
    /// The module's lease key.
    key: String,
    /// Set by the actor once it serves as the leader (a fresh instance in place).
    leading: watch::Sender<bool>,
    /// The lease's revision while this node holds it.
    held: Mutex<Option<u64>>,
    /// The node that held the lease when last looked.
    leader: Mutex<Option<String>>,
    /// A follower's topic subscriptions.
    watched: Mutex<HashMap<String, JoinHandle<()>>>,
    /// The follower's set of topics changed: announce it now.
    changed: Notify,
    outlet: Outlet,
    /// Where the leader's updates of routes with a history are stored first.
    stream: StreamOutlet,
    /// The module's stream of stored updates, opened on first use.
    history: tokio::sync::OnceCell<HistoryStream>,
    /// How long a forwarded REST request may take.
    http_timeout: Duration,
    stop: CancellationToken,
}

impl ModuleLink {
    /// Starts the link of `module`, telling its actor through `inbox`.
    pub fn start(cluster: Arc<Cluster>, module: &str, inbox: ModuleInbox, limits: &Limits) -> Arc<Self> {
        let (outlet, frames) = mpsc::channel(OUTLET_FRAMES);
        let (stream, durable) = mpsc::channel(STREAM_UPDATES);
        let link = Arc::new_cyclic(|me| Self {
            me: me.clone(),
            prefix: format!("topicwire.m.{}", token(module)),
            key: token(module),
            cluster,
            inbox,
            leading: watch::Sender::new(false),
            held: Mutex::new(None),
            leader: Mutex::new(None),
            watched: Mutex::default(),
            changed: Notify::new(),
            outlet,
            stream,
            history: tokio::sync::OnceCell::new(),
            http_timeout: Duration::from_millis(limits.call_deadline_ms) + FORWARDING_MARGIN,
            stop: CancellationToken::new(),
        });
        tokio::spawn(link.clone().hold_lease());
        tokio::spawn(link.clone().announce());
        tokio::spawn(link.clone().hear_interest());
        tokio::spawn(link.clone().publish(frames));
        tokio::spawn(link.clone().store_durable(durable));
        tokio::spawn(link.clone().serve_http());
        tokio::spawn(link.clone().serve_latest());
        link
    }

    /// Whether this node serves as the module's leader.
    fn leads(&self) -> bool {
        *self.leading.borrow()
    }

    /// The node that leads the module, as far as this node knows.
    pub fn leader(&self) -> Option<String> {
        lock(&self.leader).clone()
    }

    /// Forwards a REST request to the leader and waits for its answer.
    /// When the node it names is gone (nobody listens on its subject), the
    /// lease is read again and the request goes to its holder, once: the
    /// request never reached anyone, so sending it again cannot repeat it.
    async fn forward_to_leader(&self, request: HttpRequest) -> Result<HttpOutcome, Unavailable> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.map(|body| body.to_bytes()).unwrap_or_default();
        let message = match envelope::encode_request(&axum::http::Request::from_parts(parts, body)) {
            Ok(message) if message.len() <= self.cluster.client.server_info().max_payload => message,
            _ => return Ok(HttpOutcome::Unusable("the request is too large to forward to the module's leader".into())),
        };
        if self.leader().is_none() {
            self.refresh_leader().await;
        }
        for attempt in 0..2 {
            let Some(leader) = self.leader() else { break };
            let subject = format!("{}.http.{}", self.prefix, token(&leader));
            let request = async_nats::Request::new().payload(message.clone()).timeout(Some(self.http_timeout));
            match self.cluster.client.send_request(subject, request).await {
                Ok(answer) => {
                    return envelope::decode_outcome(&answer.payload).unwrap_or_else(|error| {
                        tracing::warn!("a forwarded answer could not be read: {error:#}");
                        Ok(HttpOutcome::NoResponse)
                    });
                }
                Err(error) if error.kind() == async_nats::RequestErrorKind::NoResponders && attempt == 0 => {
                    self.refresh_leader().await;
                }
                Err(error) => {
                    tracing::debug!(leader, "forwarding a REST request failed: {error}");
                    break;
                }
            }
        }
        Ok(HttpOutcome::Unavailable("the module's leader did not answer; retry shortly".into()))
    }

    /// Asks the leader for `topic`'s latest frame (conflated routes only), so
    /// this node's first subscribers start from the current state as the
    /// leader's do; nothing when the topic is not live there yet (its
    /// creation's first update then comes live).
    async fn catch_up(&self, topic: &str) {
        if self.leader().is_none() {
            self.refresh_leader().await;
        }
        let Some(leader) = self.leader().filter(|leader| leader != self.cluster.node()) else { return };
        let subject = format!("{}.latest.{}", self.prefix, token(&leader));
        let request = async_nats::Request::new().payload(Bytes::from(topic.to_owned())).timeout(Some(CATCH_UP_TIMEOUT));
        if let Ok(answer) = self.cluster.client.send_request(subject, request).await
            && !answer.payload.is_empty()
        {
            self.inbox.catch_up(topic.to_owned(), answer.payload).await;
        }
    }

    /// Answers other nodes' [`catch_up`](Self::catch_up) requests.
    async fn serve_latest(self: Arc<Self>) {
        let subject = format!("{}.latest.{}", self.prefix, token(self.cluster.node()));
        let Some(mut requests) = self.subscribe(subject).await else { return };
        while let Some(message) = self.next(&mut requests).await {
            let (Some(reply), Ok(topic)) = (message.reply, String::from_utf8(message.payload.to_vec())) else {
                continue;
            };
            let latest = if self.leads() { self.inbox.latest(topic).await } else { None };
            let _ = self.cluster.client.publish(reply, latest.unwrap_or_default()).await;
        }
    }

    /// Subscribes to `subject` for one of the link's tasks; logs why not.
    async fn subscribe(&self, subject: String) -> Option<async_nats::Subscriber> {
        match self.cluster.client.subscribe(subject.clone()).await {
            Ok(subscriber) => Some(subscriber),
            Err(error) => {
                tracing::error!(module = self.key, subject, "cannot subscribe: {error}");
                None
            }
        }
    }

    /// The next message of `subscriber`; `None` once the link stops or the subscription ends.
    async fn next(&self, subscriber: &mut async_nats::Subscriber) -> Option<async_nats::Message> {
        tokio::select! {
            () = self.stop.cancelled() => None,
            message = subscriber.next() => message,
        }
    }

    /// Reads who holds the lease now.
    async fn refresh_leader(&self) {
        let holder = match self.cluster.leases.entry(&self.key).await {
            Ok(Some(entry)) if entry.operation == Operation::Put => holder(&entry),
            _ => None,
        };
        *lock(&self.leader) = holder;
    }

    /// Stops the link; a leader gives its lease up, so another node takes over at once.
    async fn stop(&self) {
        self.stop.cancel();
        self.keep_mirrors(&[]);
        self.leading.send_replace(false);
        let held = lock(&self.held).take();
        if let Some(revision) = held {
            // Only the lease as this node holds it: never one another node took since.
            let _ = self.cluster.leases.delete_expect_revision(&self.key, Some(revision)).await;
        }
    }

    /// Takes the lease when it is free and renews it while held.
    async fn hold_lease(self: Arc<Self>) {
        let node = Bytes::from(self.cluster.node().to_owned());
        let mut revision: Option<u64> = None;
        let mut tick = tokio::time::interval(LEASE_TTL / 3);
        loop {
            tokio::select! {
                () = self.stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let leases = &self.cluster.leases;
            revision = match revision {
                Some(held) => match leases.update(&self.key, node.clone(), held).await {
                    Ok(renewed) => Some(renewed),
                    Err(error) => match leases.entry(&self.key).await {
                        // Someone else holds it (we were cut off past the TTL): step down.
                        Ok(Some(entry)) if entry.operation == Operation::Put && entry.value != node => {
                            tracing::warn!(module = self.key, "lost the lease to another node: {error}");
                            *lock(&self.leader) = holder(&entry);
                            self.lead(false).await;
                            None
                        }
                        Ok(Some(entry)) if entry.operation == Operation::Put => Some(entry.revision),
                        // It lapsed (NATS was out of reach past the TTL): take it again, or step down.
                        Ok(_) if self.stop.is_cancelled() => None,
                        Ok(_) => match leases.create(&self.key, node.clone()).await {
                            Ok(taken) => Some(taken),
                            Err(_) => {
                                self.refresh_leader().await;
                                self.lead(false).await;
                                None
                            }
                        },
                        // NATS is out of reach: keep producing for this node's clients.
                        Err(_) => Some(held),
                    },
                },
                None if self.stop.is_cancelled() => None,
                None => match leases.create(&self.key, node.clone()).await {
                    Ok(taken) => {
                        tracing::info!(module = self.key, node = self.cluster.node(), "leading the module");
                        *lock(&self.leader) = Some(self.cluster.node().to_owned());
                        self.lead(true).await;
                        Some(taken)
                    }
                    Err(_) => {
                        self.refresh_leader().await;
                        None
                    }
                },
            };
            *lock(&self.held) = revision;
        }
    }

    /// Tells the actor, without waiting on its queue: renewing the lease must
    /// never wait behind the module's work.
    async fn lead(&self, leading: bool) {
        if !leading {
            self.leading.send_replace(false);
        }
        let inbox = self.inbox.clone();
        tokio::spawn(async move { inbox.lead(leading).await });
    }

    /// A follower's announcements of its interest.
    async fn announce(self: Arc<Self>) {
        let subject = format!("{}.interest", self.prefix);
        let mut tick = tokio::time::interval(ANNOUNCE_EVERY);
        loop {
            tokio::select! {
                () = self.stop.cancelled() => return,
                _ = tick.tick() => {}
                () = self.changed.notified() => {}
            }
            if self.leads() {
                continue;
            }
            let topics = lock(&self.watched).keys().cloned().collect();
            let interest = Interest { node: self.cluster.node().to_owned(), topics };
            if let Ok(payload) = serde_json::to_vec(&interest) {
                let _ = self.cluster.client.publish(subject.clone(), payload.into()).await;
            }
        }
    }

    /// Other nodes' announcements, counted per node; while this node leads,
    /// the actor is told what changed (everything, once it takes the lead).
    async fn hear_interest(self: Arc<Self>) {
        let Some(mut announcements) = self.subscribe(format!("{}.interest", self.prefix)).await else { return };
        let mut interest = NodeInterest::default();
        let mut leading = self.leading.subscribe();
        loop {
            let change = tokio::select! {
                message = self.next(&mut announcements) => {
                    let Some(message) = message else { return };
                    match serde_json::from_slice::<Interest>(&message.payload) {
                        Ok(heard) if heard.node != self.cluster.node() => {
                            interest.heard(heard.node, heard.topics, tokio::time::Instant::now())
                        }
                        Ok(_) => continue,
                        Err(error) => {
                            tracing::warn!(module = self.key, "an interest announcement is not valid: {error}");
                            continue;
                        }
                    }
                }
                () = sleep_until(interest.next_lapse()) => interest.lapse(tokio::time::Instant::now()),
                changed = leading.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if !*leading.borrow_and_update() {
                        continue;
                    }
                    interest.all()
                }
            };
            if self.leads() && !change.is_empty() {
                let Change { wanted, unwanted } = change;
                self.inbox.remote_interest(wanted, unwanted).await;
            }
        }
    }

    /// Publishes the leader's frames, once per topic and update.
    async fn publish(self: Arc<Self>, mut frames: mpsc::Receiver<(Arc<str>, Bytes)>) {
        loop {
            let (topic, frame) = tokio::select! {
                () = self.stop.cancelled() => return,
                next = frames.recv() => match next { Some(next) => next, None => return },
            };
            let subject = format!("{}.u.{}", self.prefix, topic_token(&topic));
            let _ = self.cluster.client.publish(subject, frame).await;
        }
    }

    /// The module's stream of stored updates.
    async fn history(&self) -> anyhow::Result<&HistoryStream> {
        let jetstream = self.cluster.jetstream().clone();
        self.history.get_or_try_init(|| HistoryStream::open(jetstream, &self.prefix, &self.key)).await
    }

    /// Stores the leader's updates in order, each before anyone sees it:
    /// then publishes it to the other nodes and hands it back to the actor
    /// for this node's subscribers. An update JetStream cannot take is tried
    /// again until it does (what follows waits), or the link stops.
    async fn store_durable(self: Arc<Self>, mut items: mpsc::Receiver<Durable>) {
        loop {
            let item = tokio::select! {
                () = self.stop.cancelled() => return,
                next = items.recv() => match next { Some(next) => next, None => return },
            };
            match item {
                Durable::Frame(topic, frame) => {
                    if !self.store_until_stored(&topic, frame.clone()).await {
                        return;
                    }
                    let subject = format!("{}.u.{}", self.prefix, topic_token(&topic));
                    let _ = self.cluster.client.publish(subject, frame.clone()).await;
                    self.inbox.durable(topic, frame).await;
                }
                Durable::Removed(topic) => {
                    if !self.store_until_stored(&topic, Bytes::new()).await {
                        return;
                    }
                }
                Durable::Barrier(stored) => {
                    let _ = stored.send(());
                }
            }
        }
    }

    /// Stores `frame` of `topic`, trying again until JetStream takes it; false if the link stopped first.
    async fn store_until_stored(&self, topic: &str, frame: Bytes) -> bool {
        let mut attempts = 0u64;
        loop {
            let stored = match self.history().await {
                Ok(history) => history.store(topic, frame.clone()).await,
                Err(error) => Err(error),
            };
            match stored {
                Ok(()) => return true,
                Err(error) => {
                    attempts += 1;
                    if attempts.is_power_of_two() {
                        tracing::warn!(module = self.key, topic, attempts, "cannot store an update yet: {error:#}");
                    }
                }
            }
            tokio::select! {
                () = self.stop.cancelled() => return false,
                () = tokio::time::sleep(STORE_RETRY) => {}
            }
        }
    }

    /// Answers REST requests other nodes forward to this one.
    async fn serve_http(self: Arc<Self>) {
        let subject = format!("{}.http.{}", self.prefix, token(self.cluster.node()));
        let Some(mut requests) = self.subscribe(subject).await else { return };
        while let Some(message) = self.next(&mut requests).await {
            let Some(reply) = message.reply else { continue };
            let link = self.clone();
            tokio::spawn(async move {
                let answer = link.answer(&message.payload).await;
                let _ = link.cluster.client.publish(reply, answer).await;
            });
        }
    }

    /// The answer to a forwarded request: what became of it, for the asking
    /// node's edge to render.
    async fn answer(&self, message: &[u8]) -> Bytes {
        let outcome = match envelope::decode_request(message) {
            Err(error) => Ok(HttpOutcome::Unusable(format!("a forwarded request is not valid: {error:#}"))),
            Ok(_) if !self.leads() => {
                Ok(HttpOutcome::Unavailable("this node no longer leads the module; retry".into()))
            }
            Ok(request) => {
                let (parts, body) = request.into_parts();
                self.inbox.http(axum::http::Request::from_parts(parts, http_body_util::Full::new(body))).await
            }
        };
        let encoded = envelope::encode_outcome(&outcome);
        if encoded.len() <= self.cluster.client.server_info().max_payload {
            return encoded;
        }
        let too_large = "the response is larger than the cluster forwards (NATS max_payload)".to_owned();
        envelope::encode_outcome(&Ok(HttpOutcome::Refused(too_large)))
    }
}

impl Remote for ModuleLink {
    fn clustered(&self) -> bool {
        true
    }

    fn is_leader(&self) -> bool {
        self.leads()
    }

    fn set_leading(&self, leading: bool) {
        self.leading.send_replace(leading);
    }

    fn mirror(&self, topic: &str) {
        let Some(link) = self.me.upgrade() else { return };
        let mut watched = lock(&self.watched);
        if watched.contains_key(topic) {
            return;
        }
        let subject = format!("{}.u.{}", self.prefix, topic_token(topic));
        let name = topic.to_owned();
        let task = tokio::spawn(async move {
            let Ok(mut frames) = link.cluster.client.subscribe(subject).await else { return };
            // Announced once subscribed, so the topic's first updates are not missed;
            // and subscribed first, so nothing falls between the leader's latest frame and the live ones.
            link.changed.notify_one();
            link.catch_up(&name).await;
            while let Some(message) = frames.next().await {
                link.inbox.frame(name.clone(), message.payload).await;
            }
        });
        watched.insert(topic.to_owned(), task);
    }

    fn unmirror(&self, topic: &str) {
        if let Some(task) = lock(&self.watched).remove(topic) {
            task.abort();
        }
        self.changed.notify_one();
    }

    fn keep_mirrors(&self, topics: &[String]) {
        lock(&self.watched).retain(|topic, task| {
            let keep = topics.contains(topic);
            if !keep {
                task.abort();
            }
            keep
        });
        self.changed.notify_one();
    }

    fn outlet(&self) -> Option<Outlet> {
        Some(self.outlet.clone())
    }

    fn stream(&self) -> Option<StreamOutlet> {
        Some(self.stream.clone())
    }

    fn continuation(&self, topic: &str, after: Option<Position>) -> RemoteFuture<'_, Option<Continuation>> {
        let topic = topic.to_owned();
        Box::pin(async move {
            let read = match self.history().await {
                Ok(history) => history.continuation(&topic, after).await,
                Err(error) => Err(error),
            };
            read.unwrap_or_else(|error| {
                tracing::warn!(module = self.key, topic, "cannot read a topic's stored updates: {error:#}");
                None
            })
        })
    }

    fn fill(&self, topic: &str, after: Position) {
        let Some(link) = self.me.upgrade() else { return };
        let topic = topic.to_owned();
        tokio::spawn(async move {
            let missed = link.continuation(&topic, Some(after)).await.map(|stored| stored.missed).unwrap_or_default();
            link.inbox.filled(topic, missed).await;
        });
    }

    fn forward(&self, request: HttpRequest) -> RemoteFuture<'_, Result<HttpOutcome, Unavailable>> {
        Box::pin(self.forward_to_leader(request))
    }

    fn leave(&self) -> RemoteFuture<'_, ()> {
        Box::pin(self.stop())
    }
}

/// The node a lease entry names.
fn holder(entry: &kv::Entry) -> Option<String> {
    String::from_utf8(entry.value.to_vec()).ok()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

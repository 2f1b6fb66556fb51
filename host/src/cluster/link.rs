//! One module's part in the cluster, beside its actor on every node.
//!
//! - **Lease**: every node tries to take the module's lease (a JetStream KV
//!   entry, compare-and-set, expiring [`LEASE_TTL`] after its last renewal);
//!   the holder is the leader and renews it every third of the TTL. The
//!   actor is told each change ([`ModuleInbox::lead`]).
//! - **Interest**: a follower announces the topics its clients are
//!   subscribed to every [`ANNOUNCE_EVERY`] and at once on a change; the
//!   leader's actor counts *nodes* per topic (a node not heard from for
//!   [`INTEREST_TTL`] has none) and creates and removes topics as for local
//!   subscribers.
//! - **Updates**: the leader publishes each frame of a topic with interest
//!   once, as the WebSocket bytes its own clients get; a follower subscribes
//!   to the subjects of its topics only and delivers what arrives as is. A
//!   follower that begins mirroring a topic of a conflated route first asks
//!   the leader for its latest frame, so its clients start current.
//! - **REST**: a follower forwards a module's REST request to the leader
//!   (bounded by NATS's payload limit and `call_deadline_ms`) and answers
//!   with what comes back.

use crate::cluster::{Cluster, LEASE_TTL, envelope, token, topic_token};
use crate::config::Limits;
use crate::edge::{gateway, rest};
use crate::hub::topics::Outlet;
use crate::runtime::instance::{HttpOutcome, HttpRequest};
use crate::runtime::module::{ModuleInbox, Unavailable};
use async_nats::jetstream::kv::{self, Operation};
use axum::http::StatusCode;
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What a forwarded REST request may take beyond the leader's call deadline.
const FORWARDING_MARGIN: Duration = Duration::from_secs(2);
/// Frames a leader may have waiting for NATS (see [`Outlet`]).
const OUTLET_FRAMES: usize = 8192;
/// How long a follower waits for the leader's latest frame of a topic.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a follower announces its interest.
pub const ANNOUNCE_EVERY: Duration = Duration::from_secs(1);
/// A node's interest lasts this long after its last announcement.
pub const INTEREST_TTL: Duration = Duration::from_secs(3);

/// A follower's announcement: every topic its clients are subscribed to.
#[derive(Debug, Serialize, Deserialize)]
struct Interest {
    node: String,
    topics: Vec<String>,
}

/// One module's link to the cluster.
pub struct ModuleLink {
    cluster: Arc<Cluster>,
    inbox: ModuleInbox,
    /// `topicwire.m.<module>`.
    prefix: String,
    /// The module's lease key.
    key: String,
    /// Set by the actor once it serves as the leader (a fresh instance in place).
    leading: AtomicBool,
    /// The lease's revision while this node holds it.
    held: Mutex<Option<u64>>,
    /// The node that held the lease when last looked.
    leader: Mutex<Option<String>>,
    /// A follower's topic subscriptions.
    watched: Mutex<HashMap<String, JoinHandle<()>>>,
    /// The follower's set of topics changed: announce it now.
    changed: Notify,
    outlet: Outlet,
    /// How long a forwarded REST request may take.
    http_timeout: Duration,
    /// `max_http_response_bytes`.
    max_response_bytes: usize,
    stop: CancellationToken,
}

impl ModuleLink {
    /// Starts the link of `module`, telling its actor through `inbox`.
    pub fn start(cluster: Arc<Cluster>, module: &str, inbox: ModuleInbox, limits: &Limits) -> Arc<Self> {
        let (outlet, frames) = mpsc::channel(OUTLET_FRAMES);
        let link = Arc::new(Self {
            prefix: format!("topicwire.m.{}", token(module)),
            key: token(module),
            cluster,
            inbox,
            leading: AtomicBool::new(false),
            held: Mutex::new(None),
            leader: Mutex::new(None),
            watched: Mutex::default(),
            changed: Notify::new(),
            outlet,
            http_timeout: Duration::from_millis(limits.call_deadline_ms) + FORWARDING_MARGIN,
            max_response_bytes: limits.max_http_response_bytes,
            stop: CancellationToken::new(),
        });
        tokio::spawn(link.clone().hold_lease());
        tokio::spawn(link.clone().announce());
        tokio::spawn(link.clone().hear_interest());
        tokio::spawn(link.clone().publish(frames));
        tokio::spawn(link.clone().serve_http());
        tokio::spawn(link.clone().serve_latest());
        link
    }

    /// Whether this node serves as the module's leader.
    pub fn is_leader(&self) -> bool {
        self.leading.load(Ordering::Acquire)
    }

    /// The actor took the lead (`true`, its fresh instance in place) or gave it up.
    pub fn set_leading(&self, leading: bool) {
        self.leading.store(leading, Ordering::Release);
    }

    /// Stops mirroring every topic (this node leads now).
    pub fn unwatch_all(&self) {
        for (_, task) in lock(&self.watched).drain() {
            task.abort();
        }
    }

    /// Stops mirroring the topics not in `topics` (they were dropped here).
    pub fn retain(&self, topics: &[String]) {
        lock(&self.watched).retain(|topic, task| {
            let keep = topics.contains(topic);
            if !keep {
                task.abort();
            }
            keep
        });
        self.changed.notify_one();
    }

    /// The node that leads the module, as far as this node knows.
    pub fn leader(&self) -> Option<String> {
        lock(&self.leader).clone()
    }

    /// Where the leader's actor hands frames of topics with remote interest.
    pub fn outlet(&self) -> Outlet {
        self.outlet.clone()
    }

    /// A follower's client subscribed to `topic`: receive its frames, and
    /// tell the leader.
    pub fn watch(self: &Arc<Self>, topic: &str) {
        let mut watched = lock(&self.watched);
        if watched.contains_key(topic) {
            return;
        }
        let subject = format!("{}.u.{}", self.prefix, topic_token(topic));
        let (link, name) = (self.clone(), topic.to_owned());
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

    /// No client of this node is subscribed to `topic` any more.
    pub fn unwatch(&self, topic: &str) {
        if let Some(task) = lock(&self.watched).remove(topic) {
            task.abort();
        }
        self.changed.notify_one();
    }

    /// Forwards a REST request to the leader and waits for its answer.
    /// When the node it names is gone (nobody listens on its subject), the
    /// lease is read again and the request goes to its holder, once: the
    /// request never reached anyone, so sending it again cannot repeat it.
    pub async fn forward(&self, request: HttpRequest) -> Result<HttpOutcome, Unavailable> {
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
                    return match envelope::decode_response(&answer.payload) {
                        Ok(response) => Ok(HttpOutcome::Response(response)),
                        Err(error) => {
                            tracing::warn!("a forwarded answer could not be read: {error:#}");
                            Ok(HttpOutcome::NoResponse)
                        }
                    };
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
        Ok(HttpOutcome::Unavailable("the module's leader did not answer; retry shortly"))
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
            let latest = if self.is_leader() { self.inbox.latest(topic).await } else { None };
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
    pub async fn stop(&self) {
        self.stop.cancel();
        self.unwatch_all();
        self.leading.store(false, Ordering::Release);
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
            self.leading.store(false, Ordering::Release);
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
            if self.is_leader() {
                continue;
            }
            let topics = lock(&self.watched).keys().cloned().collect();
            let interest = Interest { node: self.cluster.node().to_owned(), topics };
            if let Ok(payload) = serde_json::to_vec(&interest) {
                let _ = self.cluster.client.publish(subject.clone(), payload.into()).await;
            }
        }
    }

    /// Other nodes' announcements, for the actor (which heeds them while leading).
    async fn hear_interest(self: Arc<Self>) {
        let Some(mut announcements) = self.subscribe(format!("{}.interest", self.prefix)).await else { return };
        while let Some(message) = self.next(&mut announcements).await {
            match serde_json::from_slice::<Interest>(&message.payload) {
                Ok(interest) if interest.node != self.cluster.node() => {
                    self.inbox.interest(interest.node, interest.topics).await;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(module = self.key, "an interest announcement is not valid: {error}"),
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

    /// The answer to a forwarded request, as the client is to get it.
    async fn answer(&self, message: &[u8]) -> Bytes {
        let outcome = match envelope::decode_request(message) {
            Err(error) => Ok(HttpOutcome::Unusable(format!("a forwarded request is not valid: {error:#}"))),
            Ok(_) if !self.is_leader() => Ok(HttpOutcome::Unavailable("this node no longer leads the module; retry")),
            Ok(request) => {
                let (parts, body) = request.into_parts();
                self.inbox.http(axum::http::Request::from_parts(parts, http_body_util::Full::new(body))).await
            }
        };
        let encoded = encode(rest::answer(outcome, self.max_response_bytes)).await;
        if encoded.len() <= self.cluster.client.server_info().max_payload {
            return encoded;
        }
        let too_large = "the module's response is larger than the cluster forwards (NATS max_payload)";
        encode(gateway::error(StatusCode::BAD_GATEWAY, too_large)).await
    }
}

/// The node a lease entry names.
fn holder(entry: &kv::Entry) -> Option<String> {
    String::from_utf8(entry.value.to_vec()).ok()
}

async fn encode(response: axum::response::Response) -> Bytes {
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    envelope::encode_response(&axum::http::Response::from_parts(parts, body)).unwrap_or_default()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

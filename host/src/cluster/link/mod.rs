//! One module's part in the cluster, beside its actor on every node.
//!
//! It implements the runtime's seam, [`Remote`], and tells the module's
//! actor what the other nodes say through its [`ModuleInbox`].
//!
//! - **Lease**: every node tries to take the module's lease (a JetStream KV
//!   entry, compare-and-set, expiring [`LEASE_TTL`](crate::cluster::LEASE_TTL)
//!   after its last renewal); the holder is the leader and renews it every
//!   third of the TTL. The actor is told each change ([`ModuleInbox::lead`]).
//!   In [`lease`].
//! - **Interest**: a follower announces the topics its clients are
//!   subscribed to every [`ANNOUNCE_EVERY`] and at once on a change; the
//!   link counts *nodes* per topic ([`NodeInterest`](crate::cluster::interest::NodeInterest))
//!   and, while this node leads, tells the actor which topics are wanted and
//!   which no node wants any more; the actor creates and removes them as for
//!   local subscribers. In [`announce`].
//! - **Updates**: the leader publishes each frame of a topic with interest
//!   once, as the WebSocket bytes its own clients get; a follower subscribes
//!   to the subjects of its topics only and delivers what arrives as is. A
//!   follower that begins mirroring a topic of a conflated route first asks
//!   the leader for its latest frame, so its clients start current. Updates
//!   of routes with a history are stored in the module's stream first
//!   ([`crate::cluster::history`]). In [`frames`].
//! - **REST**: a follower forwards a module's REST request to the leader
//!   (bounded by NATS's payload limit and `call_deadline_ms`) and answers
//!   with what comes back. In [`rest`].

mod announce;
mod frames;
mod lease;
mod rest;

use crate::cluster::history::HistoryStream;
use crate::cluster::{Cluster, token, topic_token};
use crate::hub::position::Position;
use crate::hub::topics::{Continuation, Outlet, StreamOutlet};
use crate::limits::Limits;
use crate::runtime::instance::{HttpOutcome, HttpRequest};
use crate::runtime::module::{ModuleInbox, Unavailable};
use crate::runtime::remote::{Remote, RemoteFuture};
use async_nats::jetstream::kv;
use futures_util::StreamExt;
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

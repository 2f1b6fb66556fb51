//! The live topics of one module and their subscribers.
//!
//! Owned by the module's actor (inside its store's data, so the guest's
//! `topic-update` reaches it without a lock). Reference counting: a topic
//! exists while it has subscribers; a connection counts once per topic.
//! Each update is numbered (its topic's next offset, see
//! [`crate::hub::position`]), framed once and the bytes are shared by every
//! subscriber, conflated or reliably, as the topic's route declares (see
//! [`crate::hub::peer`]), and written on every core for a large topic (see
//! [`crate::hub::fanout`]). A route with a history keeps its topics' recent
//! frames ([`crate::hub::history`]) and its topics live for the history's
//! TTL after their last subscriber left ([`linger`]), so a client that comes
//! back recovers what it missed ([`join`]).
//!
//! In a cluster (see [`crate::cluster`]) a topic also lives while other
//! nodes have interest in it (`remote`): the module's leader then hands
//! each frame to the [`Outlet`] once, for NATS, besides its own
//! subscribers; and a follower's topics are *mirrors*, fed with the
//! leader's frames (their positions are the leader's) through
//! [`TopicTable::deliver_frame`].
//!
//! Between [`TopicTable::hold_writes`] and [`TopicTable::release_writes`]
//! (the actor firing a turn's due timers) each idle connection's updates
//! are held and leave together, in one `writev` (see [`crate::hub::outbox`]);
//! a topic whose writes are split over the cores is written at once.

mod durable;
mod join;
mod linger;
mod live;
mod mirror;
#[cfg(test)]
mod tests;

pub use durable::{Continuation, Durable, StreamOutlet};
pub use join::Recoveries;
pub use mirror::Mirrored;

use crate::hub::fanout;
use crate::hub::history::{History, HistoryBudget, HistoryPolicy};
use crate::hub::messages;
use crate::hub::outbox::Batch;
use crate::hub::peer::{ConnId, Peer};
use crate::hub::position::Position;
use bytes::Bytes;
use live::LiveTopics;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use tokio::time::Instant;

/// How a route's topics deliver their updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TopicPolicy {
    /// Never conflated (a client that cannot keep up is closed), rather than
    /// only the latest update per topic kept for a slow client.
    pub reliable: bool,
    /// What the topics keep of their updates, for recovery.
    pub history: HistoryPolicy,
}

/// A live topic's number (the world's `topic-id`): given when it becomes
/// live, and not given to another topic until the numbers come round
/// (2^32 topics later), so a component holding a removed topic's id
/// cannot reach another topic with it.
pub type TopicId = u32;

/// One live topic.
#[derive(Debug)]
struct Topic {
    /// The topic, shared by conflation slots of slow connections.
    name: Arc<str>,
    /// Its number while it is live.
    id: TopicId,
    route: String,
    policy: TopicPolicy,
    /// `{"type":"<route>.update","payload":{"topic":"...","payload":`, computed once.
    update_prefix: String,
    subscribers: Vec<Peer>,
    /// While `create-topic` runs: updates it published, delivered once the
    /// subscriber has had its subscribe response.
    pending: Option<Vec<Bytes>>,
    /// The last update frame delivered (shared bytes, not a copy).
    last: Option<Bytes>,
    /// Set when a new instance takes the topic over (a reload or a restart):
    /// its first update is dropped if it repeats the last one delivered, so
    /// a handover never shows subscribers the same update twice.
    resuming: bool,
    /// Where its sequence stands: the last update its subscribers were given.
    position: Position,
    /// The last offset given out: ahead of `position` while updates wait to be stored (see [`durable`]).
    assigned: u64,
    /// A mirror filling a hole: the leader's frames that came meanwhile (see [`mirror`]).
    filling: Option<Vec<Bytes>>,
    /// Its recent frames.
    history: History,
    /// Updates delivered to it.
    updates: u64,
    /// Other nodes have interest: every frame also goes to the outlet.
    remote: bool,
    /// Since its last subscriber left: when it goes (see [`linger`]).
    lingers_until: Option<Instant>,
}

/// Where a leader's frames for other nodes go: `(topic, frame)`, published
/// once each. Bounded: while NATS cannot keep up (or is unreachable), frames
/// that do not fit are dropped for the other nodes, never queued without end.
pub type Outlet = tokio::sync::mpsc::Sender<(Arc<str>, Bytes)>;

/// What removing a subscriber did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The connection was not subscribed to the topic.
    NotSubscribed,
    /// Others remain subscribed, or the topic lingers for clients that come back.
    Remaining,
    /// It was the last subscriber: the topic is gone and the component must be told.
    LastGone,
}

/// Why an update was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// The component published to a topic it does not have live.
    NotLive,
    /// The data is larger than `max_update_bytes`.
    TooLarge,
    /// The data is not valid JSON.
    InvalidJson,
    /// The cluster cannot store the route's updates now (see [`durable`]).
    NotStored,
}

/// A live topic as `/api/v1/modules` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TopicInfo {
    /// The canonical topic.
    pub topic: String,
    /// Connections subscribed.
    pub subscribers: usize,
    /// Updates delivered to it.
    pub updates: u64,
    /// Its sequence.
    pub epoch: String,
    /// Its last update's offset.
    pub offset: u64,
    /// Updates its history keeps.
    pub history: usize,
    /// Bytes its history keeps.
    pub history_bytes: usize,
}

/// Every live topic of a module.
#[derive(Debug)]
pub struct TopicTable {
    topics: LiveTopics,
    /// The next id to give.
    next_id: TopicId,
    by_connection: HashMap<ConnId, HashSet<String>>,
    /// Set while this node leads the module in a cluster.
    outlet: Option<Outlet>,
    /// Idle connections' updates held since [`hold_writes`](Self::hold_writes), when `holding`.
    held: Batch,
    holding: bool,
    /// What every topic's history may hold, host-wide.
    budget: Arc<HistoryBudget>,
    /// Topics without subscribers waiting to go, by when (see [`linger`]).
    lingering: BTreeSet<(Instant, Arc<str>)>,
    /// Subscribes that asked to recover, by outcome.
    recoveries: Recoveries,
    /// While leading in a cluster: where updates of routes with a history are made durable.
    stream: Option<StreamOutlet>,
    /// Updates were handed to `stream` since the last [`barrier`](Self::barrier).
    unstored: bool,
}

impl Default for TopicTable {
    /// A table whose histories are bounded only per topic (tests, tools).
    fn default() -> Self {
        Self::new(HistoryBudget::new(usize::MAX))
    }
}

impl TopicTable {
    /// An empty table whose topics' histories share `budget`.
    pub fn new(budget: Arc<HistoryBudget>) -> Self {
        Self {
            topics: LiveTopics::default(),
            next_id: 0,
            by_connection: HashMap::new(),
            outlet: None,
            held: Batch::default(),
            holding: false,
            budget,
            lingering: BTreeSet::new(),
            recoveries: Recoveries::default(),
            stream: None,
            unstored: false,
        }
    }

    /// Number of live topics.
    pub fn len(&self) -> usize {
        self.topics.len()
    }

    /// Whether no topic is live.
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// Whether `topic` is live.
    pub fn contains(&self, topic: &str) -> bool {
        self.topics.contains_key(topic)
    }

    /// The id of live `topic`.
    pub fn id_of(&self, topic: &str) -> Option<TopicId> {
        self.topics.id_of(topic)
    }

    /// The topic live as `id`, shared.
    pub fn shared_name_of(&self, id: TopicId) -> Option<Arc<str>> {
        self.topics.by_id(id).map(|entry| entry.name.clone())
    }

    /// Whether connection `conn` is subscribed to `topic`.
    pub fn is_subscribed(&self, topic: &str, conn: ConnId) -> bool {
        self.by_connection.get(&conn).is_some_and(|topics| topics.contains(topic))
    }

    /// The connection that has been subscribed to `topic` longest, if any is.
    pub fn first_subscriber(&self, topic: &str) -> Option<ConnId> {
        self.topics.get(topic)?.subscribers.first().map(Peer::id)
    }

    /// How many topics `conn` is subscribed to.
    pub fn subscriptions_of(&self, conn: ConnId) -> usize {
        self.by_connection.get(&conn).map_or(0, HashSet::len)
    }

    /// Every live topic.
    pub fn topics(&self) -> Vec<String> {
        self.topics.names().map(|name| name.to_string()).collect()
    }

    /// Where live `topic`'s sequence stands.
    pub fn position(&self, topic: &str) -> Option<Position> {
        self.topics.get(topic).map(|entry| entry.position.clone())
    }

    /// Makes `topic` live, in a new sequence, with `peer` as its first
    /// subscriber, holding back updates until [`finish_create`](Self::finish_create).
    pub fn begin_create(&mut self, topic: &str, route: &str, policy: TopicPolicy, peer: Peer) {
        self.insert(topic, route, policy, Some(peer), Some(Vec::new()));
    }

    /// Makes `topic` live without a local subscriber, for other nodes'
    /// interest, holding back updates until [`finish_create`](Self::finish_create).
    pub fn begin_create_remote(&mut self, topic: &str, route: &str, policy: TopicPolicy) {
        self.insert(topic, route, policy, None, Some(Vec::new()));
        if let Some(entry) = self.topics.get_mut(topic) {
            entry.remote = true;
        }
    }

    /// Makes `topic` live as a mirror of the leader's (a follower in a
    /// cluster): nothing is created, frames come through [`deliver_frame`](Self::deliver_frame).
    pub fn mirror(&mut self, topic: &str, route: &str, policy: TopicPolicy, peer: Peer) {
        self.insert(topic, route, policy, Some(peer), None);
        if let Some(entry) = self.topics.get_mut(topic) {
            // Unknown until the leader's first frame: a client is told no position rather than a made-up one.
            entry.position = Position::unknown();
        }
    }

    fn insert(
        &mut self,
        topic: &str,
        route: &str,
        policy: TopicPolicy,
        peer: Option<Peer>,
        pending: Option<Vec<Bytes>>,
    ) {
        if let Some(peer) = &peer {
            self.by_connection.entry(peer.id()).or_default().insert(topic.to_owned());
        }
        let id = self.fresh_id();
        self.topics.insert(Topic {
            name: topic.into(),
            id,
            route: route.to_owned(),
            policy,
            update_prefix: messages::update_prefix(route, topic),
            subscribers: peer.into_iter().collect(),
            pending,
            last: None,
            resuming: false,
            position: Position::fresh(),
            assigned: 0,
            filling: None,
            history: History::new(policy.history, self.budget.clone()),
            updates: 0,
            remote: false,
            lingers_until: None,
        });
    }

    /// An id no live topic has.
    fn fresh_id(&mut self) -> TopicId {
        loop {
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1);
            if !self.topics.contains_id(id) {
                return id;
            }
        }
    }

    /// `create-topic` succeeded: delivers the updates it published.
    pub fn finish_create(&mut self, topic: &str) {
        let Some(entry) = self.topics.get_mut(topic) else { return };
        for frame in entry.pending.take().unwrap_or_default() {
            deliver(&entry.name, entry.policy.reliable, &entry.subscribers, &frame, None);
            if entry.remote {
                forward(self.outlet.as_ref(), &entry.name, &frame);
            }
            entry.last = Some(frame);
        }
    }

    /// Starts (`Some`) or stops handing frames of topics with remote interest to `outlet`.
    pub fn set_outlet(&mut self, outlet: Option<Outlet>) {
        self.outlet = outlet;
    }

    /// Whether other nodes have interest in `topic`.
    pub fn is_remote(&self, topic: &str) -> bool {
        self.topics.get(topic).is_some_and(|entry| entry.remote)
    }

    /// Records whether other nodes have interest in live `topic`. Returns
    /// true when the topic is gone with it (no local subscriber either):
    /// the component must be told.
    pub fn set_remote(&mut self, topic: &str, remote: bool) -> bool {
        let Some(entry) = self.topics.get_mut(topic) else { return false };
        entry.remote = remote;
        if !remote && entry.subscribers.is_empty() {
            self.remove(topic);
            return true;
        }
        false
    }

    /// The latest frame of live `topic` when its route conflates (a state a
    /// newcomer should start from); `None` for reliable routes.
    pub fn latest(&self, topic: &str) -> Option<Bytes> {
        self.topics.get(topic).filter(|entry| !entry.policy.reliable).and_then(|entry| entry.last.clone())
    }

    /// `create-topic` failed: forgets the topic and what it published.
    pub fn abort_create(&mut self, topic: &str) {
        self.drop_topic(topic);
    }

    /// Removes connection `conn` from `topic`; the topic goes with its last
    /// subscriber, unless its route keeps a history (then it lingers).
    pub fn remove_subscriber(&mut self, topic: &str, conn: ConnId) -> Removal {
        let Some(topics) = self.by_connection.get_mut(&conn) else { return Removal::NotSubscribed };
        if !topics.remove(topic) {
            return Removal::NotSubscribed;
        }
        if topics.is_empty() {
            self.by_connection.remove(&conn);
        }
        if self.leave(topic, conn) { Removal::LastGone } else { Removal::Remaining }
    }

    /// Removes connection `conn` from all its topics. Returns the topics that
    /// lost their last subscriber and are gone.
    pub fn disconnect(&mut self, conn: ConnId) -> Vec<String> {
        let topics = self.by_connection.remove(&conn).unwrap_or_default();
        topics.into_iter().filter(|topic| self.leave(topic, conn)).collect()
    }

    /// `conn` left `topic`; true if the topic went with it.
    fn leave(&mut self, topic: &str, conn: ConnId) -> bool {
        let Some(entry) = self.topics.get_mut(topic) else { return false };
        entry.subscribers.retain(|peer| peer.id() != conn);
        if !entry.subscribers.is_empty() || entry.remote {
            return false;
        }
        if self.linger(topic) {
            return false;
        }
        self.remove(topic);
        true
    }

    /// Forgets `topic` (its subscriptions must be gone already).
    fn remove(&mut self, topic: &str) -> Option<Topic> {
        let entry = self.topics.remove(topic)?;
        if let Some(until) = entry.lingers_until {
            self.lingering.remove(&(until, entry.name.clone()));
        }
        Some(entry)
    }

    /// Drops `topic` and forgets its subscribers' subscriptions to it.
    /// Returns the subscribers, so they can be told.
    pub fn drop_topic(&mut self, topic: &str) -> Vec<Peer> {
        let Some(entry) = self.remove(topic) else { return Vec::new() };
        for peer in &entry.subscribers {
            if let Some(topics) = self.by_connection.get_mut(&peer.id()) {
                topics.remove(topic);
                if topics.is_empty() {
                    self.by_connection.remove(&peer.id());
                }
            }
        }
        entry.subscribers
    }

    /// The route of live `topic`.
    pub fn route_of(&self, topic: &str) -> Option<&str> {
        self.topics.get(topic).map(|entry| entry.route.as_str())
    }

    /// Marks every topic as taken over by a new instance (see `Topic::resuming`).
    pub fn resume_all(&mut self) {
        for entry in self.topics.values_mut() {
            entry.resuming = true;
        }
    }

    /// Applies each route's policy (a new version may change it); a topic
    /// whose history settings change starts its history afresh.
    pub fn set_policy(&mut self, policy: impl Fn(&str) -> TopicPolicy) {
        for entry in self.topics.values_mut() {
            let next = policy(&entry.route);
            if next.history != entry.policy.history {
                entry.history = History::new(next.history, self.budget.clone());
            }
            entry.policy = next;
        }
    }

    /// Every connection subscribed to any topic of the module.
    pub fn peers(&self) -> Vec<Peer> {
        let mut seen = HashSet::new();
        self.topics
            .values()
            .flat_map(|entry| entry.subscribers.iter())
            .filter(|peer| seen.insert(peer.id()))
            .cloned()
            .collect()
    }

    /// Holds each idle connection's updates from now on, until
    /// [`release_writes`](Self::release_writes) writes them together.
    pub fn hold_writes(&mut self) {
        self.holding = true;
    }

    /// Writes the updates held since [`hold_writes`](Self::hold_writes),
    /// each connection's together, and stops holding them.
    pub fn release_writes(&mut self) {
        self.holding = false;
        self.held.flush();
    }

    /// Numbers `data` (JSON text) with `topic`'s next offset, frames it once
    /// and queues it to every subscriber. Returns how many subscribers it
    /// was queued for.
    pub fn publish(&mut self, topic: &str, data: &str, max_bytes: usize) -> Result<usize, Rejected> {
        let Some(id) = self.topics.id_of(topic) else { return Err(Rejected::NotLive) };
        self.publish_to(id, data, max_bytes)
    }

    /// As [`publish`](Self::publish), to the topic live as `id`.
    pub fn publish_to(&mut self, id: TopicId, data: &str, max_bytes: usize) -> Result<usize, Rejected> {
        let Some(entry) = self.topics.by_id_mut(id) else { return Err(Rejected::NotLive) };
        if data.len() > max_bytes {
            return Err(Rejected::TooLarge);
        }
        // The data is spliced into the frame as is, so it must be JSON.
        if serde_json::from_str::<serde::de::IgnoredAny>(data).is_err() {
            return Err(Rejected::InvalidJson);
        }
        if std::mem::take(&mut entry.resuming)
            && entry.last.as_ref().and_then(|last| data_of(last, &entry.update_prefix)) == Some(data)
        {
            return Ok(0);
        }
        if self.stream.is_some() && entry.policy.history.keeps() {
            // Stored first, delivered once stored (see `durable`).
            let offset = entry.assigned.max(entry.position.offset) + 1;
            let frame = messages::update_frame(&entry.update_prefix, data, offset, &entry.position.epoch);
            let name = entry.name.clone();
            if !self.store(&name, frame) {
                return Err(Rejected::NotStored);
            }
            if let Some(entry) = self.topics.by_id_mut(id) {
                entry.assigned = offset;
            }
            return Ok(0);
        }
        entry.position.offset += 1;
        entry.assigned = entry.position.offset;
        let frame = messages::update_frame(&entry.update_prefix, data, entry.position.offset, &entry.position.epoch);
        if entry.policy.history.keeps() {
            entry.history.push(entry.position.offset, frame.clone(), Instant::now());
        }
        entry.updates += 1;
        if let Some(pending) = &mut entry.pending {
            pending.push(frame);
            return Ok(0);
        }
        let held = self.holding.then_some(&self.held);
        let delivered = deliver(&entry.name, entry.policy.reliable, &entry.subscribers, &frame, held);
        if entry.remote {
            forward(self.outlet.as_ref(), &entry.name, &frame);
        }
        entry.last = Some(frame);
        Ok(delivered)
    }

    /// Live topics with their subscriber counts and positions, sorted by topic.
    pub fn info(&self) -> Vec<TopicInfo> {
        let mut info: Vec<TopicInfo> = self
            .topics
            .values()
            .map(|entry| TopicInfo {
                topic: entry.name.to_string(),
                subscribers: entry.subscribers.len(),
                updates: entry.updates,
                epoch: entry.position.epoch.to_string(),
                offset: entry.position.offset,
                history: entry.history.len(),
                history_bytes: entry.history.bytes(),
            })
            .collect();
        info.sort_by(|a, b| a.topic.cmp(&b.topic));
        info
    }
}

/// The data an update frame of a topic with `prefix` carries.
fn data_of<'a>(frame: &'a [u8], prefix: &str) -> Option<&'a str> {
    let text = crate::hub::frame::single_text_payload(frame)?.strip_prefix(prefix)?;
    text.rfind(",\"offset\":").map(|end| &text[..end])
}

/// Hands one frame of `topic` to the outlet, if there is one.
fn forward(outlet: Option<&Outlet>, topic: &Arc<str>, frame: &Bytes) {
    if let Some(outlet) = outlet {
        let _ = outlet.try_send((topic.clone(), frame.clone()));
    }
}

/// Queues `frame` to every subscriber, held by `held` for idle connections
/// when given, unless the topic's writes are split over the cores.
fn deliver(topic: &Arc<str>, reliable: bool, subscribers: &[Peer], frame: &Bytes, held: Option<&Batch>) -> usize {
    let held = held.filter(|_| !fanout::splits(subscribers.len()));
    if reliable {
        fanout::each(subscribers, |peer| peer.send_reliable_in(frame.clone(), held))
    } else {
        fanout::each(subscribers, |peer| peer.send_update_in(topic, frame.clone(), held))
    }
}

//! The live topics of one module and their subscribers.
//!
//! Owned by the module's actor (inside its store's data, so the guest's
//! `topic-update` reaches it without a lock). Reference counting: a topic
//! exists while it has subscribers; a connection counts once per topic.
//! Each update is framed once and the bytes are shared by every subscriber,
//! conflated or reliably, as the topic's route declares (see [`crate::hub::peer`]),
//! and written on every core for a large topic (see [`crate::hub::fanout`]).
//!
//! In a cluster (see [`crate::cluster`]) a topic also lives while other
//! nodes have interest in it (`remote`): the module's leader then hands
//! each frame to the [`Outlet`] once, for NATS, besides its own
//! subscribers; and a follower's topics are *mirrors*, fed with the
//! leader's frames through [`TopicTable::deliver_frame`].
//!
//! Between [`TopicTable::hold_writes`] and [`TopicTable::release_writes`]
//! (the actor firing a turn's due timers) each idle connection's updates
//! are held and leave together, in one `writev` (see [`crate::hub::outbox`]);
//! a topic whose writes are split over the cores is written at once.

use crate::hub::fanout;
use crate::hub::messages;
use crate::hub::outbox::Batch;
use crate::hub::peer::{ConnId, Peer};
use bytes::Bytes;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One live topic.
#[derive(Debug)]
struct Topic {
    /// The topic, shared by conflation slots of slow connections.
    name: Arc<str>,
    route: String,
    /// Whether the route's delivery is reliable (never conflated).
    reliable: bool,
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
    updates: u64,
    /// Other nodes have interest: every frame also goes to the outlet.
    remote: bool,
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
    /// Others remain subscribed.
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
}

/// A live topic as `/api/v1/modules` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TopicInfo {
    /// The canonical topic.
    pub topic: String,
    /// Connections subscribed.
    pub subscribers: usize,
    /// Updates published to it.
    pub updates: u64,
}

/// Every live topic of a module.
#[derive(Debug, Default)]
pub struct TopicTable {
    topics: HashMap<String, Topic>,
    by_connection: HashMap<ConnId, HashSet<String>>,
    /// Set while this node leads the module in a cluster.
    outlet: Option<Outlet>,
    /// Idle connections' updates held since [`hold_writes`](Self::hold_writes), when `holding`.
    held: Batch,
    holding: bool,
}

impl TopicTable {
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
        self.topics.keys().cloned().collect()
    }

    /// Makes `topic` live with `peer` as its first subscriber, holding back
    /// updates until [`finish_create`](Self::finish_create). `reliable` is the
    /// delivery policy of its route.
    pub fn begin_create(&mut self, topic: &str, route: &str, reliable: bool, peer: Peer) {
        self.insert(topic, route, reliable, Some(peer), Some(Vec::new()));
    }

    /// Makes `topic` live without a local subscriber, for other nodes'
    /// interest, holding back updates until [`finish_create`](Self::finish_create).
    pub fn begin_create_remote(&mut self, topic: &str, route: &str, reliable: bool) {
        self.insert(topic, route, reliable, None, Some(Vec::new()));
        if let Some(entry) = self.topics.get_mut(topic) {
            entry.remote = true;
        }
    }

    /// Makes `topic` live as a mirror of the leader's (a follower in a
    /// cluster): nothing is created, frames come through [`deliver_frame`](Self::deliver_frame).
    pub fn mirror(&mut self, topic: &str, route: &str, reliable: bool, peer: Peer) {
        self.insert(topic, route, reliable, Some(peer), None);
    }

    fn insert(&mut self, topic: &str, route: &str, reliable: bool, peer: Option<Peer>, pending: Option<Vec<Bytes>>) {
        if let Some(peer) = &peer {
            self.by_connection.entry(peer.id()).or_default().insert(topic.to_owned());
        }
        self.topics.insert(
            topic.to_owned(),
            Topic {
                name: topic.into(),
                route: route.to_owned(),
                reliable,
                update_prefix: messages::update_prefix(route, topic),
                subscribers: peer.into_iter().collect(),
                pending,
                last: None,
                resuming: false,
                updates: 0,
                remote: false,
            },
        );
    }

    /// `create-topic` succeeded: delivers the updates it published.
    pub fn finish_create(&mut self, topic: &str) {
        let Some(entry) = self.topics.get_mut(topic) else { return };
        for frame in entry.pending.take().unwrap_or_default() {
            deliver(&entry.name, entry.reliable, &entry.subscribers, &frame, None);
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
            self.topics.remove(topic);
            return true;
        }
        false
    }

    /// The latest frame of live `topic` when its route conflates (a state a
    /// newcomer should start from); `None` for reliable routes.
    pub fn latest(&self, topic: &str) -> Option<Bytes> {
        self.topics.get(topic).filter(|entry| !entry.reliable).and_then(|entry| entry.last.clone())
    }

    /// A follower's first frame of mirror `topic`, fetched from the leader:
    /// delivered unless a live frame came first (it would be newer).
    pub fn catch_up_frame(&mut self, topic: &str, frame: Bytes) {
        if self.topics.get(topic).is_some_and(|entry| entry.last.is_none()) {
            self.deliver_frame(topic, frame);
        }
    }

    /// Delivers `frame`, an update framed by the module's leader on another
    /// node, to the local subscribers of mirror `topic`, as is.
    /// Anything but one whole update frame of this very topic is dropped:
    /// what arrives over NATS is written to sockets as is.
    pub fn deliver_frame(&mut self, topic: &str, frame: Bytes) -> usize {
        let Some(entry) = self.topics.get_mut(topic) else { return 0 };
        let update = crate::hub::frame::single_text_payload(&frame);
        if !update.is_some_and(|text| text.starts_with(&entry.update_prefix) && text.ends_with('}')) {
            tracing::warn!(
                topic,
                bytes = frame.len(),
                "dropping a frame from the cluster that is not an update of its topic"
            );
            return 0;
        }
        entry.updates += 1;
        let delivered = deliver(&entry.name, entry.reliable, &entry.subscribers, &frame, None);
        entry.last = Some(frame);
        delivered
    }

    /// `create-topic` failed: forgets the topic and what it published.
    pub fn abort_create(&mut self, topic: &str) {
        self.drop_topic(topic);
    }

    /// Adds `peer` to live `topic`. Returns false if it was already subscribed.
    pub fn add_subscriber(&mut self, topic: &str, peer: Peer) -> bool {
        let Some(entry) = self.topics.get_mut(topic) else { return false };
        if !self.by_connection.entry(peer.id()).or_default().insert(topic.to_owned()) {
            return false;
        }
        entry.subscribers.push(peer);
        true
    }

    /// Sends `peer`, which just joined the live `topic`, the topic's latest
    /// update when its route conflates: a conflated route streams states, so
    /// a newcomer is current at once, as the first subscriber is after
    /// `create-topic`. A reliable route streams events; a joiner gets those
    /// after it joined. Returns whether a frame was sent.
    pub fn catch_up(&self, topic: &str, peer: &Peer) -> bool {
        let Some(entry) = self.topics.get(topic) else { return false };
        match &entry.last {
            Some(last) if !entry.reliable && entry.pending.is_none() => peer.send_update(&entry.name, last.clone()),
            _ => false,
        }
    }

    /// Removes connection `conn` from `topic`; the topic goes with its last subscriber.
    pub fn remove_subscriber(&mut self, topic: &str, conn: ConnId) -> Removal {
        let Some(topics) = self.by_connection.get_mut(&conn) else { return Removal::NotSubscribed };
        if !topics.remove(topic) {
            return Removal::NotSubscribed;
        }
        if topics.is_empty() {
            self.by_connection.remove(&conn);
        }
        let Some(entry) = self.topics.get_mut(topic) else { return Removal::NotSubscribed };
        entry.subscribers.retain(|peer| peer.id() != conn);
        if entry.subscribers.is_empty() && !entry.remote {
            self.topics.remove(topic);
            Removal::LastGone
        } else {
            Removal::Remaining
        }
    }

    /// Removes connection `conn` from all its topics. Returns the topics that
    /// lost their last subscriber.
    pub fn disconnect(&mut self, conn: ConnId) -> Vec<String> {
        let topics = self.by_connection.remove(&conn).unwrap_or_default();
        let mut gone = Vec::new();
        for topic in topics {
            let Some(entry) = self.topics.get_mut(&topic) else { continue };
            entry.subscribers.retain(|peer| peer.id() != conn);
            if entry.subscribers.is_empty() && !entry.remote {
                self.topics.remove(&topic);
                gone.push(topic);
            }
        }
        gone
    }

    /// Drops `topic` and forgets its subscribers' subscriptions to it.
    /// Returns the subscribers, so they can be told.
    pub fn drop_topic(&mut self, topic: &str) -> Vec<Peer> {
        let Some(entry) = self.topics.remove(topic) else { return Vec::new() };
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

    /// Applies the delivery policy of each route (a new version may change it).
    pub fn set_delivery(&mut self, reliable: impl Fn(&str) -> bool) {
        for entry in self.topics.values_mut() {
            entry.reliable = reliable(&entry.route);
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

    /// Frames `data` (JSON text) once and queues it to every subscriber of
    /// `topic`. Returns how many subscribers it was queued for.
    pub fn publish(&mut self, topic: &str, data: &str, max_bytes: usize) -> Result<usize, Rejected> {
        let Some(entry) = self.topics.get_mut(topic) else { return Err(Rejected::NotLive) };
        if data.len() > max_bytes {
            return Err(Rejected::TooLarge);
        }
        // The data is spliced into the frame as is, so it must be JSON.
        if serde_json::from_str::<serde::de::IgnoredAny>(data).is_err() {
            return Err(Rejected::InvalidJson);
        }
        let frame = messages::update_frame(&entry.update_prefix, data);
        if std::mem::take(&mut entry.resuming) && entry.last.as_ref() == Some(&frame) {
            return Ok(0);
        }
        entry.updates += 1;
        if let Some(pending) = &mut entry.pending {
            pending.push(frame);
            return Ok(0);
        }
        let held = self.holding.then_some(&self.held);
        let delivered = deliver(&entry.name, entry.reliable, &entry.subscribers, &frame, held);
        if entry.remote {
            forward(self.outlet.as_ref(), &entry.name, &frame);
        }
        entry.last = Some(frame);
        Ok(delivered)
    }

    /// Live topics with their subscriber counts, sorted by topic.
    pub fn info(&self) -> Vec<TopicInfo> {
        let mut info: Vec<TopicInfo> = self
            .topics
            .iter()
            .map(|(topic, entry)| TopicInfo {
                topic: topic.clone(),
                subscribers: entry.subscribers.len(),
                updates: entry.updates,
            })
            .collect();
        info.sort_by(|a, b| a.topic.cmp(&b.topic));
        info
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testing::{read_text, sent};
    use std::time::Duration;
    use tokio::net::TcpStream;

    const MAX: usize = 1024;

    async fn peer(id: ConnId) -> (Peer, TcpStream) {
        crate::hub::testing::peer(id, 8, Duration::from_secs(60)).await
    }

    #[tokio::test]
    async fn reference_counts_per_connection() {
        let mut table = TopicTable::default();
        let (a, _ca) = peer(1).await;
        let (b, _cb) = peer(2).await;
        table.begin_create("t", "bars", false, a.clone());
        table.finish_create("t");
        assert!(!table.add_subscriber("t", a.clone()), "a double subscribe counts once");
        assert!(table.add_subscriber("t", b.clone()));
        assert_eq!(table.info()[0].subscribers, 2);
        assert_eq!(table.remove_subscriber("t", 1), Removal::Remaining);
        assert_eq!(table.remove_subscriber("t", 1), Removal::NotSubscribed);
        assert_eq!(table.remove_subscriber("t", 2), Removal::LastGone);
        assert!(table.is_empty());
    }

    #[tokio::test]
    async fn disconnect_releases_every_topic_of_the_connection() {
        let mut table = TopicTable::default();
        let (a, _ca) = peer(1).await;
        let (b, _cb) = peer(2).await;
        for topic in ["x", "y"] {
            table.begin_create(topic, "bars", false, a.clone());
            table.finish_create(topic);
        }
        table.add_subscriber("y", b);
        let mut gone = table.disconnect(1);
        gone.sort();
        assert_eq!(gone, ["x"]);
        assert_eq!(table.topics(), ["y"]);
        assert_eq!(table.subscriptions_of(1), 0);
    }

    #[tokio::test]
    async fn updates_are_framed_once_and_held_back_during_creation() {
        let mut table = TopicTable::default();
        let (a, mut client) = peer(1).await;
        table.begin_create("bars:{}", "bars", false, a.clone());
        assert_eq!(table.publish("bars:{}", r#"{"close":1}"#, MAX), Ok(0));
        a.send(crate::hub::frame::text(&[b"response"]));
        table.finish_create("bars:{}");
        assert_eq!(read_text(&mut client).await, "response");
        assert_eq!(
            read_text(&mut client).await,
            r#"{"type":"bars.update","payload":{"topic":"bars:{}","payload":{"close":1}}}"#
        );
        assert_eq!(table.publish("bars:{}", "[]", MAX), Ok(1));
    }

    #[tokio::test]
    async fn held_writes_leave_on_release_in_order_for_conflated_and_reliable_topics() {
        let mut table = TopicTable::default();
        let (a, mut client) = peer(1).await;
        for (topic, reliable) in [("state", false), ("events", true)] {
            table.begin_create(topic, "r", reliable, a.clone());
            table.finish_create(topic);
        }
        assert_eq!(table.first_subscriber("state"), Some(1));
        table.hold_writes();
        assert_eq!(table.publish("state", "1", MAX), Ok(1));
        assert_eq!(table.publish("events", "2", MAX), Ok(1));
        assert!(a.outbox().len() == 2, "held, not written");
        table.release_writes();
        assert!(a.outbox().is_empty());
        let frames = sent(&mut client, Duration::from_millis(200)).await;
        assert_eq!(
            frames,
            [
                r#"{"type":"r.update","payload":{"topic":"state","payload":1}}"#,
                r#"{"type":"r.update","payload":{"topic":"events","payload":2}}"#
            ]
        );
        assert_eq!(table.publish("state", "3", MAX), Ok(1));
        assert!(a.outbox().is_empty(), "released: written straight away again");
    }

    #[tokio::test]
    async fn a_new_instance_does_not_repeat_the_last_update() {
        let mut table = TopicTable::default();
        let (a, mut client) = peer(1).await;
        table.begin_create("t", "bars", false, a);
        table.finish_create("t");
        assert_eq!(table.publish("t", r#"{"v":1}"#, MAX), Ok(1));
        table.resume_all();
        assert_eq!(table.publish("t", r#"{"v":1}"#, MAX), Ok(0), "the handover repeat is dropped");
        assert_eq!(table.publish("t", r#"{"v":1}"#, MAX), Ok(1), "later equal updates are the module's own");
        table.resume_all();
        assert_eq!(table.publish("t", r#"{"v":2}"#, MAX), Ok(1));
        assert_eq!(sent(&mut client, Duration::from_millis(200)).await.len(), 3);
    }

    #[tokio::test]
    async fn a_joiner_of_a_conflated_topic_gets_its_latest_update_and_of_a_reliable_one_none() {
        let mut table = TopicTable::default();
        let (first, _c1) = peer(1).await;
        let (joiner, mut client) = peer(2).await;
        for (topic, reliable) in [("state", false), ("events", true)] {
            table.begin_create(topic, "r", reliable, first.clone());
            table.finish_create(topic);
            assert!(!table.catch_up(topic, &joiner), "nothing published yet");
            assert_eq!(table.publish(topic, r#"{"v":1}"#, MAX), Ok(1));
            assert_eq!(table.publish(topic, r#"{"v":2}"#, MAX), Ok(1));
            assert!(table.add_subscriber(topic, joiner.clone()));
        }
        assert!(table.catch_up("state", &joiner));
        assert!(!table.catch_up("events", &joiner));
        let frames = sent(&mut client, Duration::from_millis(200)).await;
        assert_eq!(frames, [r#"{"type":"r.update","payload":{"topic":"state","payload":{"v":2}}}"#]);
    }

    #[tokio::test]
    async fn a_mirror_delivers_only_whole_update_frames_of_its_topic() {
        let mut table = TopicTable::default();
        let (a, mut client) = peer(1).await;
        table.mirror("t", "r", false, a);
        let update = messages::update_frame(&messages::update_prefix("r", "t"), "{}");
        assert_eq!(table.deliver_frame("t", update.clone()), 1);
        let other = messages::update_frame(&messages::update_prefix("r", "u"), "{}");
        assert_eq!(table.deliver_frame("t", other), 0, "another topic's");
        let mut two = update.to_vec();
        two.extend_from_slice(&update);
        assert_eq!(table.deliver_frame("t", Bytes::from(two)), 0, "two frames in one");
        assert_eq!(table.deliver_frame("t", crate::hub::frame::close(1000, "bye")), 0, "a close frame");
        assert_eq!(table.deliver_frame("t", update.slice(..update.len() - 1)), 0, "cut short");
        assert_eq!(sent(&mut client, Duration::from_millis(200)).await.len(), 1);
    }

    #[tokio::test]
    async fn bad_updates_are_rejected() {
        let mut table = TopicTable::default();
        let (a, _client) = peer(1).await;
        table.begin_create("t", "bars", false, a);
        table.finish_create("t");
        assert_eq!(table.publish("other", "{}", MAX), Err(Rejected::NotLive));
        assert_eq!(table.publish("t", "{nope", MAX), Err(Rejected::InvalidJson));
        assert_eq!(table.publish("t", &"1".repeat(MAX + 1), MAX), Err(Rejected::TooLarge));
    }
}

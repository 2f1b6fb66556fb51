//! Durable before delivery: while this node leads a module in a cluster,
//! an update of a route with a history reaches nobody until the cluster
//! has stored it. The table numbers it and hands it to the [`StreamOutlet`];
//! the cluster stores it (a JetStream stream), publishes it to the other
//! nodes and hands it back ([`TopicTable::deliver_durable`]), and only then
//! do this node's subscribers get it. So every update any client of any node
//! has seen is stored, under one (epoch, offset) cluster-wide, and a node
//! that takes the lead continues each topic's sequence from the stream
//! ([`TopicTable::continue_sequence`]) rather than starting a new one.
//!
//! A REST request's answer waits for the updates its handling published
//! ([`TopicTable::barrier`]): an acknowledged order's events are stored.

use super::TopicTable;
use crate::hub::history::History;
use crate::hub::position::{self, Position};
use bytes::Bytes;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// What the table hands the cluster to store, in order.
#[derive(Debug)]
pub enum Durable {
    /// An update frame of a topic: store it, publish it, hand it back.
    Frame(Arc<str>, Bytes),
    /// The topic was removed: its sequence ends here (a later topic of that name starts a new one).
    Removed(Arc<str>),
    /// Everything before this is stored once the sender is answered.
    Barrier(oneshot::Sender<()>),
}

/// Where the leader's durable updates go. Bounded: when the cluster cannot
/// store them fast enough (or at all), a module's further updates of such
/// routes are refused and counted, never queued without end.
pub type StreamOutlet = tokio::sync::mpsc::Sender<Durable>;

/// Where a topic's stored sequence stands, for a node that takes it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continuation {
    /// The last stored update's position.
    pub position: Position,
    /// Stored updates this node's subscribers have not seen, in order.
    pub missed: Vec<Bytes>,
}

impl TopicTable {
    /// Starts (`Some`) or stops making updates of routes with a history durable through `stream`.
    pub fn set_stream(&mut self, stream: Option<StreamOutlet>) {
        self.stream = stream;
    }

    /// Whether updates of routes with a history are made durable before delivery.
    pub fn is_durable(&self) -> bool {
        self.stream.is_some()
    }

    /// Hands `frame`, numbered `offset`, to the cluster; false if it cannot take it now.
    pub(super) fn store(&mut self, topic: &Arc<str>, frame: Bytes) -> bool {
        let Some(stream) = &self.stream else { return false };
        let taken = stream.try_send(Durable::Frame(topic.clone(), frame)).is_ok();
        self.unstored |= taken;
        taken
    }

    /// `frame`, stored by the cluster, goes to this node's subscribers and
    /// into the topic's history. Returns how many subscribers it was queued for.
    pub fn deliver_durable(&mut self, topic: &str, frame: Bytes) -> usize {
        let Some(entry) = self.topics.get_mut(topic) else { return 0 };
        let offset = crate::hub::frame::single_text_payload(&frame).and_then(position::of_update).map(|(n, _)| n);
        let Some(offset) = offset.filter(|offset| *offset > entry.position.offset) else { return 0 };
        entry.position.offset = offset;
        entry.history.push(offset, frame.clone(), Instant::now());
        entry.updates += 1;
        let delivered = super::deliver(&entry.name, entry.policy.reliable, &entry.subscribers, &frame, None);
        entry.last = Some(frame);
        delivered
    }

    /// Ends `topic`'s stored sequence (it was removed), if updates are made durable.
    pub fn record_removal(&mut self, topic: &str) {
        if let Some(stream) = &self.stream {
            let _ = stream.try_send(Durable::Removed(topic.into()));
        }
    }

    /// A receiver answered once every update handed to the cluster so far is
    /// stored; `None` when none is waiting to be.
    pub fn barrier(&mut self) -> Option<oneshot::Receiver<()>> {
        if !std::mem::take(&mut self.unstored) {
            return None;
        }
        let (stored, waiter) = oneshot::channel();
        self.stream.as_ref()?.try_send(Durable::Barrier(stored)).ok()?;
        Some(waiter)
    }

    /// `topic` goes on from its stored sequence: the updates of it this
    /// node's subscribers missed are delivered first, then its offsets
    /// continue from `continuation.position`, in the same epoch.
    pub fn continue_sequence(&mut self, topic: &str, continuation: Continuation) {
        let Some(entry) = self.topics.get_mut(topic) else { return };
        if *entry.position.epoch != *continuation.position.epoch {
            entry.position = Position { epoch: continuation.position.epoch.clone(), offset: 0 };
            entry.history = History::new(entry.policy.history, self.budget.clone());
        }
        for frame in continuation.missed {
            self.deliver_durable(topic, frame);
        }
        if let Some(entry) = self.topics.get_mut(topic)
            && entry.position.offset < continuation.position.offset
        {
            // Stored, but not handed over: recoveries across it are refused, never partial.
            entry.position.offset = continuation.position.offset;
            entry.history = History::new(entry.policy.history, self.budget.clone());
        }
    }

    /// `topic` starts a new sequence (a new epoch, an empty history).
    pub fn restart_sequence(&mut self, topic: &str) {
        if let Some(entry) = self.topics.get_mut(topic) {
            entry.position = Position::fresh();
            entry.history = History::new(entry.policy.history, self.budget.clone());
        }
    }
}

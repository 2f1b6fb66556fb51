//! A follower's mirrors of the leader's topics: the leader's frames are
//! delivered as they are, and the mirror takes the leader's positions from
//! them and keeps its own history. A hole in what reached this node (a
//! frame NATS did not deliver, a reconnect) on a route with a history is
//! filled before anything after it is delivered: the frames after the hole
//! wait while the cluster fetches the missing ones from its stream
//! ([`TopicTable::fill`]). What cannot be filled empties the mirror's
//! history, so a recovery across the hole is refused, never partial.

use super::{TopicTable, deliver};
use crate::hub::history::History;
use crate::hub::position::{self, Position};
use bytes::Bytes;
use tokio::time::Instant;

/// Frames a mirror holds back while filling a hole; past it, the hole stays.
const MAX_WAITING: usize = 10_000;

/// What became of a frame from the leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mirrored {
    /// Delivered to this many subscribers.
    Delivered(usize),
    /// Dropped (not an update of the topic, or delivered already).
    Dropped,
    /// It comes after a hole: held back until the updates after `after` are filled in.
    Hole {
        /// The last update the mirror delivered.
        after: Position,
    },
    /// Held back: a hole is being filled.
    Waiting,
}

impl TopicTable {
    /// A follower's first frame of mirror `topic`, fetched from the leader:
    /// delivered unless a live frame came first (it would be newer).
    pub fn catch_up_frame(&mut self, topic: &str, frame: Bytes) {
        if self.topics.get(topic).is_some_and(|entry| entry.last.is_none()) {
            self.deliver_frame(topic, frame);
        }
    }

    /// Delivers `frame`, an update framed by the module's leader on another
    /// node, to the local subscribers of mirror `topic`, as is. Anything but
    /// one whole update frame of this very topic, with its position, is
    /// dropped: what arrives over NATS is written to sockets as is.
    pub fn deliver_frame(&mut self, topic: &str, frame: Bytes) -> Mirrored {
        let Some(entry) = self.topics.get_mut(topic) else { return Mirrored::Dropped };
        let update = crate::hub::frame::single_text_payload(&frame)
            .filter(|text| text.starts_with(&entry.update_prefix))
            .and_then(position::of_update);
        let Some((offset, epoch)) = update else {
            tracing::warn!(
                topic,
                bytes = frame.len(),
                "dropping a frame from the cluster that is not an update of its topic"
            );
            return Mirrored::Dropped;
        };
        if let Some(waiting) = &mut entry.filling {
            if waiting.len() < MAX_WAITING {
                waiting.push(frame);
                return Mirrored::Waiting;
            }
            // Too long a wait: give up on the hole.
            let waiting = entry.filling.take().unwrap_or_default();
            entry.history = History::new(entry.policy.history, self.budget.clone());
            for frame in waiting {
                self.deliver_frame(topic, frame);
            }
            return self.deliver_frame(topic, frame);
        }
        if *entry.position.epoch != *epoch {
            entry.position.epoch = epoch.into();
            entry.history = History::new(entry.policy.history, self.budget.clone());
        } else if offset <= entry.position.offset && entry.last.is_some() {
            // Already delivered (a catch-up racing the live frame).
            return Mirrored::Dropped;
        } else if offset != entry.position.offset + 1 && entry.last.is_some() {
            tracing::warn!(topic, after = entry.position.offset, got = offset, "a mirrored topic skipped updates");
            if entry.policy.history.keeps() {
                entry.filling = Some(vec![frame]);
                return Mirrored::Hole { after: entry.position.clone() };
            }
        }
        entry.position.offset = offset;
        if entry.policy.history.keeps() {
            entry.history.push(offset, frame.clone(), Instant::now());
        }
        entry.updates += 1;
        let delivered = deliver(&entry.name, entry.policy.reliable, &entry.subscribers, &frame, None);
        entry.last = Some(frame);
        Mirrored::Delivered(delivered)
    }

    /// The frames that fill mirror `topic`'s hole (stored updates after its
    /// position, in order; none if they could not be had), then the frames
    /// that waited for them.
    pub fn fill(&mut self, topic: &str, missed: Vec<Bytes>) {
        let Some(entry) = self.topics.get_mut(topic) else { return };
        let Some(waiting) = entry.filling.take() else { return };
        for frame in missed {
            let next = crate::hub::frame::single_text_payload(&frame)
                .and_then(position::of_update)
                .is_some_and(|(offset, epoch)| offset == entry.position.offset + 1 && *epoch == *entry.position.epoch);
            if next {
                entry.position.offset += 1;
                entry.history.push(entry.position.offset, frame.clone(), Instant::now());
                entry.updates += 1;
                deliver(&entry.name, entry.policy.reliable, &entry.subscribers, &frame, None);
                entry.last = Some(frame);
            }
        }
        let next = waiting
            .first()
            .and_then(|frame| crate::hub::frame::single_text_payload(frame))
            .and_then(position::of_update);
        if let Some((offset, _)) = next.filter(|(offset, _)| *offset > entry.position.offset + 1) {
            // The hole stays: what the mirror keeps must stay contiguous, so it starts afresh after the hole.
            tracing::warn!(topic, after = entry.position.offset, "a mirrored topic's hole could not be filled");
            entry.history = History::new(entry.policy.history, self.budget.clone());
            entry.position.offset = offset - 1;
        }
        // Frames the fill delivered already are dropped as such.
        for frame in waiting {
            self.deliver_frame(topic, frame);
        }
    }
}

//! A connection joining a live topic: its subscribe response carries the
//! position the updates that follow continue from (the first of them is
//! `offset + 1`). A client that asks to recover (it gives the last position
//! it saw) gets, atomically with respect to new updates (the actor does
//! nothing else meanwhile): `recovered: true` and exactly the updates after
//! its position, in order, then live ones; or `recovered: false` and none
//! (another epoch, a position ahead of the topic or older than its history,
//! more missed than one recovery may replay) — never a partial replay. A
//! joiner of a conflated route that does not recover gets the latest update
//! first, a state to start from.

use super::{Topic, TopicTable};
use crate::hub::messages;
use crate::hub::peer::Peer;
use crate::hub::position::Position;
use bytes::Bytes;
use serde::Serialize;
use tokio::time::Instant;

/// Subscribes that asked to recover, by outcome.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Recoveries {
    /// Answered `recovered: true`.
    pub recovered: u64,
    /// Answered `recovered: false`.
    pub not_recovered: u64,
    /// Updates sent again by recoveries.
    pub replayed: u64,
}

impl TopicTable {
    /// Adds `peer` to live `topic` and answers its subscribe, recovering
    /// from `since` when given (at most `max_replay` updates). False if the
    /// topic is not live or `peer` is subscribed already (nothing is sent).
    pub fn join(&mut self, topic: &str, peer: &Peer, since: Option<&Position>, max_replay: usize) -> bool {
        let Some(entry) = self.topics.get_mut(topic) else { return false };
        if !self.by_connection.entry(peer.id()).or_default().insert(topic.to_owned()) {
            return false;
        }
        entry.subscribers.push(peer.clone());
        if let Some(until) = entry.lingers_until.take() {
            self.lingering.remove(&(until, entry.name.clone()));
        }
        let replay = since.map(|since| recover(entry, since, max_replay));
        match replay {
            Some(Some(frames)) => {
                let since = since.map(|since| since.offset).unwrap_or_default();
                let position = Position { epoch: entry.position.epoch.clone(), offset: since };
                peer.send(messages::subscribed(&entry.route, topic, &position, Some(true)));
                self.recoveries.recovered += 1;
                self.recoveries.replayed += frames.len() as u64;
                for frame in frames {
                    send(entry, peer, frame);
                }
            }
            Some(None) => {
                self.recoveries.not_recovered += 1;
                answer_with_latest(entry, topic, peer, Some(false));
            }
            None => answer_with_latest(entry, topic, peer, None),
        }
        true
    }

    /// Subscribes that asked to recover, by outcome.
    pub fn recoveries(&self) -> Recoveries {
        self.recoveries
    }
}

/// The frames after `since`, if all of them can be given.
fn recover(entry: &mut Topic, since: &Position, max_replay: usize) -> Option<Vec<Bytes>> {
    if since.epoch != entry.position.epoch {
        return None;
    }
    entry.history.since(since.offset, entry.position.offset, max_replay, Instant::now()).ok()
}

/// The subscribe response, then, for a conflated route, the latest update
/// as a state to start from (the response's position is just before it).
fn answer_with_latest(entry: &Topic, topic: &str, peer: &Peer, recovered: Option<bool>) {
    let latest = entry.last.clone().filter(|_| !entry.policy.reliable && entry.pending.is_none());
    let mut position = entry.position.clone();
    if latest.is_some() {
        position.offset = position.offset.saturating_sub(1);
    }
    peer.send(messages::subscribed(&entry.route, topic, &position, recovered));
    if let Some(latest) = latest {
        peer.send_update(&entry.name, latest);
    }
}

/// One update frame to `peer`, as the topic's route delivers them.
fn send(entry: &Topic, peer: &Peer, frame: Bytes) {
    if entry.policy.reliable {
        peer.send_reliable(frame);
    } else {
        peer.send_update(&entry.name, frame);
    }
}

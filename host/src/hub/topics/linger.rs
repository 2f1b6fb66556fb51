//! A topic of a route that keeps a history stays live for the history's
//! TTL after its last subscriber left (a disconnect, a slow-consumer close,
//! an unsubscribe): the module keeps publishing to it, the history keeps
//! what is published, and a client that comes back within the TTL recovers
//! every update it missed. A subscriber that joins meanwhile stops the
//! clock; at its end the topic goes (the component is told, as for any
//! topic that lost its last subscriber).

use super::TopicTable;
use tokio::time::Instant;

impl TopicTable {
    /// `topic` just lost its last subscriber: true if it lingers.
    pub(super) fn linger(&mut self, topic: &str) -> bool {
        let Some(entry) = self.topics.get_mut(topic) else { return false };
        let history = entry.policy.history;
        if !history.keeps() {
            return false;
        }
        let until = Instant::now() + history.ttl;
        if let Some(before) = entry.lingers_until.replace(until) {
            self.lingering.remove(&(before, entry.name.clone()));
        }
        self.lingering.insert((until, entry.name.clone()));
        true
    }

    /// When the next lingering topic is to go.
    pub fn next_lapse(&self) -> Option<Instant> {
        self.lingering.first().map(|(until, _)| *until)
    }

    /// Removes the topics whose lingering is over by `now`; the component
    /// must be told of each returned.
    pub fn lapse(&mut self, now: Instant) -> Vec<String> {
        let mut gone = Vec::new();
        while let Some((until, topic)) = self.lingering.first().cloned() {
            if until > now {
                break;
            }
            self.lingering.remove(&(until, topic.clone()));
            let idle = self.topics.get(&topic).is_some_and(|entry| {
                entry.subscribers.is_empty() && !entry.remote && entry.lingers_until == Some(until)
            });
            if idle && self.topics.remove(&topic).is_some() {
                gone.push(topic.to_string());
            }
        }
        gone
    }
}

//! The live topics, kept by id and found by name.
//!
//! A component's updates name their topic by id (world 0.3.0's
//! `topic-updates`), once per update: the topics are kept in a map by id,
//! so an update reaches its topic in one lookup of a number, without
//! hashing or comparing its name. Subscribes, removals and older
//! components' updates come by name, through a second map from the name
//! to the id. The id map hashes with foldhash (ids are the host's own
//! numbers); the name map keeps std's SipHash, since names come from
//! clients' requests and may be chosen to collide.

use super::{Topic, TopicId};
use std::collections::HashMap;
use std::sync::Arc;

/// Every live topic, by id and by name.
#[derive(Debug, Default)]
pub(super) struct LiveTopics {
    by_id: HashMap<TopicId, Topic, foldhash::fast::RandomState>,
    by_name: HashMap<Arc<str>, TopicId>,
}

impl LiveTopics {
    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub(super) fn contains_key(&self, topic: &str) -> bool {
        self.by_name.contains_key(topic)
    }

    pub(super) fn contains_id(&self, id: TopicId) -> bool {
        self.by_id.contains_key(&id)
    }

    /// The id of live `topic`.
    pub(super) fn id_of(&self, topic: &str) -> Option<TopicId> {
        self.by_name.get(topic).copied()
    }

    pub(super) fn get(&self, topic: &str) -> Option<&Topic> {
        self.by_id.get(self.by_name.get(topic)?)
    }

    pub(super) fn get_mut(&mut self, topic: &str) -> Option<&mut Topic> {
        self.by_id.get_mut(self.by_name.get(topic)?)
    }

    pub(super) fn by_id(&self, id: TopicId) -> Option<&Topic> {
        self.by_id.get(&id)
    }

    pub(super) fn by_id_mut(&mut self, id: TopicId) -> Option<&mut Topic> {
        self.by_id.get_mut(&id)
    }

    /// Makes `topic` live under its name and id, in place of a topic of the
    /// same name (whose id goes with it).
    pub(super) fn insert(&mut self, topic: Topic) {
        if let Some(replaced) = self.by_name.insert(topic.name.clone(), topic.id) {
            self.by_id.remove(&replaced);
        }
        self.by_id.insert(topic.id, topic);
    }

    pub(super) fn remove(&mut self, topic: &str) -> Option<Topic> {
        let id = self.by_name.remove(topic)?;
        self.by_id.remove(&id)
    }

    pub(super) fn names(&self) -> impl Iterator<Item = &Arc<str>> {
        self.by_name.keys()
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Topic> {
        self.by_id.values()
    }

    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut Topic> {
        self.by_id.values_mut()
    }
}

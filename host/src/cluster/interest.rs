//! Which topics of one module other nodes want, counted per node: each
//! follower announces every topic its clients are subscribed to, and a node
//! not heard from for [`INTEREST_TTL`] wants nothing (it is gone, or cut
//! off). The leader's actor is told only what it must act on: topics some
//! node wants, and topics the last node stopped wanting.

use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::time::Instant;

/// A node's interest lasts this long after its last announcement.
pub const INTEREST_TTL: Duration = Duration::from_secs(3);
/// Nodes whose interest is kept track of.
pub const MAX_NODES: usize = 1024;

/// What the leader's actor must do after a change.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Change {
    /// Topics some node wants (some may be wanted already: wanting is idempotent).
    pub wanted: Vec<String>,
    /// Topics no node wants any more.
    pub unwanted: Vec<String>,
}

impl Change {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.wanted.is_empty() && self.unwanted.is_empty()
    }
}

/// Every other node's interest in one module.
#[derive(Debug, Default)]
pub struct NodeInterest {
    /// Each node's topics, and when it last announced them.
    nodes: HashMap<String, (HashSet<String>, Instant)>,
}

impl NodeInterest {
    /// `node` announced, at `now`, that it wants exactly `topics`.
    pub fn heard(&mut self, node: String, topics: Vec<String>, now: Instant) -> Change {
        if self.nodes.len() >= MAX_NODES && !self.nodes.contains_key(&node) {
            return Change::default();
        }
        let topics: HashSet<String> = topics.into_iter().collect();
        let before = self.nodes.insert(node, (topics.clone(), now)).map(|(before, _)| before).unwrap_or_default();
        let mut unwanted: Vec<String> =
            before.difference(&topics).filter(|topic| !self.wants(topic)).cloned().collect();
        unwanted.sort();
        let mut wanted: Vec<String> = topics.into_iter().collect();
        wanted.sort();
        Change { wanted, unwanted }
    }

    /// When the oldest announcement lapses.
    pub fn next_lapse(&self) -> Option<Instant> {
        self.nodes.values().map(|(_, heard)| *heard + INTEREST_TTL).min()
    }

    /// Forgets the nodes not heard from for [`INTEREST_TTL`] by `now`.
    pub fn lapse(&mut self, now: Instant) -> Change {
        let lapsed: Vec<String> = self
            .nodes
            .iter()
            .filter(|(_, (_, heard))| *heard + INTEREST_TTL <= now)
            .map(|(node, _)| node.clone())
            .collect();
        let mut gone = HashSet::new();
        for node in lapsed {
            tracing::info!(node, "a node's interest lapsed");
            gone.extend(self.nodes.remove(&node).map(|(topics, _)| topics).unwrap_or_default());
        }
        let mut unwanted: Vec<String> = gone.into_iter().filter(|topic| !self.wants(topic)).collect();
        unwanted.sort();
        Change { wanted: Vec::new(), unwanted }
    }

    /// Every topic some node wants, for a node that just took the lead.
    pub fn all(&self) -> Change {
        let all: HashSet<&String> = self.nodes.values().flat_map(|(topics, _)| topics).collect();
        let mut wanted: Vec<String> = all.into_iter().cloned().collect();
        wanted.sort();
        Change { wanted, unwanted: Vec::new() }
    }

    fn wants(&self, topic: &str) -> bool {
        self.nodes.values().any(|(topics, _)| topics.contains(topic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn a_topic_is_unwanted_only_once_no_node_wants_it() {
        let mut interest = NodeInterest::default();
        let now = Instant::now();
        assert_eq!(interest.heard("a".into(), topics(&["x", "y"]), now).wanted, topics(&["x", "y"]));
        interest.heard("b".into(), topics(&["y"]), now);
        let change = interest.heard("a".into(), topics(&[]), now);
        assert_eq!(change.unwanted, topics(&["x"]), "b still wants y");
        assert_eq!(interest.all().wanted, topics(&["y"]));
        assert_eq!(interest.heard("b".into(), topics(&[]), now).unwanted, topics(&["y"]));
    }

    #[test]
    fn a_silent_node_lapses_with_its_interest() {
        let mut interest = NodeInterest::default();
        let start = Instant::now();
        interest.heard("a".into(), topics(&["x"]), start);
        interest.heard("b".into(), topics(&["x", "z"]), start + Duration::from_secs(2));
        assert_eq!(interest.next_lapse(), Some(start + INTEREST_TTL));
        assert!(interest.lapse(start + Duration::from_secs(1)).is_empty());
        assert!(interest.lapse(start + INTEREST_TTL).is_empty(), "b still wants x");
        let change = interest.lapse(start + Duration::from_secs(2) + INTEREST_TTL);
        assert_eq!(change.unwanted, topics(&["x", "z"]));
        assert_eq!(interest.next_lapse(), None);
    }

    #[test]
    fn nodes_beyond_the_bound_are_not_heard() {
        let mut interest = NodeInterest::default();
        let now = Instant::now();
        for node in 0..MAX_NODES {
            interest.heard(node.to_string(), topics(&["x"]), now);
        }
        assert!(interest.heard("one too many".into(), topics(&["y"]), now).is_empty());
        assert!(!interest.heard("0".into(), topics(&["y"]), now).is_empty(), "a known node is still heard");
    }
}

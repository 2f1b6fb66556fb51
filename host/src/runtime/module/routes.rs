//! The routes of the version a module serves, and the one place they are
//! looked up: by a client's request, by a topic's route prefix, by another
//! node's interest, and when a new version replaces them.

use crate::hub::topics::TopicPolicy;
use crate::runtime::status::{Delivery, RouteInfo};

/// A module's routes.
#[derive(Debug, Clone, Default)]
pub(super) struct Routes(Vec<RouteInfo>);

impl Routes {
    pub(super) fn new(routes: Vec<RouteInfo>) -> Self {
        Self(routes)
    }

    /// Route `name`, if the module serves it.
    pub(super) fn get(&self, name: &str) -> Option<&RouteInfo> {
        self.0.iter().find(|route| route.name == name)
    }

    /// Whether the module serves route `name`.
    pub(super) fn serves(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// How route `name`'s topics deliver and keep their updates.
    pub(super) fn policy(&self, name: &str) -> TopicPolicy {
        self.get(name).map_or_else(TopicPolicy::default, |route| TopicPolicy {
            reliable: route.delivery == Delivery::Reliable,
            history: route.history.policy(),
        })
    }

    /// Whether route `name`'s topics keep a history a client may recover from.
    pub(super) fn keeps_history(&self, name: &str) -> bool {
        self.policy(name).history.keeps()
    }

    /// The routes' names, for a client that asked for another.
    pub(super) fn names(&self) -> String {
        self.0.iter().map(|route| route.name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// The route of `topic`: everything before its first `:`.
pub(super) fn route_of_topic(topic: &str) -> &str {
    topic.split_once(':').map_or("", |(route, _)| route)
}

//! What a module's actor needs from other nodes, defined here by the runtime
//! so that a cluster plugs in from above ([`crate::cluster`] implements it
//! over NATS) and a single node needs nothing ([`Alone`]). The shape is
//! centrifuge's `Broker` and `BrokerEventHandler`: the node owns the seam,
//! transports implement it beside their connection.
//!
//! - Outward, one [`Remote`] per module: whether this node leads the module,
//!   mirroring the topics a follower's clients want, the leader's frames for
//!   other nodes ([`Outlet`]), the leader's updates of routes with a history
//!   to store before anyone sees them ([`StreamOutlet`]), where a topic's
//!   stored sequence stands (for a node taking it over) and the stored
//!   updates a mirror missed, REST requests forwarded to the leader.
//! - Inward, the module's [`ModuleInbox`]: this node took or lost the lead,
//!   which topics other nodes want (counted per node on the other side of
//!   the seam), a frame of a mirrored topic, an update now stored, the
//!   updates that fill a mirror's hole, a REST request forwarded here.

use crate::hub::position::Position;
use crate::hub::topics::{Continuation, Outlet, StreamOutlet};
use crate::limits::Limits;
use crate::runtime::instance::{HttpOutcome, HttpRequest};
use crate::runtime::module::{ModuleInbox, Unavailable};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A future a [`Remote`] returns: boxed, so the trait stays object-safe.
pub type RemoteFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The other nodes, as a whole.
pub trait Nodes: Send + Sync {
    /// Joins module `module` to the other nodes; what they tell it reaches
    /// its actor through `inbox`.
    fn join(&self, module: &str, inbox: ModuleInbox, limits: &Limits) -> Arc<dyn Remote>;

    /// This node as `/healthz` and `/api/v1/modules` show it (`None` alone).
    fn report(&self) -> Option<serde_json::Value>;
}

/// One module's reach to the other nodes.
pub trait Remote: Send + Sync {
    /// Whether there are other nodes at all (a module then has a role).
    fn clustered(&self) -> bool;

    /// Whether this node serves as the module's leader: it runs the topics.
    fn is_leader(&self) -> bool;

    /// The actor serves as the leader from now on (its fresh instance in
    /// place), or has stopped.
    fn set_leading(&self, leading: bool);

    /// A follower's client subscribed to `topic`: receive the leader's
    /// frames of it, and let the leader know.
    fn mirror(&self, topic: &str);

    /// No client of this node wants `topic` any more.
    fn unmirror(&self, topic: &str);

    /// Stops mirroring every topic but `topics` (they were dropped here).
    fn keep_mirrors(&self, topics: &[String]);

    /// Where the leader's frames of topics other nodes want go.
    fn outlet(&self) -> Option<Outlet>;

    /// Where the leader's updates of routes with a history are stored
    /// before delivery; each comes back through [`ModuleInbox::durable`].
    fn stream(&self) -> Option<StreamOutlet>;

    /// Where `topic`'s stored sequence stands, and the stored updates after
    /// `after` (the position this node's subscribers saw); `None` when
    /// nothing of it is stored or its sequence ended (it was removed).
    fn continuation(&self, topic: &str, after: Option<Position>) -> RemoteFuture<'_, Option<Continuation>>;

    /// Fetches the stored updates of mirror `topic` after `after`, for
    /// [`ModuleInbox::filled`].
    fn fill(&self, topic: &str, after: Position);

    /// Has the leader answer a REST request.
    fn forward(&self, request: HttpRequest) -> RemoteFuture<'_, Result<HttpOutcome, Unavailable>>;

    /// Leaves the other nodes; a leader hands the module over at once.
    fn leave(&self) -> RemoteFuture<'_, ()>;
}

/// A single node: it leads every module, and nobody else wants anything.
pub struct Alone;

impl Nodes for Alone {
    fn join(&self, _module: &str, _inbox: ModuleInbox, _limits: &Limits) -> Arc<dyn Remote> {
        Arc::new(Alone)
    }

    fn report(&self) -> Option<serde_json::Value> {
        None
    }
}

impl Remote for Alone {
    fn clustered(&self) -> bool {
        false
    }

    fn is_leader(&self) -> bool {
        true
    }

    fn set_leading(&self, _leading: bool) {}

    fn mirror(&self, _topic: &str) {}

    fn unmirror(&self, _topic: &str) {}

    fn keep_mirrors(&self, _topics: &[String]) {}

    fn outlet(&self) -> Option<Outlet> {
        None
    }

    fn stream(&self) -> Option<StreamOutlet> {
        None
    }

    fn continuation(&self, _topic: &str, _after: Option<Position>) -> RemoteFuture<'_, Option<Continuation>> {
        Box::pin(async { None })
    }

    fn fill(&self, _topic: &str, _after: Position) {}

    fn forward(&self, _request: HttpRequest) -> RemoteFuture<'_, Result<HttpOutcome, Unavailable>> {
        // Never asked: a single node leads, so it answers its own requests.
        Box::pin(async { Err(Unavailable::Gone) })
    }

    fn leave(&self) -> RemoteFuture<'_, ()> {
        Box::pin(async {})
    }
}

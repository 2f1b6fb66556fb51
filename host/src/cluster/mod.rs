//! Many nodes on one NATS server: each module has one leader cluster-wide,
//! which alone runs its topics; the others mirror them for their own clients.
//!
//! - [`config`]: `[cluster]` (`nats_url`, `node_name`).
//! - [`link`]: one module's part in the cluster — its lease, the interest
//!   its followers announce, the frames its leader publishes, and REST
//!   requests forwarded to the leader.
//! - [`interest`]: which topics other nodes want, counted per node.
//! - [`history`]: a module's stored updates (a JetStream stream), before anyone sees them.
//! - [`envelope`]: a REST request, or what became of it, as one NATS message.
//! - [`deploy`]: components put into a JetStream object store, taken by every node.
//! - [`state`]: module state in JetStream KV (the state backend of a cluster).
//!
//! Subjects, per module `m` (its name, hex-encoded when it is not a plain
//! token): `topicwire.m.<m>.interest` (followers' interest, every
//! [`link::ANNOUNCE_EVERY`]), `topicwire.m.<m>.u.<h>` (the frames of the topic
//! whose SHA-256 starts with `h`, published once per update by the leader),
//! `topicwire.m.<m>.http.<node>` (REST requests for `node`). Leases live in
//! the JetStream KV bucket [`LEASES`], one key per module, whose entries
//! expire [`LEASE_TTL`] after their last renewal.

pub mod config;
pub mod deploy;
pub mod envelope;
pub mod history;
pub mod interest;
pub mod link;
pub mod state;

use crate::limits::Limits;
use crate::runtime::module::ModuleInbox;
use crate::runtime::remote::{Nodes, Remote};
use anyhow::{Context, Result};
use async_nats::jetstream::{self, kv};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// The JetStream KV bucket of module leases.
pub const LEASES: &str = "topicwire-leases";
/// How long a lease lasts without renewal: a dead leader is replaced within it.
pub const LEASE_TTL: Duration = Duration::from_secs(3);

/// This node's connection to the cluster.
pub struct Cluster {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    leases: kv::Store,
    node: Arc<str>,
}

impl Cluster {
    /// Connects to `nats_url` as `node` and opens (or creates) the lease bucket.
    pub async fn connect(nats_url: &str, node: &str) -> Result<Arc<Self>> {
        let client = async_nats::ConnectOptions::new()
            .name(format!("topicwire {node}"))
            .retry_on_initial_connect()
            .connect(nats_url)
            .await
            .with_context(|| format!("cannot connect to NATS at {nats_url}"))?;
        let jetstream = jetstream::new(client.clone());
        let config = kv::Config { bucket: LEASES.to_owned(), history: 1, max_age: LEASE_TTL, ..Default::default() };
        let leases = match jetstream.get_key_value(LEASES).await {
            Ok(store) => store,
            Err(_) => jetstream.create_key_value(config).await.context(
                "cannot create the JetStream KV bucket of leases (is JetStream enabled: `nats-server -js`?)",
            )?,
        };
        tracing::info!(node, nats_url, "joined the cluster");
        Ok(Arc::new(Self { client, jetstream, leases, node: node.into() }))
    }

    /// The JetStream context (leases, module state, deploys).
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.jetstream
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Whether the connection to NATS is up.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// This node in `/healthz` and `/api/v1/modules`: its name, and
    /// `"connected"`, or `"degraded"` while NATS is out of reach (local
    /// clients are still served; cross-node updates resume on reconnection).
    pub fn report(&self) -> serde_json::Value {
        let state = if self.is_connected() { "connected" } else { "degraded" };
        serde_json::json!({"node": &*self.node, "state": state})
    }
}

/// The cluster as the runtime's seam: each module joins through its own [`link::ModuleLink`].
impl Nodes for Arc<Cluster> {
    fn join(&self, module: &str, inbox: ModuleInbox, limits: &Limits) -> Arc<dyn Remote> {
        link::ModuleLink::start(self.clone(), module, inbox, limits)
    }

    fn report(&self) -> Option<serde_json::Value> {
        Some(Cluster::report(self))
    }
}

/// `name` as one NATS subject token (and KV key): as is when it is made of
/// `[A-Za-z0-9_-]` and does not start with `_`, else `_` and its bytes in
/// hex (so the two forms never meet).
pub fn token(name: &str) -> String {
    let plain = name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    if plain && !name.is_empty() && !name.starts_with('_') {
        name.to_owned()
    } else {
        format!("_{}", hex(name.as_bytes()))
    }
}

/// The subject token of `topic`: the first 16 bytes of its SHA-256, in hex.
pub fn topic_token(topic: &str) -> String {
    hex(&Sha256::digest(topic.as_bytes())[..16])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_subject_tokens() {
        assert_eq!(token("broker"), "broker");
        assert_eq!(token("a.b"), "_612e62");
        assert_eq!(token(""), "_");
        assert_ne!(token("_61"), token("a"));
        assert_eq!(topic_token(r#"bars:{"symbol":"AAPL"}"#).len(), 32);
        assert_ne!(topic_token("a"), topic_token("b"));
    }
}

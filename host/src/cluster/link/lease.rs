//! The module's lease: taken when free, renewed while held, and each change
//! told to the actor without waiting on its queue.

use super::{ModuleLink, holder, lock};
use crate::cluster::LEASE_TTL;
use async_nats::jetstream::kv::Operation;
use bytes::Bytes;
use std::sync::Arc;

impl ModuleLink {
    /// Reads who holds the lease now.
    pub(super) async fn refresh_leader(&self) {
        let holder = match self.cluster.leases.entry(&self.key).await {
            Ok(Some(entry)) if entry.operation == Operation::Put => holder(&entry),
            _ => None,
        };
        *lock(&self.leader) = holder;
    }

    /// Takes the lease when it is free and renews it while held.
    pub(super) async fn hold_lease(self: Arc<Self>) {
        let node = Bytes::from(self.cluster.node().to_owned());
        let mut revision: Option<u64> = None;
        let mut tick = tokio::time::interval(LEASE_TTL / 3);
        loop {
            tokio::select! {
                () = self.stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let leases = &self.cluster.leases;
            revision = match revision {
                Some(held) => match leases.update(&self.key, node.clone(), held).await {
                    Ok(renewed) => Some(renewed),
                    Err(error) => match leases.entry(&self.key).await {
                        // Someone else holds it (we were cut off past the TTL): step down.
                        Ok(Some(entry)) if entry.operation == Operation::Put && entry.value != node => {
                            tracing::warn!(module = self.key, "lost the lease to another node: {error}");
                            *lock(&self.leader) = holder(&entry);
                            self.lead(false).await;
                            None
                        }
                        Ok(Some(entry)) if entry.operation == Operation::Put => Some(entry.revision),
                        // It lapsed (NATS was out of reach past the TTL): take it again, or step down.
                        Ok(_) if self.stop.is_cancelled() => None,
                        Ok(_) => match leases.create(&self.key, node.clone()).await {
                            Ok(taken) => Some(taken),
                            Err(_) => {
                                self.refresh_leader().await;
                                self.lead(false).await;
                                None
                            }
                        },
                        // NATS is out of reach: keep producing for this node's clients.
                        Err(_) => Some(held),
                    },
                },
                None if self.stop.is_cancelled() => None,
                None => match leases.create(&self.key, node.clone()).await {
                    Ok(taken) => {
                        tracing::info!(module = self.key, node = self.cluster.node(), "leading the module");
                        *lock(&self.leader) = Some(self.cluster.node().to_owned());
                        self.lead(true).await;
                        Some(taken)
                    }
                    Err(_) => {
                        self.refresh_leader().await;
                        None
                    }
                },
            };
            *lock(&self.held) = revision;
        }
    }

    /// Tells the actor, without waiting on its queue: renewing the lease must
    /// never wait behind the module's work.
    pub(super) async fn lead(&self, leading: bool) {
        if !leading {
            self.leading.send_replace(false);
        }
        let inbox = self.inbox.clone();
        tokio::spawn(async move { inbox.lead(leading).await });
    }
}

//! Interest: a follower announces the topics its clients want; every node
//! hears the others' and, while leading, tells its actor what changed.

use super::{ANNOUNCE_EVERY, Interest, ModuleLink, lock};
use crate::cluster::interest::{Change, NodeInterest};
use crate::runtime::timers::sleep_until;
use std::sync::Arc;

impl ModuleLink {
    /// A follower's announcements of its interest.
    pub(super) async fn announce(self: Arc<Self>) {
        let subject = format!("{}.interest", self.prefix);
        let mut tick = tokio::time::interval(ANNOUNCE_EVERY);
        loop {
            tokio::select! {
                () = self.stop.cancelled() => return,
                _ = tick.tick() => {}
                () = self.changed.notified() => {}
            }
            if self.leads() {
                continue;
            }
            let topics = lock(&self.watched).keys().cloned().collect();
            let interest = Interest { node: self.cluster.node().to_owned(), topics };
            if let Ok(payload) = serde_json::to_vec(&interest) {
                let _ = self.cluster.client.publish(subject.clone(), payload.into()).await;
            }
        }
    }

    /// Other nodes' announcements, counted per node; while this node leads,
    /// the actor is told what changed (everything, once it takes the lead).
    pub(super) async fn hear_interest(self: Arc<Self>) {
        let Some(mut announcements) = self.subscribe(format!("{}.interest", self.prefix)).await else { return };
        let mut interest = NodeInterest::default();
        let mut leading = self.leading.subscribe();
        loop {
            let change = tokio::select! {
                message = self.next(&mut announcements) => {
                    let Some(message) = message else { return };
                    match serde_json::from_slice::<Interest>(&message.payload) {
                        Ok(heard) if heard.node != self.cluster.node() => {
                            interest.heard(heard.node, heard.topics, tokio::time::Instant::now())
                        }
                        Ok(_) => continue,
                        Err(error) => {
                            tracing::warn!(module = self.key, "an interest announcement is not valid: {error}");
                            continue;
                        }
                    }
                }
                () = sleep_until(interest.next_lapse()) => interest.lapse(tokio::time::Instant::now()),
                changed = leading.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if !*leading.borrow_and_update() {
                        continue;
                    }
                    interest.all()
                }
            };
            if self.leads() && !change.is_empty() {
                let Change { wanted, unwanted } = change;
                self.inbox.remote_interest(wanted, unwanted).await;
            }
        }
    }
}

//! Leading or following, in a cluster (see [`crate::runtime::remote`]).
//! Every node runs the actor, but only the module's leader creates topics
//! and fires timers: on a follower a subscribe is still checked by the
//! component, then the topic is a mirror fed with the leader's frames. The
//! leader also keeps the topics other nodes want, and hands their frames to
//! the [`Outlet`] once.

use super::actor::{Actor, Fault};
use super::routes::route_of_topic;
use crate::hub::topics::Outlet;
use crate::runtime::instance::describe;
use bytes::Bytes;

impl Actor {
    /// This node took or lost the module's lead. Taking it, a fresh instance
    /// creates every topic local clients mirror (and those other nodes want,
    /// which the seam hands over once this node serves as the leader);
    /// losing it, the instance removes them all and this node mirrors the
    /// new leader's.
    pub(super) async fn lead(&mut self, leading: bool) {
        if leading == self.leading {
            return;
        }
        self.leading = leading;
        self.status.send_modify(|status| status.cluster_role = Some(if leading { "leader" } else { "follower" }));
        let outlet = self.outlet();
        let Some(instance) = self.instance.as_mut() else {
            // Quarantined: it serves (and gets its outlet) once retried.
            return self.remote.set_leading(leading);
        };
        instance.state().topics.set_outlet(outlet);
        if leading {
            self.remote.keep_mirrors(&[]);
            // A fresh instance: whatever the guest kept in memory may be stale,
            // since another leader may have changed the module's state meanwhile.
            let mut topics = std::mem::take(&mut instance.state().topics);
            topics.restart_sequences();
            match self.blueprint.instantiate().await {
                Ok(fresh) => self.instance = Some(fresh),
                Err(error) => return self.quarantine(topics, &format!("{error:#}")),
            }
            self.recreate(topics).await;
            return self.remote.set_leading(true);
        }
        self.remote.set_leading(false);
        let topics = instance.state().topics.topics();
        // Mirror first, so a trap below cannot leave a local client without its topic.
        for topic in &topics {
            instance.state().timers.clear(topic);
            // A topic only other nodes wanted goes; they follow the new leader now.
            if !instance.state().topics.set_remote(topic, false) {
                self.remote.mirror(topic);
            }
        }
        for topic in &topics {
            if self.guarded(async |instance| instance.remove_topic(topic).await).await.is_err() {
                return;
            }
        }
    }

    /// Where the topics' frames for other nodes go while this node leads.
    pub(super) fn outlet(&self) -> Option<Outlet> {
        self.remote.outlet().filter(|_| self.leading)
    }

    /// Other nodes want `wanted` and no longer want `unwanted`: the leader
    /// creates the topics it does not have yet and lets go of the others.
    pub(super) async fn remote_interest(&mut self, wanted: Vec<String>, unwanted: Vec<String>) {
        if !self.leading {
            return;
        }
        for topic in &wanted {
            self.want(topic).await;
        }
        for topic in &unwanted {
            self.unwant(topic).await;
        }
    }

    /// Some node wants `topic`: make it live, or mark it wanted.
    async fn want(&mut self, topic: &str) {
        let route = route_of_topic(topic);
        let (serves, policy) = (self.routes.serves(route), self.routes.policy(route));
        let limits = self.limits.clone();
        let Some(instance) = self.instance.as_mut() else { return };
        let table = &mut instance.state().topics;
        if table.is_remote(topic) {
            return;
        }
        if table.contains(topic) {
            table.set_remote(topic, true);
            return;
        }
        if topic.len() > limits.max_topic_bytes || !serves || table.len() >= limits.max_topics {
            return;
        }
        table.begin_create_remote(topic, route, policy);
        let created = self
            .guarded(async |instance| {
                let created = instance.create_topic(topic).await;
                match &created {
                    Ok(Ok(())) => instance.state().topics.finish_create(topic),
                    Ok(Err(_)) | Err(_) => {
                        instance.state().topics.abort_create(topic);
                        instance.state().timers.clear(topic);
                    }
                }
                created
            })
            .await;
        if let Ok(Err(error)) = created {
            tracing::warn!(module = &*self.name, topic, "another node's topic was refused: {}", describe(&error));
        }
    }

    /// No other node wants `topic` any more: it goes unless local clients want it.
    async fn unwant(&mut self, topic: &str) {
        let Some(instance) = self.instance.as_mut() else { return };
        if instance.state().topics.set_remote(topic, false) {
            let _: Result<(), Fault> = self.guarded(async |instance| instance.remove_topic(topic).await).await;
        }
    }

    /// A frame of a mirrored topic from the leader (`catching_up`: the
    /// leader's latest, taken only while the mirror has none of its own).
    pub(super) fn mirror_frame(&mut self, topic: &str, frame: Bytes, catching_up: bool) {
        if self.leading {
            return;
        }
        let Some(instance) = self.instance.as_mut() else { return };
        let table = &mut instance.state().topics;
        if catching_up {
            table.catch_up_frame(topic, frame);
        } else {
            table.deliver_frame(topic, frame);
        }
    }

    /// The latest frame of `topic`, for a follower's newcomers; none unless this node leads.
    pub(super) fn latest(&mut self, topic: &str) -> Option<Bytes> {
        let leading = self.leading;
        self.instance.as_mut().filter(|_| leading).and_then(|instance| instance.state().topics.latest(topic))
    }
}

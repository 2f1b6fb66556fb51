//! Leading or following, in a cluster (see [`crate::runtime::remote`]).
//! Every node runs the actor, but only the module's leader creates topics
//! and fires timers: on a follower a subscribe is still checked by the
//! component, then the topic is a mirror fed with the leader's frames. The
//! leader also keeps the topics other nodes want, and hands their frames to
//! the [`Outlet`] once; its updates of routes with a history are stored
//! before anyone sees them ([`StreamOutlet`]), so a node that takes the lead
//! continues their sequences from what is stored, and a follower fills a
//! hole in what reached it from there.

use super::actor::{Actor, Fault};
use super::routes::route_of_topic;
use crate::hub::position::Position;
use crate::hub::topics::{Continuation, Mirrored, Outlet, StreamOutlet, TopicTable};
use crate::runtime::instance::describe;
use bytes::Bytes;
use std::sync::Arc;

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
        let (outlet, stream) = (self.outlet(), self.stream());
        let Some(instance) = self.instance.as_mut() else {
            // Quarantined: it serves (and gets its outlet) once retried.
            return self.remote.set_leading(leading);
        };
        instance.state().topics.set_outlet(outlet);
        instance.state().topics.set_stream(stream);
        if leading {
            self.remote.keep_mirrors(&[]);
            // A fresh instance: whatever the guest kept in memory may be stale,
            // since another leader may have changed the module's state meanwhile.
            let mut topics = std::mem::take(&mut instance.state().topics);
            self.take_over_sequences(&mut topics).await;
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

    /// Where updates of routes with a history are stored while this node leads.
    pub(super) fn stream(&self) -> Option<StreamOutlet> {
        self.remote.stream().filter(|_| self.leading)
    }

    /// This node takes over `topics` (its mirrors): a topic of a route with a
    /// history goes on from its stored sequence, its subscribers first given
    /// what is stored and they missed; any other starts a new sequence, since
    /// this node cannot know what the last leader numbered after the frames
    /// that reached it.
    async fn take_over_sequences(&mut self, topics: &mut TopicTable) {
        for topic in topics.topics() {
            let route = topics.route_of(&topic).unwrap_or_default().to_owned();
            let continuation = match topics.is_durable() && self.routes.keeps_history(&route) {
                true => self.remote.continuation(&topic, topics.position(&topic).filter(Position::is_known)).await,
                false => None,
            };
            match continuation {
                Some(continuation) => topics.continue_sequence(&topic, continuation),
                None => topics.restart_sequence(&topic),
            }
        }
    }

    /// A new topic of route `route` on the leader: its stored sequence, if it
    /// has one that did not end (the topic was live when the last leader stopped).
    pub(super) async fn stored_sequence(&mut self, topic: &str, route: &str, durable: bool) -> Option<Continuation> {
        if !durable || !self.routes.keeps_history(route) {
            return None;
        }
        self.remote.continuation(topic, None).await
    }

    /// An update this node leads, stored by the cluster: its subscribers get it now.
    pub(super) fn deliver_durable(&mut self, topic: &Arc<str>, frame: Bytes) {
        if let Some(instance) = self.instance.as_mut() {
            instance.state().topics.deliver_durable(topic, frame);
        }
    }

    /// The stored updates that fill a mirror's hole.
    pub(super) fn filled(&mut self, topic: &str, frames: Vec<Bytes>) {
        if let Some(instance) = self.instance.as_mut() {
            instance.state().topics.fill(topic, frames);
        }
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
        let durable = table.is_durable();
        let stored = self.stored_sequence(topic, route, durable).await;
        let Some(instance) = self.instance.as_mut() else { return };
        let table = &mut instance.state().topics;
        table.begin_create_remote(topic, route, policy);
        if let Some(stored) = stored {
            table.continue_sequence(topic, stored);
        }
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
        } else if let Mirrored::Hole { after } = table.deliver_frame(topic, frame) {
            self.remote.fill(topic, after);
        }
    }

    /// The latest frame of `topic`, for a follower's newcomers; none unless this node leads.
    pub(super) fn latest(&mut self, topic: &str) -> Option<Bytes> {
        let leading = self.leading;
        self.instance.as_mut().filter(|_| leading).and_then(|instance| instance.state().topics.latest(topic))
    }
}

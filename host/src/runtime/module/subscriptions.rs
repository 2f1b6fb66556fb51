//! Subscribe, unsubscribe and disconnect: reference counting in the topic
//! table, `build-topic` for every request (the component validates it and
//! checks the caller), `create-topic` for a topic's first subscriber and
//! `remove-topic` after its last (or once a topic with history stops
//! lingering). A follower mirrors the leader's topic instead of creating
//! it. A subscribe that gives a position recovers from it (see
//! [`crate::hub::topics`]): a new topic is a new sequence, so it answers
//! `recovered: false`.

use super::Request;
use super::actor::{Actor, Fault};
use super::routes::route_of_topic;
use crate::hub::messages::{self, Op};
use crate::hub::peer::{ConnId, Peer};
use crate::hub::position::Position;
use crate::hub::topics::Removal;
use crate::runtime::bindings::topicwire::ws::types::Caller;
use crate::runtime::instance::describe;

impl Actor {
    pub(super) async fn request(&mut self, request: &Request, caller: &Caller, peer: &Peer) {
        let Request { op, route, payload, since } = request;
        let (op, route, payload) = (*op, route.as_str(), payload.as_str());
        if self.instance.is_none() {
            peer.send(messages::error_response(route, op, "the module is quarantined after repeated crashes"));
            return;
        }
        if !self.routes.serves(route) {
            let message = format!("unknown route `{route}`; this module serves: {}", self.routes.names());
            peer.send(messages::error_response(route, op, &message));
            return;
        }
        if since.is_some() && !self.routes.keeps_history(route) {
            let message = format!("route `{route}` keeps no history to recover from; subscribe without `since`");
            peer.send(messages::error_response(route, op, &message));
            return;
        }
        // Every subscribe is checked by the component, not only the one that creates the topic.
        let caller = (op == Op::Subscribe).then_some(caller);
        let max_topic_bytes = self.limits.max_topic_bytes;
        let topic = match self.guarded(async |instance| instance.build_topic(route, payload, caller).await).await {
            Ok(Ok(topic)) if topic.len() > max_topic_bytes => {
                let message = format!(
                    "topic too long: {} bytes, at most {max_topic_bytes} (max_topic_bytes); shorten the request",
                    topic.len(),
                );
                peer.send(messages::error_response(route, op, &message));
                return;
            }
            Ok(Ok(topic)) if route_of_topic(&topic) == route => topic,
            Ok(Ok(topic)) => {
                let message = format!("the module built topic `{topic}`, which is not of route `{route}`");
                peer.send(messages::error_response(route, op, &message));
                return;
            }
            Ok(Err(error)) => {
                peer.send(messages::error_response(route, op, &describe(&error)));
                return;
            }
            Err(_) => {
                peer.send(messages::error_response(route, op, "the module failed; try again"));
                return;
            }
        };
        match op {
            Op::Subscribe => self.subscribe(route, &topic, since.as_ref(), peer).await,
            Op::Unsubscribe => self.unsubscribe(route, &topic, peer).await,
        }
    }

    async fn subscribe(&mut self, route: &str, topic: &str, since: Option<&Position>, peer: &Peer) {
        let limits = self.limits.clone();
        let policy = self.routes.policy(route);
        let Some(instance) = self.instance.as_mut() else { return };
        let table = &mut instance.state().topics;
        if table.is_subscribed(topic, peer.id()) {
            // Counts once; answered as the Python system does, whose clients compare the message.
            let position = table.position(topic).unwrap_or_else(Position::fresh);
            peer.send(messages::subscribed(route, topic, &position, None));
            return;
        }
        if table.subscriptions_of(peer.id()) >= limits.max_subscriptions_per_connection {
            let message = format!(
                "subscription limit reached: at most {} topics per connection",
                limits.max_subscriptions_per_connection
            );
            peer.send(messages::error_response(route, Op::Subscribe, &message));
            return;
        }
        if table.join(topic, peer, since, limits.max_recovery_updates) {
            return;
        }
        if table.len() >= limits.max_topics {
            let message = format!("the module serves its maximum of {} topics; try later", limits.max_topics);
            peer.send(messages::error_response(route, Op::Subscribe, &message));
            return;
        }
        let recovered = since.map(|_| false);
        if !self.leading {
            // A follower mirrors the leader's topic; the leader learns of the interest.
            // Its position is the leader's, known with the first frame.
            table.mirror(topic, route, policy, peer.clone());
            let position = table.position(topic).unwrap_or_else(Position::fresh);
            peer.send(messages::subscribed(route, topic, &position, recovered));
            self.remote.mirror(topic);
            return;
        }
        let durable = table.is_durable();
        let stored = self.stored_sequence(topic, route, durable).await;
        let Some(instance) = self.instance.as_mut() else { return };
        let table = &mut instance.state().topics;
        table.begin_create(topic, route, policy, peer.clone());
        if let Some(stored) = stored {
            // The topic was live when the last leader stopped: its sequence goes on.
            table.continue_sequence(topic, stored);
        }
        let position = table.position(topic).unwrap_or_else(Position::fresh);
        let created = self
            .guarded(async |instance| {
                let created = instance.create_topic(topic).await;
                match &created {
                    Ok(Ok(())) => {
                        peer.send(messages::subscribed(route, topic, &position, recovered));
                        instance.state().topics.finish_create(topic);
                    }
                    // Refused, or trapped: the topic is forgotten before a fresh instance could re-create it.
                    Ok(Err(_)) | Err(_) => {
                        instance.state().topics.abort_create(topic);
                        instance.state().timers.clear(topic);
                    }
                }
                created
            })
            .await;
        match created {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                peer.send(messages::error_response(route, Op::Subscribe, &describe(&error)));
            }
            Err(Fault::Trapped | Fault::Quarantined) => {
                peer.send(messages::error_response(route, Op::Subscribe, "the module failed creating the topic"));
            }
        }
    }

    async fn unsubscribe(&mut self, route: &str, topic: &str, peer: &Peer) {
        let Some(instance) = self.instance.as_mut() else { return };
        match instance.state().topics.remove_subscriber(topic, peer.id()) {
            Removal::NotSubscribed => {
                let message = format!("not subscribed to `{topic}`");
                peer.send(messages::error_response(route, Op::Unsubscribe, &message));
            }
            Removal::Remaining => {
                peer.send(messages::ok_response(route, Op::Unsubscribe, "Unsubscribed", topic));
            }
            Removal::LastGone => {
                peer.send(messages::ok_response(route, Op::Unsubscribe, "Unsubscribed", topic));
                // A trap is handled where it happened; the unsubscribe itself is done.
                let _ = self.topic_gone(topic).await;
            }
        }
    }

    pub(super) async fn disconnect(&mut self, conn: ConnId) {
        let Some(instance) = self.instance.as_mut() else { return };
        for topic in instance.state().topics.disconnect(conn) {
            if self.topic_gone(&topic).await.is_err() {
                return;
            }
        }
    }

    /// The topics that lingered without subscribers for their history's TTL go.
    pub(super) async fn lapse_lingering(&mut self) {
        let now = tokio::time::Instant::now();
        let Some(instance) = self.instance.as_mut() else { return };
        for topic in instance.state().topics.lapse(now) {
            if self.topic_gone(&topic).await.is_err() {
                return;
            }
        }
    }

    /// `topic` lost its last subscriber (and every other node its interest):
    /// the leader's component removes it; a follower stops mirroring it.
    pub(super) async fn topic_gone(&mut self, topic: &str) -> Result<(), Fault> {
        self.remote.unmirror(topic);
        if !self.leading {
            return Ok(());
        }
        if let Some(instance) = self.instance.as_mut()
            && self.routes.keeps_history(route_of_topic(topic))
        {
            // Its stored sequence ends: a later topic of that name starts a new one.
            instance.state().topics.record_removal(topic);
        }
        match self.guarded(async |instance| instance.remove_topic(topic).await).await {
            Err(Fault::Quarantined) => Ok(()),
            done => done,
        }
    }
}

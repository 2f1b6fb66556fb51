//! Frames between the nodes: the leader publishes its frames, stores its
//! durable updates before anyone sees them (see [`crate::hub::topics`]),
//! answers followers' catch-up requests; a follower catches up on a topic
//! it starts mirroring.

use super::{CATCH_UP_TIMEOUT, ModuleLink, STORE_RETRY};
use crate::cluster::history::HistoryStream;
use crate::cluster::{token, topic_token};
use crate::hub::topics::Durable;
use bytes::Bytes;
use std::sync::Arc;
use tokio::sync::mpsc;

impl ModuleLink {
    /// Asks the leader for `topic`'s latest frame (conflated routes only), so
    /// this node's first subscribers start from the current state as the
    /// leader's do; nothing when the topic is not live there yet (its
    /// creation's first update then comes live).
    pub(super) async fn catch_up(&self, topic: &str) {
        if self.leader().is_none() {
            self.refresh_leader().await;
        }
        let Some(leader) = self.leader().filter(|leader| leader != self.cluster.node()) else { return };
        let subject = format!("{}.latest.{}", self.prefix, token(&leader));
        let request = async_nats::Request::new().payload(Bytes::from(topic.to_owned())).timeout(Some(CATCH_UP_TIMEOUT));
        if let Ok(answer) = self.cluster.client.send_request(subject, request).await
            && !answer.payload.is_empty()
        {
            self.inbox.catch_up(topic.to_owned(), answer.payload).await;
        }
    }

    /// Answers other nodes' [`catch_up`](Self::catch_up) requests.
    pub(super) async fn serve_latest(self: Arc<Self>) {
        let subject = format!("{}.latest.{}", self.prefix, token(self.cluster.node()));
        let Some(mut requests) = self.subscribe(subject).await else { return };
        while let Some(message) = self.next(&mut requests).await {
            let (Some(reply), Ok(topic)) = (message.reply, String::from_utf8(message.payload.to_vec())) else {
                continue;
            };
            let latest = if self.leads() { self.inbox.latest(topic).await } else { None };
            let _ = self.cluster.client.publish(reply, latest.unwrap_or_default()).await;
        }
    }

    /// Publishes the leader's frames, once per topic and update.
    pub(super) async fn publish(self: Arc<Self>, mut frames: mpsc::Receiver<(Arc<str>, Bytes)>) {
        loop {
            let (topic, frame) = tokio::select! {
                () = self.stop.cancelled() => return,
                next = frames.recv() => match next { Some(next) => next, None => return },
            };
            let subject = format!("{}.u.{}", self.prefix, topic_token(&topic));
            let _ = self.cluster.client.publish(subject, frame).await;
        }
    }

    /// The module's stream of stored updates.
    pub(super) async fn history(&self) -> anyhow::Result<&HistoryStream> {
        let jetstream = self.cluster.jetstream().clone();
        self.history.get_or_try_init(|| HistoryStream::open(jetstream, &self.prefix, &self.key)).await
    }

    /// Stores the leader's updates in order, each before anyone sees it:
    /// then publishes it to the other nodes and hands it back to the actor
    /// for this node's subscribers. An update JetStream cannot take is tried
    /// again until it does (what follows waits), or the link stops.
    pub(super) async fn store_durable(self: Arc<Self>, mut items: mpsc::Receiver<Durable>) {
        loop {
            let item = tokio::select! {
                () = self.stop.cancelled() => return,
                next = items.recv() => match next { Some(next) => next, None => return },
            };
            match item {
                Durable::Frame(topic, frame) => {
                    if !self.store_until_stored(&topic, frame.clone()).await {
                        return;
                    }
                    let subject = format!("{}.u.{}", self.prefix, topic_token(&topic));
                    let _ = self.cluster.client.publish(subject, frame.clone()).await;
                    self.inbox.durable(topic, frame).await;
                }
                Durable::Removed(topic) => {
                    if !self.store_until_stored(&topic, Bytes::new()).await {
                        return;
                    }
                }
                Durable::Barrier(stored) => {
                    let _ = stored.send(());
                }
            }
        }
    }

    /// Stores `frame` of `topic`, trying again until JetStream takes it; false if the link stopped first.
    pub(super) async fn store_until_stored(&self, topic: &str, frame: Bytes) -> bool {
        let mut attempts = 0u64;
        loop {
            let stored = match self.history().await {
                Ok(history) => history.store(topic, frame.clone()).await,
                Err(error) => Err(error),
            };
            match stored {
                Ok(()) => return true,
                Err(error) => {
                    attempts += 1;
                    if attempts.is_power_of_two() {
                        tracing::warn!(module = self.key, topic, attempts, "cannot store an update yet: {error:#}");
                    }
                }
            }
            tokio::select! {
                () = self.stop.cancelled() => return false,
                () = tokio::time::sleep(STORE_RETRY) => {}
            }
        }
    }
}

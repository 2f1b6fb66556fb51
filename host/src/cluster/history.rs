//! A module's stored updates: the JetStream stream in which its leader puts
//! every update of a route with a history before anyone sees it (see
//! [`crate::hub::topics`], "durable before delivery"), one subject per topic.
//! From it a node that takes the lead continues each topic's sequence, and
//! a follower fills a hole in what reached it.
//!
//! Stream `topicwire-history-<module>`, subjects `topicwire.m.<module>.h.<topic token>`;
//! each message is the update's frame as clients get it (it carries its
//! position); an empty message ends a topic's sequence (the topic was
//! removed). Kept per topic up to [`PER_TOPIC`] messages and [`MAX_AGE`].

use crate::cluster::topic_token;
use crate::hub::position::{self, Position};
use crate::hub::topics::Continuation;
use anyhow::{Context, Result};
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use async_nats::jetstream::{self, stream};
use bytes::Bytes;
use futures_util::StreamExt;
use std::time::Duration;

/// Messages kept per topic (the largest history a route may keep).
pub const PER_TOPIC: i64 = 10_000;
/// How long a message is kept (the longest history TTL).
pub const MAX_AGE: Duration = Duration::from_secs(3600);
/// Bytes one module's stream may hold; past it the oldest go.
const MAX_BYTES: i64 = 256 * 1024 * 1024;
/// How long reading a topic's stored updates may take.
const READ_WITHIN: Duration = Duration::from_secs(5);

/// One module's stream of stored updates.
pub struct HistoryStream {
    jetstream: jetstream::Context,
    stream: stream::Stream,
    /// `topicwire.m.<module>.h`.
    prefix: String,
}

impl HistoryStream {
    /// Opens (or creates) the stream of the module whose subjects start with `module_prefix`
    /// (`topicwire.m.<module>`) and whose key is `key`.
    pub async fn open(jetstream: jetstream::Context, module_prefix: &str, key: &str) -> Result<Self> {
        let prefix = format!("{module_prefix}.h");
        let config = stream::Config {
            name: format!("topicwire-history-{key}"),
            subjects: vec![format!("{prefix}.*")],
            max_messages_per_subject: PER_TOPIC,
            max_age: MAX_AGE,
            max_bytes: MAX_BYTES,
            discard: stream::DiscardPolicy::Old,
            allow_direct: true,
            ..Default::default()
        };
        let stream = jetstream
            .get_or_create_stream(config)
            .await
            .with_context(|| format!("cannot open the JetStream stream of {module_prefix}'s updates"))?;
        Ok(Self { jetstream, stream, prefix })
    }

    fn subject(&self, topic: &str) -> String {
        format!("{}.{}", self.prefix, topic_token(topic))
    }

    /// Stores `frame` of `topic` (an empty one ends its sequence); returns once JetStream has it.
    pub async fn store(&self, topic: &str, frame: Bytes) -> Result<()> {
        let ack = self.jetstream.publish(self.subject(topic), frame).await.context("cannot publish to the stream")?;
        ack.await.context("the stream did not store the update")?;
        Ok(())
    }

    /// Where `topic`'s stored sequence stands and its stored updates after
    /// `after` (same epoch); `None` when nothing is stored or the sequence ended.
    pub async fn continuation(&self, topic: &str, after: Option<Position>) -> Result<Option<Continuation>> {
        let last = match self.stream.get_last_raw_message_by_subject(&self.subject(topic)).await {
            Ok(last) => last,
            Err(error) if error.kind() == stream::LastRawMessageErrorKind::NoMessageFound => return Ok(None),
            Err(error) => return Err(error).context("cannot read the stream"),
        };
        let Some((offset, epoch)) = crate::hub::frame::single_text_payload(&last.payload).and_then(position::of_update)
        else {
            // An empty message: the topic was removed.
            return Ok(None);
        };
        let position = Position { epoch: epoch.into(), offset };
        let missed = match after {
            Some(after) if *after.epoch == *position.epoch && after.offset < offset => {
                self.frames(topic, &after, offset).await?
            }
            _ => Vec::new(),
        };
        Ok(Some(Continuation { position, missed }))
    }

    /// The stored frames of `topic` after `after` up to offset `until`, in order.
    pub async fn frames(&self, topic: &str, after: &Position, until: u64) -> Result<Vec<Bytes>> {
        let config = pull::OrderedConfig {
            filter_subject: self.subject(topic),
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        };
        let consumer = self.stream.create_consumer(config).await.context("cannot read the stream")?;
        let mut messages = consumer.messages().await.context("cannot read the stream")?;
        let mut frames = Vec::new();
        let read = async {
            while let Some(message) = messages.next().await {
                let message = message.context("cannot read the stream")?;
                let parsed = crate::hub::frame::single_text_payload(&message.payload).and_then(position::of_update);
                let Some((offset, epoch)) = parsed else { continue };
                if *epoch == *after.epoch && offset > after.offset {
                    frames.push(message.payload.clone());
                }
                if *epoch == *after.epoch && offset >= until {
                    break;
                }
            }
            anyhow::Ok(())
        };
        tokio::time::timeout(READ_WITHIN, read).await.context("reading the stream took too long")??;
        Ok(frames)
    }
}

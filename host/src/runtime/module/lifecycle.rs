//! A module's instance from trap to trap: a crash backs off and restarts a
//! fresh instance with every live topic re-created; too many crashes
//! quarantine the module, retried after a cool-down; a new version takes the
//! topics over; unloading removes them.

use super::actor::{Actor, Fault};
use super::routes::Routes;
use super::{CRASH_WINDOW, LastError, MAX_COOLDOWN, MAX_CRASHES, ModuleState, Version, now_ms};
use crate::hub::messages;
use crate::hub::topics::TopicTable;
use crate::runtime::instance::{Instance, describe};
use std::time::Duration;
use tokio::time::Instant;

/// First restart delay; doubles with each crash in the window.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);

impl Actor {
    /// The instance trapped: back off, then serve the same topics from a fresh
    /// instance, or quarantine the module after too many crashes.
    pub(super) async fn crashed(&mut self, trap: anyhow::Error) {
        let message = format!("{trap:#}");
        tracing::error!(module = &*self.name, "instance trapped: {message}");
        let now = Instant::now();
        self.crashes.retain(|at| now.duration_since(*at) < CRASH_WINDOW);
        self.crashes.push(now);
        let topics = self.instance.take().map(Instance::into_topics).unwrap_or_default();
        self.status.send_modify(|status| {
            status.state = ModuleState::Restarting;
            status.last_error = Some(LastError { message: message.clone(), at_ms: now_ms() });
        });
        if self.crashes.len() >= MAX_CRASHES {
            self.quarantine(topics, &message);
            return;
        }
        let backoff = FIRST_BACKOFF * 2u32.saturating_pow(self.crashes.len() as u32 - 1);
        tokio::time::sleep(backoff).await;
        match self.blueprint.instantiate().await {
            Ok(instance) => {
                self.instance = Some(instance);
                self.status.send_modify(|status| {
                    status.state = ModuleState::Serving;
                    status.restarts += 1;
                });
                self.recreate(topics).await;
            }
            Err(error) => self.quarantine(topics, &format!("{error:#}")),
        }
    }

    /// Moves `topics` into the (new) instance and calls `create-topic` for
    /// each; a topic the instance refuses is dropped and its subscribers told.
    pub(super) async fn recreate(&mut self, topics: TopicTable) {
        let Some(instance) = self.instance.as_mut() else { return };
        instance.state().topics = topics;
        if !self.leading {
            // A follower's topics are mirrors: nothing to create.
            return;
        }
        instance.state().topics.resume_all();
        for topic in instance.state().topics.topics() {
            match self.guarded(async |instance| instance.create_topic(&topic).await).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    let message = format!("topic dropped: the module no longer serves it ({})", describe(&error));
                    if let Some(instance) = self.instance.as_mut() {
                        drop_topic(instance, &topic, &message);
                    }
                }
                // The fresh instance trapped too: the next one has re-created them all.
                Err(Fault::Trapped | Fault::Quarantined) => return,
            }
        }
    }

    pub(super) fn quarantine(&mut self, mut topics: TopicTable, message: &str) {
        let notice = format!("topic dropped: the module is quarantined after repeated crashes ({message})");
        for topic in topics.topics() {
            notify_dropped(&mut topics, &topic, &notice);
        }
        self.remote.keep_mirrors(&[]);
        self.instance = None;
        let cooldown = cooldown(Duration::from_millis(self.limits.quarantine_cooldown_ms), self.quarantined_in_a_row);
        self.quarantined_in_a_row = self.quarantined_in_a_row.saturating_add(1);
        self.retry_at = Some(Instant::now() + cooldown);
        tracing::error!(
            module = &*self.name,
            "quarantined after {} crashes, retried in {} ms: {message}",
            self.crashes.len(),
            cooldown.as_millis()
        );
        let retry_at_ms = now_ms() + cooldown.as_millis() as u64;
        self.status.send_modify(|status| {
            status.state = ModuleState::Quarantined;
            status.quarantines += 1;
            status.retry_at_ms = Some(retry_at_ms);
        });
    }

    /// The cool-down is over: serve again from a fresh instance (with no
    /// topics: they were dropped), or quarantine again for twice as long.
    pub(super) async fn retry(&mut self) {
        self.retry_at = None;
        self.crashes.clear();
        match self.blueprint.instantiate().await {
            Ok(mut instance) => {
                tracing::info!(module = &*self.name, "serving again after its quarantine");
                instance.state().topics.set_outlet(self.outlet());
                instance.state().topics.set_stream(self.stream());
                self.instance = Some(instance);
                self.status.send_modify(|status| {
                    status.state = ModuleState::Serving;
                    status.retry_at_ms = None;
                });
            }
            Err(error) => self.quarantine(TopicTable::default(), &format!("{error:#}")),
        }
    }

    /// Serves `version` from now on: its instance takes over the live topics
    /// (re-created on it) and the old instance is dropped. Topics of routes the
    /// new version no longer serves are dropped with a message to their subscribers.
    pub(super) async fn replace(&mut self, version: Version) {
        let Version { blueprint, instance, routes, world, hash, from_cache } = version;
        let serves_http = instance.serves_http();
        let mut topics = self.instance.replace(instance).map(Instance::into_topics).unwrap_or_default();
        let next = Routes::new(routes.clone());
        for topic in topics.topics() {
            let route = topics.route_of(&topic).unwrap_or_default().to_owned();
            if !next.serves(&route) {
                let message = format!("topic dropped: the new version of the module no longer serves route `{route}`");
                notify_dropped(&mut topics, &topic, &message);
            }
        }
        self.remote.keep_mirrors(&topics.topics());
        topics.set_policy(|route| next.policy(route));
        self.blueprint = blueprint;
        self.routes = next;
        self.crashes.clear();
        self.retry_at = None;
        self.quarantined_in_a_row = 0;
        self.status.send_modify(|status| {
            status.version = hash;
            status.world = world;
            status.routes = routes;
            status.state = ModuleState::Serving;
            status.loaded_at_ms = now_ms();
            status.compiled_from_cache = from_cache;
            status.serves_http = serves_http;
            status.reloads += 1;
            status.retry_at_ms = None;
        });
        self.recreate(topics).await;
        tracing::info!(module = &*self.name, "serving the new version");
    }

    /// Removes every topic, telling the component (until it traps).
    pub(super) async fn unload(&mut self) {
        let Some(instance) = self.instance.as_mut() else { return };
        for topic in instance.state().topics.topics() {
            instance.state().topics.drop_topic(&topic);
            if instance.remove_topic(&topic).await.is_err() {
                break;
            }
        }
    }
}

/// The cool-down after the `previous + 1`-th consecutive quarantine: `base`,
/// doubled for each previous one, at most [`MAX_COOLDOWN`].
fn cooldown(base: Duration, previous: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(previous.min(31))).min(MAX_COOLDOWN)
}

/// Drops `topic`, its timer and its subscriptions, telling its subscribers why.
pub(super) fn drop_topic(instance: &mut Instance, topic: &str, message: &str) {
    instance.state().timers.clear(topic);
    notify_dropped(&mut instance.state().topics, topic, message);
}

fn notify_dropped(topics: &mut TopicTable, topic: &str, message: &str) {
    for peer in topics.drop_topic(topic) {
        peer.send(messages::topic_dropped(topic, message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cooldown_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(cooldown(base, 0), base);
        assert_eq!(cooldown(base, 1), base * 2);
        assert_eq!(cooldown(base, 3), base * 8);
        assert_eq!(cooldown(base, 40), MAX_COOLDOWN);
    }
}

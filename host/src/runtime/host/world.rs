//! The host side of the `ws-route-service` world's own imports:
//! `topic-update`, `topic-updates`, `set-timer`, `clear-timer`. Older
//! versions of the world import a part of them (all but `topic-updates`),
//! the same functions, so one implementation serves components of every
//! version.
//!
//! The guest reaches the topic table directly through `topic-update`: the
//! store belongs to one actor task, so publishing takes no lock. It runs
//! once per update (`topic-updates` once per turn), so both are linked by
//! hand ([`link_topic_update`]) rather than through the bindings, which
//! would make `String`s of every topic and data: they are read in place and
//! copied into buffers the instance keeps, and nothing is allocated per
//! update on the host's side.

use crate::hub::topics::Rejected;
use crate::runtime::bindings::{WsRouteServiceImports, topicwire, v0_1, v0_2};
use crate::runtime::guest_state::GuestState;
use std::time::Duration;
use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, WasmList, WasmStr};

/// Defines `topic-update` and `topic-updates` in `linker` over the
/// bindings' own definitions (the same functions of the same types),
/// reading their arguments without allocating.
pub fn link_topic_update(linker: &mut Linker<GuestState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let linked = link_updates(linker);
    linker.allow_shadowing(false);
    linked
}

fn link_updates(linker: &mut Linker<GuestState>) -> wasmtime::Result<()> {
    linker.root().func_wrap(
        "topic-update",
        |mut store: StoreContextMut<'_, GuestState>, (topic, data): (WasmStr, WasmStr)| {
            let mut scratch = std::mem::take(&mut store.data_mut().scratch);
            scratch.topic.clear();
            scratch.topic.push_str(&topic.to_str(&store)?);
            scratch.data.clear();
            scratch.data.push_str(&data.to_str(&store)?);
            store.data_mut().publish_update(&scratch.topic, &scratch.data);
            scratch.trim();
            store.data_mut().scratch = scratch;
            Ok(())
        },
    )?;
    linker.root().func_wrap(
        "topic-updates",
        |mut store: StoreContextMut<'_, GuestState>, (updates,): (WasmList<(u32, WasmStr)>,)| {
            let mut scratch = std::mem::take(&mut store.data_mut().scratch);
            for index in 0..updates.len() {
                let Some(update) = updates.get(&mut store, index) else { break };
                let (id, data) = update?;
                scratch.data.clear();
                scratch.data.push_str(&data.to_str(&store)?);
                store.data_mut().publish_update_of(id, &scratch.data);
            }
            scratch.trim();
            store.data_mut().scratch = scratch;
            Ok(())
        },
    )
}

/// How the log names the topic of an update whose id is not live.
const NOT_LIVE_ID: &str = "(an id no live topic has)";

/// An update's topic and data, copied out of the guest: kept by the
/// instance and reused, so an update costs no allocation to read.
#[derive(Debug, Default)]
pub struct Scratch {
    topic: String,
    data: String,
}

impl Scratch {
    /// What the buffers keep between updates: a refused huge update's
    /// bytes are not held for the instance's life.
    const KEPT_BYTES: usize = 64 * 1024;

    fn trim(&mut self) {
        for buffer in [&mut self.topic, &mut self.data] {
            if buffer.capacity() > Self::KEPT_BYTES {
                *buffer = String::new();
            }
        }
    }
}

impl GuestState {
    /// `topic-update`: publishes `data` to `topic`, or drops, counts and
    /// logs it (over the update rate, not live, too large, not JSON, not
    /// stored).
    pub fn publish_update(&mut self, topic: &str, data: &str) {
        if !self.updates.try_take() {
            self.refusals.rate_limited += 1;
            self.refuse(self.refusals.rate_limited, "over max_updates_per_second", topic);
            return;
        }
        let published = self.topics.publish(topic, data, self.limits.max_update_bytes);
        self.count(published, topic);
    }

    /// An update of `topic-updates`: as [`publish_update`](Self::publish_update),
    /// to the topic live as `id`.
    pub fn publish_update_of(&mut self, id: u32, data: &str) {
        // The topic's name for the log, shared rather than copied: a flood's refusals allocate nothing.
        if !self.updates.try_take() {
            self.refusals.rate_limited += 1;
            let name = self.topics.shared_name_of(id);
            let topic = name.as_deref().unwrap_or(NOT_LIVE_ID);
            self.refuse(self.refusals.rate_limited, "over max_updates_per_second", topic);
            return;
        }
        match self.topics.publish_to(id, data, self.limits.max_update_bytes) {
            Ok(_) => self.published += 1,
            refused => {
                let name = self.topics.shared_name_of(id);
                self.count(refused, name.as_deref().unwrap_or(NOT_LIVE_ID));
            }
        }
    }

    /// Counts what became of an update of `topic`, logging a refusal.
    fn count(&mut self, published: Result<usize, Rejected>, topic: &str) {
        match published {
            Ok(_) => self.published += 1,
            Err(Rejected::NotLive) => {
                self.refusals.not_live += 1;
                self.refuse(self.refusals.not_live, "topic is not live in this module", topic);
            }
            Err(Rejected::TooLarge) => {
                self.refusals.too_large += 1;
                self.refuse(self.refusals.too_large, "larger than max_update_bytes", topic);
            }
            Err(Rejected::InvalidJson) => {
                self.refusals.invalid_json += 1;
                self.refuse(self.refusals.invalid_json, "data is not valid JSON", topic);
            }
            Err(Rejected::NotStored) => {
                self.refusals.not_stored += 1;
                self.refuse(self.refusals.not_stored, "the cluster cannot store the route's updates now", topic);
            }
        }
    }
}

impl topicwire::ws::types::Host for GuestState {}
impl v0_2::topicwire::ws0_2_0::types::Host for GuestState {}
impl v0_1::topicwire::ws0_1_0::types::Host for GuestState {}

impl WsRouteServiceImports for GuestState {
    /// As linked by the bindings; components reach [`link_topic_update`]'s instead.
    fn topic_update(&mut self, topic: String, data: String) {
        self.publish_update(&topic, &data);
    }

    /// As linked by the bindings; components reach [`link_topic_update`]'s instead.
    fn topic_updates(&mut self, updates: Vec<(u32, String)>) {
        for (id, data) in updates {
            self.publish_update_of(id, &data);
        }
    }

    fn set_timer(&mut self, topic: String, period_ms: u32) {
        let known = self.timers.len();
        let id = self.topics.id_of(&topic);
        let Some(id) = id.filter(|_| known < self.limits.max_timers) else {
            self.refusals.timers += 1;
            if self.refusals.timers.is_power_of_two() {
                tracing::warn!(
                    module = &*self.module,
                    topic,
                    "refused set-timer: topic not live or max_timers reached"
                );
            }
            return;
        };
        let period = Duration::from_millis(u64::from(period_ms).max(self.limits.min_timer_period_ms).max(1));
        // The topic's first subscriber keys its phase: a client's topics tick together.
        let first_subscriber = self.topics.first_subscriber(&topic).map(u64::to_le_bytes);
        let key = first_subscriber.as_ref().map_or(topic.as_bytes(), |conn| conn.as_slice());
        self.timers.set(&topic, id, period, key, tokio::time::Instant::now());
    }

    fn clear_timer(&mut self, topic: String) {
        self.timers.clear(&topic);
    }
}

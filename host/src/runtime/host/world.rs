//! The host side of the `ws-route-service` world's own imports:
//! `topic-update`, `set-timer`, `clear-timer`. They are the same functions
//! in 0.2.0 and 0.1.0, so one implementation serves components of both.
//!
//! The guest reaches the topic table directly through `topic-update`: the
//! store belongs to one actor task, so publishing takes no lock. It runs
//! once per update, so it is linked by hand ([`link_topic_update`]) rather
//! than through the bindings, which would make two `String`s of every call:
//! the guest's topic and data are read in place and copied into buffers the
//! instance keeps, and nothing is allocated per update on the host's side.

use crate::hub::topics::Rejected;
use crate::runtime::bindings::{WsRouteServiceImports, topicwire, v0_1};
use crate::runtime::guest_state::GuestState;
use std::time::Duration;
use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, WasmStr};

/// Defines `topic-update` in `linker` over the bindings' own definition
/// (the same function of the same type, in every version of the world),
/// reading its arguments without allocating.
pub fn link_topic_update(linker: &mut Linker<GuestState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let linked = linker.root().func_wrap(
        "topic-update",
        |mut store: StoreContextMut<'_, GuestState>, (topic, data): (WasmStr, WasmStr)| {
            let mut scratch = std::mem::take(&mut store.data_mut().scratch);
            scratch.topic.clear();
            scratch.topic.push_str(&topic.to_str(&store)?);
            scratch.data.clear();
            scratch.data.push_str(&data.to_str(&store)?);
            store.data_mut().publish_update(&scratch.topic, &scratch.data);
            store.data_mut().scratch = scratch;
            Ok(())
        },
    );
    linker.allow_shadowing(false);
    linked
}

/// An update's topic and data, copied out of the guest: kept by the
/// instance and reused, so an update costs no allocation to read.
#[derive(Debug, Default)]
pub struct Scratch {
    topic: String,
    data: String,
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
        match self.topics.publish(topic, data, self.limits.max_update_bytes) {
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
impl v0_1::topicwire::ws0_1_0::types::Host for GuestState {}

impl WsRouteServiceImports for GuestState {
    /// As linked by the bindings; components reach [`link_topic_update`]'s instead.
    fn topic_update(&mut self, topic: String, data: String) {
        self.publish_update(&topic, &data);
    }

    fn set_timer(&mut self, topic: String, period_ms: u32) {
        let known = self.timers.len();
        if !self.topics.contains(&topic) || known >= self.limits.max_timers {
            self.refusals.timers += 1;
            if self.refusals.timers.is_power_of_two() {
                tracing::warn!(
                    module = &*self.module,
                    topic,
                    "refused set-timer: topic not live or max_timers reached"
                );
            }
            return;
        }
        let period = Duration::from_millis(u64::from(period_ms).max(self.limits.min_timer_period_ms).max(1));
        // The topic's first subscriber keys its phase: a client's topics tick together.
        let first_subscriber = self.topics.first_subscriber(&topic).map(u64::to_le_bytes);
        let key = first_subscriber.as_ref().map_or(topic.as_bytes(), |conn| conn.as_slice());
        self.timers.set(&topic, period, key, tokio::time::Instant::now());
    }

    fn clear_timer(&mut self, topic: String) {
        self.timers.clear(&topic);
    }
}

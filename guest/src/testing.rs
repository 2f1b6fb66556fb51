//! A route and a host for this crate's unit tests: the host records every
//! call, so typed topics and dispatch run natively.

use crate::host::Host;
use crate::router::WsRoute;
use crate::wire::{Delivery, History};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// The request of [`BarsRoute`].
#[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Bars {
    pub(crate) symbol: String,
    pub(crate) resolution: String,
    #[serde(default)]
    pub(crate) extended: bool,
}

/// The update data of [`BarsRoute`].
#[derive(Serialize, JsonSchema)]
pub(crate) struct Candle {
    pub(crate) close: f64,
}

/// Route `bars`, published through [`Recorder`].
pub(crate) enum BarsRoute {}

impl WsRoute for BarsRoute {
    const NAME: &'static str = "bars";
    const DESCRIPTION: &'static str = "Bars of one symbol.";
    const DELIVERY: Delivery = Delivery::Reliable;
    const HISTORY: Option<History> = Some(History { size: 5, ttl_secs: 60 });
    type Request = Bars;
    type Data = Candle;
    type Host = Recorder;
}

thread_local! {
    static CALLS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// A host that records the calls made to it on this thread.
pub(crate) enum Recorder {}

impl Host for Recorder {
    fn topic_update(topic: &str, data: &str) {
        CALLS.with_borrow_mut(|calls| calls.push(format!("topic-update {topic} {data}")));
    }

    fn topic_updates(updates: &[(u32, String)]) {
        CALLS.with_borrow_mut(|calls| {
            let updates = updates.iter().map(|(id, data)| format!("#{id} {data}")).collect::<Vec<_>>();
            calls.push(format!("topic-updates {}", updates.join(" ")));
        });
    }

    fn set_timer(topic: &str, period_ms: u32) {
        CALLS.with_borrow_mut(|calls| calls.push(format!("set-timer {topic} {period_ms}")));
    }

    fn clear_timer(topic: &str) {
        CALLS.with_borrow_mut(|calls| calls.push(format!("clear-timer {topic}")));
    }
}

/// The calls this thread's [`Recorder`] received since the last call to this.
pub(crate) fn calls() -> Vec<String> {
    CALLS.with_borrow_mut(std::mem::take)
}

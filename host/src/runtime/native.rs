//! A built-in Rust producer that behaves like the `probe` test component
//! (route `ticks`, settings `TICK_MS` and `BURST`), for the benchmarks'
//! native baseline: it publishes through the very same host path as a
//! component of world 0.3.0 (`topic-updates`: the topic's id → topic table
//! → connection queues), so the cost of wasm isolation is the difference
//! between the two.
//!
//! Served only when asked for (`--native-probe NAME`).

use crate::runtime::bindings::WsRouteServiceImports;
use crate::runtime::bindings::topicwire::ws::types::{Delivery, Error as GuestError, Route};
use crate::runtime::guest_state::GuestState;
use std::collections::{BTreeMap, HashMap};

/// One tick, as the probe's `Tick`.
#[derive(serde::Serialize)]
struct Tick {
    version: u32,
    seq: u64,
    sent_us: u64,
}

/// The native `ticks` producer.
#[derive(Debug)]
pub struct NativeProbe {
    tick_ms: u32,
    burst: u64,
    seq: HashMap<String, u64>,
}

impl NativeProbe {
    /// A producer configured from the module's settings.
    pub fn new(env: &[(String, String)]) -> Self {
        let setting = |name: &str| env.iter().find(|(key, _)| key == name).and_then(|(_, value)| value.parse().ok());
        Self {
            tick_ms: setting("TICK_MS").unwrap_or(20) as u32,
            burst: setting("BURST").unwrap_or(1),
            seq: HashMap::new(),
        }
    }

    /// Its one route.
    pub fn routes() -> Vec<Route> {
        let request = r#"{"type":"object","required":["stream"],"properties":{"stream":{"type":"string"}}}"#;
        let data = r#"{"type":"object","properties":{"version":{"type":"integer"},"seq":{"type":"integer"},"sent_us":{"type":"integer"}}}"#;
        vec![Route {
            name: "ticks".into(),
            description: "Numbered ticks with their send time (native baseline).".into(),
            request_schema: request.into(),
            data_schema: data.into(),
            delivery: Delivery::Conflate,
            history: None,
        }]
    }

    /// `ticks:{"stream":...}` for a `{"stream": "..."}` request.
    pub fn build_topic(route: &str, request: &str) -> Result<String, GuestError> {
        if route != "ticks" {
            return Err(GuestError::UnknownRoute(route.into()));
        }
        #[derive(serde::Deserialize)]
        struct Request {
            stream: String,
        }
        let request: Request =
            serde_json::from_str(request).map_err(|error| GuestError::InvalidRequest(error.to_string()))?;
        let canonical = BTreeMap::from([("stream", request.stream)]);
        Ok(format!("ticks:{}", serde_json::to_string(&canonical).unwrap_or_default()))
    }

    /// Starts ticking `topic`.
    pub fn create_topic(&mut self, state: &mut GuestState, topic: &str) {
        self.seq.insert(topic.to_owned(), 0);
        state.set_timer(topic.to_owned(), self.tick_ms);
    }

    /// Stops ticking `topic`.
    pub fn remove_topic(&mut self, topic: &str) {
        self.seq.remove(topic);
    }

    /// Publishes `BURST` ticks to `topic`, live as `id`, sent at `now_us` (the turn's time, as the probe's).
    pub fn on_timer(&mut self, state: &mut GuestState, topic: &str, id: u32, now_us: u64) {
        let Some(seq) = self.seq.get_mut(topic) else { return };
        for _ in 0..self.burst {
            let sent_us = now_us;
            // Serialised as the probe's generated `update` does, so the two differ only by wasm.
            let tick = serde_json::to_string(&Tick { version: 0, seq: *seq, sent_us }).unwrap_or_default();
            state.publish_update_of(id, &tick);
            *seq += 1;
        }
    }
}

//! The probe component's `ticks` messages as the host puts them on the wire,
//! so the floor's frames have the same shape and size as Topicwire's:
//! `{"type":"ticks.update","payload":{"topic":"ticks:{\"stream\":\"s0\"}","payload":{"version":1,"seq":7,"sent_us":...}}}`.

use serde_json::{Value, json};
use std::io::Write as _;

/// The stream a client's `ticks.subscribe` message asks for.
pub(crate) fn subscribed_stream(text: &[u8]) -> Option<String> {
    let message: Value = serde_json::from_slice(text).ok()?;
    if message["type"] != "ticks.subscribe" {
        return None;
    }
    message["payload"]["stream"].as_str().map(str::to_owned)
}

/// The topic of a stream: the route and the canonical request.
pub(crate) fn topic(stream: &str) -> String {
    format!("ticks:{}", json!({ "stream": stream }))
}

/// The answer to a subscription of `topic`, fields in the host's order.
pub(crate) fn subscribed(topic: &str) -> String {
    format!(
        r#"{{"type":"ticks.subscribe.response","payload":{{"status":"ok","message":"Subscribed","topic":{}}}}}"#,
        Value::from(topic)
    )
}

/// The invariant start of `topic`'s update frames, up to the data.
pub(crate) fn update_prefix(topic: &str) -> String {
    format!(r#"{{"type":"ticks.update","payload":{{"topic":{},"payload":"#, Value::from(topic))
}

/// Appends one update of a topic (its `prefix`) to `out`: the probe's tick data.
pub(crate) fn put_update(prefix: &str, seq: u64, sent_us: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(prefix.as_bytes());
    // Writing into a Vec cannot fail.
    let _ = write!(out, r#"{{"version":1,"seq":{seq},"sent_us":{sent_us}}}}}}}"#);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_are_byte_for_byte_the_hosts() {
        let mut out = Vec::new();
        put_update(&update_prefix(&topic("s0")), 7, 1_732_240_000_123_456, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"type":"ticks.update","payload":{"topic":"ticks:{\"stream\":\"s0\"}","payload":{"version":1,"seq":7,"sent_us":1732240000123456}}}"#
        );
    }

    #[test]
    fn subscribe_and_its_answer() {
        let subscribe = br#"{"type":"ticks.subscribe","payload":{"stream":"c3-1"}}"#;
        assert_eq!(subscribed_stream(subscribe).as_deref(), Some("c3-1"));
        assert_eq!(subscribed_stream(br#"{"type":"ticks.unsubscribe","payload":{"stream":"c3-1"}}"#), None);
        assert_eq!(subscribed_stream(b"not json"), None);
        assert_eq!(
            subscribed(&topic("c3-1")),
            r#"{"type":"ticks.subscribe.response","payload":{"status":"ok","message":"Subscribed","topic":"ticks:{\"stream\":\"c3-1\"}"}}"#
        );
    }
}

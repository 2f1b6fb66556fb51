//! What the server sends a client, in the wire protocol compatible with the
//! Python (FastWS) system: `<route>.subscribe.response` /
//! `<route>.unsubscribe.response` with `{"status":"ok"|"error","message":...,"topic":...}`,
//! `<route>.update` with `{"topic":...,"payload":...}` (the Python system's
//! `SubscriptionUpdate`: its clients read `message.payload.payload`), and
//! `error` with `{"status":"error","message":...}` for input that names no
//! route. Built here, below the hub, because the hub frames updates and the
//! module actor answers requests; the edge only parses what clients send
//! (see [`crate::edge::protocol`]).

use crate::hub::frame;
use bytes::Bytes;
use serde::Serialize;

/// What a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<route>.subscribe`
    Subscribe,
    /// `<route>.unsubscribe`
    Unsubscribe,
}

impl Op {
    /// The operation's name in message types.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscribe => "subscribe",
            Self::Unsubscribe => "unsubscribe",
        }
    }
}

/// `{"type":"<route>.<op>.response","payload":{"status":"ok","message":...,"topic":...}}`.
pub fn ok_response(route: &str, op: Op, message: &str, topic: &str) -> Bytes {
    frame(&format!("{route}.{}.response", op.as_str()), Status { status: "ok", message, topic: Some(topic) })
}

/// `{"type":"<route>.<op>.response","payload":{"status":"error","message":...}}`.
pub fn error_response(route: &str, op: Op, message: &str) -> Bytes {
    frame(&format!("{route}.{}.response", op.as_str()), Status { status: "error", message, topic: None })
}

/// `{"type":"error","payload":{"status":"error","message":...}}`, for input no route can be named for.
pub fn error_message(message: &str) -> Bytes {
    frame("error", Status { status: "error", message, topic: None })
}

/// `{"type":"error","payload":{"status":"error","message":...,"topic":...}}`: a topic the
/// client was subscribed to has been dropped by the server.
pub fn topic_dropped(topic: &str, message: &str) -> Bytes {
    frame("error", Status { status: "error", message, topic: Some(topic) })
}

/// A server message; fields in this order on the wire, as the Python system sent them.
#[derive(Serialize)]
struct Frame<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    payload: Status<'a>,
}

#[derive(Serialize)]
struct Status<'a> {
    status: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<&'a str>,
}

/// The message as a WebSocket text frame (wire bytes).
fn frame(kind: &str, payload: Status<'_>) -> Bytes {
    // Serialising plain strings cannot fail.
    let text = serde_json::to_string(&Frame { kind, payload }).unwrap_or_default();
    frame::text(&[text.as_bytes()])
}

/// The invariant part of a topic's update frames, up to the data:
/// `{"type":"<route>.update","payload":{"topic":"<topic>","payload":`.
pub fn update_prefix(route: &str, topic: &str) -> String {
    // Serialising a &str cannot fail.
    let topic = serde_json::to_string(topic).unwrap_or_default();
    format!("{{\"type\":\"{route}.update\",\"payload\":{{\"topic\":{topic},\"payload\":")
}

/// A whole update frame (wire bytes: header and JSON) from its prefix and
/// the data's JSON text, built once and shared by every subscriber.
pub fn update_frame(prefix: &str, data: &str) -> Bytes {
    frame::text(&[prefix.as_bytes(), data.as_bytes(), b"}}"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parsed(frame: Bytes) -> Value {
        serde_json::from_str(frame::text_payload(&frame).unwrap()).unwrap()
    }

    #[test]
    fn builds_python_compatible_replies() {
        assert_eq!(
            parsed(ok_response("bars", Op::Subscribe, "Subscribed", "bars:{}")),
            json!({"type":"bars.subscribe.response","payload":{"status":"ok","message":"Subscribed","topic":"bars:{}"}})
        );
        assert_eq!(
            parsed(error_response("bars", Op::Unsubscribe, "nope")),
            json!({"type":"bars.unsubscribe.response","payload":{"status":"error","message":"nope"}})
        );
        assert_eq!(parsed(error_message("bad")), json!({"type":"error","payload":{"status":"error","message":"bad"}}));
    }

    #[test]
    fn update_frames_embed_the_data_once() {
        let topic = r#"bars:{"resolution":"1","symbol":"AAPL"}"#;
        let frame = update_frame(&update_prefix("bars", topic), r#"{"close":1.5}"#);
        assert_eq!(parsed(frame), json!({"type":"bars.update","payload":{"topic":topic,"payload":{"close":1.5}}}));
    }
}

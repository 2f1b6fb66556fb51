//! What the server sends a client, in the wire protocol compatible with the
//! Python (FastWS) system: `<route>.subscribe.response` /
//! `<route>.unsubscribe.response` with `{"status":"ok"|"error","message":...,"topic":...}`,
//! `<route>.update` with `{"topic":...,"payload":...}` (the Python system's
//! `SubscriptionUpdate`: its clients read `message.payload.payload`), and
//! `error` with `{"status":"error","message":...}` for input that names no
//! route. Updates and subscribe responses also carry the topic's position
//! (`"offset"`, `"epoch"`, see [`crate::hub::position`]) beside those fields,
//! which the Python system's clients never read. Built here, below the hub, because the hub frames updates and the
//! module actor answers requests; the edge only parses what clients send
//! (see [`crate::edge::protocol`]).

use crate::hub::frame;
use crate::hub::position::Position;
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
    frame(&format!("{route}.{}.response", op.as_str()), Status { topic: Some(topic), ..Status::ok(message) })
}

/// `{"type":"<route>.subscribe.response","payload":{"status":"ok","message":"Subscribed","topic":...,
/// "epoch":...,"offset":N}}`, with `"recovered"` when the client asked to
/// recover. `position` is where the updates that follow continue from: the
/// first of them is `offset + 1`; one not known yet is left out.
pub fn subscribed(route: &str, topic: &str, position: &Position, recovered: Option<bool>) -> Bytes {
    let known = position.is_known();
    let status = Status {
        topic: Some(topic),
        epoch: known.then_some(&*position.epoch),
        offset: known.then_some(position.offset),
        recovered,
        ..Status::ok("Subscribed")
    };
    frame(&format!("{route}.subscribe.response"), status)
}

/// `{"type":"<route>.<op>.response","payload":{"status":"error","message":...}}`.
pub fn error_response(route: &str, op: Op, message: &str) -> Bytes {
    frame(&format!("{route}.{}.response", op.as_str()), Status::error(message))
}

/// `{"type":"error","payload":{"status":"error","message":...}}`, for input no route can be named for.
pub fn error_message(message: &str) -> Bytes {
    frame("error", Status::error(message))
}

/// `{"type":"error","payload":{"status":"error","message":...,"topic":...}}`: a topic the
/// client was subscribed to has been dropped by the server.
pub fn topic_dropped(topic: &str, message: &str) -> Bytes {
    frame("error", Status { topic: Some(topic), ..Status::error(message) })
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
    #[serde(skip_serializing_if = "Option::is_none")]
    epoch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recovered: Option<bool>,
}

impl<'a> Status<'a> {
    fn ok(message: &'a str) -> Self {
        Self { status: "ok", message, topic: None, epoch: None, offset: None, recovered: None }
    }

    fn error(message: &'a str) -> Self {
        Self { status: "error", ..Self::ok(message) }
    }
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

/// A whole update frame (wire bytes: header and JSON) from its prefix, the
/// data's JSON text and the update's position, built once and shared by
/// every subscriber: `...,"payload":<data>,"offset":N,"epoch":"E"}}`.
pub fn update_frame(prefix: &str, data: &str, offset: u64, epoch: &str) -> Bytes {
    if cfg!(feature = "unnumbered") {
        return frame::text(&[prefix.as_bytes(), data.as_bytes(), b"}}"]);
    }
    let mut digits = [0u8; 20];
    let offset = decimal(offset, &mut digits);
    frame::text(&[
        prefix.as_bytes(),
        data.as_bytes(),
        b",\"offset\":",
        offset,
        b",\"epoch\":\"",
        epoch.as_bytes(),
        b"\"}}",
    ])
}

/// `n` in decimal, written into `digits` without allocating (this is on every update's path).
fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &digits[start..];
        }
    }
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
    fn update_frames_embed_the_data_once_with_its_position() {
        let topic = r#"bars:{"resolution":"1","symbol":"AAPL"}"#;
        let frame = update_frame(&update_prefix("bars", topic), r#"{"close":1.5}"#, 42, "e1");
        assert_eq!(
            parsed(frame.clone()),
            json!({"type":"bars.update","payload":{"topic":topic,"payload":{"close":1.5},"offset":42,"epoch":"e1"}})
        );
        assert_eq!(crate::hub::position::of_update(frame::text_payload(&frame).unwrap()), Some((42, "e1")));
        for n in [0, 7, 10, 1_234_567, u64::MAX] {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string().as_bytes());
        }
    }

    #[test]
    fn subscribe_responses_give_the_position() {
        let position = Position { epoch: "e1".into(), offset: 7 };
        assert_eq!(
            parsed(subscribed("orders", "orders:{}", &position, Some(true))),
            json!({"type":"orders.subscribe.response","payload":{"status":"ok","message":"Subscribed",
                "topic":"orders:{}","epoch":"e1","offset":7,"recovered":true}})
        );
        let plain = parsed(subscribed("orders", "orders:{}", &position, None));
        assert!(plain["payload"].get("recovered").is_none());
        let unknown = parsed(subscribed("orders", "orders:{}", &Position::unknown(), None));
        assert!(unknown["payload"].get("epoch").is_none() && unknown["payload"].get("offset").is_none());
    }
}

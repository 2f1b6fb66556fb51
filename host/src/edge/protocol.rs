//! The wire protocol, compatible with the Python (FastWS) system.
//!
//! Client → server: `{"type":"bars.subscribe","payload":{...}}` and
//! `{"type":"bars.unsubscribe","payload":{...}}`.
//!
//! Server → client: `<route>.subscribe.response` / `<route>.unsubscribe.response`
//! with `{"status":"ok"|"error","message":...,"topic":...}`, `<route>.update`
//! with `{"topic":...,"data":...}`, and `error` with `{"status":"error","message":...}`
//! for input that names no route (malformed JSON, unknown message type, binary frames).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio_tungstenite::tungstenite::Utf8Bytes;

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

/// A well-formed client request: route, operation and the request payload
/// (JSON text, `{}` when absent), still to be validated by the component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    /// Route name, e.g. `bars`.
    pub route: String,
    /// Subscribe or unsubscribe.
    pub op: Op,
    /// The `payload` as JSON text.
    pub payload: String,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
}

/// Parses one text frame. The error is the message of an `error` reply.
pub fn parse_client_message(text: &str) -> Result<ClientRequest, String> {
    let envelope: Envelope<'_> = serde_json::from_str(text).map_err(|err| {
        if err.is_data() {
            "malformed message: expected a JSON object {\"type\": \"<route>.subscribe\", \"payload\": {...}}".to_owned()
        } else {
            format!("malformed JSON: {err}")
        }
    })?;
    let Some(kind) = envelope.kind else {
        return Err("missing `type`: expected \"<route>.subscribe\" or \"<route>.unsubscribe\"".to_owned());
    };
    let (route, op) = match kind.rsplit_once('.') {
        Some((route, "subscribe")) if !route.is_empty() => (route, Op::Subscribe),
        Some((route, "unsubscribe")) if !route.is_empty() => (route, Op::Unsubscribe),
        _ => {
            return Err(format!(
                "unknown message type `{kind}`: expected \"<route>.subscribe\" or \"<route>.unsubscribe\""
            ));
        }
    };
    let payload = match envelope.payload {
        Some(raw) if raw.get() != "null" => raw.get().to_owned(),
        _ => "{}".to_owned(),
    };
    Ok(ClientRequest { route: route.to_owned(), op, payload })
}

/// `{"type":"<route>.<op>.response","payload":{"status":"ok","message":...,"topic":...}}`.
pub fn ok_response(route: &str, op: Op, message: &str, topic: &str) -> Utf8Bytes {
    frame(&format!("{route}.{}.response", op.as_str()), Status { status: "ok", message, topic: Some(topic) })
}

/// `{"type":"<route>.<op>.response","payload":{"status":"error","message":...}}`.
pub fn error_response(route: &str, op: Op, message: &str) -> Utf8Bytes {
    frame(&format!("{route}.{}.response", op.as_str()), Status { status: "error", message, topic: None })
}

/// `{"type":"error","payload":{"status":"error","message":...}}`, for input no route can be named for.
pub fn error_message(message: &str) -> Utf8Bytes {
    frame("error", Status { status: "error", message, topic: None })
}

/// `{"type":"error","payload":{"status":"error","message":...,"topic":...}}`: a topic the
/// client was subscribed to has been dropped by the server.
pub fn topic_dropped(topic: &str, message: &str) -> Utf8Bytes {
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

fn frame(kind: &str, payload: Status<'_>) -> Utf8Bytes {
    // Serialising plain strings cannot fail.
    serde_json::to_string(&Frame { kind, payload }).unwrap_or_default().into()
}

/// The invariant part of a topic's update frames, up to the data:
/// `{"type":"<route>.update","payload":{"topic":"<topic>","data":`.
pub fn update_prefix(route: &str, topic: &str) -> String {
    // Serialising a &str cannot fail.
    let topic = serde_json::to_string(topic).unwrap_or_default();
    format!("{{\"type\":\"{route}.update\",\"payload\":{{\"topic\":{topic},\"data\":")
}

/// A whole update frame from its prefix and the data's JSON text, built once
/// and shared by every subscriber.
pub fn update_frame(prefix: &str, data: &str) -> Utf8Bytes {
    let mut frame = String::with_capacity(prefix.len() + data.len() + 2);
    frame.push_str(prefix);
    frame.push_str(data);
    frame.push_str("}}");
    frame.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parsed(frame: Utf8Bytes) -> Value {
        serde_json::from_str(frame.as_str()).unwrap()
    }

    #[test]
    fn parses_subscribe_and_unsubscribe() {
        let request =
            parse_client_message(r#"{"type":"bars.subscribe","payload":{"symbol":"AAPL","resolution":"1"}}"#).unwrap();
        assert_eq!(request.route, "bars");
        assert_eq!(request.op, Op::Subscribe);
        assert_eq!(request.payload, r#"{"symbol":"AAPL","resolution":"1"}"#);
        let request = parse_client_message(r#"{"type":"broker-connection.unsubscribe"}"#).unwrap();
        assert_eq!(
            (request.route.as_str(), request.op, request.payload.as_str()),
            ("broker-connection", Op::Unsubscribe, "{}")
        );
    }

    #[test]
    fn explains_bad_input() {
        assert!(parse_client_message("{nope").unwrap_err().starts_with("malformed JSON"));
        assert!(parse_client_message("[1,2]").unwrap_err().starts_with("malformed message"));
        assert!(parse_client_message(r#"{"payload":{}}"#).unwrap_err().starts_with("missing `type`"));
        assert!(
            parse_client_message(r#"{"type":"bars.publish"}"#)
                .unwrap_err()
                .contains("unknown message type `bars.publish`")
        );
        assert!(parse_client_message(r#"{"type":".subscribe"}"#).unwrap_err().contains("unknown message type"));
        assert!(parse_client_message(r#"{"type":5}"#).unwrap_err().starts_with("malformed message"));
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
        assert_eq!(parsed(frame), json!({"type":"bars.update","payload":{"topic":topic,"data":{"close":1.5}}}));
    }
}

//! What clients send, in the wire protocol compatible with the Python
//! (FastWS) system: `{"type":"bars.subscribe","payload":{...}}` and
//! `{"type":"bars.unsubscribe","payload":{...}}`; a subscribe may add the
//! last position the client saw, to recover from:
//! `"since":{"epoch":"...","offset":41}`. What the server sends is built
//! below the hub, in [`crate::hub::messages`].

use crate::hub::messages::{Op, error_message, error_response};
use crate::hub::position::{MAX_EPOCH_BYTES, MAX_OFFSET, Position, is_valid_epoch};
use crate::runtime::module::Request;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A well-formed client request: route, operation, the request payload (a
/// JSON object as text, `{}` when absent, still to be validated by the
/// component) and the position to recover from.
pub type ClientRequest = Request;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
    #[serde(borrow)]
    since: Option<&'a RawValue>,
}

/// Why a client message is refused, and how to answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No route can be named: answered with an `error` message.
    Unroutable(String),
    /// The route and operation are known but the request is not valid:
    /// answered with a `<route>.<op>.response` error.
    InvalidRequest {
        /// The route named by the message type.
        route: String,
        /// The operation named by the message type.
        op: Op,
        /// What is wrong.
        message: String,
    },
}

impl Refusal {
    /// The reply frame.
    pub fn reply(&self) -> Bytes {
        match self {
            Self::Unroutable(message) => error_message(message),
            Self::InvalidRequest { route, op, message } => error_response(route, *op, message),
        }
    }
}

/// Parses one text frame.
pub fn parse_client_message(text: &str) -> Result<ClientRequest, Refusal> {
    let (route, op, envelope) = parse_envelope(text).map_err(Refusal::Unroutable)?;
    // serde reads a struct positionally from an array, so `["AAPL","1"]`
    // would pass as a request: the payload must be an object, as in the Python system.
    let payload = match envelope.payload {
        None => "{}".to_owned(),
        Some(raw) if raw.get() == "null" => "{}".to_owned(),
        Some(raw) if raw.get().starts_with('{') => raw.get().to_owned(),
        Some(_) => {
            let message = "invalid request: the payload must be a JSON object".to_owned();
            return Err(Refusal::InvalidRequest { route, op, message });
        }
    };
    let since = match envelope.since.filter(|raw| raw.get() != "null") {
        None => None,
        Some(_) if op == Op::Unsubscribe => {
            let message = "invalid request: `since` is for subscribing only".to_owned();
            return Err(Refusal::InvalidRequest { route, op, message });
        }
        Some(raw) => match parse_since(raw.get()) {
            Ok(since) => Some(since),
            Err(why) => return Err(Refusal::InvalidRequest { route, op, message: format!("invalid `since`: {why}") }),
        },
    };
    Ok(ClientRequest { route, op, payload, since })
}

/// A position a client sent back: `{"epoch":"...","offset":N}`, each within bounds.
fn parse_since(text: &str) -> Result<Position, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Since {
        epoch: serde_json::Value,
        offset: serde_json::Value,
    }
    let Ok(since) = serde_json::from_str::<Since>(text) else {
        return Err(
            "expected {\"epoch\": \"<epoch>\", \"offset\": <integer>}, as a subscribe response or an update gave them"
                .into(),
        );
    };
    let offset = since.offset.as_u64().filter(|offset| *offset <= MAX_OFFSET);
    let Some(offset) = offset else {
        return Err(format!("offset must be an integer from 0 to {MAX_OFFSET}"));
    };
    match since.epoch.as_str() {
        Some(epoch) if is_valid_epoch(epoch) => Ok(Position { epoch: epoch.into(), offset }),
        _ => Err(format!("epoch must be a string of 1 to {MAX_EPOCH_BYTES} characters 0-9 and a-z")),
    }
}

fn parse_envelope(text: &str) -> Result<(String, Op, Envelope<'_>), String> {
    let mut envelope: Envelope<'_> = serde_json::from_str(text).map_err(|err| {
        if err.is_data() {
            "malformed message: expected a JSON object {\"type\": \"<route>.subscribe\", \"payload\": {...}}".to_owned()
        } else {
            format!("malformed JSON: {err}")
        }
    })?;
    let Some(kind) = envelope.kind.take() else {
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
    Ok((route.to_owned(), op, envelope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parsed(frame: Bytes) -> Value {
        serde_json::from_str(crate::hub::frame::text_payload(&frame).unwrap()).unwrap()
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

    fn unroutable(text: &str) -> String {
        match parse_client_message(text) {
            Err(Refusal::Unroutable(message)) => message,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn explains_bad_input() {
        assert!(unroutable("{nope").starts_with("malformed JSON"));
        assert!(unroutable("[1,2]").starts_with("malformed message"));
        assert!(unroutable(r#"{"payload":{}}"#).starts_with("missing `type`"));
        assert!(unroutable(r#"{"type":"bars.publish"}"#).contains("unknown message type `bars.publish`"));
        assert!(unroutable(r#"{"type":".subscribe"}"#).contains("unknown message type"));
        assert!(unroutable(r#"{"type":5}"#).starts_with("malformed message"));
    }

    #[test]
    fn a_payload_that_is_not_an_object_is_an_invalid_request() {
        for payload in [r#"["AAPL","1"]"#, "\"AAPL\"", "1", "true"] {
            let text = format!(r#"{{"type":"bars.unsubscribe","payload":{payload}}}"#);
            let refusal = parse_client_message(&text).unwrap_err();
            assert_eq!(
                parsed(refusal.reply()),
                json!({"type":"bars.unsubscribe.response","payload":{"status":"error","message":"invalid request: the payload must be a JSON object"}}),
                "{payload}"
            );
        }
        let spaced = parse_client_message(r#"{"type":"bars.subscribe","payload": {"symbol":"A"} }"#).unwrap();
        assert_eq!(spaced.payload, r#"{"symbol":"A"}"#);
    }
}

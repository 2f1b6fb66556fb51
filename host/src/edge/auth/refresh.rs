//! `auth.refresh`: a WebSocket client extends its connection before its
//! token expires, by sending a new token for the same subject.
//!
//! ```text
//! → {"type":"auth.refresh","payload":{"token":"<new token>"}}
//! ← {"type":"auth.refresh.response","payload":{"status":"ok","message":"Token refreshed"}}
//! ← {"type":"auth.refresh.response","payload":{"status":"error","message":"token expired: get a new one"}}
//! ```

use crate::hub::frame;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

/// The message type of a refresh.
pub const REFRESH: &str = "auth.refresh";
/// The message type of its answer.
pub const RESPONSE: &str = "auth.refresh.response";

/// The fields of a client message a refresh needs.
#[derive(Deserialize)]
struct Envelope {
    /// `auth.refresh` for a refresh.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// `{"token": "..."}`.
    payload: Option<serde_json::Value>,
}

/// `Some` when `text` is an `auth.refresh` message: its token, or what is
/// wrong with it. `None` for every other message.
pub fn parse(text: &str) -> Option<Result<String, String>> {
    // A cheap test first: every client frame passes through here.
    if !text.contains(REFRESH) {
        return None;
    }
    let envelope: Envelope = serde_json::from_str(text).ok()?;
    if envelope.kind.as_deref() != Some(REFRESH) {
        return None;
    }
    Some(match envelope.payload.as_ref().and_then(|payload| payload.get("token")).and_then(|token| token.as_str()) {
        Some(token) if !token.is_empty() => Ok(token.to_owned()),
        _ => Err("auth.refresh needs a payload {\"token\": \"<new token>\"}".to_owned()),
    })
}

/// The answer to a refresh, as a text frame: ok, or the error's message.
pub fn response(result: Result<(), String>) -> Bytes {
    let payload = match result {
        Ok(()) => json!({"status": "ok", "message": "Token refreshed"}),
        Err(message) => json!({"status": "error", "message": message}),
    };
    frame::text(&[json!({"type": RESPONSE, "payload": payload}).to_string().as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_refreshes_only() {
        assert_eq!(parse(r#"{"type":"auth.refresh","payload":{"token":"a.b.c"}}"#), Some(Ok("a.b.c".into())));
        assert!(matches!(parse(r#"{"type":"auth.refresh"}"#), Some(Err(_))));
        assert_eq!(parse(r#"{"type":"bars.subscribe","payload":{"symbol":"auth.refresh"}}"#), None);
        assert_eq!(parse(r#"{"type":"bars.subscribe"}"#), None);
        let ok: serde_json::Value = serde_json::from_str(frame::text_payload(&response(Ok(()))).unwrap()).unwrap();
        assert_eq!(ok["payload"]["status"], "ok");
    }
}

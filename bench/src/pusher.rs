//! The Pusher protocol as the benchmarks speak it to Sockudo: the app the
//! peer serves, the WebSocket messages of a subscriber, and the signature
//! its HTTP events API asks of a publisher.
//!
//! A client connects to `/app/{key}?protocol=7`, is greeted with
//! `pusher:connection_established`, sends `pusher:subscribe` per channel and
//! is answered `pusher_internal:subscription_succeeded`; each event then
//! arrives as `{"event":NAME,"channel":CHANNEL,"data":"<JSON text>"}`. A
//! publisher `POST`s to `/apps/{id}/events` (one event) or
//! `/apps/{id}/batch_events` (several), signed: the query carries
//! `auth_key`, `auth_timestamp`, `auth_version=1.0`, `body_md5` (MD5 of the
//! body, hex) and `auth_signature`, the hex HMAC-SHA256, keyed by the app's
//! secret, of `METHOD\nPATH\nQUERY` with the other parameters sorted.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;
use std::fmt::Write;

/// The app Sockudo serves the benchmarks (its config file names it).
pub(crate) const APP_ID: &str = "bench";
/// Its key, which clients connect with.
pub(crate) const APP_KEY: &str = "bench-key";
/// Its secret, which signs the publisher's requests.
pub(crate) const APP_SECRET: &str = "bench-secret";
/// The name of the events the publisher sends (and [`frame`] counts).
pub(crate) const EVENT: &str = "tick";

/// The WebSocket path of the benchmark app.
pub(crate) fn ws_path() -> String {
    format!("/app/{APP_KEY}?protocol=7&client=topicwire-bench&version=1.0")
}

/// A subscriber's request for `channel`.
pub(crate) fn subscribe_message(channel: &str) -> String {
    format!(r#"{{"event":"pusher:subscribe","data":{{"channel":"{channel}"}}}}"#)
}

/// The answer to the server's `pusher:ping`.
pub(crate) const PONG: &str = r#"{"event":"pusher:pong","data":{}}"#;

/// What a frame from the server is to a subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// An event of a subscribed channel.
    Event,
    /// A subscription was accepted.
    Subscribed,
    /// A subscription (or another request) was refused.
    Refused,
    /// The server checks the connection is alive.
    Ping,
    /// The greeting, or anything else a subscriber may ignore.
    Other,
}

/// Recognises a frame by its prefix (Sockudo writes `event` first), so
/// counting costs no JSON parse.
pub(crate) fn frame(text: &str) -> Frame {
    const TICK: &str = r#"{"event":"tick","#;
    if text.starts_with(TICK) {
        Frame::Event
    } else if text.starts_with(r#"{"event":"pusher_internal:subscription_succeeded""#) {
        Frame::Subscribed
    } else if text.starts_with(r#"{"event":"pusher:error""#)
        || text.starts_with(r#"{"event":"pusher:subscription_error""#)
    {
        Frame::Refused
    } else if text.starts_with(r#"{"event":"pusher:ping""#) {
        Frame::Ping
    } else {
        Frame::Other
    }
}

/// The query string of a signed request: `method` to `path` with `body`
/// at Unix time `timestamp`, for the app `key` / `secret`.
pub(crate) fn signed_query(method: &str, path: &str, body: &[u8], key: &str, secret: &str, timestamp: u64) -> String {
    // Already in sorted order, as the signature wants.
    let mut query = format!("auth_key={key}&auth_timestamp={timestamp}&auth_version=1.0");
    if !body.is_empty() {
        let _ = write!(query, "&body_md5={}", hex(&Md5::digest(body)));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{method}\n{path}\n{query}").as_bytes());
    let _ = write!(query, "&auth_signature={}", hex(&mac.finalize().into_bytes()));
    query
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_pusher_docs_example() {
        // The worked example of Pusher's "HTTP API reference", section "Authentication".
        let body = br#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
        let query =
            signed_query("POST", "/apps/3/events", body, "278d425bdf160c739803", "7ad3773142a6692b25b8", 1_353_088_179);
        assert_eq!(
            query,
            "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0\
             &body_md5=ec365a775a4cd0599faeb73354201b6f\
             &auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
        );
    }

    #[test]
    fn frames_are_told_apart_by_their_prefix() {
        assert_eq!(frame(r#"{"event":"tick","channel":"s0","data":"{\"sent_us\":1}"}"#), Frame::Event);
        assert_eq!(frame(r#"{"event":"tickle","channel":"s0"}"#), Frame::Other);
        assert_eq!(
            frame(r#"{"event":"pusher_internal:subscription_succeeded","channel":"s0","data":"{}"}"#),
            Frame::Subscribed
        );
        assert_eq!(frame(r#"{"event":"pusher:error","data":{"code":4009}}"#), Frame::Refused);
        assert_eq!(frame(r#"{"event":"pusher:ping","data":"{}"}"#), Frame::Ping);
        assert_eq!(frame(r#"{"event":"pusher:connection_established","data":"{}"}"#), Frame::Other);
        assert_eq!(subscribe_message("s0"), r#"{"event":"pusher:subscribe","data":{"channel":"s0"}}"#);
    }
}

//! What one node reads from another: forwarded REST requests and their
//! outcomes (`cluster::envelope`), and update frames (published, stored in
//! JetStream, answered to catch-ups), read by `hub::frame` and
//! `hub::position`.
//!
//! Properties: decoding never panics; a decoded request or outcome encodes
//! to a message that decodes to the same thing, and encoding is then a
//! fixed point (byte for byte); an update frame the hub builds reads back
//! its data and position, whatever the topic and data.

use axum::http::Request;
use bytes::Bytes;
use topicwire::cluster::envelope::{decode_outcome, decode_request, encode_outcome, encode_request};
use topicwire::hub::frame;
use topicwire::hub::messages::{update_frame, update_prefix};
use topicwire::hub::position::{MAX_OFFSET, fresh_epoch, of_update};

fn same_request(a: &Request<Bytes>, b: &Request<Bytes>) -> bool {
    a.method() == b.method() && a.uri() == b.uri() && a.headers() == b.headers() && a.body() == b.body()
}

fn check_envelopes(input: &[u8]) {
    if let Ok(request) = decode_request(input) {
        let encoded = encode_request(&request).unwrap();
        let back = decode_request(&encoded).unwrap();
        assert!(same_request(&request, &back), "{request:?} became {back:?}");
        assert_eq!(encode_request(&back).unwrap(), encoded);
    }
    if let Ok(outcome) = decode_outcome(input) {
        let encoded = encode_outcome(&outcome);
        let back = decode_outcome(&encoded).unwrap();
        assert_eq!(format!("{back:?}"), format!("{outcome:?}"));
        assert_eq!(encode_outcome(&back), encoded);
    }
}

fn check_frames(input: &[u8]) {
    if let Some(text) = frame::single_text_payload(input) {
        let _ = of_update(text);
    }
    // An update of a topic and data taken from the input.
    let text = String::from_utf8_lossy(input);
    let (topic, data) = text.split_once('\n').unwrap_or((&text, "null"));
    let Ok(data_value) = serde_json::from_str::<serde_json::Value>(data) else { return };
    let offset = u64::try_from(input.len() * 7919).unwrap_or(MAX_OFFSET) % (MAX_OFFSET + 1);
    let epoch = fresh_epoch();
    let built = update_frame(&update_prefix("r", topic), data, offset, &epoch);
    let payload = frame::single_text_payload(&built).expect("one text frame");
    assert_eq!(of_update(payload), Some((offset, &*epoch)));
    let parsed: serde_json::Value = serde_json::from_str(payload).unwrap();
    let expected = serde_json::json!({
        "type": "r.update",
        "payload": {"topic": topic, "payload": data_value, "offset": offset, "epoch": &*epoch},
    });
    assert_eq!(parsed, expected);
}

#[test]
fn fuzz() {
    bolero::check!(name = "cluster_messages").with_iterations(crate::support::iterations(5000)).for_each(|input| {
        check_envelopes(input);
        check_frames(input);
    });
}

#[test]
fn a_message_cut_short_or_without_a_head_is_refused() {
    assert!(decode_request(b"").is_err());
    assert!(decode_request(b"\0\0\0").is_err());
    assert!(decode_request(b"\xff\xff\xff\xff{}").is_err());
    assert!(decode_outcome(b"\0\0\0\x02{}").is_err(), "a head without its outcome");
    let request = Request::builder().method("PATCH").uri("/a?b=%20").body(Bytes::from_static(b"\0\xff")).unwrap();
    check_envelopes(&encode_request(&request).unwrap());
}

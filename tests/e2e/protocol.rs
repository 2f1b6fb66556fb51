//! Protocol violations close with their RFC 6455 code and a reason, and a
//! close frame reaches the client before the TCP connection ends (no reset),
//! with the replies to every frame accepted before it.

use serde_json::json;
use topicwire_tests::Host;
use topicwire_tests::raw::RawSocket;

#[tokio::test]
async fn protocol_violations_close_with_1002_or_1007_and_a_reason() {
    let host = Host::datafeed().await;
    let cases: [(&str, u8, &[u8], u16); 6] = [
        ("reserved bits", 0xC1, b"{}", 1002),
        ("unknown data opcode", 0x83, b"{}", 1002),
        ("unknown control opcode", 0x8B, b"", 1002),
        ("fragmented ping", 0x09, b"", 1002),
        ("oversized ping", 0x89, &[0u8; 126], 1002),
        ("invalid UTF-8", 0x81, b"{\"type\":\"\xff\xfe\"}", 1007),
    ];
    for (what, first, payload, expected) in cases {
        let mut socket = RawSocket::connect(host.addr, "/api/v1/datafeed/ws").await;
        socket.send_frame(first, payload).await;
        let ending = socket.ending().await;
        let (code, reason) = ending.close.clone().unwrap_or_else(|| panic!("{what}: no close frame"));
        assert_eq!(code, expected, "{what}: {reason}");
        assert!(!reason.is_empty(), "{what}: an empty reason");
        assert!(ending.clean, "{what}: the connection was reset");
    }
    host.stop().await;
}

#[tokio::test]
async fn an_oversized_frame_gets_its_1009_close_frame_before_the_connection_ends() {
    let host =
        Host::start_with(&[("datafeed", topicwire_tests::DATAFEED_WASM)], "[limits]\nmax_frame_bytes = 1024\n").await;
    for _ in 0..8 {
        let mut socket = RawSocket::connect(host.addr, "/api/v1/datafeed/ws").await;
        socket.send_text(&"x".repeat(200_000)).await;
        let ending = socket.ending().await;
        assert_eq!(ending.close.as_ref().map(|(code, _)| *code), Some(1009), "{ending:?}");
        assert!(ending.clean, "the connection was reset before the close frame could be read");
    }
    host.stop().await;
}

#[tokio::test]
async fn replies_to_frames_accepted_before_a_1008_are_sent() {
    let config = "[limits]\nclient_messages_per_second = 1\nclient_message_burst = 5\n";
    let host = Host::start_with(&[("datafeed", topicwire_tests::DATAFEED_WASM)], config).await;
    let mut socket = RawSocket::connect(host.addr, "/api/v1/datafeed/ws").await;
    let symbols = ["AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA", "META", "NFLX", "AMD", "INTC"];
    for symbol in symbols {
        socket
            .send_text(&json!({"type": "bars.subscribe", "payload": {"symbol": symbol, "resolution": "1"}}).to_string())
            .await;
    }
    let (texts, ending) = socket.texts_and_ending().await;
    let replies = texts.iter().filter(|text| text.contains("bars.subscribe.response")).count();
    assert_eq!(replies, 5, "one reply per accepted frame: {texts:?}");
    assert_eq!(ending.close, Some((1008, "too many messages".to_owned())));
    assert!(ending.clean);
    host.stop().await;
}

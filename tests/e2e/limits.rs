//! Limits close abusive connections with the right code; ordinary clients are unaffected.

use serde_json::json;
use topicwire_tests::{DATAFEED_WASM, Host, PROBE_WASM, poll_until};

#[tokio::test]
async fn an_oversized_frame_closes_with_1009() {
    let host = Host::start_with(&[("datafeed", DATAFEED_WASM)], "[limits]\nmax_frame_bytes = 1024\n").await;
    let mut client = host.client("datafeed").await;
    let huge = format!(r#"{{"type":"bars.subscribe","payload":{{"symbol":"{}"}}}}"#, "A".repeat(4096));
    client.send_text(&huge).await;
    let (code, reason) = client.expect_close().await;
    assert_eq!(code, 1009, "{reason}");
    host.stop().await;
}

#[tokio::test]
async fn a_flood_of_messages_closes_with_1008() {
    let config = "[limits]\nclient_messages_per_second = 1\nclient_message_burst = 5\n";
    let host = Host::start_with(&[("datafeed", DATAFEED_WASM)], config).await;
    let mut client = host.client("datafeed").await;
    for _ in 0..20 {
        client.send_text("{}").await;
    }
    let (code, reason) = client.expect_close().await;
    assert_eq!((code, reason.as_str()), (1008, "too many messages"));
    host.stop().await;
}

#[tokio::test]
async fn subscriptions_per_connection_are_capped() {
    let host =
        Host::start_with(&[("datafeed", DATAFEED_WASM)], "[limits]\nmax_subscriptions_per_connection = 2\n").await;
    let mut client = host.client("datafeed").await;
    for symbol in ["AAPL", "MSFT"] {
        assert_eq!(client.subscribe("bars", json!({"symbol": symbol, "resolution": "1"})).await["status"], "ok");
    }
    let refused = client.subscribe("bars", json!({"symbol": "GOOGL", "resolution": "1"})).await;
    assert_eq!(refused["status"], "error");
    assert!(refused["message"].as_str().unwrap().starts_with("subscription limit reached"), "{refused}");
    assert_eq!(host.topics("datafeed").await.len(), 2);
    host.stop().await;
}

#[tokio::test]
async fn a_connection_past_its_lifespan_is_closed_with_1000() {
    let host = Host::start_with(&[("datafeed", DATAFEED_WASM)], "[limits]\nmax_connection_lifespan_secs = 1\n").await;
    let mut client = host.client("datafeed").await;
    client.subscribe("bars", json!({"symbol": "AAPL", "resolution": "1"})).await;
    let (code, reason) = client.expect_close().await;
    assert_eq!(code, 1000, "{reason}");
    host.eventually("its topic is released", |modules| modules["modules"][0]["topics"].as_array().unwrap().is_empty())
        .await;
    host.stop().await;
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_and_others_get_every_update() {
    let config = "[limits]\noutgoing_queue_frames = 64\nslow_consumer_grace_ms = 300\n\
                  [modules.ticker]\nTICK_MS = 1\nBURST = 20\n";
    let host = Host::start_with(&[("ticker", PROBE_WASM)], config).await;
    let mut stalled = host.client("ticker").await;
    stalled.subscribe("ticks", json!({"stream": "s"})).await;
    let mut reader = host.client("ticker").await;
    reader.subscribe("ticks", json!({"stream": "s"})).await;

    // The reader gets every tick, in order, while the stalled client's
    // socket buffers and then its queue fill up.
    let mut expected = reader.next_update("ticks").await["payload"]["seq"].as_u64().unwrap() + 1;
    let mut dropped = false;
    for _ in 0..200_000 {
        let seq = reader.next_update("ticks").await["payload"]["seq"].as_u64().unwrap();
        assert_eq!(seq, expected, "the reader missed ticks");
        expected += 1;
        if expected % 1000 == 0 && host.topics("ticker").await.first().is_some_and(|(_, subscribers)| *subscribers == 1)
        {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "the stalled client was never dropped");
    for _ in 0..1000 {
        let seq = reader.next_update("ticks").await["payload"]["seq"].as_u64().unwrap();
        assert_eq!(seq, expected, "the reader missed ticks after the drop");
        expected += 1;
    }
    // The stalled client's stream ends, with the 1008 close frame if its
    // buffers had room for it; the host counts the 1008 either way.
    let code = stalled.read_to_end().await;
    assert!(code.is_none_or(|code| code == 1008), "{code:?}");
    let closed_1008 = r#"topicwire_connections_closed_total{code="1008"}"#;
    poll_until("the host counts the 1008 close", async || match host.metric(closed_1008).await {
        Some(1) => Ok(()),
        other => Err(other),
    })
    .await;
    host.stop().await;
}

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_dropped_and_its_topics_released() {
    let config = "[limits]\nping_interval_ms = 100\nidle_timeout_ms = 300\n";
    let host = Host::start_with(&[("datafeed", DATAFEED_WASM)], config).await;
    let mut silent = host.client("datafeed").await;
    silent.subscribe("bars", json!({"symbol": "AAPL", "resolution": "1"})).await;
    let mut alive = host.client("datafeed").await;
    alive.subscribe("quotes", json!({"symbols": ["MSFT"]})).await;
    // `silent` stops reading, so it never answers the server's pings; `alive`
    // keeps reading (and answering) while the server gives up on `silent`.
    let released = async {
        host.eventually("the silent peer's topic is released", |modules| {
            let topics = modules["modules"][0]["topics"].as_array().unwrap();
            topics.len() == 1 && topics[0]["topic"].as_str().unwrap().starts_with("quotes:")
        })
        .await
    };
    let reading = async {
        loop {
            alive.next_update("quotes").await;
        }
    };
    tokio::select! {
        _ = released => {}
        () = reading => {}
    }
    drop(silent);
    host.stop().await;
}

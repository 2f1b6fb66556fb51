//! What reaches a component is bounded: subscribe payloads (`max_request_bytes`)
//! and topics (`max_topic_bytes`) are refused with an error reply before the
//! guest is asked to create anything, so no client can run a module out of
//! memory by subscribing; equivalent datafeed resolutions share one topic.

use serde_json::json;
use topicwire_tests::{BROKER_WASM, Client, DATAFEED_WASM, Host};

#[tokio::test]
async fn sixty_four_kilobyte_account_ids_leave_the_broker_serving() {
    // The attack found by fuzzing: two connections × 100 subscriptions whose
    // `accountId` is 32 000 `é` (64 KB frames) used to run the guest out of
    // memory while creating topics, and quarantine it.
    let host = Host::start_with(&[("broker", BROKER_WASM)], "").await;
    let huge = json!({"accountId": "é".repeat(32_000)});
    let mut attackers = Vec::new();
    for _ in 0..2 {
        let mut client = host.client("broker").await;
        for _ in 0..100 {
            let reply = client.subscribe("orders", huge.clone()).await;
            assert_eq!(reply["status"], "error");
            assert!(reply["message"].as_str().unwrap().starts_with("request too large"), "{reply}");
        }
        attackers.push(client);
    }
    drop(attackers);
    let broker = host.module("broker").await.unwrap();
    assert_eq!((broker["state"].as_str(), broker["restarts"].as_u64()), (Some("serving"), Some(0)), "{broker}");
    assert!(host.topics("broker").await.is_empty());
    let mut client = host.client("broker").await;
    assert_eq!(client.subscribe("orders", json!({"accountId": "A1"})).await["status"], "ok");
    assert_eq!(host.get("/healthz").await.1["status"], "ok");
    host.stop().await;
}

#[tokio::test]
async fn a_topic_over_max_topic_bytes_is_never_created() {
    let host = Host::start_with(&[("broker", BROKER_WASM)], "[limits]\nmax_topic_bytes = 200\n").await;
    let mut client = host.client("broker").await;
    // 1 000 bytes of request, but each `é` becomes six bytes (`\u00e9`) in the canonical topic.
    let reply = client.subscribe("orders", json!({"accountId": "é".repeat(500)})).await;
    assert_eq!(reply["status"], "error");
    assert!(reply["message"].as_str().unwrap().starts_with("topic too long"), "{reply}");
    assert!(host.topics("broker").await.is_empty());
    assert_eq!(client.subscribe("orders", json!({"accountId": "A1"})).await["status"], "ok", "the connection stays");
    host.stop().await;
}

#[tokio::test]
async fn equivalent_resolutions_share_one_topic_and_unserved_ones_are_refused() {
    let host = Host::start_with(&[("datafeed", DATAFEED_WASM)], "[limits]\nmax_request_bytes = 100000\n").await;
    let mut client = host.client("datafeed").await;
    let zeros = format!("{}1", "0".repeat(65_400));
    let mut topics = Vec::new();
    for resolution in ["1", "01", "001", "+1", zeros.as_str()] {
        let reply = client.subscribe("bars", json!({"symbol": "AAPL", "resolution": resolution})).await;
        assert_eq!(reply["status"], "ok", "{resolution}: {reply}");
        topics.push(reply["topic"].as_str().unwrap().to_owned());
    }
    assert!(topics.iter().all(|topic| topic == r#"bars:{"resolution":"1","symbol":"AAPL"}"#), "{topics:?}");
    assert_eq!(host.topics("datafeed").await.len(), 1);
    let day = client.subscribe("bars", json!({"symbol": "AAPL", "resolution": "1D"})).await;
    assert_eq!(day["topic"], r#"bars:{"resolution":"D","symbol":"AAPL"}"#);
    for unserved in ["2", "1441", "0", "7X"] {
        let reply = client.subscribe("bars", json!({"symbol": "AAPL", "resolution": unserved})).await;
        assert!(reply["message"].as_str().unwrap().starts_with("invalid request: resolution:"), "{unserved}: {reply}");
    }
    host.stop().await;
}

#[tokio::test]
async fn an_oversized_request_is_answered_and_the_connection_stays() {
    let host = Host::datafeed().await;
    let mut client = Client::connect(&host.ws_url("datafeed")).await;
    let reply = client.subscribe("bars", json!({"symbol": "A".repeat(5_000), "resolution": "1"})).await;
    assert_eq!(reply["message"], "request too large: at most 4096 bytes (max_request_bytes)");
    let reply = client.unsubscribe("bars", json!({"symbol": "A".repeat(5_000), "resolution": "1"})).await;
    assert_eq!(reply["status"], "error");
    assert_eq!(client.subscribe("bars", json!({"symbol": "AAPL", "resolution": "1"})).await["status"], "ok");
    host.stop().await;
}

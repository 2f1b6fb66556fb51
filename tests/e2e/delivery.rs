//! Delivery policy per route: a reliable route (the broker's orders) is never
//! conflated: a client that cannot keep up is closed with 1008 and, until
//! then, has seen every update in order; the policy shows in the module's
//! route info and in AsyncAPI.

use serde_json::json;
use topicwire_tests::{BROKER_WASM, Client, DATAFEED_WASM, Host, http_request};

const JSON: (&str, &str) = ("Content-Type", "application/json");

#[tokio::test]
async fn a_slow_consumer_of_orders_is_closed_with_1008_having_seen_every_order_in_order() {
    let config =
        "[limits]\noutgoing_queue_frames = 16\nsocket_send_buffer_bytes = 8192\n[modules.broker]\nTICK_MS = 50\n";
    let host = Host::start_with(&[("broker", BROKER_WASM)], config).await;
    let mut slow = Client::connect_with_small_buffer(&host.ws_url("broker")).await;
    assert_eq!(slow.subscribe("orders", json!({"accountId": "A1"})).await["status"], "ok");
    // The client stops reading. Limit orders far below the market never fill,
    // so each one streams exactly one `orders` update.
    let order = json!({"symbol": "AAPL", "type": 1, "side": 1, "qty": 1, "limitPrice": 1.0}).to_string();
    let mut placed = Vec::new();
    let closed = loop {
        assert!(placed.len() < 20_000, "the stalled client was never closed");
        let (status, reply) =
            http_request(host.addr, "POST", "/api/v1/broker/orders", &[("X-Account-Id", "A1"), JSON], &order).await;
        assert_eq!(status, 200, "{reply}");
        placed.push(reply["orderId"].as_str().unwrap().to_owned());
        // Its topic keeps no subscriber (it lingers, so that the client can recover).
        if placed.len() % 20 == 0 && host.topics("broker").await.iter().all(|(_, subscribers)| *subscribers == 0) {
            break placed.len();
        }
    };
    // Now it reads: a prefix of the orders placed, each once, in order, then the close.
    let (frames, close) = slow.frames_to_end().await;
    let seen: Vec<String> = frames
        .iter()
        .filter(|frame| frame["type"] == "orders.update")
        .map(|frame| frame["payload"]["payload"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!seen.is_empty() && seen.len() < closed, "saw {} of {closed} orders", seen.len());
    assert_eq!(seen, placed[..seen.len()], "a gap or a reordering before the close");
    assert_eq!(close, Some((1008, "slow consumer".to_owned())));
    host.stop().await;
}

#[tokio::test]
async fn routes_show_their_delivery_policy_in_modules_and_asyncapi() {
    let host = Host::start_with(&[("broker", BROKER_WASM), ("datafeed", DATAFEED_WASM)], "").await;
    let broker = host.module("broker").await.unwrap();
    let delivery = |route: &str| {
        broker["routes"].as_array().unwrap().iter().find(|r| r["name"] == route).unwrap()["delivery"].clone()
    };
    for route in ["orders", "positions", "executions"] {
        assert_eq!(delivery(route), "reliable", "{route}");
    }
    for route in ["equity", "broker-connection"] {
        assert_eq!(delivery(route), "conflate", "{route}");
    }
    let datafeed = host.module("datafeed").await.unwrap();
    assert!(datafeed["routes"].as_array().unwrap().iter().all(|route| route["delivery"] == "conflate"));

    let (_, doc) = host.get("/api/v1/broker/ws/asyncapi.json").await;
    let orders = &doc["components"]["messages"]["orders.update"];
    assert_eq!(orders["x-topicwire-delivery"], "reliable");
    assert!(orders["description"].as_str().unwrap().contains("never conflated"), "{orders}");
    assert_eq!(doc["operations"]["broker/orders.update"]["x-topicwire-delivery"], "reliable");
    assert_eq!(doc["components"]["messages"]["equity.update"]["x-topicwire-delivery"], "conflate");
    host.stop().await;
}

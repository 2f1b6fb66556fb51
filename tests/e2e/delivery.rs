//! Delivery policy per route: the policy shows in the module's route info
//! and in AsyncAPI.

use topicwire_tests::{BROKER_WASM, DATAFEED_WASM, Host};

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

//! Subscribing, reference counting and fan-out with the datafeed component.

use serde_json::{Value, json};
use topicwire_tests::{DATAFEED_WASM, Host};

const AAPL_1: &str = r#"bars:{"resolution":"1","symbol":"AAPL"}"#;

fn aapl() -> Value {
    json!({"symbol": "AAPL", "resolution": "1"})
}

#[tokio::test]
async fn subscribing_to_bars_replies_then_streams_bars() {
    let host = Host::datafeed().await;
    let mut client = host.client("datafeed").await;
    let response = client.subscribe("bars", aapl()).await;
    let epoch = response["epoch"].as_str().unwrap().to_owned();
    assert_eq!(
        response,
        json!({"status": "ok", "message": "Subscribed", "topic": AAPL_1, "epoch": epoch, "offset": 0}),
        "a new topic's sequence starts at 0"
    );
    for offset in 1..=3 {
        let update = client.next_update("bars").await;
        assert_eq!(update["topic"], AAPL_1);
        assert_eq!((&update["epoch"], &update["offset"]), (&json!(epoch), &json!(offset)), "numbered by 1");
        let bar = &update["payload"];
        assert!(bar["time"].is_i64() && bar["volume"].is_i64(), "{bar}");
        for price in ["open", "high", "low", "close"] {
            assert!(bar[price].is_f64(), "{price} in {bar}");
        }
        let (low, high) = (bar["low"].as_f64().unwrap(), bar["high"].as_f64().unwrap());
        assert!(low <= bar["open"].as_f64().unwrap() && bar["close"].as_f64().unwrap() <= high, "{bar}");
        assert_eq!(bar["time"].as_i64().unwrap() % 60_000, 0, "a 1-minute bar starts on a minute");
    }
    host.stop().await;
}

#[tokio::test]
async fn subscribing_to_quotes_streams_one_quote_per_symbol() {
    let host = Host::datafeed().await;
    let mut client = host.client("datafeed").await;
    let response = client.subscribe("quotes", json!({"symbols": ["MSFT"], "fast_symbols": ["AAPL"]})).await;
    let topic = r#"quotes:{"fast_symbols":["AAPL"],"symbols":["MSFT"]}"#;
    assert_eq!(response["topic"], topic);
    let mut seen = Vec::new();
    for _ in 0..4 {
        let update = client.next_update("quotes").await;
        assert_eq!(update["topic"], topic);
        let quote = &update["payload"];
        assert_eq!(quote["s"], "ok");
        for field in
            ["lp", "ask", "bid", "spread", "open_price", "high_price", "low_price", "prev_close_price", "ch", "chp"]
        {
            assert!(quote["v"][field].is_f64(), "{field} in {quote}");
        }
        assert!(quote["v"]["volume"].is_i64());
        for field in ["short_name", "exchange", "description", "original_name"] {
            assert!(quote["v"][field].is_string(), "{field} in {quote}");
        }
        seen.push(quote["n"].as_str().unwrap().to_owned());
    }
    assert!(seen.contains(&"MSFT".to_owned()) && seen.contains(&"AAPL".to_owned()), "{seen:?}");
    host.stop().await;
}

#[tokio::test]
async fn module_settings_reach_the_component_as_its_environment() {
    // The session open of each symbol depends only on the walk's seed (and the day).
    let host = Host::start_with(&[("datafeed", DATAFEED_WASM)], "[modules.datafeed]\nSEED = 7\nTICK_MS = 50\n").await;
    let mut client = host.client("datafeed").await;
    client.subscribe("quotes", json!({"symbols": ["AAPL"]})).await;
    let quote = client.next_update("quotes").await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let expected = market_sim::Market::at(7, 50, now).get("AAPL").unwrap().open;
    assert_eq!(quote["payload"]["v"]["open_price"].as_f64().unwrap(), expected);
    assert_ne!(market_sim::Market::at(42, 50, now).get("AAPL").unwrap().open, expected, "the seed matters");
    host.stop().await;
}

#[tokio::test]
async fn equivalent_requests_share_one_topic() {
    let host = Host::datafeed().await;
    let mut a = host.client("datafeed").await;
    let mut b = host.client("datafeed").await;
    let first = a.subscribe("bars", json!({"symbol": "AAPL", "resolution": "1"})).await;
    let second = b.subscribe("bars", json!({"resolution": "1", "unknown": true, "symbol": "AAPL"})).await;
    assert_eq!(first["topic"], AAPL_1);
    assert_eq!(second["topic"], AAPL_1);
    assert_eq!(host.topics("datafeed").await, [(AAPL_1.to_owned(), 2)]);
    host.stop().await;
}

#[tokio::test]
async fn every_subscriber_receives_and_unsubscribing_one_keeps_the_other() {
    let host = Host::datafeed().await;
    let mut a = host.client("datafeed").await;
    let mut b = host.client("datafeed").await;
    a.subscribe("bars", aapl()).await;
    b.subscribe("bars", aapl()).await;
    // Both receive the same update frames: `a` subscribed first, so it gets
    // every update `b` gets.
    let from_b = b.next_update("bars").await;
    let mut found = false;
    for _ in 0..50 {
        if a.next_update("bars").await == from_b {
            found = true;
            break;
        }
    }
    assert!(found, "`a` never received the update `b` received: {from_b}");

    let response = a.unsubscribe("bars", aapl()).await;
    assert_eq!(response, json!({"status": "ok", "message": "Unsubscribed", "topic": AAPL_1}));
    assert_eq!(host.topics("datafeed").await, [(AAPL_1.to_owned(), 1)]);
    // `b`'s barrier is handled after `a`'s unsubscribe; the update `b` gets
    // after it was published later still, and `a`'s barrier after that: had
    // `a` still been subscribed, that update would have reached it first.
    b.barrier().await;
    b.next_update("bars").await;
    let late: Vec<Value> = a.barrier().await.into_iter().filter(|frame| frame["type"] == "bars.update").collect();
    assert!(late.is_empty(), "updates after the unsubscribe response: {late:?}");
    host.stop().await;
}

#[tokio::test]
async fn the_last_unsubscribe_removes_the_topic() {
    let host = Host::datafeed().await;
    let mut client = host.client("datafeed").await;
    client.subscribe("bars", aapl()).await;
    assert_eq!(host.topics("datafeed").await.len(), 1);
    client.unsubscribe("bars", aapl()).await;
    assert!(host.topics("datafeed").await.is_empty());
    let again = client.unsubscribe("bars", aapl()).await;
    assert_eq!(again["status"], "error");
    assert!(again["message"].as_str().unwrap().starts_with("not subscribed"), "{again}");
    host.stop().await;
}

#[tokio::test]
async fn an_abrupt_disconnect_removes_the_topic() {
    let host = Host::datafeed().await;
    let mut stays = host.client("datafeed").await;
    let mut leaves = host.client("datafeed").await;
    stays.subscribe("quotes", json!({"symbols": ["MSFT"]})).await;
    leaves.subscribe("bars", aapl()).await;
    leaves.subscribe("quotes", json!({"symbols": ["MSFT"]})).await;
    assert_eq!(host.topics("datafeed").await.len(), 2);
    leaves.drop_abruptly();
    host.eventually("the departed client's topics are released", |modules| {
        let topics = modules["modules"][0]["topics"].as_array().unwrap();
        topics.len() == 1
            && topics[0]["subscribers"] == 1
            && topics[0]["topic"].as_str().unwrap().starts_with("quotes:")
    })
    .await;
    stays.next_update("quotes").await;
    host.stop().await;
}

#[tokio::test]
async fn a_double_subscribe_counts_and_delivers_once() {
    let host = Host::datafeed().await;
    let mut client = host.client("datafeed").await;
    let first = client.subscribe("bars", aapl()).await;
    assert_eq!(first["message"], "Subscribed");
    let again = client.subscribe("bars", json!({"resolution": "1", "symbol": "AAPL"})).await;
    assert_eq!(
        (&again["status"], &again["message"], &again["topic"]),
        (&json!("ok"), &json!("Subscribed"), &json!(AAPL_1))
    );
    assert_eq!(again["epoch"], first["epoch"], "the same topic, the same sequence");
    assert_eq!(host.topics("datafeed").await, [(AAPL_1.to_owned(), 1)]);
    // Volume grows at every tick, so a duplicated delivery would show as two equal frames in a row.
    let mut previous = client.next_update("bars").await;
    for _ in 0..5 {
        let update = client.next_update("bars").await;
        assert_ne!(update, previous, "an update was delivered twice");
        previous = update;
    }
    // One unsubscribe releases it.
    client.unsubscribe("bars", aapl()).await;
    assert!(host.topics("datafeed").await.is_empty());
    host.stop().await;
}

#[tokio::test]
async fn shutdown_closes_clients_with_1001() {
    let host = Host::datafeed().await;
    let mut client = host.client("datafeed").await;
    client.subscribe("bars", aapl()).await;
    let closing = tokio::spawn(async move { client.expect_close().await });
    host.stop().await;
    let (code, reason) = closing.await.unwrap();
    assert_eq!(code, 1001, "{reason}");
}

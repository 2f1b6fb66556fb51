//! The `trading` module, written in Python and built with componentize-py,
//! served beside the Rust modules: the protocol with its Pydantic-style
//! validation, the shared market's prices (the Rust crate's, for the same
//! seed and time), trade ids in `wasi:keyvalue` that a trap, a restart and
//! `kill -9` never make repeat, its REST API and how it describes itself.
//! (The probe scenarios of the other files run for the Python probe too.)

use serde_json::{Value, json};
use topicwire_tests::python::{TRADING_WASM, compile_into_shared_cache};
use topicwire_tests::{DATAFEED_WASM, Host, HostProcess, http_request};

/// The host binary as a process of its own.
const HOST_BINARY: &str = env!("CARGO_BIN_EXE_topicwire-under-test");
const CONFIG: &str = "[modules.trading]\nSEED = 7\nTICK_MS = 50\nDEBUG_ENDPOINTS = true\n";

async fn trading(config: &str) -> Host {
    compile_into_shared_cache(&[TRADING_WASM]).await;
    Host::start_with(&[("trading", TRADING_WASM), ("datafeed", DATAFEED_WASM)], config).await
}

/// The ids of the next `n` trades a fresh subscriber of `symbols` receives.
async fn trade_ids(host_ws: &str, symbols: &[&str], n: usize) -> Vec<u64> {
    let mut client = topicwire_tests::Client::connect(host_ws).await;
    assert_eq!(client.subscribe("trades", json!({"symbols": symbols})).await["status"], "ok");
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(client.next_update("trades").await["payload"]["id"].as_u64().unwrap());
    }
    ids
}

#[tokio::test]
async fn trades_stream_at_the_shared_markets_prices() {
    let host = trading(CONFIG).await;
    let mut client = host.client("trading").await;
    let response = client.subscribe("trades", json!({"symbols": ["AAPL", "NVDA"]})).await;
    assert_eq!(response["topic"], r#"trades:{"symbols":["AAPL","NVDA"]}"#, "{response}");
    for _ in 0..6 {
        let update = client.next_update("trades").await;
        let trade = &update["payload"];
        let (symbol, time) = (trade["symbol"].as_str().unwrap(), trade["time"].as_u64().unwrap());
        // The Rust market, natively, for the module's seed and tick at the trade's time.
        let expected = market_sim::Market::at(7, 50, time).get(symbol).unwrap().price;
        assert_eq!(trade["price"].as_f64(), Some(expected), "{trade}");
        assert!(trade["quantity"].as_u64().unwrap() > 0, "{trade}");
        assert!(trade["side"] == 1 || trade["side"] == -1, "{trade}");
    }
    // The last trade over REST is the last one streamed for the symbol.
    let update = client.next_update("trades").await["payload"].clone();
    let (status, last) = host.get(&format!("/api/v1/trading/trades/{}/last", update["symbol"].as_str().unwrap())).await;
    assert_eq!(status, 200, "{last}");
    assert!(last["id"].as_u64() >= update["id"].as_u64(), "{last} after {update}");
    host.stop().await;
}

#[tokio::test]
async fn requests_are_validated_as_pydantic_would_and_answered() {
    let host = trading(CONFIG).await;
    let mut client = host.client("trading").await;
    for (request, message) in [
        (json!({}), "invalid request: symbols: Field required"),
        (json!({"symbols": "AAPL"}), "invalid request: symbols: Input should be a valid list"),
        (json!({"symbols": [1]}), "invalid request: symbols.0: Input should be a valid string"),
        (json!({"symbols": []}), "invalid request: symbols: List should have at least 1 item after validation, not 0"),
    ] {
        assert_eq!(client.subscribe("trades", request).await, json!({"status": "error", "message": message}));
    }
    let unknown = client.subscribe("trades", json!({"symbols": ["AAPL", "NOPE"]})).await;
    let message = unknown["message"].as_str().unwrap();
    assert!(message.starts_with("invalid request: symbols.1: unknown symbol `NOPE`; known symbols: AAPL"), "{message}");
    assert_eq!(
        client.subscribe("candles", json!({})).await["message"],
        "unknown route `candles`; this module serves: trades"
    );
    assert!(host.topics("trading").await.is_empty(), "no topic for a refused request");
    // Equivalent requests share a topic; a double subscribe counts once; the last unsubscribe removes it.
    let topic = r#"trades:{"symbols":["MSFT"]}"#;
    assert_eq!(client.subscribe("trades", json!({"symbols": ["MSFT"]})).await["topic"], topic);
    let mut other = host.client("trading").await;
    assert_eq!(other.subscribe("trades", json!({"junk": 1, "symbols": ["MSFT"]})).await["topic"], topic);
    assert_eq!(client.subscribe("trades", json!({"symbols": ["MSFT"]})).await["message"], "Subscribed");
    assert_eq!(host.topics("trading").await, [(topic.to_owned(), 2)]);
    other.unsubscribe("trades", json!({"symbols": ["MSFT"]})).await;
    client.unsubscribe("trades", json!({"symbols": ["MSFT"]})).await;
    assert!(host.topics("trading").await.is_empty());
    host.stop().await;
}

#[tokio::test]
async fn trade_ids_never_repeat_across_a_trap_a_restart_and_kill_9() {
    let host = trading(CONFIG).await;
    let ws = host.ws_url("trading");
    let mut seen = trade_ids(&ws, &["AAPL"], 3).await;
    // An exception escaping a handler traps the instance; the host restarts it.
    let json_body = [("Content-Type", "application/json")];
    let (status, _) = http_request(host.addr, "POST", "/api/v1/trading/debug/crash", &json_body, "").await;
    assert_eq!(status, 503, "the trapped call gives no response");
    host.eventually("the instance restarted", |m| m["modules"][1]["restarts"] == 1).await;
    seen.extend(trade_ids(&ws, &["AAPL"], 3).await);
    let dirs = host.stop().await;

    let process = HostProcess::start(HOST_BINARY, dirs, CONFIG).await;
    seen.extend(trade_ids(&format!("ws://{}/api/v1/trading/ws", process.addr), &["MSFT"], 3).await);
    let dirs = process.kill();
    let process = HostProcess::start(HOST_BINARY, dirs, CONFIG).await;
    seen.extend(trade_ids(&format!("ws://{}/api/v1/trading/ws", process.addr), &["MSFT"], 3).await);
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "an id repeated: {seen:?}");
    assert!(seen.windows(2).all(|pair| pair[1] > pair[0]), "ids only grow: {seen:?}");
    drop(process);
}

#[tokio::test]
async fn the_module_describes_itself_as_the_rust_ones_do() {
    let host = trading(CONFIG).await;
    let module = host.module("trading").await.unwrap();
    assert_eq!(module["state"], "serving");
    assert_eq!(module["compiled_from_cache"], true, "hosts start from the cache, as a restart does");
    assert_eq!(module["serves_http"], true);
    let route = &module["routes"][0];
    assert_eq!((route["name"].as_str(), route["delivery"].as_str()), (Some("trades"), Some("conflate")));
    assert_eq!(route["request_schema"]["required"], json!(["symbols"]));
    let fields: Vec<&str> =
        route["data_schema"]["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields, ["id", "price", "quantity", "side", "symbol", "time"]);
    let (status, asyncapi) = host.get("/api/v1/trading/ws/asyncapi.json").await;
    assert_eq!(status, 200);
    assert!(asyncapi["components"]["messages"]["trades.update"].is_object(), "{asyncapi}");
    let (status, symbols) = host.get("/api/v1/trading/symbols").await;
    assert_eq!((status, symbols[0]["symbol"].clone()), (200, Value::from("AAPL")));
    let merged = host.get("/api/v1/ws/asyncapi.json").await.1;
    assert!(merged.to_string().contains("/api/v1/trading/ws"), "{merged}");
    host.stop().await;
}

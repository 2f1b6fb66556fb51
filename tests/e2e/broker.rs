//! The broker module: paper trading over its REST API, streamed over WebSocket.

use serde_json::{Value, json};
use std::time::Duration;
use topicwire_tests::{BROKER_WASM, Client, Host, http_request};

const ROUTES: [&str; 5] = ["orders", "positions", "executions", "equity", "broker-connection"];

async fn broker() -> Host {
    Host::start_with(&[("broker", BROKER_WASM)], "[modules.broker]\nTICK_MS = 20\n").await
}

/// A client subscribed to all five routes of `account`.
async fn subscribed(host: &Host, account: &str) -> Client {
    let mut client = host.client("broker").await;
    for route in ROUTES {
        let response = client.subscribe(route, json!({"accountId": account})).await;
        assert_eq!(response["status"], "ok", "{route}: {response}");
    }
    client
}

async fn rest(host: &Host, method: &str, path: &str, account: &str, body: Value) -> (u16, Value) {
    let body = if body.is_null() { String::new() } else { body.to_string() };
    let headers = [("X-Account-Id", account), ("Content-Type", "application/json")];
    http_request(host.addr, method, &format!("/api/v1/broker{path}"), &headers, &body).await
}

/// The next broker message other than a periodic equity refresh or the connection status.
async fn next_event(client: &mut Client) -> Value {
    for _ in 0..1000 {
        let message = client.recv().await;
        let kind = message["type"].as_str().unwrap().to_owned();
        if kind != "broker-connection.update" && kind != "equity.update" {
            return message;
        }
    }
    panic!("no order, execution or position update arrived");
}

#[tokio::test]
async fn a_market_order_streams_working_then_the_fill_in_order() {
    let host = broker().await;
    let mut client = subscribed(&host, "A").await;
    let (status, placed) =
        rest(&host, "POST", "/orders", "A", json!({"symbol": "AAPL", "type": 2, "side": 1, "qty": 10})).await;
    assert_eq!(status, 201, "{placed}");
    let id = placed["orderId"].as_str().unwrap().to_owned();

    let working = next_event(&mut client).await;
    assert_eq!(working["type"], "orders.update");
    assert_eq!(working["payload"]["topic"], r#"orders:{"accountId":"A"}"#);
    assert_eq!(
        (working["payload"]["data"]["id"].as_str(), working["payload"]["data"]["status"].as_i64()),
        (Some(id.as_str()), Some(6))
    );

    // The fill: executions, orders (FILLED), equity, positions — consecutive.
    let mut fill = Vec::new();
    while fill.len() < 4 {
        let message = client.recv().await;
        let kind = message["type"].as_str().unwrap();
        if fill.is_empty() && kind != "executions.update" {
            continue;
        }
        fill.push(message);
    }
    let kinds: Vec<&str> = fill.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["executions.update", "orders.update", "equity.update", "positions.update"]);
    let execution = &fill[0]["payload"]["data"];
    let order = &fill[1]["payload"]["data"];
    let position = &fill[3]["payload"]["data"];
    let price = execution["price"].as_f64().unwrap();
    assert_eq!(
        (execution["symbol"].as_str(), execution["qty"].as_f64(), execution["side"].as_i64()),
        (Some("AAPL"), Some(10.0), Some(1))
    );
    assert_eq!(order["status"], 2);
    assert_eq!((order["filledQty"].as_f64(), order["avgPrice"].as_f64()), (Some(10.0), Some(price)));
    assert!(order["updateTime"].as_i64().unwrap() > 0);
    assert_eq!(
        (position["id"].as_str(), position["qty"].as_f64(), position["side"].as_i64()),
        (Some("AAPL"), Some(10.0), Some(1))
    );
    assert_eq!(position["avgPrice"].as_f64(), Some(price));

    // The REST API and the topics share state.
    let (_, orders) = rest(&host, "GET", "/orders", "A", Value::Null).await;
    assert_eq!(orders[0], *order);
    let (_, positions) = rest(&host, "GET", "/positions", "A", Value::Null).await;
    assert_eq!(positions[0], *position);

    // Close the position: a round trip realizes the price difference.
    let (status, _) = rest(&host, "DELETE", "/positions/AAPL", "A", Value::Null).await;
    assert_eq!(status, 200);
    let closing = loop {
        let message = next_event(&mut client).await;
        if message["type"] == "executions.update" {
            break message["payload"]["data"].clone();
        }
    };
    assert_eq!(closing["side"], -1);
    let closed = loop {
        let message = next_event(&mut client).await;
        if message["type"] == "positions.update" {
            break message["payload"]["data"].clone();
        }
    };
    assert_eq!(closed["qty"].as_f64(), Some(0.0));
    let (_, account) = rest(&host, "GET", "/account", "A", Value::Null).await;
    let realized = (closing["price"].as_f64().unwrap() - price) * 10.0;
    assert!((account["realizedPL"].as_f64().unwrap() - realized).abs() < 0.011, "{account} vs {realized}");
    assert!((account["balance"].as_f64().unwrap() - (100_000.0 + realized)).abs() < 0.011, "{account}");
    assert_eq!(account["unrealizedPL"].as_f64(), Some(0.0));
    host.stop().await;
}

#[tokio::test]
async fn a_far_limit_order_stays_working_until_cancelled() {
    let host = broker().await;
    let mut client = subscribed(&host, "A").await;
    let order = json!({"symbol": "MSFT", "type": 1, "side": 1, "qty": 5, "limitPrice": 1.0});
    let (status, placed) = rest(&host, "POST", "/orders", "A", order).await;
    assert_eq!(status, 201);
    let id = placed["orderId"].as_str().unwrap();
    assert_eq!(next_event(&mut client).await["payload"]["data"]["status"], 6);
    let (status, changed) = rest(&host, "PUT", &format!("/orders/{id}"), "A", json!({"qty": 7})).await;
    assert_eq!((status, changed["qty"].as_f64()), (200, Some(7.0)));
    assert_eq!(next_event(&mut client).await["payload"]["data"]["qty"], 7.0);
    let (status, cancelled) = rest(&host, "DELETE", &format!("/orders/{id}"), "A", Value::Null).await;
    assert_eq!((status, cancelled["status"].as_i64()), (200, Some(1)));
    let streamed = next_event(&mut client).await;
    assert_eq!(
        (streamed["type"].as_str(), streamed["payload"]["data"]["status"].as_i64()),
        (Some("orders.update"), Some(1))
    );
    let (_, orders) = rest(&host, "GET", "/orders", "A", Value::Null).await;
    assert_eq!(orders[0]["status"], 1);
    host.stop().await;
}

#[tokio::test]
async fn accounts_only_see_their_own_updates() {
    let host = broker().await;
    let mut a = subscribed(&host, "A").await;
    let mut b = subscribed(&host, "B").await;
    rest(&host, "POST", "/orders", "A", json!({"symbol": "AAPL", "type": 2, "side": 1, "qty": 1})).await;
    // A sees its order fill; then B has seen nothing but its own equity and status.
    while next_event(&mut a).await["type"] != "positions.update" {}
    // Fifteen broker ticks (TICK_MS = 20) after A's fill was streamed.
    for frame in b.quiet_for(Duration::from_millis(300)).await {
        let topic = frame["payload"]["topic"].as_str().unwrap_or_default();
        assert!(topic.ends_with(r#"{"accountId":"B"}"#), "B received {frame}");
        assert!(frame["type"] == "equity.update" || frame["type"] == "broker-connection.update", "B received {frame}");
    }
    let (_, b_orders) = rest(&host, "GET", "/orders", "B", Value::Null).await;
    assert_eq!(b_orders, json!([]));
    host.stop().await;
}

#[tokio::test]
async fn broker_connection_sends_the_status_on_subscribe() {
    let host = broker().await;
    let mut client = host.client("broker").await;
    client.subscribe("broker-connection", json!({"accountId": "A"})).await;
    let status = client.next_update("broker-connection").await;
    assert_eq!((status["data"]["status"].as_i64(), status["data"]["message"].as_str()), (Some(1), Some("Connected")));
    assert!(status["data"]["timestamp"].as_i64().unwrap() > 0);
    host.stop().await;
}

#[tokio::test]
async fn bad_requests_get_4xx_and_change_nothing() {
    let host = broker().await;
    let (status, _) =
        rest(&host, "POST", "/orders", "A", json!({"symbol": "AAPL", "type": 2, "side": 1, "qty": 1})).await;
    assert_eq!(status, 201);
    let (_, before) = rest(&host, "GET", "/orders", "A", Value::Null).await;
    // With no topic live, the account catches up with the market on each request.
    let (_, orders) = rest(&host, "GET", "/orders", "A", Value::Null).await;
    assert_eq!(orders[0]["status"], 2, "the market order filled: {orders}");
    let filled_id = orders[0]["id"].as_str().unwrap().to_owned();

    let cases: Vec<(&str, String, &str, u16, &str)> = vec![
        ("POST", "/orders".into(), "{not json", 400, "invalid body"),
        ("POST", "/orders".into(), r#"{"symbol":"NOPE","type":2,"side":1,"qty":1}"#, 400, "unknown symbol `NOPE`"),
        ("POST", "/orders".into(), r#"{"symbol":"AAPL","type":2,"side":1,"qty":0}"#, 400, "qty"),
        ("POST", "/orders".into(), r#"{"symbol":"AAPL","type":2,"side":1,"qty":-5}"#, 400, "qty"),
        ("POST", "/orders".into(), r#"{"symbol":"AAPL","type":9,"side":1,"qty":1}"#, 400, "type"),
        ("POST", "/orders".into(), r#"{"symbol":"AAPL","type":1,"side":1,"qty":1}"#, 400, "limitPrice"),
        ("PUT", "/orders/999".into(), r#"{"qty":2}"#, 404, "no order `999`"),
        ("DELETE", "/orders/999".into(), "", 404, "no order `999`"),
        ("PUT", format!("/orders/{filled_id}"), r#"{"qty":2}"#, 409, "no longer working"),
        ("DELETE", "/positions/MSFT".into(), "", 404, "no open position"),
        ("GET", "/nowhere".into(), "", 404, "no such endpoint"),
    ];
    for (method, path, body, expected, message) in cases {
        let headers = [("X-Account-Id", "A"), ("Content-Type", "application/json")];
        let (status, reply) = http_request(host.addr, method, &format!("/api/v1/broker{path}"), &headers, body).await;
        assert_eq!(status, expected, "{method} {path} {body}: {reply}");
        assert!(reply["error"].as_str().unwrap().contains(message), "{method} {path}: {reply}");
    }
    let (status, reply) = http_request(host.addr, "GET", "/api/v1/broker/orders", &[], "").await;
    assert_eq!(status, 400, "{reply}");
    let (_, after) = rest(&host, "GET", "/orders", "A", Value::Null).await;
    assert_eq!(after.as_array().unwrap().len(), before.as_array().unwrap().len());
    assert_eq!(after[0]["id"], before[0]["id"]);
    // A module without a REST API answers 404 there.
    let datafeed = Host::start_with(&[("datafeed", topicwire_tests::DATAFEED_WASM)], "").await;
    let (status, reply) = datafeed.get("/api/v1/datafeed/orders").await;
    assert_eq!(status, 404, "{reply}");
    datafeed.stop().await;
    host.stop().await;
}

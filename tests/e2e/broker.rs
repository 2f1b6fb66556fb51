//! The broker module: paper trading over its REST API, streamed over WebSocket.

use serde_json::{Value, json};
use topicwire_tests::{BROKER_WASM, Client, Host, http_request, poll_until};

/// `method path` of account A with a raw `body`.
async fn rest_text(host: &Host, method: &str, path: &str, body: &str) -> (u16, Value) {
    let headers = [("X-Account-Id", "A"), ("Content-Type", "application/json")];
    http_request(host.addr, method, &format!("/api/v1/broker{path}"), &headers, body).await
}

/// Waits until account's first order is FILLED (the account catches up on
/// each request); returns its id.
async fn host_eventually_filled(host: &Host, account: &str) -> String {
    poll_until("the market order fills", async || {
        let (_, orders) = rest(host, "GET", "/orders", account, Value::Null).await;
        if orders[0]["status"] == 2 { Ok(orders[0]["id"].as_str().unwrap().to_owned()) } else { Err(orders) }
    })
    .await
}

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

/// A request as the Python system's frontend sends it: no account header.
async fn frontend(host: &Host, method: &str, path: &str, body: &str) -> (u16, Value) {
    http_request(host.addr, method, &format!("/api/v1/broker{path}"), &[("Content-Type", "application/json")], body)
        .await
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
    assert_eq!(status, 200, "{placed}");
    let id = placed["orderId"].as_str().unwrap().to_owned();

    let working = next_event(&mut client).await;
    assert_eq!(working["type"], "orders.update");
    assert_eq!(working["payload"]["topic"], r#"orders:{"accountId":"A"}"#);
    assert_eq!(
        (working["payload"]["payload"]["id"].as_str(), working["payload"]["payload"]["status"].as_i64()),
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
    let execution = &fill[0]["payload"]["payload"];
    let order = &fill[1]["payload"]["payload"];
    let position = &fill[3]["payload"]["payload"];
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
    let (status, closed) = rest(&host, "DELETE", "/positions/AAPL", "A", Value::Null).await;
    assert_eq!((status, &closed["success"]), (200, &json!(true)), "{closed}");
    let closing = loop {
        let message = next_event(&mut client).await;
        if message["type"] == "executions.update" {
            break message["payload"]["payload"].clone();
        }
    };
    assert_eq!(closing["side"], -1);
    let closed = loop {
        let message = next_event(&mut client).await;
        if message["type"] == "positions.update" {
            break message["payload"]["payload"].clone();
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
    let (status, placed) = rest(&host, "POST", "/orders", "A", order.clone()).await;
    assert_eq!(status, 200);
    let id = placed["orderId"].as_str().unwrap();
    assert_eq!(next_event(&mut client).await["payload"]["payload"]["status"], 6);
    let mut change = order;
    change["qty"] = json!(7);
    let (status, changed) = rest(&host, "PUT", &format!("/orders/{id}"), "A", change).await;
    assert_eq!((status, changed), (200, json!({"success": true, "message": format!("Order {id} modified")})));
    assert_eq!(next_event(&mut client).await["payload"]["payload"]["qty"], 7.0);
    let (status, cancelled) = rest(&host, "DELETE", &format!("/orders/{id}"), "A", Value::Null).await;
    assert_eq!((status, cancelled["success"].as_bool()), (200, Some(true)));
    let streamed = next_event(&mut client).await;
    assert_eq!(
        (streamed["type"].as_str(), streamed["payload"]["payload"]["status"].as_i64()),
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
    // A sees its order fill; then B has seen nothing but its own equity and
    // status: its barrier follows everything the fill streamed.
    while next_event(&mut a).await["type"] != "positions.update" {}
    for frame in b.barrier().await {
        let topic = frame["payload"]["topic"].as_str().unwrap_or_default();
        assert!(topic.ends_with(r#"{"accountId":"B"}"#), "B received {frame}");
        assert!(frame["type"] == "equity.update" || frame["type"] == "broker-connection.update", "B received {frame}");
    }
    let (_, b_orders) = rest(&host, "GET", "/orders", "B", Value::Null).await;
    assert_eq!(b_orders, json!([]));
    host.stop().await;
}

#[tokio::test]
async fn broker_connection_sends_the_status_to_every_subscriber_on_subscribe() {
    let host = broker().await;
    // The first subscriber makes the topic live; the others join it.
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut client = host.client("broker").await;
        assert_eq!(client.subscribe("broker-connection", json!({"accountId": "A"})).await["status"], "ok");
        let status = client.next_update("broker-connection").await;
        assert_eq!(
            (status["payload"]["status"].as_i64(), status["payload"]["message"].as_str()),
            (Some(1), Some("Connected"))
        );
        assert!(status["payload"]["timestamp"].as_i64().unwrap() > 0);
        clients.push(client);
    }
    assert_eq!(host.topics("broker").await, [(r#"broker-connection:{"accountId":"A"}"#.to_owned(), 3)]);
    host.stop().await;
}

#[tokio::test]
async fn bad_requests_get_the_python_systems_statuses_and_change_nothing() {
    let host = broker().await;
    let (status, _) =
        rest(&host, "POST", "/orders", "A", json!({"symbol": "AAPL", "type": 2, "side": 1, "qty": 1})).await;
    assert_eq!(status, 200);
    // With no topic live, the account catches up with the market on each request.
    let filled = host_eventually_filled(&host, "A").await;
    let (_, before) = rest(&host, "GET", "/orders", "A", Value::Null).await;

    let refused: Vec<(&str, String, &str, u16, &str)> = vec![
        (
            "POST",
            "/orders".into(),
            r#"{"symbol":"NOPE","type":1,"side":1,"qty":1,"limitPrice":1}"#,
            400,
            "unknown symbol `NOPE`",
        ),
        ("POST", "/orders".into(), r#"{"symbol":"NOPE","type":2,"side":1,"qty":1}"#, 400, "seenPrice"),
        ("POST", "/orders".into(), r#"{"symbol":"AAPL","type":2,"side":1,"qty":0}"#, 400, "qty"),
        ("POST", "/orders".into(), r#"{"symbol":"AAPL","type":2,"side":1,"qty":-5}"#, 400, "qty"),
        ("POST", "/orders".into(), r#"{"symbol":"AAPL","type":1,"side":1,"qty":1}"#, 400, "limitPrice"),
        ("POST", "/orders".into(), r#"{"symbol":"AAPL","type":1,"side":1,"qty":1,"limitPrice":-5}"#, 400, "limitPrice"),
        (
            "PUT",
            format!("/orders/{filled}"),
            r#"{"symbol":"AAPL","type":2,"side":1,"qty":2}"#,
            409,
            "no longer working",
        ),
        ("PUT", "/orders/999".into(), r#"{"symbol":"AAPL","type":2,"side":1,"qty":2}"#, 404, "no order `999`"),
        ("DELETE", "/orders/999".into(), "", 404, "no order `999`"),
        ("DELETE", "/positions/MSFT".into(), "", 404, "no open position"),
        ("DELETE", "/positions/AAPL?amount=5".into(), "", 409, "amount"),
        ("DELETE", "/positions/AAPL?amount=-1".into(), "", 400, "amount"),
        ("PUT", "/positions/MSFT/brackets".into(), r#"{"stopLoss":1}"#, 404, "no open position"),
        ("PUT", "/leverage/set".into(), r#"{"symbol":"AAPL","orderType":2,"side":1,"leverage":500}"#, 400, "leverage"),
        ("GET", "/nowhere".into(), "", 404, "Not Found"),
        ("PATCH", "/orders".into(), "", 405, "Method Not Allowed"),
        ("POST", "/debug/reset".into(), "", 404, "Not Found"),
    ];
    for (method, path, body, expected, message) in refused {
        let (status, reply) = rest_text(&host, method, &path, body).await;
        assert_eq!(status, expected, "{method} {path} {body}: {reply}");
        assert!(reply["detail"].as_str().unwrap().contains(message), "{method} {path}: {reply}");
    }
    let unprocessable: Vec<(&str, &str, &str, Value)> = vec![
        ("POST", "/orders", "{not json", json!("json_invalid")),
        ("POST", "/orders", r#"["AAPL",2,1,1]"#, json!("model_attributes_type")),
        ("POST", "/orders", r#"{"symbol":"AAPL","type":9,"side":1,"qty":1}"#, json!("value_error")),
        ("POST", "/orders", r#"{"symbol":"AAPL","type":2,"side":1}"#, json!("missing")),
        ("PUT", "/positions/AAPL/brackets", r#"{"stopLoss":"high"}"#, json!("value_error")),
        ("GET", "/leverage/info?symbol=AAPL&orderType=x&side=1", "", json!("int_parsing")),
        ("GET", "/leverage/info?symbol=AAPL", "", json!("missing")),
    ];
    for (method, path, body, kind) in unprocessable {
        let (status, reply) = rest_text(&host, method, path, body).await;
        assert_eq!((status, &reply["detail"][0]["type"]), (422, &kind), "{method} {path} {body}: {reply}");
        assert!(reply["detail"][0]["loc"][0].is_string(), "{reply}");
    }
    let (_, missing) = rest_text(&host, "POST", "/orders", r#"{"symbol":"AAPL","type":2,"side":1}"#).await;
    assert_eq!(missing["detail"][0]["loc"], json!(["body", "qty"]));
    let (status, reply) = rest(&host, "GET", "/orders", &"x".repeat(65), Value::Null).await;
    assert_eq!(status, 400, "{reply}");
    let (_, after) = rest(&host, "GET", "/orders", "A", Value::Null).await;
    assert_eq!(after, before, "refused requests changed nothing");
    // A module without a REST API answers 404 there.
    let datafeed = Host::start_with(&[("datafeed", topicwire_tests::DATAFEED_WASM)], "").await;
    let (status, reply) = datafeed.get("/api/v1/datafeed/orders").await;
    assert_eq!(status, 404, "{reply}");
    datafeed.stop().await;
    host.stop().await;
}

#[tokio::test]
async fn every_rest_call_of_the_python_system_answers_in_its_shape() {
    let host = broker().await;
    // Its frontend sends no account: the default account serves.
    let mut client = subscribed(&host, "DEMO-ACCOUNT").await;
    let order = r#"{"symbol":"AAPL","type":2,"side":1,"qty":10,"takeProfit":100000,"stopLoss":0.01}"#;
    let (status, preview) = frontend(&host, "POST", "/orders/preview", order).await;
    assert_eq!(status, 200, "{preview}");
    let rows: Vec<&str> = preview["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|section| section["rows"].as_array().unwrap())
        .map(|row| row["title"].as_str().unwrap())
        .collect();
    for title in ["Symbol", "Side", "Quantity", "Estimated value", "Commission", "Margin"] {
        assert!(rows.contains(&title), "{title} missing from {preview}");
    }
    let cost = &preview["sections"][1]["rows"];
    let value: f64 = cost[0]["value"].as_str().unwrap().parse().unwrap();
    let commission: f64 = cost[1]["value"].as_str().unwrap().parse().unwrap();
    assert!((commission - value * 0.001).abs() < 0.011, "{preview}");

    let (status, placed) = frontend(&host, "POST", "/orders", order).await;
    assert_eq!(status, 200, "{placed}");
    assert!(placed["orderId"].is_string(), "{placed}");
    while next_event(&mut client).await["type"] != "positions.update" {}

    let (_, executions) = frontend(&host, "GET", "/executions/AAPL", "").await;
    assert_eq!(executions.as_array().unwrap().len(), 1, "{executions}");
    assert_eq!((executions[0]["qty"].as_f64(), executions[0]["side"].as_i64()), (Some(10.0), Some(1)));
    let (_, none) = frontend(&host, "GET", "/executions/MSFT", "").await;
    assert_eq!(none, json!([]));
    let (_, positions) = frontend(&host, "GET", "/positions", "").await;
    assert_eq!((positions[0]["id"].as_str(), positions[0]["takeProfit"].as_f64()), (Some("AAPL"), Some(100000.0)));

    let brackets = r#"{"stopLoss":1.5,"takeProfit":99999}"#;
    let (status, reply) = frontend(&host, "PUT", "/positions/AAPL/brackets", brackets).await;
    assert_eq!((status, &reply["success"]), (200, &json!(true)), "{reply}");
    let streamed = loop {
        let message = next_event(&mut client).await;
        if message["type"] == "positions.update" {
            break message["payload"]["payload"].clone();
        }
    };
    assert_eq!(streamed["stopLoss"].as_f64(), Some(1.5), "the brackets are streamed: {streamed}");
    let (_, positions) = frontend(&host, "GET", "/positions", "").await;
    assert_eq!((positions[0]["stopLoss"].as_f64(), positions[0]["takeProfit"].as_f64()), (Some(1.5), Some(99999.0)));

    let (status, reply) = frontend(&host, "DELETE", "/positions/AAPL?amount=4", "").await;
    assert_eq!((status, &reply["success"]), (200, &json!(true)), "{reply}");
    let remaining = loop {
        let message = next_event(&mut client).await;
        if message["type"] == "positions.update" {
            break message["payload"]["payload"]["qty"].as_f64();
        }
    };
    assert_eq!(remaining, Some(6.0));

    let (_, account) = frontend(&host, "GET", "/account", "").await;
    assert_eq!((account["id"].as_str(), account["name"].is_string()), (Some("DEMO-ACCOUNT"), true), "{account}");
    assert!(account["balance"].is_number() && account["equity"].is_number(), "{account}");

    let (_, info) = frontend(&host, "GET", "/leverage/info?symbol=AAPL&orderType=2&side=1", "").await;
    assert_eq!(
        (info["leverage"].as_f64(), info["min"].as_f64(), info["max"].as_f64(), info["step"].as_f64()),
        (Some(10.0), Some(1.0), Some(100.0), Some(1.0))
    );
    assert!(info["title"].is_string());
    let set = r#"{"symbol":"AAPL","orderType":2,"side":1,"leverage":25}"#;
    let (_, preview) = frontend(&host, "POST", "/leverage/preview", set).await;
    assert!(preview["infos"].is_array() && preview.get("errors").is_none(), "{preview}");
    assert_eq!(frontend(&host, "PUT", "/leverage/set", set).await, (200, json!({"leverage": 25.0})));
    let (_, info) = frontend(&host, "GET", "/leverage/info?symbol=AAPL&orderType=2&side=1", "").await;
    assert_eq!(info["leverage"].as_f64(), Some(25.0));
    let (_, refused) =
        frontend(&host, "POST", "/leverage/preview", r#"{"symbol":"AAPL","orderType":2,"side":1,"leverage":0}"#).await;
    assert!(refused["errors"].is_array(), "{refused}");

    // A symbol the broker has no price for: a market order fills at the price the client saw.
    let unpriced = r#"{"symbol":"ACME","type":2,"side":-1,"qty":3,"currentQuotes":{"ask":12.5,"bid":12.25}}"#;
    let (status, placed) = frontend(&host, "POST", "/orders", unpriced).await;
    assert_eq!(status, 200, "{placed}");
    let fill = loop {
        let message = next_event(&mut client).await;
        if message["type"] == "executions.update" && message["payload"]["payload"]["symbol"] == "ACME" {
            break message["payload"]["payload"]["price"].as_f64();
        }
    };
    assert_eq!(fill, Some(12.25));

    // The OpenAPI document the frontend generates its client from.
    let (status, openapi) = host.get("/api/v1/broker/openapi.json").await;
    assert_eq!((status, openapi["openapi"].as_str()), (200, Some("3.1.0")));
    for path in
        ["/orders", "/orders/preview", "/orders/{orderId}", "/positions/{positionId}/brackets", "/leverage/info"]
    {
        assert!(openapi["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    host.stop().await;
}

#[tokio::test]
async fn debug_endpoints_exist_only_when_the_module_setting_enables_them() {
    let host =
        Host::start_with(&[("broker", BROKER_WASM)], "[modules.broker]\nTICK_MS = 20\nDEBUG_ENDPOINTS = true\n").await;
    let far = r#"{"symbol":"MSFT","type":1,"side":1,"qty":2,"limitPrice":1}"#;
    frontend(&host, "POST", "/orders", far).await;
    let (status, reply) = frontend(&host, "POST", "/debug/execute-orders", "").await;
    assert_eq!((status, reply["message"].as_str()), (200, Some("Executed working orders: 1")), "{reply}");
    let (_, orders) = frontend(&host, "GET", "/orders", "").await;
    assert_eq!(orders[0]["status"], 2, "{orders}");
    let (status, _) = frontend(&host, "POST", "/debug/reset", "").await;
    assert_eq!(status, 200);
    assert_eq!(frontend(&host, "GET", "/orders", "").await.1, json!([]));
    host.stop().await;
}

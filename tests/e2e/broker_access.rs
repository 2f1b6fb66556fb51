//! The broker's account policy with `[auth]` on: a caller uses the accounts
//! of its token (`accounts`, or its `sub`), over WebSocket and REST, and is
//! refused every other — also as the second subscriber of a topic another
//! caller made live — without anything about that account being returned
//! or changed.

use serde_json::{Value, json};
use topicwire_tests::tokens::{hs256, now};
use topicwire_tests::{BROKER_WASM, Client, Host, http_request};

const SECRET: &str = "broker-secret";

fn token(sub: &str, accounts: &[&str]) -> String {
    hs256(SECRET, &json!({"sub": sub, "accounts": accounts, "exp": now() + 3600}))
}

async fn broker() -> Host {
    let config = format!("[auth]\njwt_hs256_secret = \"{SECRET}\"\n[modules.broker]\nTICK_MS = 20\n");
    Host::start_with(&[("broker", BROKER_WASM)], &config).await
}

/// `method path` as the bearer of `token`, acting on `account` when given.
async fn rest(host: &Host, token: &str, method: &str, path: &str, account: Option<&str>, body: &str) -> (u16, Value) {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
    if let Some(account) = account {
        headers.push(("X-Account-Id", account));
    }
    http_request(host.addr, method, &format!("/api/v1/broker{path}"), &headers, body).await
}

const LIMIT_ORDER: &str = r#"{"symbol":"AAPL","type":1,"side":1,"qty":1,"limitPrice":1.0}"#;

#[tokio::test]
async fn a_token_for_a1_trades_a1_and_is_refused_a2_on_websocket_and_rest() {
    let host = broker().await;
    let (alice, bob) = (token("alice", &["A1"]), token("bob", &["A2"]));
    let (status, bobs) = rest(&host, &bob, "POST", "/orders", Some("A2"), LIMIT_ORDER).await;
    assert_eq!(status, 200, "{bobs}");
    let (_, before) = rest(&host, &bob, "GET", "/orders", None, "").await;
    let mut bob_socket = host.client_with_token("broker", &bob).await;
    assert_eq!(bob_socket.subscribe("orders", json!({"accountId": "A2"})).await["status"], "ok");

    let mut socket = host.client_with_token("broker", &alice).await;
    for route in ["orders", "positions", "executions", "equity", "broker-connection"] {
        let refused = socket.subscribe(route, json!({"accountId": "A2"})).await;
        assert_eq!(refused["status"], "error", "{route}: {refused}");
        assert!(refused["message"].as_str().unwrap().starts_with("forbidden"), "{route}: {refused}");
    }
    // `orders` of A2 was live already (bob's): the second subscriber is checked as well.
    let module = host.module("broker").await.unwrap();
    assert_eq!((module["topic_count"].as_u64(), module["subscriber_count"].as_u64()), (Some(1), Some(1)), "{module}");
    let ok = socket.subscribe("orders", json!({"accountId": "A1"})).await;
    assert_eq!(ok["status"], "ok", "the connection stays open and serves A1: {ok}");

    let (status, placed) = rest(&host, &alice, "POST", "/orders", Some("A1"), LIMIT_ORDER).await;
    assert_eq!(status, 200, "{placed}");
    assert_eq!(socket.next_update("orders").await["payload"]["id"], placed["orderId"]);
    let (status, mine) = rest(&host, &alice, "GET", "/orders", None, "").await;
    assert_eq!((status, mine.as_array().unwrap().len()), (200, 1), "no account named: alice's first, A1: {mine}");
    assert_eq!(mine[0]["id"], placed["orderId"]);

    let bobs_order = format!("/orders/{}", bobs["orderId"].as_str().unwrap());
    let attempts = [
        ("GET", "/orders".to_owned(), ""),
        ("GET", "/account".to_owned(), ""),
        ("POST", "/orders".to_owned(), LIMIT_ORDER),
        ("PUT", bobs_order.clone(), LIMIT_ORDER),
        ("DELETE", bobs_order.clone(), ""),
    ];
    for (method, path, body) in &attempts {
        let (status, reply) = rest(&host, &alice, method, path, Some("A2"), body).await;
        assert_eq!(status, 403, "{method} {path}: {reply}");
        assert_eq!(reply["detail"], "forbidden: account `A2` is not one of yours", "{method} {path}");
    }
    let (status, reply) = rest(&host, &alice, "GET", "/orders?accountId=A2", None, "").await;
    assert_eq!(status, 403, "the query names an account too: {reply}");
    let (_, after) = rest(&host, &bob, "GET", "/orders", None, "").await;
    assert_eq!(after, before, "A2 is unchanged");
    // What a refused request streamed would be queued before the answer, so before this barrier.
    let silent = bob_socket.barrier().await;
    assert!(silent.iter().all(|frame| frame["type"] != "orders.update"), "nothing streamed to A2: {silent:?}");
    host.stop().await;
}

#[tokio::test]
async fn the_subject_is_an_account_and_a_token_naming_none_may_use_none() {
    let host = broker().await;
    let carol = hs256(SECRET, &json!({"sub": "carol", "exp": now() + 3600}));
    let (status, account) = rest(&host, &carol, "GET", "/account", None, "").await;
    assert_eq!((status, account["accountId"].as_str()), (200, Some("carol")), "{account}");
    let mut socket = host.client_with_token("broker", &carol).await;
    assert_eq!(socket.subscribe("equity", json!({"accountId": "carol"})).await["status"], "ok");
    let nobody = hs256(SECRET, &json!({"exp": now() + 3600}));
    let (status, reply) = rest(&host, &nobody, "GET", "/account", None, "").await;
    assert_eq!(status, 403, "{reply}");
    assert!(reply["detail"].as_str().unwrap().starts_with("forbidden"), "{reply}");
    host.stop().await;
}

#[tokio::test]
async fn without_auth_any_account_is_served_as_before() {
    let host = Host::start_with(&[("broker", BROKER_WASM)], "").await;
    let mut client = Client::connect(&host.ws_url("broker")).await;
    assert_eq!(client.subscribe("orders", json!({"accountId": "ANY"})).await["status"], "ok");
    let headers = [("X-Account-Id", "ANY"), ("Content-Type", "application/json")];
    let (status, _) = http_request(host.addr, "POST", "/api/v1/broker/orders", &headers, LIMIT_ORDER).await;
    assert_eq!(status, 200);
    host.stop().await;
}

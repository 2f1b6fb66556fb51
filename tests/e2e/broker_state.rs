//! The broker keeps its accounts in the module's durable state: a trap, a
//! hot reload and `kill -9` of the host lose nothing it acknowledged, and
//! order ids are never reused.

use serde_json::{Value, json};
use topicwire_tests::{BROKER_WASM, Host, HostDirs, HostProcess, http_request, poll_until, with_custom_section};

const HOST_BINARY: &str = env!("CARGO_BIN_EXE_topicwire-under-test");
const CONFIG: &str = "[modules.broker]\nTICK_MS = 20\nDEBUG_ENDPOINTS = true\n";

async fn rest(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> (u16, Value) {
    let headers = [("X-Account-Id", "A1"), ("Content-Type", "application/json")];
    http_request(addr, method, &format!("/api/v1/broker{path}"), &headers, body).await
}

/// Places an order; its id.
async fn place(addr: std::net::SocketAddr, order: Value) -> u64 {
    let (status, placed) = rest(addr, "POST", "/orders", &order.to_string()).await;
    assert_eq!(status, 200, "{placed}");
    placed["orderId"].as_str().unwrap().parse().unwrap()
}

/// What the account answers that does not move with the market.
async fn books(addr: std::net::SocketAddr) -> Value {
    let account = rest(addr, "GET", "/account", "").await.1;
    json!({
        "orders": rest(addr, "GET", "/orders", "").await.1,
        "positions": rest(addr, "GET", "/positions", "").await.1,
        "executions": rest(addr, "GET", "/executions/AAPL", "").await.1,
        "balance": account["balance"],
        "realizedPL": account["realizedPL"],
    })
}

/// Waits until every order of the account has left WORKING but those with `limitPrice` 1.
async fn settled(addr: std::net::SocketAddr) -> Value {
    poll_until("the orders fill", async || {
        let (_, orders) = rest(addr, "GET", "/orders", "").await;
        let working = orders.as_array().unwrap().iter().any(|o| o["status"] == 6 && o["limitPrice"] != 1.0);
        if working { Err(orders) } else { Ok(orders) }
    })
    .await
}

fn market(qty: u32) -> Value {
    json!({"symbol": "AAPL", "type": 2, "side": 1, "qty": qty})
}

/// A buy limit far below the market: it stays working.
fn far_limit() -> Value {
    json!({"symbol": "AAPL", "type": 1, "side": 1, "qty": 1, "limitPrice": 1})
}

#[tokio::test]
async fn the_books_survive_a_trap_and_a_hot_reload_and_ids_are_never_reused() {
    let host = Host::start_with(&[("broker", BROKER_WASM)], CONFIG).await;
    let first = place(host.addr, market(10)).await;
    let working = place(host.addr, far_limit()).await;
    settled(host.addr).await;
    let before = books(host.addr).await;
    assert_eq!(before["positions"][0]["qty"], 10.0, "{before}");

    let (status, _) = rest(host.addr, "POST", "/debug/crash", "").await;
    assert_ne!(status, 200);
    host.eventually("the broker restarted", |m| {
        m["modules"][0]["restarts"] == 1 && m["modules"][0]["state"] == "serving"
    })
    .await;
    assert_eq!(books(host.addr).await, before, "after a trap");
    let after_trap = place(host.addr, market(1)).await;
    assert!(after_trap > working && working > first, "ids {first}, {working}, {after_trap}");
    settled(host.addr).await;
    let before = books(host.addr).await;

    let patched = host.dirs.components.path().join(".broker.wasm.part");
    std::fs::write(&patched, with_custom_section(BROKER_WASM, "v2")).unwrap();
    std::fs::rename(&patched, host.file("broker")).unwrap();
    host.eventually("the new version serves", |m| m["modules"][0]["reloads"] == 1).await;
    assert_eq!(books(host.addr).await, before, "after a hot reload");
    assert!(place(host.addr, market(1)).await > after_trap);
    let (status, cancelled) = rest(host.addr, "DELETE", &format!("/orders/{working}"), "").await;
    assert_eq!((status, cancelled["success"].as_bool()), (200, Some(true)), "the old limit order still works");
    host.stop().await;
}

#[tokio::test]
async fn kill_9_loses_no_order_and_a_working_limit_order_fills_after_the_restart() {
    let dirs = HostDirs::with(&[("broker", BROKER_WASM)]);
    let process = HostProcess::start(HOST_BINARY, dirs, CONFIG).await;
    let filled = place(process.addr, market(5)).await;
    settled(process.addr).await;
    // A limit above the market: it fills at the account's next tick, which comes only after the restart.
    let (_, account) = rest(process.addr, "GET", "/account", "").await;
    assert_eq!(account["id"], "A1");
    let price = rest(process.addr, "GET", "/positions", "").await.1[0]["avgPrice"].as_f64().unwrap();
    let before = rest(process.addr, "GET", "/executions/AAPL", "").await.1;
    let limit = json!({"symbol": "AAPL", "type": 1, "side": 1, "qty": 2, "limitPrice": (price * 1.5).round()});
    // No request after this one: any request would step the account and fill the order.
    let pending = place(process.addr, limit).await;

    let dirs = process.kill();
    let process = HostProcess::start(HOST_BINARY, dirs, CONFIG).await;
    let orders = settled(process.addr).await;
    let by_id = |id: u64| {
        let id = id.to_string();
        orders.as_array().unwrap().iter().find(|o| o["id"] == id.as_str()).cloned().unwrap()
    };
    assert_eq!(by_id(filled)["status"], 2, "{orders}");
    assert_eq!(by_id(pending)["status"], 2, "the working limit order filled after the restart: {orders}");
    let executions = rest(process.addr, "GET", "/executions/AAPL", "").await.1;
    assert_eq!(executions.as_array().unwrap().len(), before.as_array().unwrap().len() + 1);
    assert_eq!(rest(process.addr, "GET", "/positions", "").await.1[0]["qty"], 7.0);
    assert!(place(process.addr, market(1)).await > pending, "ids go on after the restart");
    drop(process);
}

#[tokio::test]
async fn a_full_state_quota_refuses_the_change_and_the_broker_keeps_serving() {
    let config = format!("{CONFIG}[limits]\nmax_state_bytes = 6000\n");
    let host = Host::start_with(&[("broker", BROKER_WASM)], &config).await;
    let mut placed = Vec::new();
    let refusal = loop {
        let (status, reply) = rest(host.addr, "POST", "/orders", &far_limit().to_string()).await;
        if status != 200 {
            break (status, reply);
        }
        placed.push(reply["orderId"].as_str().unwrap().to_owned());
        assert!(placed.len() < 200, "the quota never refused a write");
    };
    assert_eq!(refusal.0, 503, "{refusal:?}");
    assert!(refusal.1["detail"].as_str().unwrap().contains("max_state_bytes"), "{refusal:?}");
    let (_, orders) = rest(host.addr, "GET", "/orders", "").await;
    let ids: Vec<&str> = orders.as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, placed, "every acknowledged order, and only those");
    assert_eq!(host.module("broker").await.unwrap()["restarts"], 0);
    host.stop().await;
}

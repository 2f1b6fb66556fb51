//! No update lost: a client that comes back with the last position it saw
//! gets exactly the updates it missed (the broker's reliable routes keep a
//! history), or `recovered: false` and nothing; across a network cut, a
//! slow-consumer close, a hot swap; and bad positions are answered, not
//! punished.

use serde_json::{Value, json};
use topicwire_tests::{BROKER_WASM, Client, DATAFEED_WASM, Host, http_request, with_custom_section};

const A1_ORDERS: &str = r#"orders:{"accountId":"A1"}"#;

/// A limit order far below the market: it never fills, so it streams exactly one `orders` update.
fn resting_order() -> String {
    json!({"symbol": "AAPL", "type": 1, "side": 1, "qty": 1, "limitPrice": 1.0}).to_string()
}

/// Places a resting order for account A1; its id.
async fn place(host: &Host) -> String {
    let headers = [("X-Account-Id", "A1"), ("Content-Type", "application/json")];
    let (status, reply) = http_request(host.addr, "POST", "/api/v1/broker/orders", &headers, &resting_order()).await;
    assert_eq!(status, 200, "{reply}");
    reply["orderId"].as_str().unwrap().to_owned()
}

fn account() -> Value {
    json!({"accountId": "A1"})
}

/// The position an update or a response gives, as a client sends it back.
fn position_of(payload: &Value) -> Value {
    json!({"epoch": payload["epoch"], "offset": payload["offset"]})
}

/// The next `n` orders updates: their ids and offsets.
async fn orders(client: &mut Client, n: usize) -> (Vec<String>, Vec<u64>) {
    let mut ids = Vec::new();
    let mut offsets = Vec::new();
    for _ in 0..n {
        let update = client.next_update("orders").await;
        assert_eq!(update["topic"], A1_ORDERS);
        ids.push(update["payload"]["id"].as_str().unwrap().to_owned());
        offsets.push(update["offset"].as_u64().unwrap());
    }
    (ids, offsets)
}

/// Waits until the host has seen the client go: the topic lingers without subscribers.
async fn gone(host: &Host) {
    host.eventually("the client is gone and the topic lingers", |modules| {
        let topics = modules["modules"][0]["topics"].as_array().unwrap();
        topics.iter().any(|topic| topic["topic"] == A1_ORDERS && topic["subscribers"] == 0)
    })
    .await;
}

#[tokio::test]
async fn a_client_cut_off_recovers_exactly_the_orders_placed_while_it_was_away() {
    let host = Host::start_with(&[("broker", BROKER_WASM)], "").await;
    let mut client = host.client("broker").await;
    let response = client.subscribe("orders", account()).await;
    assert_eq!((&response["status"], &response["offset"]), (&json!("ok"), &json!(0)));
    for _ in 0..3 {
        place(&host).await;
    }
    let (_, offsets) = orders(&mut client, 3).await;
    assert_eq!(offsets, [1, 2, 3]);
    client.reset();
    gone(&host).await;

    let mut away = Vec::new();
    for _ in 0..50 {
        away.push(place(&host).await);
    }
    let mut back = host.client("broker").await;
    let since = json!({"epoch": response["epoch"], "offset": 3});
    let recovered = back.subscribe_since("orders", account(), since).await;
    assert_eq!(
        (&recovered["recovered"], &recovered["offset"], &recovered["epoch"]),
        (&json!(true), &json!(3), &response["epoch"])
    );
    let (ids, offsets) = orders(&mut back, 50).await;
    assert_eq!(ids, away, "exactly the orders placed while away, in order");
    assert_eq!(offsets, (4..=53).collect::<Vec<_>>());
    // Then live, with nothing in between: the next update is the next order.
    let live = place(&host).await;
    let (ids, offsets) = orders(&mut back, 1).await;
    assert_eq!((ids, offsets), (vec![live], vec![54]));

    // What operators see of it.
    let broker = host.module("broker").await.unwrap();
    assert_eq!(broker["recoveries"], json!({"recovered": 1, "not_recovered": 0, "replayed": 50}));
    let orders_route = broker["routes"].as_array().unwrap().iter().find(|route| route["name"] == "orders").unwrap();
    assert_eq!(orders_route["history"], json!({"size": 1000, "ttl_secs": 300}));
    let topic = &broker["topics"][0];
    assert_eq!((&topic["offset"], &topic["history"]), (&json!(54), &json!(54)));
    let metrics = host.get("/metrics").await.1;
    let metrics = metrics.as_str().unwrap();
    assert!(
        metrics.contains("topicwire_module_recoveries_total{module=\"broker\",outcome=\"recovered\"} 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("topicwire_module_replayed_total{module=\"broker\"} 50\n"), "{metrics}");
    assert!(metrics.contains("topicwire_history_bytes "), "{metrics}");
    let (_, doc) = host.get("/api/v1/broker/ws/asyncapi.json").await;
    let messages = &doc["components"]["messages"];
    assert_eq!(messages["orders.update"]["x-topicwire-history"], json!({"size": 1000, "ttl_secs": 300}));
    assert!(messages["orders.subscribe"]["payload"]["properties"]["since"].is_object());
    assert_eq!(
        messages["orders.update"]["payload"]["properties"]["payload"]["required"],
        json!(["topic", "payload", "offset", "epoch"])
    );
    host.stop().await;
}

#[tokio::test]
async fn positions_from_another_epoch_ahead_or_older_than_the_history_are_not_recovered() {
    // A tiny history budget: the orders topic keeps only its last few frames.
    let host = Host::start_with(&[("broker", BROKER_WASM)], "[limits]\nmax_history_bytes = 1500\n").await;
    let mut client = host.client("broker").await;
    let epoch = client.subscribe("orders", account()).await["epoch"].clone();
    for _ in 0..20 {
        place(&host).await;
    }
    orders(&mut client, 20).await;
    let positions = [
        json!({"epoch": "zz9", "offset": 19}),
        json!({"epoch": epoch, "offset": 25}),
        json!({"epoch": epoch, "offset": 1}),
    ];
    for (top, since) in (20..).zip(positions) {
        let mut other = host.client("broker").await;
        let answer = other.subscribe_since("orders", account(), since.clone()).await;
        assert_eq!(
            (&answer["status"], &answer["recovered"], &answer["offset"], &answer["epoch"]),
            (&json!("ok"), &json!(false), &json!(top), &epoch),
            "{since}"
        );
        // Nothing replayed: the next update is the next order, live.
        let live = place(&host).await;
        let update = other.next_update("orders").await;
        assert_eq!(update["payload"]["id"], live, "{since}");
        client.next_update("orders").await;
        other.unsubscribe("orders", account()).await;
    }
    host.stop().await;
}

#[tokio::test]
async fn bad_positions_are_answered_and_the_connection_kept() {
    let host = Host::start_with(&[("broker", BROKER_WASM), ("datafeed", DATAFEED_WASM)], "").await;
    let mut client = host.client("broker").await;
    let bad = [
        (json!(5), "invalid `since`: expected"),
        (json!({"epoch": "abc", "offset": "5"}), "offset must be an integer"),
        (json!({"epoch": "abc", "offset": -1}), "offset must be an integer"),
        (json!({"epoch": "abc", "offset": 1e30}), "offset must be an integer"),
        (json!({"epoch": "abc", "offset": 9_007_199_254_740_992_u64}), "offset must be an integer"),
        (json!({"epoch": "abc", "offset": 1.5}), "offset must be an integer"),
        (json!({"epoch": "a".repeat(33), "offset": 1}), "epoch must be"),
        (json!({"epoch": "ABC", "offset": 1}), "epoch must be"),
        (json!({"epoch": "abc"}), "invalid `since`: expected"),
        (json!({"epoch": "abc", "offset": 1, "extra": true}), "invalid `since`: expected"),
    ];
    for (since, why) in bad {
        let answer = client.subscribe_since("orders", account(), since.clone()).await;
        assert_eq!(answer["status"], "error", "{since}");
        assert!(answer["message"].as_str().unwrap().contains(why), "{since}: {answer}");
    }
    let conflated = client.subscribe_since("equity", account(), json!({"epoch": "abc", "offset": 1})).await;
    assert!(conflated["message"].as_str().unwrap().contains("keeps no history"), "{conflated}");
    assert!(host.topics("broker").await.is_empty(), "nothing was created");
    let mut feed = host.client("datafeed").await;
    let bars =
        feed.subscribe_since("bars", json!({"symbol": "AAPL", "resolution": "1"}), json!({"epoch": "a", "offset": 0}));
    assert_eq!(bars.await["status"], "error");
    // The connection serves on.
    assert_eq!(client.subscribe("orders", account()).await["status"], "ok");
    host.stop().await;
}

#[tokio::test]
async fn a_recovery_racing_new_orders_has_no_hole_and_no_duplicate() {
    let host = Host::start_with(&[("broker", BROKER_WASM)], "").await;
    let mut client = host.client("broker").await;
    let mut position = position_of(&client.subscribe("orders", account()).await);
    let placer = {
        let addr = host.addr;
        tokio::spawn(async move {
            let headers = [("X-Account-Id", "A1"), ("Content-Type", "application/json")];
            let mut ids = Vec::new();
            for _ in 0..300 {
                let (status, reply) =
                    http_request(addr, "POST", "/api/v1/broker/orders", &headers, &resting_order()).await;
                assert_eq!(status, 200, "{reply}");
                ids.push(reply["orderId"].as_str().unwrap().to_owned());
            }
            ids
        })
    };
    let mut seen: Vec<String> = Vec::new();
    for round in 0..25 {
        // Read a few, then cut the connection in the middle of the stream and come back.
        for _ in 0..3 {
            let update = client.next_update("orders").await;
            assert_eq!(update["offset"], position["offset"].as_u64().unwrap() + 1, "round {round}: a hole or a repeat");
            seen.push(update["payload"]["id"].as_str().unwrap().to_owned());
            position = position_of(&update);
        }
        client.reset();
        client = host.client("broker").await;
        let answer = client.subscribe_since("orders", account(), position.clone()).await;
        assert_eq!(answer["recovered"], true, "round {round}: {answer}");
        assert_eq!(answer["offset"], position["offset"], "round {round}");
    }
    let placed = placer.await.unwrap();
    while seen.len() < placed.len() {
        let update = client.next_update("orders").await;
        assert_eq!(update["offset"], position["offset"].as_u64().unwrap() + 1, "a hole or a repeat at the end");
        seen.push(update["payload"]["id"].as_str().unwrap().to_owned());
        position = position_of(&update);
    }
    assert_eq!(seen, placed, "every order once, in order");
    host.stop().await;
}

#[tokio::test]
async fn a_slow_consumer_closed_with_1008_recovers_everything_after_reconnecting() {
    let config = "[limits]\noutgoing_queue_frames = 16\nsocket_send_buffer_bytes = 8192\n";
    let host = Host::start_with(&[("broker", BROKER_WASM)], config).await;
    let mut slow = Client::connect_with_small_buffer(&host.ws_url("broker")).await;
    let response = slow.subscribe("orders", account()).await;
    let mut placed = Vec::new();
    loop {
        assert!(placed.len() < 20_000, "the stalled client was never closed");
        placed.push(place(&host).await);
        if placed.len() % 20 == 0 && host.topics("broker").await.iter().all(|(_, subscribers)| *subscribers == 0) {
            break;
        }
    }
    let (frames, close) = slow.frames_to_end().await;
    assert_eq!(close, Some((1008, "slow consumer".to_owned())));
    let updates: Vec<&Value> = frames.iter().filter(|frame| frame["type"] == "orders.update").collect();
    let mut seen: Vec<String> =
        updates.iter().map(|frame| frame["payload"]["payload"]["id"].as_str().unwrap().to_owned()).collect();
    let last = updates.last().map_or_else(|| position_of(&response), |frame| position_of(&frame["payload"]));
    placed.push(place(&host).await);

    let mut back = host.client("broker").await;
    let answer = back.subscribe_since("orders", account(), last).await;
    assert_eq!(answer["recovered"], true, "{answer}");
    let (ids, _) = orders(&mut back, placed.len() - seen.len()).await;
    seen.extend(ids);
    assert_eq!(seen, placed, "every order, once, in order, across the close");
    host.stop().await;
}

#[tokio::test]
async fn positions_continue_across_a_hot_swap_and_recovery_works_across_it() {
    let host = Host::start_with(&[("broker", BROKER_WASM)], "").await;
    let mut client = host.client("broker").await;
    let epoch = client.subscribe("orders", account()).await["epoch"].clone();
    place(&host).await;
    let (_, offsets) = orders(&mut client, 1).await;
    assert_eq!(offsets, [1]);
    client.reset();
    gone(&host).await;
    let before = place(&host).await;

    let version = host.module("broker").await.unwrap()["version"].clone();
    std::fs::write(host.file("broker"), with_custom_section(BROKER_WASM, "swap")).unwrap();
    host.eventually("the new version serves", |modules| modules["modules"][0]["version"] != version).await;
    let after = place(&host).await;

    let mut back = host.client("broker").await;
    let answer = back.subscribe_since("orders", account(), json!({"epoch": epoch, "offset": 1})).await;
    assert_eq!((&answer["recovered"], &answer["epoch"]), (&json!(true), &epoch), "the same sequence: {answer}");
    let (ids, offsets) = orders(&mut back, 2).await;
    assert_eq!((ids, offsets), (vec![before, after], vec![2, 3]));
    host.stop().await;
}

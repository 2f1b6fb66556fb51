//! No reliable update lost in a cluster: the leader stores every order event
//! in JetStream before anyone sees it, so `kill -9` of the leader while
//! orders are placed through another node loses none (the new leader goes
//! on with the same sequence), and a follower cut off from NATS fills the
//! hole in what reached it from the stream.

use super::cluster::{leader, live_on, module_entry, node, node_on, ws_url};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::net::SocketAddr;
use topicwire_tests::nats::NatsServer;
use topicwire_tests::proxy::Proxy;
use topicwire_tests::{Client, DEADLINE, HostProcess, http_get, http_request, poll_until};

const ORDER: &str = r#"{"symbol":"AAPL","type":1,"side":1,"qty":1,"limitPrice":1.0}"#;

/// A client of `node` subscribed to account A1's orders.
async fn orders_client(node: &HostProcess) -> Client {
    let mut client = Client::connect(&ws_url(node, "broker")).await;
    let reply = client.subscribe("orders", json!({"accountId": "A1"})).await;
    assert_eq!(reply["status"], "ok", "{reply}");
    client
}

/// Places a resting order through `addr`: its id once answered 200, `None` for any other answer.
async fn place(addr: SocketAddr) -> Option<String> {
    let headers = [("X-Account-Id", "A1"), ("Content-Type", "application/json")];
    let (status, reply) = http_request(addr, "POST", "/api/v1/broker/orders", &headers, ORDER).await;
    (status == 200).then(|| reply["orderId"].as_str().unwrap().to_owned())
}

/// Reads `client`'s orders updates until it has every id of `wanted`; its
/// updates in order, checking each is the one after the last.
async fn read_until(client: &mut Client, wanted: &HashSet<String>) -> Vec<(u64, String, Value)> {
    let mut seen: Vec<(u64, String, Value)> = Vec::new();
    let until = tokio::time::Instant::now() + DEADLINE;
    while !wanted.iter().all(|id| seen.iter().any(|(_, seen, _)| seen == id)) {
        assert!(tokio::time::Instant::now() < until, "still missing orders after {} updates", seen.len());
        let update = client.next_update("orders").await;
        let offset = update["offset"].as_u64().unwrap();
        if let Some((last, _, epoch)) = seen.last() {
            assert_eq!((offset, &update["epoch"]), (last + 1, epoch), "a hole, a repeat or a new sequence: {update}");
        }
        seen.push((offset, update["payload"]["id"].as_str().unwrap().to_owned(), update["epoch"].clone()));
    }
    seen
}

#[tokio::test]
async fn killing_the_leader_while_orders_are_placed_loses_no_order_event() {
    let nats = NatsServer::start().await;
    let mut nodes = vec![node(&nats, "a").await, node(&nats, "b").await, node(&nats, "c").await];
    let led = leader(&nodes.iter().collect::<Vec<_>>(), "broker").await;
    let leader_node = nodes.remove(led);
    let mut clients = Vec::new();
    for node in &nodes {
        clients.push(orders_client(node).await);
    }
    live_on(&leader_node).await;
    let through = nodes[0].addr;
    let mut acknowledged = HashSet::new();
    for _ in 0..10 {
        acknowledged.insert(place(through).await.expect("placed before the kill"));
    }
    // Placing goes on while the leader dies: whatever is answered 200 must reach every client.
    let (placing, mut placed_one) = tokio::sync::watch::channel(0usize);
    let placer = async {
        let mut placed = HashSet::new();
        poll_until("30 orders are placed", async || {
            if let Some(id) = place(through).await {
                placed.insert(id);
                placing.send_replace(placed.len());
            }
            if placed.len() < 30 { Err(placed.len()) } else { Ok(()) }
        })
        .await;
        placed
    };
    // The kill lands while orders are being placed: after the first of the 30.
    let killer = async move {
        placed_one.wait_for(|placed| *placed > 0).await.unwrap();
        drop(leader_node.kill());
    };
    let (placed, ()) = tokio::join!(placer, killer);
    acknowledged.extend(placed);
    let survivors: Vec<&HostProcess> = nodes.iter().collect();
    leader(&survivors, "broker").await;

    let mut sequences = Vec::new();
    for client in &mut clients {
        let seen = read_until(client, &acknowledged).await;
        let ids: Vec<&String> = seen.iter().map(|(_, id, _)| id).collect();
        assert_eq!(ids.len(), ids.iter().collect::<HashSet<_>>().len(), "an order event twice");
        assert!(seen.iter().all(|(_, _, epoch)| *epoch == seen[0].2), "the sequence went on across the failover");
        sequences.push(ids.into_iter().cloned().collect::<Vec<_>>());
    }
    assert_eq!(sequences[0], sequences[1], "both survivors saw the same events in the same order");
}

#[tokio::test]
async fn a_follower_cut_off_from_nats_fills_its_hole_from_the_stream() {
    let nats = NatsServer::start().await;
    let nats_addr: SocketAddr = nats.url().trim_start_matches("nats://").parse().unwrap();
    let proxy = Proxy::start(nats_addr);
    let first = node(&nats, "a").await;
    let (led, follower) = {
        let second = node_on(&proxy.nats_url(), "b").await;
        // Make the directly connected node the leader, whichever took the lease first.
        match leader(&[&first, &second], "broker").await {
            0 => (first, second),
            _ => {
                drop(second.kill());
                let second = node_on(&proxy.nats_url(), "b").await;
                leader(&[&first, &second], "broker").await;
                (first, second)
            }
        }
    };
    assert_eq!(module_entry(&led, "broker").await.unwrap()["cluster_role"], "leader");
    let mut client = orders_client(&follower).await;
    live_on(&led).await;
    let first = HashSet::from([place(led.addr).await.unwrap()]);
    read_until(&mut client, &first).await;

    let mut acknowledged = HashSet::new();
    proxy.cut();
    await_cluster_state(&follower, "degraded").await;
    for _ in 0..5 {
        acknowledged.insert(place(led.addr).await.unwrap());
    }
    proxy.restore();
    await_cluster_state(&follower, "connected").await;
    // The next live update shows the hole; it is filled before anything after it.
    acknowledged.insert(place(led.addr).await.unwrap());
    let seen = read_until(&mut client, &acknowledged).await;
    assert_eq!(seen.len(), acknowledged.len(), "each order once, the missed ones first: {seen:?}");
    drop(proxy);
}

/// Waits until `node`'s `/healthz` says its cluster connection is `state`.
async fn await_cluster_state(node: &HostProcess, state: &str) {
    poll_until(&format!("the node's cluster state is {state}"), async || {
        let (_, health) = http_get(node.addr, "/healthz").await;
        if health["cluster"]["state"] == state { Ok(()) } else { Err(health) }
    })
    .await;
}

//! Three nodes on a real `nats-server` (JetStream on, a free loopback port):
//! identical updates on every node, REST through any node, interest that
//! comes and goes, failover after `kill -9` of the leader without a client
//! resubscribing, and a NATS restart that no client notices.

use serde_json::{Value, json};
use topicwire_tests::nats::NatsServer;
use topicwire_tests::{BROKER_WASM, Client, DATAFEED_WASM, HostDirs, HostProcess, http_get, http_request, poll_until};

const HOST_BINARY: &str = env!("CARGO_BIN_EXE_topicwire-under-test");
const BARS: &str = r#"{"symbol":"AAPL","resolution":"1"}"#;

/// A node named `name` of the cluster on `nats`, serving the datafeed and the broker.
pub(super) async fn node(nats: &NatsServer, name: &str) -> HostProcess {
    node_on(&nats.url(), name).await
}

/// A node named `name` of the cluster whose NATS server is at `nats_url`.
pub(super) async fn node_on(nats_url: &str, name: &str) -> HostProcess {
    let dirs = HostDirs::with(&[("datafeed", DATAFEED_WASM), ("broker", BROKER_WASM)]);
    let config = format!(
        "[cluster]\nnats_url = \"{nats_url}\"\nnode_name = \"{name}\"\n[modules.datafeed]\nTICK_MS = 50\n[modules.broker]\nTICK_MS = 50\n"
    );
    HostProcess::start(HOST_BINARY, dirs, &config).await
}

/// `module`'s entry in the node's `/api/v1/modules`, once it serves the module.
pub(super) async fn module_entry(node: &HostProcess, module: &str) -> Option<Value> {
    let (_, modules) = http_get(node.addr, "/api/v1/modules").await;
    modules["modules"].as_array()?.iter().find(|entry| entry["module"] == module).cloned()
}

/// The role of `module` on the node at `node`.
async fn role(node: &HostProcess, module: &str) -> Option<String> {
    module_entry(node, module).await?["cluster_role"].as_str().map(str::to_owned)
}

/// Waits until exactly one of `nodes` leads `module`; its index.
pub(super) async fn leader(nodes: &[&HostProcess], module: &str) -> usize {
    poll_until(&format!("a single node leads {module}"), async || {
        let mut leaders = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            if role(node, module).await.as_deref() == Some("leader") {
                leaders.push(i);
            }
        }
        if let [one] = leaders[..] { Ok(one) } else { Err(leaders) }
    })
    .await
}

/// Waits until `leader` runs account A1's orders topic: a follower's
/// subscription becomes live there once its interest is heard.
pub(super) async fn live_on(leader: &HostProcess) {
    poll_until("the leader runs the followers' topic", async || {
        let broker = module_entry(leader, "broker").await.unwrap_or_default();
        let topics = broker["topics"].as_array().cloned().unwrap_or_default();
        if topics.iter().any(|topic| topic["topic"] == r#"orders:{"accountId":"A1"}"#) { Ok(()) } else { Err(broker) }
    })
    .await;
}

pub(super) fn ws_url(node: &HostProcess, module: &str) -> String {
    format!("ws://{}/api/v1/{module}/ws", node.addr)
}

async fn bars_client(node: &HostProcess) -> Client {
    let mut client = Client::connect(&ws_url(node, "datafeed")).await;
    let reply = client.subscribe("bars", serde_json::from_str(BARS).unwrap()).await;
    assert_eq!(reply["status"], "ok", "{reply}");
    client
}

/// The next `count` raw `bars.update` frames.
async fn updates(client: &mut Client, count: usize) -> Vec<Value> {
    let mut frames = Vec::new();
    while frames.len() < count {
        let frame = client.recv().await;
        if frame["type"] == "bars.update" {
            frames.push(frame);
        }
    }
    frames
}

#[tokio::test]
async fn clients_on_three_nodes_get_identical_updates_and_rest_works_through_any_node() {
    let nats = NatsServer::start().await;
    let (a, b, c) = (node(&nats, "a").await, node(&nats, "b").await, node(&nats, "c").await);
    let nodes = [&a, &b, &c];
    leader(&nodes, "datafeed").await;
    let mut clients = Vec::new();
    for node in nodes {
        clients.push(bars_client(node).await);
    }
    // Once every node's client is in, the same frames arrive everywhere, in the same order.
    let reference = updates(&mut clients[0], 12).await;
    let last = reference.last().unwrap().clone();
    for client in &mut clients[1..] {
        let mut seen = updates(client, 1).await;
        while seen.last() != Some(&last) {
            seen.extend(updates(client, 1).await);
            assert!(seen.len() < 200, "never saw the reference's last frame");
        }
        let tail = &reference[reference.len() - seen.len().min(reference.len())..];
        assert_eq!(&seen[seen.len() - tail.len()..], tail, "the same frames in the same order");
    }

    // An order placed through a follower streams to A1's subscribers on the
    // leader and on the other follower; every node answers the same.
    let led = leader(&nodes, "broker").await;
    let followers: Vec<&HostProcess> = (0..nodes.len()).filter(|&i| i != led).map(|i| nodes[i]).collect();
    let mut watchers = Vec::new();
    for node in [followers[0], nodes[led]] {
        let mut client = Client::connect(&ws_url(node, "broker")).await;
        assert_eq!(client.subscribe("orders", json!({"accountId": "A1"})).await["status"], "ok");
        watchers.push(client);
        // The leader runs the topic once it has heard the follower's interest,
        // and before its own client subscribes, so that is what it heard.
        if watchers.len() == 1 {
            live_on(nodes[led]).await;
        }
    }
    let headers = [("X-Account-Id", "A1"), ("Content-Type", "application/json")];
    let order = r#"{"symbol":"AAPL","type":1,"side":1,"qty":1,"limitPrice":1.0}"#;
    let (status, placed) = http_request(followers[1].addr, "POST", "/api/v1/broker/orders", &headers, order).await;
    assert_eq!(status, 200, "{placed}");
    for watcher in &mut watchers {
        let update = watcher.next_update("orders").await;
        assert_eq!(update["payload"]["id"], placed["orderId"], "{update}");
    }
    let mut answers = Vec::new();
    for node in nodes {
        answers.push(http_request(node.addr, "GET", "/api/v1/broker/orders", &headers[..1], "").await.1);
    }
    assert_eq!(answers[0].as_array().unwrap().len(), 1, "{answers:?}");
    assert!(answers.iter().all(|answer| *answer == answers[0]), "every node agrees: {answers:?}");
}

#[tokio::test]
async fn when_the_leader_is_killed_a_survivor_takes_over_and_no_client_resubscribes() {
    let nats = NatsServer::start().await;
    let mut nodes = vec![node(&nats, "a").await, node(&nats, "b").await, node(&nats, "c").await];
    let led = leader(&nodes.iter().collect::<Vec<_>>(), "datafeed").await;
    let leader_node = nodes.remove(led);
    let mut clients = Vec::new();
    for node in &nodes {
        let mut client = bars_client(node).await;
        updates(&mut client, 2).await;
        clients.push(client);
    }
    drop(leader_node.kill());
    // The same connection and subscription: updates resume (`just bench`
    // measures how soon: its cluster scenario's failover gap).
    for client in &mut clients {
        let mut received = 0;
        while received < 10 {
            let frame = client.recv().await;
            assert_ne!(frame["type"], "bars.subscribe.response");
            if frame["type"] == "bars.update" {
                received += 1;
            }
        }
    }
    leader(&nodes.iter().collect::<Vec<_>>(), "datafeed").await;
}

#[tokio::test]
async fn the_leader_removes_a_topic_once_no_node_has_interest() {
    let nats = NatsServer::start().await;
    let (a, b) = (node(&nats, "a").await, node(&nats, "b").await);
    let nodes = [&a, &b];
    let led = leader(&nodes, "datafeed").await;
    let (leader_node, follower) = (nodes[led], nodes[1 - led]);
    let mut client = bars_client(follower).await;
    updates(&mut client, 2).await;
    let datafeed = module_entry(leader_node, "datafeed").await.unwrap();
    assert_eq!(datafeed["topic_count"], 1, "the follower's interest keeps the topic live: {datafeed}");
    assert_eq!(client.unsubscribe("bars", serde_json::from_str(BARS).unwrap()).await["status"], "ok");
    poll_until("the topic is removed", async || {
        let datafeed = module_entry(leader_node, "datafeed").await.unwrap();
        if datafeed["topic_count"] == 0 { Ok(()) } else { Err(datafeed) }
    })
    .await;
}

#[tokio::test]
async fn a_nats_restart_keeps_every_client_connected_and_cross_node_updates_resume() {
    let nats = NatsServer::start().await;
    let (a, b) = (node(&nats, "a").await, node(&nats, "b").await);
    let nodes = [&a, &b];
    let led = leader(&nodes, "datafeed").await;
    let mut on_leader = bars_client(nodes[led]).await;
    let mut on_follower = bars_client(nodes[1 - led]).await;
    updates(&mut on_follower, 2).await;
    let (port, store) = nats.stop();
    // While NATS is down, both nodes say so and keep their clients.
    for node in nodes {
        poll_until("the outage is reported", async || {
            let (status, health) = http_get(node.addr, "/healthz").await;
            if health["status"] == "degraded" && health["cluster"]["state"] == "degraded" {
                assert_eq!(status, 200);
                Ok(())
            } else {
                Err(health)
            }
        })
        .await;
    }
    updates(&mut on_leader, 3).await;
    let nats = NatsServer::start_on(port, store).await;
    // Both clients keep their connections; the follower's updates come back once NATS does.
    updates(&mut on_leader, 5).await;
    updates(&mut on_follower, 5).await;
    let (_, health) = http_get(nodes[1 - led].addr, "/healthz").await;
    assert_eq!(health["cluster"]["state"], "connected", "{health}");
    drop(nats);
}

/// `topicwire deploy wasm --module module` to the cluster on `nats`.
fn deploy(nats: &NatsServer, wasm: &str, module: &str) {
    let output = std::process::Command::new(HOST_BINARY)
        .args(["deploy", wasm, "--nats-url", &nats.url(), "--module", module])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Waits until the node at `node` serves `module` at a version other than `not`; that version.
async fn version_of(node: &HostProcess, module: &str, not: Option<&str>) -> String {
    poll_until(&format!("{module} is (re)deployed on {}", node.addr), async || {
        match module_entry(node, module).await.and_then(|entry| entry["version"].as_str().map(str::to_owned)) {
            Some(version) if Some(version.as_str()) != not => Ok(version),
            other => Err(other),
        }
    })
    .await
}

#[tokio::test]
async fn a_deployed_component_reaches_every_node_and_a_redeploy_keeps_subscriptions() {
    let nats = NatsServer::start().await;
    let (a, b) = (node(&nats, "a").await, node(&nats, "b").await);
    deploy(&nats, topicwire_tests::PROBE_WASM, "probe");
    let first = version_of(&a, "probe", None).await;
    assert_eq!(version_of(&b, "probe", None).await, first, "the same component on every node");
    let led = leader(&[&a, &b], "probe").await;
    let follower = [&a, &b][1 - led];
    let mut client = Client::connect(&ws_url(follower, "probe")).await;
    assert_eq!(client.subscribe("ticks", json!({"stream": "a"})).await["status"], "ok");
    client.next_update("ticks").await;
    deploy(&nats, topicwire_tests::PROBE_V2_WASM, "probe");
    for node in [&a, &b] {
        version_of(node, "probe", Some(&first)).await;
    }
    // The same connection and subscription keep receiving, from the new version.
    for _ in 0..3 {
        let frame = client.recv().await;
        assert_ne!(frame["type"], "ticks.subscribe.response", "{frame}");
    }
    client.next_update("ticks").await;
}

#[tokio::test]
async fn the_brokers_books_survive_kill_9_of_its_leader() {
    let nats = NatsServer::start().await;
    let mut nodes = vec![node(&nats, "a").await, node(&nats, "b").await, node(&nats, "c").await];
    let led = leader(&nodes.iter().collect::<Vec<_>>(), "broker").await;
    let headers = [("X-Account-Id", "A1"), ("Content-Type", "application/json")];
    let order = r#"{"symbol":"AAPL","type":1,"side":1,"qty":1,"limitPrice":1.0}"#;
    let mut placed = Vec::new();
    for node in &nodes {
        let (status, reply) = http_request(node.addr, "POST", "/api/v1/broker/orders", &headers, order).await;
        assert_eq!(status, 200, "{reply}");
        placed.push(reply["orderId"].as_str().unwrap().to_owned());
    }
    let (_, before) = http_request(nodes[led].addr, "GET", "/api/v1/broker/orders", &headers[..1], "").await;
    drop(nodes.remove(led).kill());
    // A survivor takes the lease and answers from the same books (503 with Retry-After meanwhile).
    let after = poll_until("a survivor answers", async || {
        let (status, orders) = http_request(nodes[0].addr, "GET", "/api/v1/broker/orders", &headers[..1], "").await;
        match status {
            200 => Ok(orders),
            503 => Err(orders),
            other => panic!("{other}: {orders}"),
        }
    })
    .await;
    assert_eq!(after, before, "the books are intact");
    // Until this node has seen the new lease, it answers 503 with Retry-After; nothing is placed then.
    let (status, reply) = poll_until("the other survivor places orders", async || {
        let (status, reply) = http_request(nodes[1].addr, "POST", "/api/v1/broker/orders", &headers, order).await;
        if status == 503 { Err(reply) } else { Ok((status, reply)) }
    })
    .await;
    assert_eq!(status, 200, "{reply}");
    assert!(!placed.contains(&reply["orderId"].as_str().unwrap().to_owned()), "ids are never reused: {reply}");
}

#[tokio::test]
async fn a_followers_first_subscriber_of_a_live_topic_gets_its_current_state() {
    let nats = NatsServer::start().await;
    let (a, b) = (node(&nats, "a").await, node(&nats, "b").await);
    let led = leader(&[&a, &b], "broker").await;
    let (leader_node, follower) = ([&a, &b][led], [&a, &b][1 - led]);
    let request = json!({"accountId": "A1"});
    let mut first = Client::connect(&ws_url(leader_node, "broker")).await;
    assert_eq!(first.subscribe("broker-connection", request.clone()).await["status"], "ok");
    let status = first.next_update("broker-connection").await;
    // The status is published once, when the topic is created; the follower's client still gets it.
    let mut joiner = Client::connect(&ws_url(follower, "broker")).await;
    assert_eq!(joiner.subscribe("broker-connection", request).await["status"], "ok");
    assert_eq!(joiner.next_update("broker-connection").await, status);
}

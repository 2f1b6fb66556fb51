//! Timer ticks when many topics' timers fall due at once: the host hands them
//! to the component in one `on-timers` call (by topic id), which must tick
//! each topic in order, and takes their updates back in one `topic-updates`;
//! and every topic of several clients ticks.
//! When ticks fall due (one client's together, different clients' apart) is
//! a matter of time, tested under tokio's paused clock in the unit tests of
//! `host/src/runtime/timers.rs`.

use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use topicwire_tests::python::Probe;
use topicwire_tests::{Client, Host, PROBE_WASM, for_each_probe};

/// Reads `client`'s updates until each of `topics` topics ticked `ticks`
/// times; each topic's seqs in the order they came.
async fn ticks_of(client: &mut Client, topics: usize, ticks: usize) -> HashMap<String, Vec<u64>> {
    let mut seqs: HashMap<String, Vec<u64>> = HashMap::new();
    while seqs.len() < topics || seqs.values().any(|seq| seq.len() < ticks) {
        let frame = client.recv().await;
        assert_eq!(frame["type"], "ticks.update", "{frame}");
        let update = &frame["payload"];
        let topic = update["topic"].as_str().unwrap().to_owned();
        seqs.entry(topic).or_default().push(update["payload"]["seq"].as_u64().unwrap());
    }
    seqs
}

async fn timers_due_together_tick_every_topic_in_order(probe: Probe) {
    // One client's 100 timers tick at its phase: more than the 64 of one
    // `on-timers` call fall due together.
    let host = Host::start_with(&[("probe", probe.v1)], "[modules.probe]\nTICK_MS = 50\n").await;
    let mut client = host.client("probe").await;
    for stream in 0..100 {
        let response = client.subscribe("ticks", json!({"stream": format!("s{stream}")})).await;
        assert_eq!(response["status"], "ok", "{response}");
    }
    let seqs = ticks_of(&mut client, 100, 3).await;
    assert_eq!(seqs.len(), 100, "every topic ticks: {:?}", seqs.keys());
    for (topic, seq) in &seqs {
        assert!(seq.windows(2).all(|pair| pair[1] == pair[0] + 1), "{topic}: one tick a period, in order: {seq:?}");
    }
    host.stop().await;
}

for_each_probe!(timers_due_together_tick_every_topic_in_order);

#[tokio::test]
async fn every_topic_of_every_client_ticks() {
    let host = Host::start_with(&[("probe", PROBE_WASM)], "[modules.probe]\nTICK_MS = 100\n").await;
    let mut clients = Vec::new();
    for client in 0..4 {
        let mut socket = host.client("probe").await;
        for stream in 0..10 {
            let response = socket.subscribe("ticks", json!({"stream": format!("c{client}-{stream}")})).await;
            assert_eq!(response["status"], "ok", "{response}");
        }
        clients.push(socket);
    }
    for (client, socket) in clients.iter_mut().enumerate() {
        let seqs: BTreeMap<String, Vec<u64>> = ticks_of(socket, 10, 2).await.into_iter().collect();
        let prefix = format!("ticks:{{\"stream\":\"c{client}-");
        assert!(seqs.keys().all(|topic| topic.starts_with(&prefix)), "only its own topics: {seqs:?}");
        for (topic, seq) in &seqs {
            assert!(seq.windows(2).all(|pair| pair[1] == pair[0] + 1), "{topic}: in order: {seq:?}");
        }
    }
    host.stop().await;
}

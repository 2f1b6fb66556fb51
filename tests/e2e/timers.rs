//! Timer ticks when many topics' timers fall due at once: the host hands them
//! to the component in one `on-timers` call, which must tick each topic as
//! its own `on-timer` would; and the topics a client subscribed to tick
//! together (in one turn, so their updates reach it in one write).

use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use topicwire_tests::python::Probe;
use topicwire_tests::{Host, PROBE_WASM, for_each_probe};

async fn timers_due_together_tick_every_topic_in_order(probe: Probe) {
    // One client's 100 timers tick at its phase: more than the 64 of one
    // `on-timers` call fall due together.
    let host = Host::start_with(&[("probe", probe.v1)], "[modules.probe]\nTICK_MS = 50\n").await;
    let mut client = host.client("probe").await;
    for stream in 0..100 {
        let response = client.subscribe("ticks", json!({"stream": format!("s{stream}")})).await;
        assert_eq!(response["status"], "ok", "{response}");
    }
    let mut seqs: HashMap<String, Vec<u64>> = HashMap::new();
    for frame in client.quiet_for(Duration::from_secs(2)).await {
        assert_eq!(frame["type"], "ticks.update", "{frame}");
        let update = &frame["payload"];
        let topic = update["topic"].as_str().unwrap().to_owned();
        seqs.entry(topic).or_default().push(update["payload"]["seq"].as_u64().unwrap());
    }
    assert_eq!(seqs.len(), 100, "every topic ticks: {:?}", seqs.keys());
    for (topic, seq) in &seqs {
        assert!(seq.len() >= 3, "{topic} ticked {seq:?}");
        assert!(seq.windows(2).all(|pair| pair[1] == pair[0] + 1), "{topic}: one tick a period, in order: {seq:?}");
    }
    host.stop().await;
}

for_each_probe!(timers_due_together_tick_every_topic_in_order);

#[tokio::test]
async fn a_clients_topics_tick_together_and_different_clients_apart() {
    // Ticks of one second: a phase keyed by each topic (as before) would
    // spread ten topics over most of it; keyed by their first subscriber,
    // one client's ten tick in the same turn of the module's actor.
    let host = Host::start_with(&[("probe", PROBE_WASM)], "[modules.probe]\nTICK_MS = 1000\n").await;
    let mut clients = Vec::new();
    for client in 0..4 {
        let mut socket = host.client("probe").await;
        for stream in 0..10 {
            let response = socket.subscribe("ticks", json!({"stream": format!("c{client}-{stream}")})).await;
            assert_eq!(response["status"], "ok", "{response}");
        }
        clients.push(socket);
    }
    // When each client's topics ticked last, in ms (the probe's send time).
    let received =
        futures_util::future::join_all(clients.iter_mut().map(|socket| socket.quiet_for(Duration::from_millis(2_500))))
            .await;
    let mut ticks = Vec::new();
    for frames in received {
        let mut last: BTreeMap<String, u64> = BTreeMap::new();
        for frame in frames {
            let update: &Value = &frame["payload"];
            last.insert(
                update["topic"].as_str().unwrap().to_owned(),
                update["payload"]["sent_us"].as_u64().unwrap() / 1000,
            );
        }
        assert_eq!(last.len(), 10, "every topic ticked: {last:?}");
        let (first, latest) = (last.values().min().unwrap(), last.values().max().unwrap());
        assert!(latest - first < 250, "one client's topics tick together: {last:?}");
        ticks.push(*latest);
    }
    ticks.sort_unstable();
    ticks.dedup_by(|a, b| a.abs_diff(*b) < 2);
    assert!(ticks.len() > 1, "four clients' topics do not all tick at one instant: {ticks:?}");
    host.stop().await;
}

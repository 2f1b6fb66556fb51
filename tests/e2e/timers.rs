//! Timer ticks when many topics' timers fall due at once: the host hands them
//! to the component in one `on-timers` call, which must tick each topic as
//! its own `on-timer` would.

use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use topicwire_tests::{Host, PROBE_WASM};

#[tokio::test]
async fn timers_due_together_tick_every_topic_in_order() {
    // 100 timers of 50 ms fill at most 50 of the timing wheel's 1 ms slots, so
    // several always fall due together.
    let host = Host::start_with(&[("probe", PROBE_WASM)], "[modules.probe]\nTICK_MS = 50\n").await;
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

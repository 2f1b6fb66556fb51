//! What a CPython instance's linear memory really holds, loaded and under
//! load, read from `/api/v1/modules`: the measurement `max_memory_mib`'s
//! default is set from (the README's "Configuration" says the numbers). The
//! Python `trading` module and the Python probe must run on the default
//! with room to grow, and printing the numbers keeps them in every test log.

use serde_json::{Value, json};
use topicwire::limits::Limits;
use topicwire_tests::python::{PROBE_PY_WASM, TRADING_WASM, compile_into_shared_cache};
use topicwire_tests::{Client, Host};

const SYMBOLS: [&str; 12] =
    ["AAPL", "GOOGL", "MSFT", "AMZN", "TSLA", "NVDA", "META", "NFLX", "AMD", "INTC", "JPM", "V"];
/// Clients of each module, and topics each subscribes to.
const CLIENTS: usize = 10;
const TOPICS_PER_CLIENT: usize = 20;

/// Module `name`'s entry of `/api/v1/modules`.
async fn module(host: &Host, name: &str) -> Value {
    host.module(name).await.unwrap()
}

fn measure(module: &str, when: &str, entry: &Value) {
    let memory = &entry["memory"];
    println!("{}", json!({"measure": "python_instance_memory", "module": module, "when": when, "memory": memory}));
}

#[tokio::test]
async fn python_instances_run_on_the_default_memory_limit_with_room_to_grow() {
    compile_into_shared_cache(&[TRADING_WASM, PROBE_PY_WASM]).await;
    // A long call deadline: on a machine shared with other builds a call
    // starved of CPU must not restart an instance, which only running out of
    // memory should do here.
    let config = "[limits]\ncall_deadline_ms = 30000\n\
                  [modules.trading]\nTICK_MS = 1000\n[modules.probe]\nTICK_MS = 100\nBURST = 2\n";
    let host = Host::start_with(&[("trading", TRADING_WASM), ("probe", PROBE_PY_WASM)], config).await;
    for name in ["trading", "probe"] {
        let loaded = module(&host, name).await;
        measure(name, "loaded", &loaded);
        assert!(loaded["memory"]["bytes"].as_u64().unwrap() > 0, "an instance's memories are counted: {loaded}");
    }

    // Load: every client subscribes to topics of its own (trading: a different
    // set of symbols each; probe: a stream each), and reads their updates.
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let mut trading = host.client("trading").await;
        let mut probe = host.client("probe").await;
        for topic in 0..TOPICS_PER_CLIENT {
            let n = client * TOPICS_PER_CLIENT + topic;
            // The symbols at the set bits of n + 1: a different set for each topic.
            let symbols: Vec<&str> =
                (0..SYMBOLS.len()).filter(|bit| (n + 1) >> bit & 1 == 1).map(|i| SYMBOLS[i]).collect();
            assert_eq!(trading.subscribe("trades", json!({"symbols": symbols})).await["status"], "ok");
            assert_eq!(probe.subscribe("ticks", json!({"stream": format!("s{n}")})).await["status"], "ok");
        }
        clients.push((trading, probe));
    }
    for (trading, probe) in &mut clients {
        for _ in 0..50 {
            next_update(trading, "trades").await;
            next_update(probe, "ticks").await;
        }
    }
    for _ in 0..50 {
        let (status, _) = host.get("/api/v1/trading/trades/AAPL/last").await;
        assert_eq!(status, 200);
    }

    let limit = (Limits::default().max_memory_mib * 1024 * 1024) as u64;
    for name in ["trading", "probe"] {
        let live = module(&host, name).await;
        measure(name, "under load", &live);
        assert_eq!(live["restarts"], 0, "no instance ran out of memory: {live}");
        assert_eq!(live["topic_count"], CLIENTS * TOPICS_PER_CLIENT, "{live}");
        let largest = live["memory"]["largest_bytes"].as_u64().unwrap();
        assert!(
            largest <= limit / 2,
            "{name}: {largest} bytes under load leaves less than half of the default {limit}"
        );
    }
    host.stop().await;
}

async fn next_update(client: &mut Client, route: &str) {
    let update = client.next_update(route).await;
    assert!(update["payload"].is_object(), "{update}");
}

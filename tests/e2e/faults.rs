//! Fault isolation: hostile components beside the real datafeed. The host
//! stays up, datafeed's subscribers keep receiving, the hostile module ends in
//! its documented state, and offending updates never reach a client.

use serde_json::{Value, json};
use topicwire_tests::python::Probe;
use topicwire_tests::{Client, DATAFEED_WASM, Host, for_each_probe};

/// A host with datafeed and the probe as `hostile`, misbehaving as told;
/// and a client streaming datafeed quotes.
async fn beside_datafeed(probe: Probe, misbehave: &str, extra_limits: &str) -> (Host, Client) {
    let config = format!(
        "[limits]\ncall_deadline_ms = 200\n{extra_limits}\n\
         [modules.datafeed]\nTICK_MS = 50\n\
         [modules.hostile]\nTICK_MS = 10\nMISBEHAVE = \"{misbehave}\"\n"
    );
    let host = Host::start_with(&[("datafeed", DATAFEED_WASM), ("hostile", probe.v1)], &config).await;
    let mut bystander = host.client("datafeed").await;
    assert_eq!(bystander.subscribe("quotes", json!({"symbols": ["AAPL"]})).await["status"], "ok");
    bystander.next_update("quotes").await;
    (host, bystander)
}

async fn still_streaming(bystander: &mut Client) {
    for _ in 0..3 {
        bystander.next_update("quotes").await;
    }
}

async fn hostile_status(host: &Host) -> Value {
    host.module("hostile").await.unwrap()
}

async fn spinning_in_create_topic_is_interrupted_and_the_module_restarts(probe: Probe) {
    let (host, mut bystander) = beside_datafeed(probe, "spin-in-create", "").await;
    let mut client = host.client("hostile").await;
    let response = client.subscribe("ticks", json!({"stream": "a"})).await;
    assert_eq!(response, json!({"status": "error", "message": "the module failed creating the topic"}));
    let modules = host
        .eventually("the module restarted", |m| {
            m["modules"][1]["restarts"] == 1 && m["modules"][1]["state"] == "serving"
        })
        .await;
    let error = modules["modules"][1]["last_error"]["message"].as_str().unwrap();
    assert!(error.contains("interrupt"), "{error}");
    assert!(hostile_status(&host).await["topics"].as_array().unwrap().is_empty());
    still_streaming(&mut bystander).await;
    host.stop().await;
}

async fn assert_quarantined(probe: Probe, misbehave: &str) {
    // 16 MiB: above the 13 MiB a CPython component starts with, so either probe can hit it.
    let (host, mut bystander) = beside_datafeed(probe, misbehave, "max_memory_mib = 16").await;
    let mut client = host.client("hostile").await;
    assert_eq!(client.subscribe("ticks", json!({"stream": "a"})).await["status"], "ok");
    let notice = client.recv_type("error").await["payload"].clone();
    assert_eq!(notice["topic"], r#"ticks:{"stream":"a"}"#);
    assert!(notice["message"].as_str().unwrap().starts_with("topic dropped: the module is quarantined"), "{notice}");
    let status = hostile_status(&host).await;
    assert_eq!(status["state"], "quarantined");
    assert_eq!(status["restarts"], 4, "restarted with its topics until the fifth crash: {status}");
    let refused = client.subscribe("ticks", json!({"stream": "b"})).await;
    assert_eq!(refused["message"], "the module is quarantined after repeated crashes");
    still_streaming(&mut bystander).await;

    // A new version of the file lifts the quarantine.
    host.write_over("hostile", &std::fs::read(probe.v2).unwrap());
    host.eventually("the new version serves", |m| m["modules"][1]["state"] == "serving").await;
    host.stop().await;
}

async fn spinning_in_on_timer_crashes_until_quarantine(probe: Probe) {
    assert_quarantined(probe, "spin-in-timer").await;
}

async fn allocating_without_bound_crashes_until_quarantine(probe: Probe) {
    assert_quarantined(probe, "allocate").await;
}

async fn a_restarted_module_serves_its_subscribers_again_without_resubscribing(probe: Probe) {
    let (host, mut bystander) = beside_datafeed(probe, "trap-on-third-tick", "").await;
    let mut client = host.client("hostile").await;
    let epoch = client.subscribe("ticks", json!({"stream": "a"})).await["epoch"].clone();
    // Ticks 1 and 2 publish, tick 3 traps; the fresh instance re-creates the
    // topic and numbers its ticks from 0 again, while the host's offsets go on.
    let first = client.next_update("ticks").await;
    let mut previous = first["payload"]["seq"].as_u64().unwrap();
    let mut offset = first["offset"].as_u64().unwrap();
    loop {
        let update = client.next_update("ticks").await;
        assert_eq!((&update["epoch"], update["offset"].as_u64()), (&epoch, Some(offset + 1)), "the sequence goes on");
        offset += 1;
        let seq = update["payload"]["seq"].as_u64().unwrap();
        if seq < previous {
            break;
        }
        previous = seq;
    }
    let status = hostile_status(&host).await;
    assert!(status["restarts"].as_u64().unwrap() >= 1, "{status}");
    assert_eq!(status["topics"][0]["subscribers"], 1, "the subscription survived the restart");
    still_streaming(&mut bystander).await;
    host.stop().await;
}

/// The hostile module publishes nothing valid: the refusals are counted
/// under `counter`, and none of the refused updates reached its subscriber.
async fn assert_refused(probe: Probe, misbehave: &str, extra_limits: &str, counter: &str) {
    let (host, mut bystander) = beside_datafeed(probe, misbehave, extra_limits).await;
    let mut client = host.client("hostile").await;
    assert_eq!(client.subscribe("ticks", json!({"stream": "a"})).await["status"], "ok");
    // Counted by the actor as each tick is refused; the barrier then follows every refused tick.
    host.eventually("refusals are counted", |m| m["modules"][1]["refused"][counter].as_u64().unwrap() >= 3).await;
    let frames = client.barrier().await;
    let status = hostile_status(&host).await;
    assert_eq!(status["state"], "serving");
    assert_eq!(status["published"], 0, "{status}");
    assert!(
        frames.iter().all(|frame| frame["type"] != "ticks.update"),
        "an offending update reached a client: {frames:?}"
    );
    still_streaming(&mut bystander).await;
    host.stop().await;
}

async fn updates_to_topics_the_module_does_not_own_are_dropped(probe: Probe) {
    assert_refused(probe, "foreign-topic", "", "not_live").await;
}

async fn updates_that_are_not_json_are_dropped(probe: Probe) {
    assert_refused(probe, "invalid-json", "", "invalid_json").await;
}

async fn oversized_updates_are_dropped(probe: Probe) {
    assert_refused(probe, "huge-update", "", "too_large").await;
}

async fn a_flood_of_updates_is_capped(probe: Probe) {
    let (host, mut bystander) = beside_datafeed(probe, "flood", "max_updates_per_second = 100").await;
    let mut client = host.client("hostile").await;
    client.subscribe("ticks", json!({"stream": "a"})).await;
    // One snapshot: under load the flooding instance may trap (call deadline) and restart with fresh counters.
    let modules = host
        .eventually("the excess is dropped", |m| m["modules"][1]["refused"]["rate_limited"].as_u64().unwrap() > 0)
        .await;
    let status = &modules["modules"][1];
    let (published, refused) =
        (status["published"].as_u64().unwrap(), status["refused"]["rate_limited"].as_u64().unwrap());
    assert!(refused > published, "published {published}, refused {refused}");
    still_streaming(&mut bystander).await;
    host.stop().await;
}

async fn a_quarantined_module_comes_back_by_itself_after_its_cooldown(probe: Probe) {
    let (host, mut bystander) = beside_datafeed(probe, "spin-in-timer", "quarantine_cooldown_ms = 600").await;
    let mut client = host.client("hostile").await;
    assert_eq!(client.subscribe("ticks", json!({"stream": "a"})).await["status"], "ok");
    client.recv_type("error").await;
    let health = host.get("/healthz").await.1;
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["quarantined"][0]["module"], "hostile", "{health}");
    assert!(health["quarantined"][0]["retry_at_ms"].as_u64().is_some(), "{health}");
    let metrics = host.get("/metrics").await.1.as_str().unwrap().to_owned();
    assert!(metrics.contains("topicwire_module_quarantined{module=\"hostile\"} 1\n"), "{metrics}");
    assert!(metrics.contains("topicwire_module_quarantines_total{module=\"hostile\"} 1\n"), "{metrics}");

    // No new file: the cool-down alone brings it back.
    host.eventually("the module serves again", |m| m["modules"][1]["state"] == "serving").await;
    assert_eq!(host.get("/healthz").await.1["status"], "ok");
    assert_eq!(client.subscribe("ticks", json!({"stream": "b"})).await["status"], "ok");
    // It still spins, so it is quarantined again, for twice as long.
    let status = host.eventually("quarantined again", |m| m["modules"][1]["quarantines"] == 2).await;
    let retry_in = status["modules"][1]["retry_at_ms"].as_u64().unwrap()
        - status["modules"][1]["last_error"]["at_ms"].as_u64().unwrap();
    assert!(retry_in > 600, "the cool-down doubled: {retry_in} ms");
    still_streaming(&mut bystander).await;
    host.stop().await;
}

for_each_probe!(
    spinning_in_create_topic_is_interrupted_and_the_module_restarts,
    spinning_in_on_timer_crashes_until_quarantine,
    allocating_without_bound_crashes_until_quarantine,
    a_restarted_module_serves_its_subscribers_again_without_resubscribing,
    updates_to_topics_the_module_does_not_own_are_dropped,
    updates_that_are_not_json_are_dropped,
    oversized_updates_are_dropped,
    a_flood_of_updates_is_capped,
    a_quarantined_module_comes_back_by_itself_after_its_cooldown,
);

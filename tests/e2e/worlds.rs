//! Every version of the world side by side. A component built for
//! `topicwire:ws@0.1.0` (the `legacy` fixture) loads and serves beside
//! 0.3.0 ones, its routes keeping the default history of their delivery;
//! one built for 0.2.0 (`legacy-0-2`) too, its timers handed topic strings
//! (`on-timer` for one, `on-timers` for several) and its declared history
//! kept; a route's declared history (the probe's `recent`: three updates)
//! is what `/api/v1/modules` and AsyncAPI show and what recovery goes by,
//! for a Rust route (`#[route(..., history = 3)]`) and a Python one
//! (`route(..., history=3)`) alike.

use serde_json::{Value, json};
use topicwire_tests::python::Probe;
use topicwire_tests::{DATAFEED_WASM, Host, LEGACY_0_2_WASM, LEGACY_WASM, PROBE_WASM, for_each_probe, http_request};

/// Route `name` of a module's status.
fn route<'a>(module: &'a Value, name: &str) -> &'a Value {
    module["routes"].as_array().unwrap().iter().find(|route| route["name"] == name).unwrap()
}

fn stream(name: &str) -> Value {
    json!({"stream": name})
}

#[tokio::test]
async fn a_component_built_for_0_1_0_serves_beside_0_3_0_ones() {
    let host =
        Host::start_with(&[("legacy", LEGACY_WASM), ("datafeed", DATAFEED_WASM), ("probe", PROBE_WASM)], "").await;
    let legacy = host.module("legacy").await.unwrap();
    assert_eq!((&legacy["state"], &legacy["world"]), (&json!("serving"), &json!("topicwire:ws@0.1.0")));
    assert_eq!(host.module("datafeed").await.unwrap()["world"], "topicwire:ws@0.3.0");
    assert_eq!(route(&legacy, "beats")["delivery"], "conflate");
    assert_eq!(route(&legacy, "beats")["history"], json!({"size": 0, "ttl_secs": 0}));
    assert_eq!(route(&legacy, "events")["delivery"], "reliable");
    assert_eq!(
        route(&legacy, "events")["history"],
        json!({"size": 1000, "ttl_secs": 300}),
        "a reliable route's default"
    );

    // It serves as it always did: topics, numbered updates, its refusals.
    let mut client = host.client("legacy").await;
    let response = client.subscribe("beats", stream("a")).await;
    assert_eq!((&response["status"], &response["topic"]), (&json!("ok"), &json!(r#"beats:{"stream":"a"}"#)));
    let first = client.next_update("beats").await;
    let second = client.next_update("beats").await;
    assert_eq!(first["topic"], r#"beats:{"stream":"a"}"#);
    assert!(first["payload"]["seq"].as_u64().unwrap() >= 1, "{first}");
    assert_eq!(second["offset"].as_u64().unwrap(), first["offset"].as_u64().unwrap() + 1);
    let invalid = client.subscribe("beats", json!({"stream": 1})).await;
    assert_eq!(
        (&invalid["status"], &invalid["message"]),
        (&json!("error"), &json!("invalid request: stream: a string is required"))
    );
    let forbidden = client.subscribe("events", stream("forbidden")).await;
    assert_eq!(forbidden["message"], "forbidden: stream `forbidden` is no one's");
    let unknown = client.subscribe("bars", json!({"symbol": "AAPL", "resolution": "1"})).await;
    assert_eq!(unknown["status"], "error", "{unknown}");

    // Its 0.3.0 neighbours serve meanwhile.
    let mut datafeed = host.client("datafeed").await;
    let bars = datafeed.subscribe("bars", json!({"symbol": "AAPL", "resolution": "1"})).await;
    assert_eq!(bars["status"], "ok", "{bars}");
    assert!(datafeed.next_update("bars").await["payload"]["volume"].is_i64());
    assert_eq!(client.next_update("beats").await["topic"], r#"beats:{"stream":"a"}"#);

    // A new version built for 0.3.0 replaces it like any other.
    host.rename_over("legacy", PROBE_WASM);
    host.eventually("the 0.3.0 version serves", |modules| {
        let legacy = modules["modules"].as_array().unwrap().iter().find(|module| module["module"] == "legacy");
        legacy.is_some_and(|legacy| legacy["world"] == "topicwire:ws@0.3.0" && legacy["reloads"] == 1)
    })
    .await;
    host.stop().await;
}

/// The next update of `route` whose data says it was ticked in a call of `ticks` topics, within 100 updates.
async fn update_ticked_with(client: &mut topicwire_tests::Client, route: &str, ticks: u64) -> Value {
    for _ in 0..100 {
        let update = client.next_update(route).await;
        if update["payload"]["ticks"] == ticks {
            return update;
        }
    }
    panic!("no update of {route} ticked with {ticks} topics in 100");
}

#[tokio::test]
async fn a_component_built_for_0_2_0_serves_beside_0_3_0_ones_its_timers_ticking_topic_strings() {
    let host = Host::start_with(&[("previous", LEGACY_0_2_WASM), ("probe", PROBE_WASM)], "").await;
    let previous = host.module("previous").await.unwrap();
    assert_eq!((&previous["state"], &previous["world"]), (&json!("serving"), &json!("topicwire:ws@0.2.0")));
    assert_eq!(host.module("probe").await.unwrap()["world"], "topicwire:ws@0.3.0");
    assert_eq!(route(&previous, "beats")["history"], json!({"size": 0, "ttl_secs": 0}));
    assert_eq!(route(&previous, "events")["history"], json!({"size": 5, "ttl_secs": 60}), "as it declares");

    // Its only live topic ticks alone: `on-timer`, with the topic string.
    let mut client = host.client("previous").await;
    let response = client.subscribe("beats", stream("a")).await;
    assert_eq!((&response["status"], &response["topic"]), (&json!("ok"), &json!(r#"beats:{"stream":"a"}"#)));
    let first = client.next_update("beats").await;
    assert_eq!((&first["topic"], &first["payload"]["ticks"]), (&json!(r#"beats:{"stream":"a"}"#), &json!(1)));
    let second = client.next_update("beats").await;
    assert_eq!(second["offset"].as_u64().unwrap(), first["offset"].as_u64().unwrap() + 1);

    // A client's topics tick together: one `on-timers` call with both strings, each topic numbered on.
    let response = client.subscribe("events", stream("a")).await;
    assert_eq!(response["status"], "ok", "{response}");
    let event = update_ticked_with(&mut client, "events", 2).await;
    assert_eq!(event["topic"], r#"events:{"stream":"a"}"#);
    let beat = update_ticked_with(&mut client, "beats", 2).await;
    let next = client.next_update("beats").await;
    assert_eq!(next["offset"].as_u64().unwrap(), beat["offset"].as_u64().unwrap() + 1, "no hole, no repeat");

    let invalid = client.subscribe("beats", json!({"stream": 1})).await;
    assert_eq!(invalid["message"], "invalid request: stream: a string is required");
    let forbidden = client.subscribe("events", stream("forbidden")).await;
    assert_eq!(forbidden["message"], "forbidden: stream `forbidden` is no one's");

    // Its 0.3.0 neighbour serves meanwhile.
    let mut probe = host.client("probe").await;
    assert_eq!(probe.subscribe("ticks", stream("p")).await["status"], "ok");
    assert_eq!(probe.next_update("ticks").await["topic"], r#"ticks:{"stream":"p"}"#);
    host.stop().await;
}

#[tokio::test]
async fn a_0_1_0_reliable_route_keeps_the_default_history_and_a_client_recovers_from_it() {
    let host = Host::start_with(&[("legacy", LEGACY_WASM)], "").await;
    let mut client = host.client("legacy").await;
    let response = client.subscribe("events", stream("a")).await;
    assert_eq!(response["status"], "ok", "{response}");
    let mut last = 0;
    for _ in 0..3 {
        last = client.next_update("events").await["offset"].as_u64().unwrap();
    }
    client.reset();

    // The topic kept ticking while the client was away; it gets every tick since.
    let mut back = host.client("legacy").await;
    let since = json!({"epoch": response["epoch"], "offset": last});
    let recovered = back.subscribe_since("events", stream("a"), since).await;
    assert_eq!((&recovered["recovered"], &recovered["offset"]), (&json!(true), &json!(last)), "{recovered}");
    for offset in last + 1..last + 6 {
        let update = back.next_update("events").await;
        assert_eq!(update["offset"], offset, "no hole, no repeat: {update}");
    }
    host.stop().await;
}

/// Publishes the next tick of the probe's `recent` topic of stream `r`.
async fn publish_recent(host: &Host) {
    let headers = [("Content-Type", "application/json")];
    let (status, reply) = http_request(host.addr, "POST", "/api/v1/probe/recent/r", &headers, "{}").await;
    assert_eq!((status, &reply), (200, &json!({"published": true})));
}

async fn a_declared_history_shows_in_modules_and_bounds_what_a_client_recovers(probe: Probe) {
    let host = Host::start_with(&[("probe", probe.v1)], "").await;
    let probe = host.module("probe").await.unwrap();
    assert_eq!(route(&probe, "recent")["history"], json!({"size": 3, "ttl_secs": 60}));
    assert_eq!(route(&probe, "ticks")["history"], json!({"size": 0, "ttl_secs": 0}), "undeclared: conflate's default");
    let (_, doc) = host.get("/api/v1/probe/ws/asyncapi.json").await;
    assert_eq!(
        doc["components"]["messages"]["recent.update"]["x-topicwire-history"],
        json!({"size": 3, "ttl_secs": 60})
    );

    let mut client = host.client("probe").await;
    let epoch = client.subscribe("recent", stream("r")).await["epoch"].clone();
    for _ in 0..6 {
        publish_recent(&host).await;
    }
    for offset in 1..=6 {
        assert_eq!(client.next_update("recent").await["offset"], offset);
    }

    // Kept: 4, 5 and 6. A client that saw 2 needs 3, which is gone.
    let mut too_old = host.client("probe").await;
    let answer = too_old.subscribe_since("recent", stream("r"), json!({"epoch": epoch, "offset": 2})).await;
    assert_eq!(
        (&answer["status"], &answer["recovered"], &answer["offset"]),
        (&json!("ok"), &json!(false), &json!(6)),
        "{answer}"
    );
    // One that saw 3 gets exactly 4, 5 and 6, then the live 7.
    let mut recent = host.client("probe").await;
    let answer = recent.subscribe_since("recent", stream("r"), json!({"epoch": epoch, "offset": 3})).await;
    assert_eq!((&answer["recovered"], &answer["offset"]), (&json!(true), &json!(3)), "{answer}");
    for seq in 3..6 {
        let update = recent.next_update("recent").await;
        assert_eq!((&update["offset"], &update["payload"]["seq"]), (&json!(seq + 1), &json!(seq)));
    }
    publish_recent(&host).await;
    assert_eq!(recent.next_update("recent").await["offset"], 7);
    assert_eq!(too_old.next_update("recent").await["offset"], 7, "not recovered, but subscribed: live from now");
    host.stop().await;
}

for_each_probe!(a_declared_history_shows_in_modules_and_bounds_what_a_client_recovers);

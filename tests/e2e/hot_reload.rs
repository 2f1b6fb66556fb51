//! Hot reload: files appearing, changing and disappearing in the watched
//! folder, with clients connected throughout.

use serde_json::{Value, json};
use topicwire_tests::python::Probe;
use topicwire_tests::shared_cache::content_hash;
use topicwire_tests::{DATAFEED_WASM, Host, HostDirs, PROBE_V2_WASM, PROBE_WASM, for_each_probe, poll_until};

const CONFIG: &str = "[modules.ticker]\nTICK_MS = 5\n";

/// Receives ticks until one of version 2 arrives, each of version 1 before it
/// (how soon it comes, and the largest gap, are measured by `just bench`:
/// its `hot_swap` scenario).
async fn ride_the_swap(client: &mut topicwire_tests::Client) {
    for _ in 0..10_000 {
        let update = client.next_update("ticks").await;
        match update["payload"]["version"].as_u64() {
            Some(2) => return,
            Some(1) => continue,
            other => panic!("unexpected version {other:?}"),
        }
    }
    panic!("no update from version 2 arrived");
}

async fn swap_test(probe: Probe, swap: impl FnOnce(&Host)) {
    let host = Host::start_with(&[("ticker", probe.v1)], CONFIG).await;
    let mut client = host.client("ticker").await;
    assert_eq!(client.subscribe("ticks", json!({"stream": "a"})).await["status"], "ok");
    assert_eq!(client.next_update("ticks").await["payload"]["version"], 1);

    swap(&host);
    ride_the_swap(&mut client).await;

    // Still the same connection and subscription, now served by version 2.
    let ticker = host.module("ticker").await.unwrap();
    assert_eq!(ticker["version"], content_hash(probe.v2));
    assert_eq!(ticker["reloads"], 1);
    assert_eq!(ticker["state"], "serving");
    assert_eq!(ticker["topics"][0]["subscribers"], 1);
    for _ in 0..3 {
        assert_eq!(client.next_update("ticks").await["payload"]["version"], 2);
    }
    host.stop().await;
}

async fn clients_keep_streaming_across_an_atomic_rename(probe: Probe) {
    swap_test(probe, |host| host.rename_over("ticker", probe.v2)).await;
}

async fn clients_keep_streaming_across_a_copy_over_the_file(probe: Probe) {
    swap_test(probe, |host| host.write_over("ticker", &std::fs::read(probe.v2).unwrap())).await;
}

for_each_probe!(clients_keep_streaming_across_an_atomic_rename, clients_keep_streaming_across_a_copy_over_the_file);

async fn assert_bad_file_keeps_the_old_version(probe: Probe, bytes: &[u8], expected_error: &str) {
    let host = Host::start_with(&[("ticker", probe.v1)], CONFIG).await;
    let mut client = host.client("ticker").await;
    client.subscribe("ticks", json!({"stream": "a"})).await;
    host.write_over("ticker", bytes);
    let modules = host
        .eventually("the failed reload is shown", |modules| modules["modules"][0]["state"] == "failed-reload")
        .await;
    let ticker = &modules["modules"][0];
    let error = ticker["last_error"]["message"].as_str().unwrap();
    assert!(error.contains(expected_error), "{error}");
    assert!(ticker["last_error"]["at_ms"].as_u64().unwrap() > 0);
    assert_eq!(ticker["version"], content_hash(probe.v1), "the old version is still the one served");
    for _ in 0..3 {
        assert_eq!(client.next_update("ticks").await["payload"]["version"], 1);
    }
    // A good file afterwards is loaded.
    host.rename_over("ticker", probe.v2);
    host.eventually("the next good version serves", |modules| modules["modules"][0]["state"] == "serving").await;
    host.stop().await;
}

async fn a_corrupt_file_leaves_the_old_version_serving(probe: Probe) {
    assert_bad_file_keeps_the_old_version(probe, b"this is not wasm", "not a valid wasm component").await;
}

async fn a_truncated_file_leaves_the_old_version_serving(probe: Probe) {
    let bytes = std::fs::read(probe.v2).unwrap();
    assert_bad_file_keeps_the_old_version(probe, &bytes[..bytes.len() / 2], "not a valid wasm component").await;
}

async fn a_component_of_another_world_leaves_the_old_version_serving(probe: Probe) {
    // The smallest valid component: no imports, no exports.
    let empty_component = b"\0asm\x0d\0\x01\0";
    assert_bad_file_keeps_the_old_version(probe, empty_component, "does not export the ws-route-service world").await;
}

for_each_probe!(
    a_corrupt_file_leaves_the_old_version_serving,
    a_truncated_file_leaves_the_old_version_serving,
    a_component_of_another_world_leaves_the_old_version_serving,
);

#[tokio::test]
async fn removing_the_file_closes_its_clients_with_1001_and_unmounts_it() {
    let host = Host::start_with(&[("ticker", PROBE_WASM), ("datafeed", DATAFEED_WASM)], CONFIG).await;
    let mut client = host.client("ticker").await;
    client.subscribe("ticks", json!({"stream": "a"})).await;
    let mut bystander = host.client("datafeed").await;
    bystander.subscribe("quotes", json!({"symbols": ["AAPL"]})).await;
    std::fs::remove_file(host.file("ticker")).unwrap();
    let (code, reason) = client.expect_close().await;
    assert_eq!((code, reason.as_str()), (1001, "module unloaded"));
    assert_eq!(host.get("/api/v1/ticker/ws").await.0, 404);
    assert!(host.module("ticker").await.is_none());
    bystander.next_update("quotes").await;
    host.stop().await;
}

async fn a_file_added_at_runtime_mounts_a_new_module(probe: Probe) {
    let host = Host::start_with(&[("datafeed", DATAFEED_WASM)], CONFIG).await;
    assert_eq!(host.get("/api/v1/ticker/ws").await.0, 404);
    host.rename_over("ticker", probe.v1);
    host.eventually("the new module is loaded", |modules| modules["modules"].as_array().unwrap().len() == 2).await;
    let mut client = host.client("ticker").await;
    assert_eq!(client.subscribe("ticks", json!({"stream": "new"})).await["status"], "ok");
    assert_eq!(client.next_update("ticks").await["payload"]["version"], 1);
    host.stop().await;
}

async fn ten_rapid_writes_load_the_final_content_once(probe: Probe) {
    let host = Host::start_with(&[("ticker", probe.v1)], CONFIG).await;
    let (v1, v2) = (std::fs::read(probe.v1).unwrap(), std::fs::read(probe.v2).unwrap());
    for i in 0..10 {
        host.write_over("ticker", if i % 2 == 0 { &v1 } else { &v2 });
    }
    let modules = host
        .eventually("the final content is served", |modules| modules["modules"][0]["version"] == content_hash(probe.v2))
        .await;
    assert_eq!(modules["modules"][0]["reloads"], 1, "loaded once: {modules}");
    host.stop().await;
}

for_each_probe!(a_file_added_at_runtime_mounts_a_new_module, ten_rapid_writes_load_the_final_content_once);

#[tokio::test]
async fn a_route_the_new_version_no_longer_serves_tells_its_subscribers() {
    let host = Host::start_with(&[("feed", DATAFEED_WASM)], "").await;
    let mut client = host.client("feed").await;
    client.subscribe("bars", json!({"symbol": "AAPL", "resolution": "1"})).await;
    host.rename_over("feed", PROBE_WASM);
    let notice: Value = client.recv_type("error").await["payload"].clone();
    assert_eq!(notice["topic"], r#"bars:{"resolution":"1","symbol":"AAPL"}"#);
    assert_eq!(notice["message"], "topic dropped: the new version of the module no longer serves route `bars`");
    // The connection stays, on the new routes.
    assert_eq!(client.subscribe("ticks", json!({"stream": "a"})).await["status"], "ok");
    assert!(host.topics("feed").await.iter().all(|(topic, _)| topic.starts_with("ticks:")));
    host.stop().await;
}

#[tokio::test]
async fn a_restart_with_a_warm_cache_does_not_recompile() {
    let host = Host::start_in(HostDirs::cold(&[("ticker", PROBE_WASM)]), CONFIG).await;
    assert_eq!(host.module("ticker").await.unwrap()["compiled_from_cache"], false);
    let dirs = host.stop().await;
    let host = Host::start_in(dirs, CONFIG).await;
    assert_eq!(host.module("ticker").await.unwrap()["compiled_from_cache"], true);
    // A corrupt cache entry is recompiled, never fatal.
    let dirs = host.stop().await;
    for entry in std::fs::read_dir(dirs.cache.path()).unwrap() {
        std::fs::write(entry.unwrap().path(), b"garbage").unwrap();
    }
    let host = Host::start_in(dirs, CONFIG).await;
    let ticker = host.module("ticker").await.unwrap();
    assert_eq!((ticker["state"].as_str(), ticker["compiled_from_cache"].as_bool()), (Some("serving"), Some(false)));
    host.stop().await;
}

#[tokio::test]
async fn ten_swaps_under_live_subscribers_repeat_no_update_and_no_bar_goes_back() {
    let host = Host::start_with(&[("datafeed", DATAFEED_WASM)], "[modules.datafeed]\nTICK_MS = 20\n").await;
    let mut client = host.client("datafeed").await;
    assert_eq!(client.subscribe("bars", json!({"symbol": "AAPL", "resolution": "1"})).await["status"], "ok");
    let mut bars: Vec<Value> = vec![client.next_update("bars").await["payload"].clone()];
    for swap in 1..=10u64 {
        let temporary = host.dirs.components.path().join(".datafeed.wasm.part");
        std::fs::write(&temporary, topicwire_tests::with_custom_section(DATAFEED_WASM, &(swap % 2).to_string()))
            .unwrap();
        std::fs::rename(&temporary, host.file("datafeed")).unwrap();
        // Read updates while the swap happens, until the module reports it.
        loop {
            bars.push(client.next_update("bars").await["payload"].clone());
            let module = host.module("datafeed").await.unwrap();
            if module["reloads"].as_u64() == Some(swap) {
                break;
            }
        }
        for _ in 0..3 {
            bars.push(client.next_update("bars").await["payload"].clone());
        }
    }
    for pair in bars.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        assert_ne!(before, after, "an update was repeated");
        let (t0, t1) = (before["time"].as_i64().unwrap(), after["time"].as_i64().unwrap());
        assert!(t1 >= t0, "a bar went back in time: {before} then {after}");
        if t0 == t1 {
            assert_eq!(before["open"], after["open"], "a bar restarted: {before} then {after}");
            assert!(after["volume"].as_i64() >= before["volume"].as_i64(), "{before} then {after}");
            assert!(after["high"].as_f64() >= before["high"].as_f64(), "{before} then {after}");
            assert!(after["low"].as_f64() <= before["low"].as_f64(), "{before} then {after}");
        }
    }
    assert_eq!(host.module("datafeed").await.unwrap()["restarts"], 0);
    host.stop().await;
}

#[tokio::test]
async fn the_cache_keeps_only_the_versions_in_use() {
    let host = Host::start_in(HostDirs::cold(&[("ticker", PROBE_WASM), ("feed", DATAFEED_WASM)]), CONFIG).await;
    host.rename_over("ticker", PROBE_V2_WASM);
    host.eventually("version 2 serves", |m| m["modules"][1]["reloads"] == 1).await;
    let mut in_use = vec![content_hash(PROBE_V2_WASM), content_hash(DATAFEED_WASM)];
    in_use.sort();
    cached_eventually(&host, &in_use, "version 1's entry is pruned once version 2 serves").await;
    std::fs::remove_file(host.file("feed")).unwrap();
    cached_eventually(&host, &[content_hash(PROBE_V2_WASM)], "an unloaded module's entry is pruned").await;
    host.stop().await;
}

/// Waits until the cache holds exactly the entries of `hashes` (pruning follows the folder's changes).
async fn cached_eventually(host: &Host, hashes: &[String], what: &str) {
    poll_until(what, async || {
        let mut cached: Vec<String> = std::fs::read_dir(host.dirs.cache.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter_map(|name| Some(name.strip_suffix(".cwasm")?.split_once('-')?.0.to_owned()))
            .collect();
        cached.sort();
        if cached == hashes { Ok(()) } else { Err(cached) }
    })
    .await;
}

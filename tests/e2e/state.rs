//! Durable module state: the ledger fixture's accounts outlive a trap, a hot
//! reload, a migration to a new format and `kill -9` of the host process;
//! limits are error replies; a damaged data file stops only its module;
//! export, wipe and import give the same answers.

use serde_json::{Value, json};
use std::net::SocketAddr;
use topicwire_tests::{
    Host, HostDirs, HostProcess, LEDGER_V2_WASM, LEDGER_WASM, PROBE_WASM, http_request, http_request_bytes, run_command,
};

/// The host binary as a process of its own.
const HOST_BINARY: &str = env!("CARGO_BIN_EXE_topicwire-under-test");

const CONFIG: &str = "[modules.ledger]\nALLOW_CRASH = 1\n";

async fn deposit(addr: SocketAddr, account: &str, amount: u64) -> Value {
    let path = format!("/api/v1/ledger/accounts/{account}/deposit");
    let (status, body) =
        http_request(addr, "POST", &path, &[("Content-Type", "application/json")], &amount.to_string()).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn account(addr: SocketAddr, account: &str) -> Value {
    http_request(addr, "GET", &format!("/api/v1/ledger/accounts/{account}"), &[], "").await.1
}

async fn put_blob(addr: SocketAddr, key: &str, bytes: &[u8]) -> (u16, Value) {
    // The host takes bodies declared as JSON only; the ledger stores the bytes as they are.
    let json = [("Content-Type", "application/json")];
    http_request_bytes(addr, "PUT", &format!("/api/v1/ledger/blobs/{key}"), &json, bytes).await
}

/// Everything the ledger answers about its data, to compare before and after.
async fn answers(addr: SocketAddr) -> Value {
    let get = |path: &'static str| async move { http_request(addr, "GET", path, &[], "").await.1 };
    json!({
        "accounts": get("/api/v1/ledger/accounts").await,
        "a": account(addr, "a").await,
        "b": account(addr, "b").await,
        "raw": get("/api/v1/ledger/blobs/raw").await,
        "text": get("/api/v1/ledger/blobs/text").await,
        "format": get("/api/v1/ledger/format").await,
    })
}

#[tokio::test]
async fn state_survives_an_instance_restart_after_a_trap() {
    let host = Host::start_with(&[("ledger", LEDGER_WASM)], CONFIG).await;
    let mut client = host.client("ledger").await;
    assert_eq!(client.subscribe("balance", json!({"account": "a"})).await["status"], "ok");
    assert_eq!(client.next_update("balance").await["payload"]["balance"], 0);
    deposit(host.addr, "a", 5).await;
    deposit(host.addr, "a", 7).await;
    assert_eq!(client.next_update("balance").await["payload"]["balance"], 5);
    assert_eq!(client.next_update("balance").await["payload"]["balance"], 12);

    let (status, _) =
        http_request(host.addr, "POST", "/api/v1/ledger/crash", &[("Content-Type", "application/json")], "").await;
    assert_eq!(status, 503, "the trapped call gives no response");
    host.eventually("the instance restarted", |m| {
        m["modules"][0]["restarts"] == 1 && m["modules"][0]["state"] == "serving"
    })
    .await;
    // The fresh instance re-created the live topic from the stored data (its
    // first update repeats the last one delivered, so subscribers are spared
    // it) and goes on from there.
    deposit(host.addr, "a", 1).await;
    let update = client.next_update("balance").await;
    assert_eq!(update["payload"], json!({"account": "a", "balance": 13, "deposits": 3, "version": 1}));
    assert_eq!(account(host.addr, "a").await["balance"], 13);
    host.stop().await;
}

#[tokio::test]
async fn state_survives_a_hot_reload_of_the_same_component() {
    let host = Host::start_with(&[("ledger", LEDGER_WASM)], CONFIG).await;
    deposit(host.addr, "a", 3).await;
    let mut patched = std::fs::read(LEDGER_WASM).unwrap();
    patched.extend_from_slice(b"\0\x09\x08ledger-2"); // a custom section: new content hash, same code
    host.write_over("ledger", &patched);
    host.eventually("the new content serves", |m| m["modules"][0]["reloads"] == 1).await;
    assert_eq!(account(host.addr, "a").await["balance"], 3);
    assert_eq!(deposit(host.addr, "a", 4).await["balance"], 7);
    host.stop().await;
}

#[tokio::test]
async fn version_2_migrates_version_1s_data_on_hot_reload() {
    let host = Host::start_with(&[("ledger", LEDGER_WASM)], CONFIG).await;
    deposit(host.addr, "a", 5).await;
    deposit(host.addr, "a", 7).await;
    deposit(host.addr, "b", 1).await;
    assert_eq!(host.get("/api/v1/ledger/format").await.1, json!({"stored": 1, "version": 1}));
    let mut client = host.client("ledger").await;
    client.subscribe("balance", json!({"account": "a"})).await;
    assert_eq!(client.next_update("balance").await["payload"]["version"], 1);

    host.rename_over("ledger", LEDGER_V2_WASM);
    host.eventually("version 2 serves", |m| m["modules"][0]["reloads"] == 1).await;
    // The live topic was re-created on version 2, which migrated first.
    let update = client.next_update("balance").await;
    assert_eq!(update["payload"], json!({"account": "a", "balance": 12, "deposits": 2, "version": 2}));
    assert_eq!(host.get("/api/v1/ledger/format").await.1, json!({"stored": 2, "version": 2}));
    assert_eq!(host.get("/api/v1/ledger/accounts").await.1, json!({"accounts": ["a", "b"]}));
    assert_eq!(account(host.addr, "b").await, json!({"account": "b", "balance": 1, "deposits": 1, "version": 2}));
    assert_eq!(deposit(host.addr, "a", 1).await["deposits"], 3);
    let storage = host.module("ledger").await.unwrap()["storage"].clone();
    assert_eq!(storage["keys"], 3, "format 1's keys are gone: {storage}");
    host.stop().await;
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9_of_the_host_process() {
    let dirs = HostDirs::with(&[("ledger", LEDGER_WASM)]);
    let process = HostProcess::start(HOST_BINARY, dirs, "").await;
    for amount in 1..=20 {
        deposit(process.addr, "a", amount).await;
    }
    let dirs = process.kill();
    let process = HostProcess::start(HOST_BINARY, dirs, "").await;
    assert_eq!(account(process.addr, "a").await, json!({"account": "a", "balance": 210, "deposits": 20, "version": 1}));
    assert_eq!(deposit(process.addr, "a", 1).await["balance"], 211);
    drop(process);
}

#[tokio::test]
async fn limits_are_error_replies_and_the_module_keeps_running() {
    let config = "[limits]\nmax_key_bytes = 16\nmax_value_bytes = 1000\nmax_state_bytes = 3000\n";
    let host = Host::start_with(&[("ledger", LEDGER_WASM)], config).await;
    let (status, body) = put_blob(host.addr, "big", &[b'x'; 1001]).await;
    assert_eq!(status, 507);
    assert!(body["error"].as_str().unwrap().contains("max_value_bytes (1000)"), "{body}");
    assert_eq!(put_blob(host.addr, "sixteen-byte-key", &[b'x'; 1]).await.0, 204);
    let (status, body) = put_blob(host.addr, "seventeen-bytekey", &[b'x'; 1]).await;
    assert!(status == 507 && body["error"].as_str().unwrap().contains("max_key_bytes (16)"), "{body}");
    // Each blob counts its bucket name, key and value: 5 + 2 + 900 bytes.
    for key in ["b1", "b2", "b3"] {
        assert_eq!(put_blob(host.addr, key, &[b'x'; 900]).await.0, 204);
    }
    let (status, body) = put_blob(host.addr, "b4", &[b'x'; 900]).await;
    assert_eq!(status, 507);
    assert!(body["error"].as_str().unwrap().contains("max_state_bytes (3000)"), "{body}");

    let ledger = host.module("ledger").await.unwrap();
    assert_eq!((ledger["state"].as_str(), ledger["restarts"].as_u64()), (Some("serving"), Some(0)), "{ledger}");
    assert_eq!(host.get("/api/v1/ledger/blobs/b1").await.0, 200);
    let storage = &ledger["storage"];
    let stored = 5 + 16 + 1 + 3 * (5 + 2 + 900);
    assert_eq!((storage["bytes"].as_u64(), storage["keys"].as_u64()), (Some(stored), Some(4)), "{storage}");
    assert_eq!(storage["refused"], json!({"bucket": 0, "key_too_large": 1, "state_full": 1, "value_too_large": 1}));
    assert!(storage["operations"]["set"]["count"].as_u64() >= Some(3), "{storage}");
    let metrics = host.get("/metrics").await.1.as_str().unwrap().to_owned();
    for line in [
        format!("topicwire_module_state_bytes{{module=\"ledger\"}} {stored}\n"),
        "topicwire_module_state_keys{module=\"ledger\"} 4\n".to_owned(),
        "topicwire_module_state_refused_total{module=\"ledger\",reason=\"state_full\"} 1\n".to_owned(),
        "# TYPE topicwire_module_state_operation_seconds summary\n".to_owned(),
        "topicwire_module_state_operation_seconds_count{module=\"ledger\",op=\"set\"}".to_owned(),
    ] {
        assert!(metrics.contains(&line), "/metrics lacks {line:?}:\n{metrics}");
    }
    host.stop().await;
}

#[tokio::test]
async fn modules_never_see_each_others_state() {
    let host = Host::start_with(&[("ledger", LEDGER_WASM), ("other", LEDGER_WASM)], "").await;
    deposit(host.addr, "a", 9).await;
    let (status, _) = http_request(host.addr, "GET", "/api/v1/other/accounts/a", &[], "").await;
    assert_eq!(status, 404, "`other` has its own namespace");
    assert_eq!(host.get("/api/v1/other/accounts").await.1, json!({"accounts": []}));
    host.stop().await;
}

#[tokio::test]
async fn a_damaged_data_file_stops_only_its_module_naming_the_file() {
    let dirs = HostDirs::with(&[("ledger", LEDGER_WASM), ("ticker", PROBE_WASM)]);
    let damaged = vec![0x5a; 16 * 1024];
    std::fs::write(dirs.data_file("ledger"), &damaged).unwrap();
    let data_file = dirs.data_file("ledger").display().to_string();
    let host = Host::start_in(dirs, "").await;
    let modules = host.modules().await;
    let failed = &modules["failed"][0];
    assert_eq!(failed["module"], "ledger", "{modules}");
    let message = failed["last_error"]["message"].as_str().unwrap();
    assert!(message.contains(&data_file), "the error names the data file: {message}");
    assert!(host.module("ledger").await.is_none());
    assert_eq!(host.module("ticker").await.unwrap()["state"], "serving");
    assert_eq!(std::fs::read(&data_file).unwrap(), damaged, "the damaged file is left as it was");
    host.stop().await;
}

#[tokio::test]
async fn an_unusable_data_folder_stops_the_host_naming_it() {
    let dirs = HostDirs::with(&[("ledger", LEDGER_WASM)]);
    let not_a_folder = dirs.data.path().join("a-file");
    std::fs::write(&not_a_folder, b"not a folder").unwrap();
    let components = dirs.components.path().to_str().unwrap();
    let args = ["serve", "--listen", "127.0.0.1:0", "--components-dir", components];
    let output = run_command(HOST_BINARY, &args, &not_a_folder, b"");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("error: cannot use data folder {}", not_a_folder.display())), "{stderr}");
}

#[tokio::test]
async fn export_then_wipe_then_import_gives_the_same_answers() {
    let host = Host::start_with(&[("ledger", LEDGER_WASM)], "").await;
    deposit(host.addr, "a", 5).await;
    deposit(host.addr, "b", 2).await;
    assert_eq!(put_blob(host.addr, "raw", &[0, 0xff, 0x80, 1]).await.0, 204);
    assert_eq!(put_blob(host.addr, "text", "héllo".as_bytes()).await.0, 204);
    let before = answers(host.addr).await;
    assert_eq!(before["raw"]["hex"], "00ff8001");

    let running = run_command(HOST_BINARY, &["state", "export", "ledger"], host.dirs.data.path(), b"");
    let stderr = String::from_utf8_lossy(&running.stderr);
    assert!(!running.status.success() && stderr.contains("in use"), "a running host is a clear error: {stderr}");

    let dirs = host.stop().await;
    let export = run_command(HOST_BINARY, &["state", "export", "ledger"], dirs.data.path(), b"");
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let document: Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(document["module"], "ledger");
    let entries = document["entries"].as_array().unwrap();
    let entry = |key: &str| entries.iter().find(|entry| entry["key"] == key).unwrap().clone();
    assert_eq!(entry("raw"), json!({"bucket": "blobs", "key": "raw", "base64": "AP+AAQ=="}));
    assert_eq!(entry("text"), json!({"bucket": "blobs", "key": "text", "text": "héllo"}));
    assert_eq!(entry("balance/a"), json!({"bucket": "", "key": "balance/a", "text": "5"}));

    std::fs::remove_file(dirs.data_file("ledger")).unwrap();
    let import = run_command(HOST_BINARY, &["state", "import", "ledger"], dirs.data.path(), &export.stdout);
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    let host = Host::start_in(dirs, "").await;
    assert_eq!(answers(host.addr).await, before);
    host.stop().await;
}

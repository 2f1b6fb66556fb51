//! Durable module state: what a `wasi:keyvalue` put and get cost a
//! component, and how many orders per second the broker takes when each is
//! committed before it is answered. The host keeps a module's state in
//! `<data_dir>/<module>.redb` and commits every write as its own transaction
//! with an fsync, so a put is as slow as the disk; a get reads only.
//!
//! - The ledger fixture times puts and gets inside one call of its own
//!   (`POST /bench/put?n=N`, `/bench/get?n=N`): the cost as the component sees it.
//! - The same over REST, one request after another on one keep-alive
//!   connection: `PUT /blobs/{key}` (one put), `GET /blobs/{key}` (one get)
//!   and an unknown route the component answers 404 without touching its
//!   store; the difference to the latter is the put's or the get's share.
//! - The broker places limit orders far below the market, so each stays
//!   working and streams nothing; from one client, then from several at once
//!   (one module instance serves them in turn).

use super::{Settings, round3};
use crate::http::Http;
use crate::load::quantile_ms;
use crate::server::{Launch, Server};
use anyhow::{Result, ensure};
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};
use topicwire_tests::{BROKER_WASM, LEDGER_WASM, TempDir};

/// Bytes of each value the REST puts store (a JSON string, as the host takes only JSON bodies).
const VALUE_BYTES: usize = 64;
/// Keys the REST puts and gets cycle through.
const KEYS: usize = 64;
/// Orders placed on one account before the next one (the broker holds at most 1000 working orders per account).
const ORDERS_PER_ACCOUNT: usize = 100;
/// Clients placing orders at once in the second broker run.
const CLIENTS: usize = 8;
/// Requests of each kind sent before the measured ones.
const WARMUP: usize = 20;
const JSON: (&str, &str) = ("Content-Type", "application/json");

/// The sizes of the state scenario.
pub(crate) struct Durable {
    /// REST requests of each kind.
    requests: usize,
    /// Puts timed inside the ledger (ten times as many gets).
    inside_puts: u32,
    /// Orders placed in each broker run.
    orders: usize,
}

impl Durable {
    pub(super) fn new(quick: bool) -> Self {
        if quick {
            Self { requests: 200, inside_puts: 100, orders: 400 }
        } else {
            Self { requests: 2000, inside_puts: 1000, orders: 4000 }
        }
    }

    pub(super) async fn run(&self, settings: &Settings) -> Result<Value> {
        let data = TempDir::new("bench-data");
        let mut result = json!({
            "scenario": "state",
            "data_fs": file_system(&data),
            "value_bytes": VALUE_BYTES,
        });
        {
            let (components, cache) = (folder("ledger", LEDGER_WASM)?, TempDir::new("bench-cache"));
            let server = start(settings, &components, &cache, &data).await?;
            self.inside(&server, &mut result).await?;
            self.rest(&server, &mut result).await?;
        }
        let (components, cache) = (folder("broker", BROKER_WASM)?, TempDir::new("bench-cache"));
        let server = start(settings, &components, &cache, &data).await?;
        let mut runs = Vec::new();
        for clients in [1, CLIENTS] {
            runs.push(self.orders(&server, clients).await?);
        }
        result["order_runs"] = json!(runs);
        result["orders_per_account"] = json!(ORDERS_PER_ACCOUNT);
        Ok(result)
    }

    /// µs per put and per get, timed inside the ledger.
    async fn inside(&self, server: &Server, result: &mut Value) -> Result<()> {
        let mut http = Http::connect(server.addr).await?;
        let mut timed = async |kind: &str, ops: u32| -> Result<f64> {
            let path = format!("/api/v1/ledger/bench/{kind}?n={ops}");
            let (status, body) = http.send("POST", &path, &[JSON], b"").await?;
            ensure!(status == 200, "POST {path}: {status} {}", String::from_utf8_lossy(&body));
            let body: Value = serde_json::from_slice(&body)?;
            Ok(body["elapsed_us"].as_f64().unwrap_or(0.0) / f64::from(ops.max(1)))
        };
        // Every key of the ledger's loop once, so the gets find them.
        timed("put", 64).await?;
        let gets = self.inside_puts * 10;
        result["inside_puts"] = json!(self.inside_puts);
        result["inside_put_us"] = json!(round1(timed("put", self.inside_puts).await?));
        result["inside_gets"] = json!(gets);
        result["inside_get_us"] = json!(round1(timed("get", gets).await?));
        Ok(())
    }

    /// Requests/s and µs per request over REST: no store, a put, a get.
    async fn rest(&self, server: &Server, result: &mut Value) -> Result<()> {
        let mut http = Http::connect(server.addr).await?;
        let value = format!("\"{}\"", "x".repeat(VALUE_BYTES - 2));
        let kinds: [(&str, &str, &str, u16); 3] = [
            ("none", "GET", "/api/v1/ledger/no-such-route", 404),
            ("put", "PUT", "/api/v1/ledger/blobs/", 204),
            ("get", "GET", "/api/v1/ledger/blobs/", 200),
        ];
        let mut rows = Vec::new();
        for (kind, method, path, expected) in kinds {
            let body = if method == "PUT" { value.as_bytes() } else { b"" };
            let send = async |http: &mut Http, i: usize| -> Result<()> {
                let path = if path.ends_with('/') { format!("{path}k{}", i % KEYS) } else { path.to_owned() };
                let (status, reply) = http.send(method, &path, &[JSON], body).await?;
                ensure!(status == expected, "{method} {path}: {status} {}", String::from_utf8_lossy(&reply));
                Ok(())
            };
            for i in 0..WARMUP {
                send(&mut http, i).await?;
            }
            let cpu_before = server.cpu();
            let started = Instant::now();
            let mut latencies_us = Vec::with_capacity(self.requests);
            for i in 0..self.requests {
                let sent = Instant::now();
                send(&mut http, i).await?;
                latencies_us.push(micros(sent.elapsed()));
            }
            let seconds = started.elapsed().as_secs_f64();
            let cpu = server.cpu().saturating_sub(cpu_before).as_secs_f64();
            latencies_us.sort_unstable();
            let n = self.requests as f64;
            rows.push(json!({
                "kind": kind,
                "request": format!("{method} {path}{}", if path.ends_with('/') { "{key}" } else { "" }),
                "requests": self.requests,
                "per_s": (n / seconds).round(),
                "us_each": round1(seconds * 1e6 / n),
                "p50_ms": round3(quantile_ms(&latencies_us, 0.5)),
                "p99_ms": round3(quantile_ms(&latencies_us, 0.99)),
                "server_cpu_us_each": round1(cpu * 1e6 / n),
            }));
        }
        let each = |kind: &str| rows.iter().find(|row| row["kind"] == kind).and_then(|row| row["us_each"].as_f64());
        if let (Some(none), Some(put), Some(get)) = (each("none"), each("put"), each("get")) {
            result["rest_put_us"] = json!(round1(put - none));
            result["rest_get_us"] = json!(round1(get - none));
        }
        result["rest"] = json!(rows);
        Ok(())
    }

    /// `self.orders` limit orders from `clients` clients at once, each on its own connection and accounts.
    async fn orders(&self, server: &Server, clients: usize) -> Result<Value> {
        let per_client = self.orders / clients;
        let mut warmup = Http::connect(server.addr).await?;
        for _ in 0..WARMUP {
            place(&mut warmup, &format!("W{clients}")).await?;
        }
        let cpu_before = server.cpu();
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(clients);
        for client in 0..clients {
            let addr = server.addr;
            tasks.push(tokio::spawn(async move {
                let mut http = Http::connect(addr).await?;
                let mut latencies_us = Vec::with_capacity(per_client);
                for order in 0..per_client {
                    let account = format!("B{clients}-{client}-{}", order / ORDERS_PER_ACCOUNT);
                    let sent = Instant::now();
                    place(&mut http, &account).await?;
                    latencies_us.push(micros(sent.elapsed()));
                }
                anyhow::Ok(latencies_us)
            }));
        }
        let mut latencies_us = Vec::with_capacity(per_client * clients);
        for task in tasks {
            latencies_us.extend(task.await??);
        }
        let seconds = started.elapsed().as_secs_f64();
        let cpu = server.cpu().saturating_sub(cpu_before).as_secs_f64();
        latencies_us.sort_unstable();
        let orders = latencies_us.len();
        Ok(json!({
            "clients": clients,
            "orders": orders,
            "orders_per_s": (orders as f64 / seconds).round(),
            "p50_ms": round3(quantile_ms(&latencies_us, 0.5)),
            "p99_ms": round3(quantile_ms(&latencies_us, 0.99)),
            "max_ms": round3(quantile_ms(&latencies_us, 1.0)),
            "server_cpu_pct": round3(cpu / seconds * 100.0),
            "server_cpu_us_per_order": round1(cpu * 1e6 / orders.max(1) as f64),
        }))
    }
}

/// Places one buy limit order far below the market on `account`.
pub(super) async fn place(http: &mut Http, account: &str) -> Result<()> {
    let (status, reply) = place_order(http, account).await?;
    ensure!(status == 200, "an order on {account}: {status} {}", String::from_utf8_lossy(&reply));
    Ok(())
}

/// Sends one buy limit order far below the market on `account`; the answer's status and body.
pub(super) async fn place_order(http: &mut Http, account: &str) -> Result<(u16, Vec<u8>)> {
    const ORDER: &[u8] = br#"{"symbol":"AAPL","type":1,"side":1,"qty":1,"limitPrice":1.0}"#;
    let headers = [("X-Account-Id", account), JSON];
    http.send("POST", "/api/v1/broker/orders", &headers, ORDER).await
}

/// A server keeping state in `data`, with calls allowed the time the ledger's timed loops take.
async fn start(settings: &Settings, components: &TempDir, cache: &TempDir, data: &TempDir) -> Result<Server> {
    let config = format!("data_dir = {:?}\n[limits]\ncall_deadline_ms = 120000\n", data.path().display().to_string());
    let launch =
        Launch::Topicwire { binary: &settings.server, components, cache: cache.path(), config: &config, native: false };
    Server::start(launch, settings.server_cpus.as_deref()).await
}

/// A components folder holding `wasm` as module `module`.
fn folder(module: &str, wasm: &str) -> Result<TempDir> {
    let components = TempDir::new("bench");
    std::fs::copy(wasm, components.path().join(format!("{module}.wasm")))?;
    Ok(components)
}

/// The type of the file system holding `dir` (`stat -f`): on tmpfs an fsync costs nothing.
fn file_system(dir: &TempDir) -> Option<String> {
    let output = Command::new("stat").args(["-f", "-c", "%T"]).arg(dir.path()).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Microseconds with one decimal, for the results.
fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn micros(elapsed: Duration) -> u32 {
    elapsed.as_micros().min(u128::from(u32::MAX)) as u32
}

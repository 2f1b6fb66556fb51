//! `topicwire-bench soak` (`just soak [MINUTES]`, not in CI): a host under
//! long, hostile, mixed load, to find what leaks or gets lost only over time.
//!
//! For the run's length, on one `topicwire serve` with the probe and the
//! broker: thousands of connections churn (connect, subscribe, read 4 to 12
//! seconds, drop the TCP connection without a close); the probe's file is
//! copied over every few seconds (hot reloads, versions 1 and 2 in turn); the
//! broker's instance is trapped (`POST /debug/crash`) every 20 s (three a
//! minute: under the five that quarantine); market orders are placed over
//! REST for twenty accounts, each streamed to a subscriber of its `orders`;
//! slow readers subscribe to many topics and never read; malformed frames
//! (bad JSON, unknown types and routes, binary, oversized requests and
//! frames) are mixed in. Every minute it prints connections, delivered/s,
//! p99 latency, the server's RSS and open files, live topics, restarts and
//! reloads. At the end it checks that nothing leaked (no connection or
//! subscription left; topics, once the broker's have lingered their history's
//! TTL, and open files back to the baseline; RSS near it) and nothing was lost
//! (every order answered 200 is in `GET /orders` and reached its account's
//! subscriber, whose offsets have no hole), and records it all in the report.

use crate::load::{self, Buffers, Socket};
use crate::results;
use crate::server::{Launch, Server};
use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use topicwire_tests::{BROKER_WASM, PROBE_V2_WASM, PROBE_WASM, TempDir};

/// Runs the soak.
#[derive(Debug, clap::Args)]
pub(crate) struct SoakArgs {
    /// The `topicwire` binary.
    #[arg(long, default_value = "target/debug/topicwire")]
    server: PathBuf,
    /// How long the load lasts.
    #[arg(long, default_value_t = 10)]
    minutes: u64,
    /// Churning connections open at a time.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Record the result in this report (and its `.json` beside it).
    #[arg(long)]
    report: Option<PathBuf>,
}

/// Probe topics the churning connections spread over.
const TOPICS: usize = 200;
/// Broker accounts, each with an `orders` subscriber.
const ACCOUNTS: usize = 20;
/// Slow readers open at a time, and the topics each subscribes to.
const SLOW_READERS: usize = 20;
const SLOW_TOPICS: usize = 50;
/// How often the probe's file is copied over, and the broker trapped.
const RELOAD_EVERY: Duration = Duration::from_secs(5);
const TRAP_EVERY: Duration = Duration::from_secs(20);
/// How often an order is placed (for one of the accounts in turn).
const ORDER_EVERY: Duration = Duration::from_millis(100);

/// A call deadline ten times the default: on a machine shared with other
/// builds a call can wait for a core that long, and the traps are to be the
/// soak's own.
const CONFIG: &str = "[limits]\noutgoing_queue_frames = 256\nslow_consumer_grace_ms = 2000\ncall_deadline_ms = 10000\n\
                      [modules.probe]\nTICK_MS = 200\n\
                      [modules.broker]\nTICK_MS = 200\nDEBUG_ENDPOINTS = true\n";

/// What the load saw, shared by its tasks.
#[derive(Default)]
struct Counters {
    connects: AtomicU64,
    delivered: AtomicU64,
    /// Latencies of this minute, microseconds.
    latencies: Mutex<Vec<u32>>,
    connect_errors: AtomicU64,
    malformed_sent: AtomicU64,
    malformed_answered: AtomicU64,
    orders_refused: AtomicU64,
    /// Requests the host did not answer within the deadline (or whose connection it reset).
    unanswered: AtomicU64,
    traps: AtomicU64,
    reloads_made: AtomicU64,
}

/// One account's orders: what was acknowledged, and what its subscriber saw.
#[derive(Default)]
struct Book {
    placed: HashSet<String>,
    streamed: HashSet<String>,
    /// Offsets that did not follow the one before.
    holes: u64,
    last_offset: Option<u64>,
    subscriber_lost: bool,
}

pub(crate) async fn run(args: &SoakArgs) -> Result<()> {
    crate::limits::raise_open_files(crate::WANTED_OPEN_FILES);
    let components = TempDir::new("soak-components");
    std::fs::copy(PROBE_WASM, components.path().join("probe.wasm"))?;
    std::fs::copy(BROKER_WASM, components.path().join("broker.wasm"))?;
    let cache = TempDir::new("soak-cache");
    let data = TempDir::new("soak-data");
    let config = format!("data_dir = {:?}\n{CONFIG}", data.path().display().to_string());
    let launch = Launch::Topicwire {
        binary: &args.server,
        components: &components,
        cache: cache.path(),
        config: &config,
        native: false,
    };
    let server = Server::start(launch, None).await?;
    let addr = server.addr;
    // Both versions compiled before the baseline: a reload then costs no compile.
    swap_probe(&components, PROBE_V2_WASM)?;
    wait_for(addr, "topicwire_module_reloads_total{module=\"probe\"}", 1).await?;
    swap_probe(&components, PROBE_WASM)?;
    wait_for(addr, "topicwire_module_reloads_total{module=\"probe\"}", 2).await?;
    let baseline = Reading::take(&server).await;
    eprintln!("soak: baseline {baseline:?}; {} minutes of load", args.minutes);

    let counters = Arc::new(Counters::default());
    let books: Arc<Vec<Mutex<Book>>> = Arc::new((0..ACCOUNTS).map(|_| Mutex::default()).collect());
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    for account in 0..ACCOUNTS {
        let subscriber = orders_subscriber(addr, account, books.clone(), stopped.clone()).await?;
        tasks.push(tokio::spawn(subscriber));
    }
    for index in 0..args.connections {
        tasks.push(tokio::spawn(churn(addr, index, counters.clone(), stopped.clone())));
    }
    for index in 0..SLOW_READERS {
        tasks.push(tokio::spawn(slow_reader(addr, args.connections + index, stopped.clone())));
    }
    tasks.push(tokio::spawn(malformed(addr, counters.clone(), stopped.clone())));
    tasks.push(tokio::spawn(place_orders(addr, books.clone(), counters.clone(), stopped.clone())));
    tasks.push(tokio::spawn(trap_broker(addr, counters.clone(), stopped.clone())));
    let reloading = tokio::spawn(reload_probe(components.path().to_owned(), counters.clone(), stopped.clone()));

    let mut minutes = Vec::new();
    let mut delivered_before = 0;
    for minute in 1..=args.minutes {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let delivered = counters.delivered.load(Ordering::Relaxed);
        let mut latencies = std::mem::take(&mut *counters.latencies.lock().unwrap_or_else(PoisonError::into_inner));
        latencies.sort_unstable();
        let reading = Reading::take(&server).await;
        let placed: usize = books.iter().map(|book| lock(book).placed.len()).sum();
        let row = json!({
            "minute": minute,
            "connections": reading.connections,
            "connects": counters.connects.load(Ordering::Relaxed),
            "delivered_per_s": (delivered - delivered_before) / 60,
            "p99_ms": load::quantile_ms(&latencies, 0.99),
            "rss_mib": reading.rss_kib / 1024,
            "open_fds": reading.fds,
            "topics": reading.topics,
            "restarts": reading.restarts,
            "reloads": reading.reloads,
            "orders_placed": placed,
            "closed_1008": reading.closed_1008,
        });
        delivered_before = delivered;
        println!("{row}");
        minutes.push(row);
    }

    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    reloading.await??;
    // The load is gone: everything it held must go too.
    let settled = settle(&server, &baseline).await;
    let end = Reading::take(&server).await;
    let mut lost = Vec::new();
    let (mut placed, mut listed) = (0, 0);
    for (account, book) in books.iter().enumerate() {
        let name = format!("S{account}");
        let orders = list_orders(addr, &name).await?;
        let book = lock(book);
        let ids: HashSet<String> =
            orders.as_array().into_iter().flatten().filter_map(|o| o["id"].as_str().map(str::to_owned)).collect();
        placed += book.placed.len();
        listed += book.placed.iter().filter(|id| ids.contains(*id)).count();
        for id in &book.placed {
            if !ids.contains(id) {
                lost.push(format!("{name}: order {id} is not in GET /orders"));
            }
            if !book.streamed.contains(id) {
                lost.push(format!("{name}: order {id} never reached its subscriber"));
            }
        }
        if book.holes > 0 {
            lost.push(format!("{name}: {} holes in the subscriber's offsets", book.holes));
        }
        if book.subscriber_lost {
            lost.push(format!("{name}: the subscriber's connection ended"));
        }
    }
    let rss_near = end.rss_kib <= baseline.rss_kib * 3 / 2;
    let leaked = !settled || !rss_near;
    let record = json!({
        "scenario": "soak",
        "minutes": args.minutes,
        "connections": args.connections,
        "per_minute": minutes,
        "baseline": baseline.json(),
        "end": end.json(),
        "settled": settled,
        "rss_near_baseline": rss_near,
        "orders_placed": placed,
        "orders_listed": listed,
        "orders_refused_during_traps": counters.orders_refused.load(Ordering::Relaxed),
        "orders_unanswered": counters.unanswered.load(Ordering::Relaxed),
        "traps": counters.traps.load(Ordering::Relaxed),
        "reloads_made": counters.reloads_made.load(Ordering::Relaxed),
        "connects": counters.connects.load(Ordering::Relaxed),
        "connect_errors": counters.connect_errors.load(Ordering::Relaxed),
        "malformed_sent": counters.malformed_sent.load(Ordering::Relaxed),
        "malformed_answered": counters.malformed_answered.load(Ordering::Relaxed),
        "lost": lost.iter().take(20).collect::<Vec<_>>(),
        "lost_count": lost.len(),
        "leaked": leaked,
        "how": format!(
            "`just soak {}`: `topicwire serve` ({}), unpinned, on a machine shared with other builds (figures are \
             what was left to it, not its capacity); commit {}",
            args.minutes,
            args.server.display(),
            crate::commit().unwrap_or_default()
        ),
    });
    println!("{record}");
    if let Some(report) = &args.report {
        let mut records = results::read(&report.with_extension("json"))?;
        results::replace(&mut records, record.clone());
        results::write(report, &records)?;
    }
    if leaked || !lost.is_empty() {
        bail!("the soak found leaks ({leaked}) or losses: {lost:?}");
    }
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `method path` with `headers` and `body`: its status and body, or `None`
/// when the host did not answer within the test support's deadline (the
/// request runs in a task of its own, whose failure is only counted).
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<(u16, Value)> {
    let (method, path, body) = (method.to_owned(), path.to_owned(), body.to_owned());
    let headers: Vec<(String, String)> = headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    tokio::spawn(async move {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        topicwire_tests::http_request(addr, &method, &path, &headers, &body).await
    })
    .await
    .ok()
}

/// `GET /orders` of `account`, waiting (at most two minutes) while the
/// broker restarts or sits out a quarantine.
async fn list_orders(addr: SocketAddr, account: &str) -> Result<Value> {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let answer = http(addr, "GET", "/api/v1/broker/orders", &[("X-Account-Id", account)], "").await;
        if let Some((200, orders)) = answer {
            return Ok(orders);
        }
        if Instant::now() > until {
            bail!("GET /orders of {account}: {answer:?}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What the server holds, from `/metrics` and `/proc`.
#[derive(Debug, Clone, PartialEq)]
struct Reading {
    connections: u64,
    subscriptions: u64,
    topics: u64,
    restarts: u64,
    reloads: u64,
    closed_1008: u64,
    rss_kib: u64,
    fds: usize,
}

impl Reading {
    async fn take(server: &Server) -> Self {
        let metrics = http(server.addr, "GET", "/metrics", &[], "").await;
        let text = metrics.as_ref().and_then(|(_, metrics)| metrics.as_str()).unwrap_or_default();
        Self {
            connections: sum(text, "topicwire_connections "),
            subscriptions: sum(text, "topicwire_module_subscriptions{"),
            topics: sum(text, "topicwire_module_topics{"),
            restarts: sum(text, "topicwire_module_restarts_total{"),
            reloads: sum(text, "topicwire_module_reloads_total{"),
            closed_1008: sum(text, "topicwire_connections_closed_total{code=\"1008\"}"),
            rss_kib: server.rss_kib(),
            fds: server.open_fds(),
        }
    }

    fn json(&self) -> Value {
        json!({
            "connections": self.connections,
            "subscriptions": self.subscriptions,
            "topics": self.topics,
            "rss_mib": self.rss_kib / 1024,
            "open_fds": self.fds,
        })
    }
}

/// The sum of the samples whose line starts with `prefix`.
fn sum(metrics: &str, prefix: &str) -> u64 {
    metrics
        .lines()
        .filter(|line| line.starts_with(prefix))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// How long after its last subscriber a topic of a route with history
/// lingers (the broker's `orders`: a reliable route's default, 300 s).
const LINGER: Duration = Duration::from_secs(300);

/// Waits until the server holds no connection or subscription and its
/// topics and open files are back to the baseline (at most [`LINGER`] and a
/// minute: topics of routes with history linger that long); whether they came back.
async fn settle(server: &Server, baseline: &Reading) -> bool {
    let until = Instant::now() + LINGER + Duration::from_secs(60);
    loop {
        let now = Reading::take(server).await;
        if now.connections == 0 && now.subscriptions == 0 && now.topics <= baseline.topics && now.fds <= baseline.fds {
            return true;
        }
        if Instant::now() > until {
            eprintln!("soak: not back to the baseline: {now:?}");
            return false;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Waits until the sample `name` reaches `at_least`.
async fn wait_for(addr: SocketAddr, name: &str, at_least: u64) -> Result<()> {
    for _ in 0..1200 {
        let metrics = http(addr, "GET", "/metrics", &[], "").await;
        if sum(metrics.as_ref().and_then(|(_, text)| text.as_str()).unwrap_or_default(), name) >= at_least {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{name} never reached {at_least}")
}

/// Copies `wasm` over the served probe, in place (as `cp` does).
fn swap_probe(components: &TempDir, wasm: &str) -> Result<()> {
    std::fs::copy(wasm, components.path().join("probe.wasm")).context("cannot copy the probe")?;
    Ok(())
}

/// Sleeps `duration`, or less if the load stops; whether it stopped.
async fn pause(stopped: &mut watch::Receiver<bool>, duration: Duration) -> bool {
    let slept = tokio::select! {
        () = tokio::time::sleep(duration) => true,
        _ = stopped.wait_for(|stop| *stop) => false,
    };
    !slept || *stopped.borrow()
}

/// A pseudo-random number from `seed` (splitmix64): reproducible runs.
fn spread(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One churning connection: connect, subscribe, read 4 to 12 s, drop the TCP
/// connection without a close frame; again until the load stops.
async fn churn(addr: SocketAddr, index: usize, counters: Arc<Counters>, mut stopped: watch::Receiver<bool>) {
    // The connections ramp up over the first 20 s.
    if pause(&mut stopped, Duration::from_millis(index as u64 * 20_000 / 2_000 % 20_000)).await {
        return;
    }
    for round in 0u64.. {
        let seed = spread(index as u64 * 1_000_003 + round);
        let stream = format!("s{}", seed % TOPICS as u64);
        let mut socket = match load::connect(addr, "/api/v1/probe/ws", index, Buffers::Lean).await {
            Ok(socket) => socket,
            Err(_) => {
                counters.connect_errors.fetch_add(1, Ordering::Relaxed);
                if pause(&mut stopped, Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        counters.connects.fetch_add(1, Ordering::Relaxed);
        if load::subscribe(&mut socket, &stream).await.is_err() {
            counters.connect_errors.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let hold = Duration::from_millis(4_000 + seed % 8_000);
        let until = tokio::time::Instant::now() + hold;
        let stop = loop {
            tokio::select! {
                message = tokio::time::timeout_at(until, socket.next()) => match message {
                    Ok(Some(Ok(Message::Text(text)))) => {
                        if text.starts_with(r#"{"type":"ticks.update""#) {
                            counters.delivered.fetch_add(1, Ordering::Relaxed);
                            if let Some(sent) = load::sent_us(&text) {
                                let latency = load::now_us().saturating_sub(sent).min(u64::from(u32::MAX)) as u32;
                                lock(&counters.latencies).push(latency);
                            }
                        }
                    }
                    Ok(Some(Ok(_))) => {}
                    // Timed out (the hold is over), or the server ended it (a reload never does).
                    Ok(Some(Err(_)) | None) | Err(_) => break false,
                },
                _ = stopped.wait_for(|stop| *stop) => break true,
            }
        };
        // Dropped, not closed: as a client that vanishes.
        drop(socket.into_inner());
        if stop {
            return;
        }
    }
}

/// A reader that subscribes to many topics and never reads, until the
/// server gives up on it (or 30 s pass); again until the load stops.
async fn slow_reader(addr: SocketAddr, index: usize, mut stopped: watch::Receiver<bool>) {
    loop {
        if let Ok(mut socket) = load::connect(addr, "/api/v1/probe/ws", index, Buffers::Lean).await {
            for topic in 0..SLOW_TOPICS {
                let _ = load::subscribe(&mut socket, &format!("s{topic}")).await;
            }
            if pause(&mut stopped, Duration::from_secs(30)).await {
                return;
            }
        } else if pause(&mut stopped, Duration::from_secs(1)).await {
            return;
        }
    }
}

/// Frames no client should send, ten a second on one connection; each
/// must be answered (an oversized frame closes it with 1009: it reconnects).
async fn malformed(addr: SocketAddr, counters: Arc<Counters>, mut stopped: watch::Receiver<bool>) {
    let frames: Vec<Message> = vec![
        Message::text("{nope"),
        Message::text(r#"{"type":"ticks.publish","payload":{}}"#),
        Message::text(r#"{"type":"nowhere.subscribe","payload":{}}"#),
        Message::text(r#"{"type":"ticks.subscribe","payload":["s1"]}"#),
        Message::text(format!(r#"{{"type":"ticks.subscribe","payload":{{"stream":"{}"}}}}"#, "x".repeat(5000))),
        Message::binary(vec![0xff, 0x00, 0x13]),
        Message::text(r#"{"type":"ticks.unsubscribe","payload":{"stream":"never"}}"#),
    ];
    let mut socket: Option<Socket> = None;
    for n in 0u64.. {
        if pause(&mut stopped, Duration::from_millis(100)).await {
            return;
        }
        if socket.is_none() {
            socket = load::connect(addr, "/api/v1/probe/ws", 7, Buffers::Lean).await.ok();
        }
        let Some(open) = socket.as_mut() else { continue };
        // Every 300th: one frame over `max_frame_bytes` (64 KiB), closed with 1009.
        let frame = if n % 300 == 299 {
            Message::text("x".repeat(70 * 1024))
        } else {
            frames[(n % frames.len() as u64) as usize].clone()
        };
        counters.malformed_sent.fetch_add(1, Ordering::Relaxed);
        if open.send(frame).await.is_err() {
            socket = None;
            continue;
        }
        match tokio::time::timeout(Duration::from_secs(5), open.next()).await {
            Ok(Some(Ok(Message::Text(text)))) if text.contains(r#""status":"error""#) => {
                counters.malformed_answered.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Some(Ok(Message::Close(_)))) => {
                counters.malformed_answered.fetch_add(1, Ordering::Relaxed);
                socket = None;
            }
            Ok(Some(Ok(_))) => {}
            _ => socket = None,
        }
    }
}

/// Account `account`'s subscriber of `orders`, subscribed before this returns.
async fn orders_subscriber(
    addr: SocketAddr,
    account: usize,
    books: Arc<Vec<Mutex<Book>>>,
    mut stopped: watch::Receiver<bool>,
) -> Result<impl Future<Output = ()>> {
    let mut socket = load::connect(addr, "/api/v1/broker/ws", 1000 + account, Buffers::Streaming).await?;
    let request = json!({"type": "orders.subscribe", "payload": {"accountId": format!("S{account}")}});
    socket.send(Message::text(request.to_string())).await?;
    loop {
        let Some(Ok(Message::Text(text))) = socket.next().await else { bail!("no subscribe response") };
        if text.starts_with(r#"{"type":"orders.subscribe.response""#) {
            if !text.contains(r#""status":"ok""#) {
                bail!("refused: {text}");
            }
            break;
        }
    }
    Ok(async move {
        loop {
            let message = tokio::select! {
                message = socket.next() => message,
                _ = stopped.wait_for(|stop| *stop) => return,
            };
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(_)) => continue,
                _ => {
                    lock(&books[account]).subscriber_lost = true;
                    return;
                }
            };
            let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
            if frame["type"] != "orders.update" {
                continue;
            }
            let mut book = lock(&books[account]);
            let offset = frame["payload"]["offset"].as_u64();
            if let (Some(last), Some(offset)) = (book.last_offset, offset)
                && offset != last + 1
            {
                book.holes += 1;
            }
            book.last_offset = offset.or(book.last_offset);
            if let Some(id) = frame["payload"]["payload"]["id"].as_str() {
                book.streamed.insert(id.to_owned());
            }
        }
    })
}

/// Market orders for the accounts in turn, buying and selling in turn (so
/// positions stay small), with a read of the account's positions beside each.
async fn place_orders(
    addr: SocketAddr,
    books: Arc<Vec<Mutex<Book>>>,
    counters: Arc<Counters>,
    mut stopped: watch::Receiver<bool>,
) {
    for n in 0usize.. {
        if pause(&mut stopped, ORDER_EVERY).await {
            return;
        }
        let account = n % ACCOUNTS;
        let name = format!("S{account}");
        let side = if (n / ACCOUNTS).is_multiple_of(2) { 1 } else { -1 };
        let order = json!({"symbol": "AAPL", "type": 2, "side": side, "qty": 1}).to_string();
        let headers = [("X-Account-Id", name.as_str()), ("Content-Type", "application/json")];
        match http(addr, "POST", "/api/v1/broker/orders", &headers, &order).await {
            Some((200, reply)) if reply["orderId"].is_string() => {
                lock(&books[account]).placed.insert(reply["orderId"].as_str().unwrap_or_default().to_owned());
            }
            // A trap in the middle of it: nothing was placed.
            Some((503, _)) => drop(counters.orders_refused.fetch_add(1, Ordering::Relaxed)),
            Some((status, reply)) => eprintln!("soak: an order answered {status}: {reply}"),
            // Not answered: it may or may not have been placed; counted, not checked.
            None => drop(counters.unanswered.fetch_add(1, Ordering::Relaxed)),
        }
        let _ = http(addr, "GET", "/api/v1/broker/positions", &headers[..1], "").await;
    }
}

/// Traps the broker's instance every [`TRAP_EVERY`].
async fn trap_broker(addr: SocketAddr, counters: Arc<Counters>, mut stopped: watch::Receiver<bool>) {
    loop {
        if pause(&mut stopped, TRAP_EVERY).await {
            return;
        }
        let headers = [("X-Account-Id", "S0"), ("Content-Type", "application/json")];
        // Answered 503: the instance trapped (and was restarted).
        match http(addr, "POST", "/api/v1/broker/debug/crash", &headers, "{}").await {
            Some((503, _)) => drop(counters.traps.fetch_add(1, Ordering::Relaxed)),
            other => eprintln!("soak: POST /debug/crash answered {other:?}"),
        }
    }
}

/// Copies version 2 and version 1 of the probe over its file in turn, every [`RELOAD_EVERY`].
async fn reload_probe(components: PathBuf, counters: Arc<Counters>, mut stopped: watch::Receiver<bool>) -> Result<()> {
    for n in 0u64.. {
        if pause(&mut stopped, RELOAD_EVERY).await {
            break;
        }
        let wasm = if n % 2 == 0 { PROBE_V2_WASM } else { PROBE_WASM };
        std::fs::copy(wasm, components.join("probe.wasm")).context("cannot copy the probe")?;
        counters.reloads_made.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// The per-minute rows of a soak record, as a Markdown table.
pub(crate) fn minutes_table(record: &Value) -> String {
    let mut out = String::from(
        "| minute | connections | delivered/s | p99 ms | RSS MiB | open files | live topics | restarts | reloads | orders placed | 1008 closes |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let rows: BTreeMap<u64, &Value> = record["per_minute"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| (row["minute"].as_u64().unwrap_or_default(), row))
        .collect();
    for row in rows.values() {
        let cells: Vec<String> = [
            "minute",
            "connections",
            "delivered_per_s",
            "p99_ms",
            "rss_mib",
            "open_fds",
            "topics",
            "restarts",
            "reloads",
            "orders_placed",
            "closed_1008",
        ]
        .iter()
        .map(|field| row[*field].to_string())
        .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_labelled_samples() {
        let metrics = "topicwire_connections 3\ntopicwire_module_topics{module=\"a\"} 2\n\
                       topicwire_module_topics{module=\"b\"} 5\n";
        assert_eq!(sum(metrics, "topicwire_module_topics{"), 7);
        assert_eq!(sum(metrics, "topicwire_connections "), 3);
    }

    #[test]
    fn the_table_has_a_row_a_minute() {
        let record = json!({"per_minute": [{"minute": 2, "connections": 9}, {"minute": 1, "connections": 8}]});
        let table = minutes_table(&record);
        assert!(table.contains("| 1 | 8 |") && table.find("| 1 |") < table.find("| 2 |"), "{table}");
    }
}

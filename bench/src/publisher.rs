//! The publisher: feeds a server's topics from outside, over HTTP, at a
//! fan-out layout's rate — Sockudo through its signed Pusher events API,
//! or Topicwire through the probe's `POST /publish` — in a process of its
//! own, so its CPU is counted apart from the server's and the load
//! generator's.
//!
//! Each topic ticks every period at the phase the host would give it (keyed
//! by its first subscriber, as the floor's `--spread` does); the ticks due
//! within one slot (`--slot-ms`) go out together at its end as one request
//! (Sockudo's `batch_events`, or its `events` for a lone one), up to
//! `--batch` events each, stamped with their send time. Requests take
//! turns over several connections, kept alive unless the server closes them
//! (Sockudo closes every API connection after its answer), a few in flight
//! each; ticks finding every connection's queue full are dropped and
//! counted (and never serialised), so a server that cannot keep up is
//! offered less, as a real publisher would find. It runs until its standard input closes, then
//! prints what it did as one JSON line.

use crate::http::Http;
use crate::load::now_us;
use crate::pusher;
use crate::scenarios::Layout;
use anyhow::{Result, bail};
use serde_json::json;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Which server's API the publisher speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Target {
    /// Sockudo's Pusher HTTP events API, signed.
    Sockudo,
    /// The probe component's `POST /api/v1/bench/publish` on Topicwire.
    Topicwire,
}

/// Publishes a fan-out layout's ticks to a server over HTTP.
#[derive(Debug, clap::Args)]
pub(crate) struct PublisherArgs {
    /// The server's API.
    #[arg(long, value_enum)]
    target: Target,
    /// Where the server listens.
    #[arg(long)]
    addr: SocketAddr,
    /// The layout's connections (whose subscriptions name the topics).
    #[arg(long)]
    conns: usize,
    /// Streams each connection subscribes to.
    #[arg(long, default_value_t = 1)]
    streams_per_conn: usize,
    /// Shared topics (the layout's connections spread over them); absent: every stream is its own.
    #[arg(long)]
    shared_topics: Option<usize>,
    /// Milliseconds between a topic's ticks.
    #[arg(long)]
    tick_ms: u64,
    /// Updates per tick.
    #[arg(long, default_value_t = 1)]
    burst: u64,
    /// Milliseconds of ticks gathered into one request.
    #[arg(long, default_value_t = 5)]
    slot_ms: u64,
    /// Most events in one request (Sockudo's app allows [`crate::sockudo::MAX_BATCH`]).
    #[arg(long, default_value_t = crate::sockudo::MAX_BATCH)]
    batch: usize,
    /// Connections the requests take turns over.
    #[arg(long, default_value_t = 16)]
    connections: usize,
}

impl PublisherArgs {
    /// The arguments that publish `layout` to `addr`.
    pub(crate) fn command_line(target: Target, addr: SocketAddr, layout: &Layout) -> Vec<String> {
        let target = match target {
            Target::Sockudo => "sockudo",
            Target::Topicwire => "topicwire",
        };
        let mut args = vec!["publisher".to_owned(), "--target".to_owned(), target.to_owned()];
        args.extend(["--addr".to_owned(), addr.to_string(), "--conns".to_owned(), layout.conns.to_string()]);
        args.extend(["--streams-per-conn".to_owned(), layout.streams_per_conn.to_string()]);
        if let Some(topics) = layout.shared_topics {
            args.extend(["--shared-topics".to_owned(), topics.to_string()]);
        }
        args.extend([
            "--tick-ms".to_owned(),
            layout.tick_ms.to_string(),
            "--burst".to_owned(),
            layout.burst.to_string(),
        ]);
        args
    }

    fn layout(&self) -> Layout {
        Layout::new(self.conns, self.streams_per_conn, self.shared_topics, self.tick_ms, self.burst)
    }
}

/// A publisher process, started by a scenario.
pub(crate) struct Publisher {
    child: std::process::Child,
}

impl Publisher {
    /// Starts publishing `layout` to `target` at `addr`, on the CPUs this process may use.
    pub(crate) fn start(target: Target, addr: SocketAddr, layout: &Layout) -> Result<Self> {
        let child = std::process::Command::new(std::env::current_exe()?)
            .args(PublisherArgs::command_line(target, addr, layout))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()?;
        Ok(Self { child })
    }

    /// Its CPU time so far.
    pub(crate) fn cpu(&self) -> Duration {
        crate::server::process_cpu(&format!("/proc/{}/stat", self.child.id()))
    }

    /// Stops it: what it did (its JSON line).
    pub(crate) fn finish(mut self) -> Result<serde_json::Value> {
        drop(self.child.stdin.take());
        let mut out = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            stdout.read_to_string(&mut out)?;
        }
        let status = self.child.wait()?;
        if !status.success() {
            bail!("the publisher failed ({status})");
        }
        Ok(serde_json::from_str(out.trim())?)
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the publisher did, shared by its connections.
#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    events_sent: AtomicU64,
    /// Events of requests the server refused or failed.
    events_failed: AtomicU64,
    /// Events not sent: every connection's queue was full.
    events_dropped: AtomicU64,
}

/// Requests waiting for one connection (besides the one it is sending).
const QUEUED: usize = 4;

/// One request, ready to send.
struct Request {
    path: String,
    body: Vec<u8>,
    events: u64,
}

/// Runs until standard input closes.
pub(crate) fn run(args: &PublisherArgs) -> Result<()> {
    // One thread: the publisher's CPU is one process's, counted apart.
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(publish(args))
}

async fn publish(args: &PublisherArgs) -> Result<()> {
    if args.batch == 0 || args.connections == 0 {
        bail!("--batch and --connections must be at least 1");
    }
    let (closed, mut stdin_closed) = oneshot::channel();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        let _ = closed.send(());
    });
    let counts = Arc::new(Counts::default());
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut queues = Vec::new();
    let mut senders = Vec::new();
    for _ in 0..args.connections {
        let (queue, requests) = mpsc::channel::<Request>(QUEUED);
        queues.push(queue);
        senders.push(tokio::spawn(send_all(args.addr, requests, counts.clone(), first_error.clone())));
    }

    let topics = first_subscribers(&args.layout().subscriptions());
    let period = Duration::from_millis(args.tick_ms.max(1));
    let started = Instant::now();
    let mut due: BinaryHeap<Reverse<(Instant, usize)>> = topics
        .iter()
        .enumerate()
        .map(|(index, (_, first))| {
            let phase = topicwire::runtime::timers::phase(&(*first as u64).to_le_bytes(), period);
            let first = topicwire::runtime::timers::next_at_phase(Duration::ZERO, period, phase);
            Reverse((started + first, index))
        })
        .collect();
    let slot = Duration::from_millis(args.slot_ms.max(1));
    let mut seq = vec![0u64; topics.len()];
    let (mut ticks, mut skipped, mut turn) = (0u64, 0u64, 0usize);
    let mut events: Vec<(usize, u64)> = Vec::new();
    while let Some(&Reverse((next, _))) = due.peek() {
        // The end of the slot the next tick falls in.
        let slots = (next.saturating_duration_since(started).as_nanos() / slot.as_nanos()) as u32;
        let wake = started + slot * (slots + 1);
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {}
            _ = &mut stdin_closed => break,
        }
        let now = Instant::now();
        while let Some(&Reverse((at, topic))) = due.peek() {
            if at > now {
                break;
            }
            due.pop();
            for _ in 0..args.burst {
                events.push((topic, seq[topic]));
                seq[topic] += 1;
            }
            ticks += 1;
            // A tick that fell behind keeps its phase: the ticks it missed are counted, not sent late.
            let mut at = at + period;
            while at <= now {
                at += period;
                skipped += 1;
            }
            due.push(Reverse((at, topic)));
        }
        let sent_us = now_us();
        for chunk in events.chunks(args.batch) {
            // A place in a queue first, so a tick that would be dropped costs nothing to serialise.
            let permit =
                (0..queues.len()).find_map(|attempt| queues[(turn + attempt) % queues.len()].try_reserve().ok());
            turn = turn.wrapping_add(1);
            match permit {
                Some(permit) => permit.send(request(args.target, &topics, chunk, sent_us)),
                None => {
                    counts.events_dropped.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                }
            }
        }
        events.clear();
    }
    drop(queues);
    for sender in senders {
        let _ = tokio::time::timeout(Duration::from_secs(5), sender).await;
    }
    let first_error = first_error.lock().map(|error| error.clone()).unwrap_or_default();
    println!(
        "{}",
        json!({
            "topics": topics.len(),
            "ticks": ticks,
            "ticks_skipped": skipped,
            "requests": counts.requests.load(Ordering::Relaxed),
            "events_sent": counts.events_sent.load(Ordering::Relaxed),
            "events_failed": counts.events_failed.load(Ordering::Relaxed),
            "events_dropped": counts.events_dropped.load(Ordering::Relaxed),
            "seconds": started.elapsed().as_secs_f64(),
            "first_error": first_error,
        })
    );
    Ok(())
}

/// Sends the requests of one queue on one kept-alive connection, counting.
async fn send_all(
    addr: SocketAddr,
    mut requests: mpsc::Receiver<Request>,
    counts: Arc<Counts>,
    first_error: Arc<std::sync::Mutex<Option<String>>>,
) {
    let mut http = None;
    while let Some(Request { path, body, events }) = requests.recv().await {
        let outcome = match http.take() {
            Some(connection) => Ok(connection),
            None => Http::connect(addr).await,
        };
        let error = match outcome {
            Ok(mut connection) => {
                match connection.send("POST", &path, &[("Content-Type", "application/json")], &body).await {
                    // Sockudo closes every API connection after its answer: the next request connects anew.
                    Ok((status, _)) if (200..300).contains(&status) => {
                        http = Some(connection).filter(Http::reusable);
                        None
                    }
                    Ok((status, reply)) => {
                        http = Some(connection).filter(Http::reusable);
                        Some(format!("{status}: {}", String::from_utf8_lossy(&reply)))
                    }
                    Err(error) => Some(format!("{error:#}")),
                }
            }
            Err(error) => Some(format!("cannot connect: {error:#}")),
        };
        counts.requests.fetch_add(1, Ordering::Relaxed);
        match error {
            None => counts.events_sent.fetch_add(events, Ordering::Relaxed),
            Some(error) => {
                if let Ok(mut first) = first_error.lock() {
                    first.get_or_insert(error);
                }
                counts.events_failed.fetch_add(events, Ordering::Relaxed)
            }
        };
    }
}

/// Every topic of `subscriptions` with the connection that subscribes to it first, in order.
fn first_subscribers(subscriptions: &[Vec<String>]) -> Vec<(String, usize)> {
    let mut seen = HashMap::new();
    let mut topics = Vec::new();
    for (conn, streams) in subscriptions.iter().enumerate() {
        for stream in streams {
            seen.entry(stream.clone()).or_insert_with(|| {
                topics.push((stream.clone(), conn));
            });
        }
    }
    topics
}

/// The request publishing `events` (topic index, sequence number), stamped `sent_us`.
fn request(target: Target, topics: &[(String, usize)], events: &[(usize, u64)], sent_us: u64) -> Request {
    let tick = |seq: u64| json!({"version": 1, "seq": seq, "sent_us": sent_us});
    let count = events.len() as u64;
    match target {
        Target::Topicwire => {
            let body: Vec<_> =
                events.iter().map(|&(topic, seq)| json!({"stream": topics[topic].0, "tick": tick(seq)})).collect();
            Request {
                path: "/api/v1/bench/publish".to_owned(),
                body: serde_json::to_vec(&body).unwrap_or_default(),
                events: count,
            }
        }
        Target::Sockudo => {
            // Pusher's data is a string: the tick as JSON text.
            let event = |&(topic, seq): &(usize, u64)| json!({"name": pusher::EVENT, "channel": topics[topic].0, "data": tick(seq).to_string()});
            let (path, body) = match events {
                [one] => (format!("/apps/{}/events", pusher::APP_ID), event(one)),
                _ => (
                    format!("/apps/{}/batch_events", pusher::APP_ID),
                    json!({"batch": events.iter().map(event).collect::<Vec<_>>()}),
                ),
            };
            let body = serde_json::to_vec(&body).unwrap_or_default();
            let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
            let query = pusher::signed_query("POST", &path, &body, pusher::APP_KEY, pusher::APP_SECRET, timestamp);
            Request { path: format!("{path}?{query}"), body, events: count }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_listed_once_with_their_first_subscriber() {
        let subscriptions = Layout::new(4, 1, Some(2), 10, 1).subscriptions();
        assert_eq!(first_subscribers(&subscriptions), [("s0".to_owned(), 0), ("s1".to_owned(), 1)]);
        let own = Layout::new(2, 2, None, 100, 1).subscriptions();
        let topics: Vec<_> =
            first_subscribers(&own).into_iter().map(|(topic, conn)| format!("{topic}@{conn}")).collect();
        assert_eq!(topics, ["c0-0@0", "c0-1@0", "c1-0@1", "c1-1@1"]);
    }

    #[test]
    fn requests_carry_the_ticks_each_server_expects() {
        let topics = [("s0".to_owned(), 0), ("s1".to_owned(), 1)];
        let probe = request(Target::Topicwire, &topics, &[(0, 3), (1, 4)], 7);
        assert_eq!(probe.path, "/api/v1/bench/publish");
        assert_eq!(
            String::from_utf8(probe.body).unwrap(),
            r#"[{"stream":"s0","tick":{"sent_us":7,"seq":3,"version":1}},{"stream":"s1","tick":{"sent_us":7,"seq":4,"version":1}}]"#
        );
        let one = request(Target::Sockudo, &topics, &[(1, 4)], 7);
        assert!(one.path.starts_with("/apps/bench/events?auth_key=bench-key&auth_timestamp="), "{}", one.path);
        assert!(one.path.contains("&body_md5=") && one.path.contains("&auth_signature="));
        assert_eq!(
            String::from_utf8(one.body).unwrap(),
            r#"{"channel":"s1","data":"{\"sent_us\":7,\"seq\":4,\"version\":1}","name":"tick"}"#
        );
        let batch = request(Target::Sockudo, &topics, &[(0, 3), (1, 4)], 7);
        assert!(batch.path.starts_with("/apps/bench/batch_events?"));
        assert_eq!(batch.events, 2);
    }
}

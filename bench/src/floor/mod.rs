//! The floor: the least any server can spend fanning out the benchmarks'
//! updates, as the reference Topicwire's fan-out rows are divided by.
//!
//! One thread, one epoll loop (mio), non-blocking sockets with `TCP_NODELAY`.
//! Each topic ticks on its own timer from its first subscription, as the
//! probe component's topics do on the host; a tick builds the topic's update
//! frame once (the probe's shape and size, stamped with its send time) and
//! writes it with one `write()` per subscriber. Nothing is queued: a
//! subscriber whose socket is full misses the update, and one whose write was
//! partial misses updates until its tail is out, so the floor never does more
//! than one write per subscriber per update.

mod handshake;
mod messages;
mod wire;

use anyhow::{Context, Result};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Serves the floor baseline of one fan-out scenario.
#[derive(Debug, clap::Args)]
pub(crate) struct FloorArgs {
    /// Where to listen.
    #[arg(long)]
    listen: SocketAddr,
    /// Milliseconds between a topic's ticks (the probe's `TICK_MS`).
    #[arg(long)]
    tick_ms: u64,
    /// Updates per tick (the probe's `BURST`).
    #[arg(long, default_value_t = 1)]
    burst: u64,
    /// Tick each topic at the phase the host gives it (keyed by its first
    /// subscriber, spread over the period) instead of one period after its
    /// first subscription.
    #[arg(long)]
    spread: bool,
}

const LISTENER: Token = Token(0);
/// A request head or client frame larger than this closes the connection.
const MAX_INPUT: usize = 64 * 1024;

/// Serves until killed.
pub(crate) fn serve(args: &FloorArgs) -> Result<()> {
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(args.listen).with_context(|| format!("cannot listen on {}", args.listen))?;
    poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut floor = Floor::new(Duration::from_millis(args.tick_ms.max(1)), args.burst, args.spread);
    let mut events = Events::with_capacity(1024);
    loop {
        let timeout = floor.next_due().map(|due| due.saturating_duration_since(Instant::now()));
        match poll.poll(&mut events, timeout) {
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            result => result?,
        }
        for event in &events {
            if event.token() == LISTENER {
                floor.accept(&listener, poll.registry());
            } else {
                floor.ready(event.token().0 - 1, poll.registry());
            }
        }
        floor.tick(Instant::now(), poll.registry());
    }
}

/// Everything the loop owns.
struct Floor {
    period: Duration,
    burst: u64,
    /// Ticks at the host's phases (`--spread`), counted from `started`.
    spread: bool,
    started: Instant,
    /// Connection slots; slot `i` is registered as `Token(i + 1)`.
    connections: Vec<Option<Connection>>,
    free_slots: Vec<usize>,
    topics: Vec<Topic>,
    topic_ids: HashMap<String, usize>,
    /// When each topic ticks next.
    due: BinaryHeap<Reverse<(Instant, usize)>>,
    /// Slots to close once the current pass over them is done.
    closing: Vec<usize>,
    /// Reused for every update: its JSON, then its frame.
    update: Vec<u8>,
    frame: Vec<u8>,
}

struct Topic {
    prefix: String,
    seq: u64,
    subscribers: Vec<usize>,
}

struct Connection {
    stream: TcpStream,
    token: Token,
    upgraded: bool,
    input: Vec<u8>,
    /// The unwritten tail of a partial write, sent when the socket is writable again.
    unsent: Vec<u8>,
    topics: Vec<usize>,
}

/// What one client asked for, taken out of its input.
enum Request {
    Subscribe(String),
    Close,
}

impl Floor {
    fn new(period: Duration, burst: u64, spread: bool) -> Self {
        Self {
            period,
            burst,
            spread,
            started: Instant::now(),
            connections: Vec::new(),
            free_slots: Vec::new(),
            topics: Vec::new(),
            topic_ids: HashMap::new(),
            due: BinaryHeap::new(),
            closing: Vec::new(),
            update: Vec::new(),
            frame: Vec::new(),
        }
    }

    fn next_due(&self) -> Option<Instant> {
        self.due.peek().map(|Reverse((at, _))| *at)
    }

    fn accept(&mut self, listener: &TcpListener, registry: &Registry) {
        // Any error but WouldBlock (e.g. out of file descriptors) also ends the
        // pass: the next connection attempt raises readiness again.
        while let Ok((mut stream, _)) = listener.accept() {
            let _ = stream.set_nodelay(true);
            let slot = self.free_slots.pop().unwrap_or_else(|| {
                self.connections.push(None);
                self.connections.len() - 1
            });
            if registry.register(&mut stream, Token(slot + 1), Interest::READABLE).is_err() {
                self.free_slots.push(slot);
                continue;
            }
            self.connections[slot] = Some(Connection {
                stream,
                token: Token(slot + 1),
                upgraded: false,
                input: Vec::new(),
                unsent: Vec::new(),
                topics: Vec::new(),
            });
        }
    }

    /// The socket in `slot` is readable or writable.
    fn ready(&mut self, slot: usize, registry: &Registry) {
        let Some(Some(connection)) = self.connections.get_mut(slot) else { return };
        let requests = connection.flush(registry).and_then(|()| connection.receive(registry));
        match requests {
            Ok(requests) => {
                for request in requests {
                    match request {
                        Request::Subscribe(stream) => self.subscribe(slot, &stream, registry),
                        Request::Close => self.closing.push(slot),
                    }
                }
            }
            Err(Closed) => self.closing.push(slot),
        }
        self.close(registry);
    }

    /// The host's first tick for a topic whose first subscriber is `slot`:
    /// within a period after `now`, at the phase keyed by the subscriber.
    fn at_host_phase(&self, slot: usize, now: Instant) -> Instant {
        use topicwire::runtime::timers::{next_at_phase, phase};
        let phase = phase(&(slot as u64).to_le_bytes(), self.period);
        self.started + next_at_phase(now.saturating_duration_since(self.started), self.period, phase)
    }

    fn subscribe(&mut self, slot: usize, stream: &str, registry: &Registry) {
        let topic = messages::topic(stream);
        let id = match self.topic_ids.get(&topic) {
            Some(&id) => id,
            None => {
                let id = self.topics.len();
                self.topics.push(Topic { prefix: messages::update_prefix(&topic), seq: 0, subscribers: Vec::new() });
                self.topic_ids.insert(topic.clone(), id);
                let now = Instant::now();
                let first = if self.spread { self.at_host_phase(slot, now) } else { now + self.period };
                self.due.push(Reverse((first, id)));
                id
            }
        };
        let Some(Some(connection)) = self.connections.get_mut(slot) else { return };
        if !connection.topics.contains(&id) {
            connection.topics.push(id);
            self.topics[id].subscribers.push(slot);
        }
        self.frame.clear();
        wire::put_text_frame(messages::subscribed(&topic).as_bytes(), &mut self.frame);
        if connection.send_reply(&self.frame, registry).is_err() {
            self.closing.push(slot);
        }
    }

    /// Publishes every topic due by `now`; a topic that fell more than a
    /// period behind skips the missed ticks, as the host's timers do.
    fn tick(&mut self, now: Instant, registry: &Registry) {
        while let Some(&Reverse((at, id))) = self.due.peek() {
            if at > now {
                break;
            }
            self.due.pop();
            self.publish(id, registry);
            let next = if at + self.period >= now { at + self.period } else { now + self.period };
            self.due.push(Reverse((next, id)));
        }
        self.close(registry);
    }

    fn publish(&mut self, id: usize, registry: &Registry) {
        let Self { topics, connections, closing, update, frame, burst, .. } = self;
        let topic = &mut topics[id];
        if topic.subscribers.is_empty() {
            return;
        }
        for _ in 0..*burst {
            update.clear();
            messages::put_update(&topic.prefix, topic.seq, crate::load::now_us(), update);
            topic.seq += 1;
            frame.clear();
            wire::put_text_frame(update, frame);
            for &slot in &topic.subscribers {
                if let Some(Some(connection)) = connections.get_mut(slot)
                    && connection.send_update(frame, registry).is_err()
                {
                    closing.push(slot);
                }
            }
        }
    }

    /// Closes the connections marked for closing.
    fn close(&mut self, registry: &Registry) {
        while let Some(slot) = self.closing.pop() {
            let Some(mut connection) = self.connections.get_mut(slot).and_then(Option::take) else { continue };
            let _ = registry.deregister(&mut connection.stream);
            for id in connection.topics {
                self.topics[id].subscribers.retain(|&subscriber| subscriber != slot);
            }
            self.free_slots.push(slot);
        }
    }
}

/// The connection failed or ended: it is closed.
#[derive(Debug)]
struct Closed;

impl Connection {
    /// Writes an update whole, or starts it and keeps the tail; skips it while
    /// an earlier tail is still out or the socket is full.
    fn send_update(&mut self, frame: &[u8], registry: &Registry) -> Result<(), Closed> {
        if !self.unsent.is_empty() {
            return Ok(());
        }
        match write_once(&mut self.stream, frame) {
            Ok(written) if written == frame.len() => Ok(()),
            Ok(written) => self.keep_unsent(&frame[written..], registry),
            Err(error) if error.kind() == ErrorKind::WouldBlock => Ok(()),
            Err(_) => Err(Closed),
        }
    }

    /// Writes a reply (handshake, subscribe answer), which is never skipped.
    fn send_reply(&mut self, frame: &[u8], registry: &Registry) -> Result<(), Closed> {
        if !self.unsent.is_empty() {
            self.unsent.extend_from_slice(frame);
            return Ok(());
        }
        match write_once(&mut self.stream, frame) {
            Ok(written) if written == frame.len() => Ok(()),
            Ok(written) => self.keep_unsent(&frame[written..], registry),
            Err(error) if error.kind() == ErrorKind::WouldBlock => self.keep_unsent(frame, registry),
            Err(_) => Err(Closed),
        }
    }

    fn keep_unsent(&mut self, tail: &[u8], registry: &Registry) -> Result<(), Closed> {
        self.unsent.extend_from_slice(tail);
        registry.reregister(&mut self.stream, self.token, Interest::READABLE | Interest::WRITABLE).map_err(|_| Closed)
    }

    /// Writes what is left of a partial write, if the socket takes it.
    fn flush(&mut self, registry: &Registry) -> Result<(), Closed> {
        if self.unsent.is_empty() {
            return Ok(());
        }
        match write_once(&mut self.stream, &self.unsent) {
            Ok(written) => {
                self.unsent.drain(..written);
                if self.unsent.is_empty() {
                    registry.reregister(&mut self.stream, self.token, Interest::READABLE).map_err(|_| Closed)?;
                }
                Ok(())
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => Ok(()),
            Err(_) => Err(Closed),
        }
    }

    /// Reads everything available; answers the upgrade; returns the client's requests.
    fn receive(&mut self, registry: &Registry) -> Result<Vec<Request>, Closed> {
        let mut chunk = [0; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(Closed),
                Ok(read) => self.input.extend_from_slice(&chunk[..read]),
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Err(Closed),
            }
        }
        if !self.upgraded {
            let Some(head_len) = handshake::head_len(&self.input) else {
                return if self.input.len() > MAX_INPUT { Err(Closed) } else { Ok(Vec::new()) };
            };
            let key = handshake::websocket_key(&self.input[..head_len]).ok_or(Closed)?;
            let answer = handshake::switching_protocols(key);
            self.input.drain(..head_len);
            self.upgraded = true;
            self.send_reply(answer.as_bytes(), registry)?;
        }
        let mut requests = Vec::new();
        let mut taken_total = 0;
        while let Some((frame, taken)) =
            wire::decode_client_frame(&self.input[taken_total..], MAX_INPUT).map_err(|_| Closed)?
        {
            taken_total += taken;
            match frame.opcode {
                wire::TEXT => requests.extend(messages::subscribed_stream(&frame.payload).map(Request::Subscribe)),
                wire::CLOSE => requests.push(Request::Close),
                _ => {}
            }
        }
        self.input.drain(..taken_total);
        Ok(requests)
    }
}

/// One `write()` call, retried only when a signal interrupted it.
fn write_once(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<usize> {
    loop {
        match stream.write(bytes) {
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

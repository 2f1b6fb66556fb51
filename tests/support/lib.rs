//! Test support: start the real host on a loopback port with real built
//! components in a temporary folder, and talk to it like a client would.
//!
//! Helpers wait for events (a frame, a state in `/api/v1/modules`) with a
//! generous deadline that only fails a broken test; nothing sleeps blindly.
//! Whatever has to be polled is polled by [`poll_until`]. "Nothing arrived"
//! is proved by [`Client::barrier`], not by a window of silence: the
//! module's actor handles one command at a time and its reply shares the
//! connection's outbox with the updates, so the reply to a later request
//! comes after every frame queued before it.
//!
//! - [`python`]: the Python components, and running a scenario for the Rust and the Python probe.
//! - [`raw`]: a WebSocket client that sends frames byte by byte, for protocol violations.
//! - [`shared_cache`]: the fixtures' compilations, shared between the hosts' cache folders.
//! - [`tokens`]: signing test tokens with the keys in `tests/fixtures/keys`.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc, reason = "test support: a failed unwrap is a failed test")]

pub mod nats;
pub mod proxy;
pub mod python;
pub mod raw;
pub mod shared_cache;
pub mod tokens;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use topicwire::config::{Config, ConfigSources};

mod process;
pub use process::{HostProcess, run_command};

/// The real datafeed component, built for wasm32-wasip2 by this crate's build script.
pub const DATAFEED_WASM: &str = env!("DATAFEED_WASM");
/// The real broker component.
pub const BROKER_WASM: &str = env!("BROKER_WASM");
/// The probe fixture, version 1 (see `tests/fixtures/probe`).
pub const PROBE_WASM: &str = env!("PROBE_WASM");
/// The probe fixture, version 2.
pub const PROBE_V2_WASM: &str = env!("PROBE_V2_WASM");
/// The ledger fixture, version 1: durable accounts (see `tests/fixtures/ledger`).
pub const LEDGER_WASM: &str = env!("LEDGER_WASM");
/// The ledger fixture, version 2: another stored format, migrated from version 1's.
pub const LEDGER_V2_WASM: &str = env!("LEDGER_V2_WASM");
/// The legacy fixture: a component of the first world version, `topicwire:ws@0.1.0`
/// (see `tests/fixtures/legacy`).
pub const LEGACY_WASM: &str = env!("LEGACY_WASM");
/// The fixture of the previous world version, `topicwire:ws@0.2.0`: topic
/// strings to its timers (see `tests/fixtures/legacy-0-2`).
pub const LEGACY_0_2_WASM: &str = env!("LEGACY_0_2_WASM");

/// How long any awaited event may take before the test fails: generous, so
/// that only a broken test fails, even on two busy cores where a test's host
/// compiles a changed component with the test profile's Cranelift.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// How often [`poll_until`] looks again.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// Calls `attempt` until it gives a value, every 20 ms, and returns the value;
/// fails the test after [`DEADLINE`], saying `what` was awaited and what
/// `attempt` last reported (its `Err`).
pub async fn poll_until<T, E: std::fmt::Debug>(what: &str, mut attempt: impl AsyncFnMut() -> Result<T, E>) -> T {
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(last) => {
                assert!(tokio::time::Instant::now() < until, "timed out waiting until {what}; last: {last:?}");
            }
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// A temporary folder, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty folder.
    pub fn new(label: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("topicwire-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The folders a host uses: components, the compiled-component cache and modules' state.
///
/// The cache starts with the fixtures' compilations other hosts of the tests
/// made, and shares the ones its host makes (see [`shared_cache`]), unless it
/// is made [`HostDirs::cold`].
pub struct HostDirs {
    /// The watched components folder.
    pub components: TempDir,
    /// The compiled-component cache.
    pub cache: TempDir,
    /// Modules' state (`--data-dir`).
    pub data: TempDir,
    /// Whether the cache takes part in [`shared_cache`].
    shares_cache: bool,
}

impl HostDirs {
    /// Fresh folders; the cache holds the fixtures' shared compilations.
    pub fn new() -> Self {
        let dirs = Self::fresh(true);
        shared_cache::seed(dirs.cache.path());
        dirs
    }

    /// Fresh folders with `components` (`(module name, wasm file)`) copied in.
    pub fn with(components: &[(&str, &str)]) -> Self {
        let dirs = Self::new();
        dirs.copy_in(components);
        dirs
    }

    /// Fresh folders with `components` copied in and an empty cache of its
    /// own, for tests of the cache itself.
    pub fn cold(components: &[(&str, &str)]) -> Self {
        let dirs = Self::fresh(false);
        dirs.copy_in(components);
        dirs
    }

    fn fresh(shares_cache: bool) -> Self {
        Self {
            components: TempDir::new("components"),
            cache: TempDir::new("cache"),
            data: TempDir::new("data"),
            shares_cache,
        }
    }

    fn copy_in(&self, components: &[(&str, &str)]) {
        for (module, wasm) in components {
            std::fs::copy(wasm, self.components.path().join(format!("{module}.wasm"))).unwrap();
        }
    }

    /// The data file of `module` (the embedded backend's layout).
    pub fn data_file(&self, module: &str) -> PathBuf {
        self.data.path().join(format!("{module}.redb"))
    }

    /// Puts the shared compilations back before a file changes: the host
    /// prunes its cache to the files present, and a fixture that was not
    /// present yet (a version 2, a module added later) must not recompile
    /// (seconds for a Python fixture, past what an awaited event may take).
    pub fn reseed(&self) {
        if self.shares_cache {
            shared_cache::seed(self.cache.path());
        }
    }

    /// Shares what the host compiled so far (it also happens on drop).
    pub fn share_compiled(&self) {
        if self.shares_cache {
            shared_cache::hand_back(self.cache.path());
        }
    }
}

impl Default for HostDirs {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for HostDirs {
    fn drop(&mut self) {
        self.share_compiled();
    }
}

/// A running host.
pub struct Host {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its folders.
    pub dirs: HostDirs,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// The `[auth] admin_token`, presented when reading `/api/v1/modules`.
    admin_token: Option<String>,
}

impl Host {
    /// Starts a host serving `components` (`(module name, wasm file)`), configured by `config` (TOML).
    pub async fn start_with(components: &[(&str, &str)], config: &str) -> Self {
        Self::start_in(HostDirs::with(components), config).await
    }

    /// Starts a host on existing folders (e.g. those of a stopped host).
    pub async fn start_in(dirs: HostDirs, config: &str) -> Self {
        let sources = ConfigSources {
            components_dir: Some(dirs.components.path().to_owned()),
            cache_dir: Some(dirs.cache.path().to_owned()),
            data_dir: Some(dirs.data.path().to_owned()),
            ..ConfigSources::default()
        };
        let config = Config::from_toml(config, &sources).unwrap();
        let admin_token = config.auth.admin_token.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(topicwire::server::run(listener, config, shutdown.clone()));
        let host = Self { addr, dirs, shutdown, task, admin_token };
        host.eventually("the host serves", |modules| modules["modules"].as_array().is_some()).await;
        host.dirs.share_compiled();
        host
    }

    /// The path of `module`'s component file.
    pub fn file(&self, module: &str) -> PathBuf {
        self.dirs.components.path().join(format!("{module}.wasm"))
    }

    /// Replaces `module`'s file with `wasm` by an atomic rename.
    pub fn rename_over(&self, module: &str, wasm: &str) {
        self.dirs.reseed();
        let temporary = self.dirs.components.path().join(format!(".{module}.wasm.part"));
        std::fs::copy(wasm, &temporary).unwrap();
        std::fs::rename(&temporary, self.file(module)).unwrap();
    }

    /// Writes `bytes` over `module`'s file in place (as `cp` does).
    pub fn write_over(&self, module: &str, bytes: &[u8]) {
        self.dirs.reseed();
        std::fs::write(self.file(module), bytes).unwrap();
    }

    /// The status of `module` in `/api/v1/modules`, if loaded.
    pub async fn module(&self, module: &str) -> Option<Value> {
        let modules = self.modules().await;
        modules["modules"].as_array().unwrap().iter().find(|entry| entry["module"] == module).cloned()
    }

    /// Starts a host serving the datafeed component with fast ticks.
    pub async fn datafeed() -> Self {
        Self::start_with(&[("datafeed", DATAFEED_WASM)], "[modules.datafeed]\nTICK_MS = 50\n").await
    }

    /// `ws://.../api/v1/{module}/ws`.
    pub fn ws_url(&self, module: &str) -> String {
        format!("ws://{}/api/v1/{module}/ws", self.addr)
    }

    /// A client connected to `module`.
    pub async fn client(&self, module: &str) -> Client {
        Client::connect(&self.ws_url(module)).await
    }

    /// A client connected to `module` with `token` as `Authorization: Bearer`.
    pub async fn client_with_token(&self, module: &str, token: &str) -> Client {
        let bearer = format!("Bearer {token}");
        Client::try_connect(&self.ws_url(module), &[("Authorization", &bearer)]).await.unwrap()
    }

    /// `GET path`: status and body (JSON, or a string).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        http_get(self.addr, path).await
    }

    /// `GET /api/v1/modules`, as the admin when the host has an admin token.
    pub async fn modules(&self) -> Value {
        self.modules_as_admin().await.1
    }

    async fn modules_as_admin(&self) -> (u16, Value) {
        match &self.admin_token {
            Some(token) => {
                let bearer = format!("Bearer {token}");
                http_request(self.addr, "GET", "/api/v1/modules", &[("Authorization", &bearer)], "").await
            }
            None => http_get(self.addr, "/api/v1/modules").await,
        }
    }

    /// Live topics of `module` as `(topic, subscribers)`.
    pub async fn topics(&self, module: &str) -> Vec<(String, u64)> {
        let modules = self.modules().await;
        let Some(entry) = modules["modules"].as_array().unwrap().iter().find(|entry| entry["module"] == module) else {
            return Vec::new();
        };
        entry["topics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|topic| (topic["topic"].as_str().unwrap().to_owned(), topic["subscribers"].as_u64().unwrap()))
            .collect()
    }

    /// Waits until `/api/v1/modules` satisfies `condition`.
    pub async fn eventually(&self, what: &str, condition: impl Fn(&Value) -> bool) -> Value {
        poll_until(what, async || {
            let (status, modules) = self.modules_as_admin().await;
            if status == 200 && condition(&modules) { Ok(modules) } else { Err(modules.to_string()) }
        })
        .await
    }

    /// `GET /metrics`: the value of the sample `name` (with its labels, e.g.
    /// `topicwire_connections_closed_total{code="1008"}`), if the host reports
    /// it as a whole number (as it does every count).
    pub async fn metric(&self, name: &str) -> Option<u64> {
        let (_, text) = self.get("/metrics").await;
        let text = text.as_str()?.to_owned();
        text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    /// Asks the host to shut down (as Ctrl-C does) and waits for it to
    /// return. Returns its folders, for a restart (dropping them deletes them).
    pub async fn stop(self) -> HostDirs {
        self.shutdown.cancel();
        tokio::time::timeout(DEADLINE, self.task).await.expect("the host shuts down").unwrap().unwrap();
        self.dirs
    }
}

/// A WebSocket client.
pub struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Barriers sent so far: each names a route of its own, so its reply is known.
    barriers: u64,
}

/// An upgrade the server refused: its HTTP status and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    /// HTTP status.
    pub status: u16,
    /// The body, as JSON when it is JSON.
    pub body: Value,
}

impl Client {
    /// Connects to `url`.
    pub async fn connect(url: &str) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Self { socket, barriers: 0 }
    }

    /// Connects to `url` sending `headers` with the upgrade; the refusal if the server answers otherwise.
    pub async fn try_connect(url: &str, headers: &[(&str, &str)]) -> Result<Self, Refused> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().unwrap();
        for (name, value) in headers {
            let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(Self { socket, barriers: 0 }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let body = response.body().clone().unwrap_or_default();
                let body = serde_json::from_slice(&body)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
                Err(Refused { status: response.status().as_u16(), body })
            }
            Err(error) => panic!("cannot connect to {url}: {error}"),
        }
    }

    /// Connects to `url` over a socket whose receive buffer holds little, so
    /// a client that stops reading backs the server up quickly.
    pub async fn connect_with_small_buffer(url: &str) -> Self {
        let addr: SocketAddr = url.trim_start_matches("ws://").split('/').next().unwrap().parse().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(addr).await.unwrap();
        let (socket, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream)).await.unwrap();
        Self { socket, barriers: 0 }
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.socket.send(Message::text(text)).await.unwrap();
    }

    /// Sends any frame.
    pub async fn send_message(&mut self, message: Message) {
        self.socket.send(message).await.unwrap();
    }

    /// The next text frame as JSON, within [`DEADLINE`] however many pings
    /// and pongs come meanwhile.
    pub async fn recv(&mut self) -> Value {
        self.recv_before(tokio::time::Instant::now() + DEADLINE).await
    }

    /// The next text frame as JSON, arriving before `until`.
    async fn recv_before(&mut self, until: tokio::time::Instant) -> Value {
        loop {
            let message = tokio::time::timeout_at(until, self.socket.next())
                .await
                .expect("a message in time")
                .expect("the connection is open")
                .unwrap();
            match message {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                Message::Close(frame) => panic!("unexpected close: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// The next message of type `kind`, skipping others (e.g. updates), within [`DEADLINE`].
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        let until = tokio::time::Instant::now() + DEADLINE;
        loop {
            let message = self.recv_before(until).await;
            if message["type"] == kind {
                return message;
            }
        }
    }

    /// Every text frame the server queued for this connection before it
    /// answered a request sent now; the answer itself is not among them.
    ///
    /// The request (an unsubscribe of a route no module serves) passes
    /// through the module's actor like any other, after everything it did
    /// before, and its reply goes into the connection's outbox behind every
    /// update queued before it. So once it is back, "nothing of X arrived"
    /// is certain for everything the module did before: no window of silence
    /// to guess. (A client that fell behind far enough for its updates to be
    /// kept aside is the exception: replies overtake what is kept aside.)
    pub async fn barrier(&mut self) -> Vec<Value> {
        self.barriers += 1;
        let route = format!("test-barrier-{}", self.barriers);
        self.send_text(&json!({"type": format!("{route}.unsubscribe"), "payload": {}}).to_string()).await;
        let reply = format!("{route}.unsubscribe.response");
        let until = tokio::time::Instant::now() + DEADLINE;
        let mut before = Vec::new();
        loop {
            let message = self.recv_before(until).await;
            if message["type"] == reply.as_str() {
                assert_eq!(message["payload"]["status"], "error", "the barrier's route is served: {message}");
                return before;
            }
            before.push(message);
        }
    }

    /// Subscribes; returns the response's payload.
    pub async fn subscribe(&mut self, route: &str, request: Value) -> Value {
        self.send_text(&json!({"type": format!("{route}.subscribe"), "payload": request}).to_string()).await;
        self.recv_type(&format!("{route}.subscribe.response")).await["payload"].clone()
    }

    /// Subscribes giving the last position seen (`{"epoch":...,"offset":...}`,
    /// as a response or an update gave it); returns the response's payload.
    pub async fn subscribe_since(&mut self, route: &str, request: Value, since: Value) -> Value {
        let message = json!({"type": format!("{route}.subscribe"), "payload": request, "since": since});
        self.send_text(&message.to_string()).await;
        self.recv_type(&format!("{route}.subscribe.response")).await["payload"].clone()
    }

    /// Unsubscribes; returns the response's payload.
    pub async fn unsubscribe(&mut self, route: &str, request: Value) -> Value {
        self.send_text(&json!({"type": format!("{route}.unsubscribe"), "payload": request}).to_string()).await;
        self.recv_type(&format!("{route}.unsubscribe.response")).await["payload"].clone()
    }

    /// The payload of the next `<route>.update`.
    pub async fn next_update(&mut self, route: &str) -> Value {
        self.recv_type(&format!("{route}.update")).await["payload"].clone()
    }

    /// Waits for the server's close frame; returns its code and reason.
    pub async fn expect_close(&mut self) -> (u16, String) {
        let until = tokio::time::Instant::now() + DEADLINE;
        loop {
            let message = tokio::time::timeout_at(until, self.socket.next()).await.expect("a close in time");
            match message {
                Some(Ok(Message::Close(Some(frame)))) => return (u16::from(frame.code), frame.reason.to_string()),
                Some(Ok(Message::Close(None))) | None => panic!("closed without a close frame"),
                Some(Err(err)) => panic!("connection error before a close frame: {err}"),
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Reads everything the server sent until the connection ends; the close
    /// code if it ended with a close frame.
    pub async fn read_to_end(&mut self) -> Option<u16> {
        self.frames_to_end().await.1.map(|(code, _)| code)
    }

    /// Every text frame the server sent until the connection ended, and its
    /// close code and reason if it ended with a close frame.
    pub async fn frames_to_end(&mut self) -> (Vec<Value>, Option<(u16, String)>) {
        let mut frames = Vec::new();
        let until = tokio::time::Instant::now() + DEADLINE;
        loop {
            match tokio::time::timeout_at(until, self.socket.next()).await.expect("the connection ends in time") {
                Some(Ok(Message::Text(text))) => frames.push(serde_json::from_str(&text).unwrap()),
                Some(Ok(Message::Close(frame))) => {
                    return (frames, frame.map(|frame| (u16::from(frame.code), frame.reason.to_string())));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return (frames, None),
            }
        }
    }

    /// Drops the TCP connection without a close handshake.
    pub fn drop_abruptly(self) {
        drop(self.socket.into_inner());
    }

    /// Resets the TCP connection (an RST, as a network cut looks to the server).
    pub fn reset(self) {
        if let MaybeTlsStream::Plain(stream) = self.socket.get_ref() {
            stream.set_zero_linger().unwrap();
        }
        drop(self.socket.into_inner());
    }
}

/// Sends `request` as raw bytes on a new connection and reads the answer to
/// its end: status code, head and body.
pub async fn http_raw(addr: SocketAddr, request: &[u8]) -> (u16, String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut response)).await.expect("a response in time").unwrap();
    let split = response.windows(4).position(|window| window == b"\r\n\r\n").unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let body = response.get(split + 4..).unwrap_or_default().to_vec();
    let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, head, body)
}

/// A minimal HTTP/1.1 GET: status code and body (parsed as JSON when it is JSON).
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, Value) {
    http_request(addr, "GET", path, &[], "").await
}

/// A minimal HTTP/1.1 request with `headers` and a `body`: status code and
/// response body (parsed as JSON when it is JSON).
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    http_request_bytes(addr, method, path, headers, body.as_bytes()).await
}

/// [`http_request`] with a body of any bytes.
pub async fn http_request_bytes(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let extra: String = headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut response)).await.expect("a response in time").unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_owned() };
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, body)
}

/// Decodes an HTTP/1.1 chunked body.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// `wasm` (a component file) with a custom section appended: the same
/// component under another content hash, e.g. to hot-reload a module with
/// itself. `tag` tells the variants apart.
pub fn with_custom_section(wasm: &str, tag: &str) -> Vec<u8> {
    fn leb128(mut value: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                return out.push(byte);
            }
            out.push(byte | 0x80);
        }
    }
    let name = b"topicwire-test";
    let mut payload = Vec::new();
    leb128(name.len(), &mut payload);
    payload.extend_from_slice(name);
    payload.extend_from_slice(tag.as_bytes());
    let mut bytes = std::fs::read(wasm).unwrap();
    bytes.push(0); // custom section id
    leb128(payload.len(), &mut bytes);
    bytes.extend_from_slice(&payload);
    bytes
}

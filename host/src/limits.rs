//! Every limit of the host, declared once, and per-module settings: the leaf
//! every layer reads, so no layer needs the whole configuration.
//!
//! Each limit is declared once in [`limits!`], which gives it a field in
//! [`Limits`], a `--kebab-case` flag and a `[limits]` key of the same name in
//! snake case, and its documented default. [`crate::config`] layers them.

use serde::Deserialize;
use std::collections::BTreeMap;

/// Declares the limits: one line each, name, type, default and doc.
macro_rules! limits {
    ($($(#[doc = $doc:literal])+ $name:ident: $ty:ty = $default:expr;)+) => {
        /// Every limit, resolved. See the README's configuration table.
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub struct Limits {
            $($(#[doc = $doc])+ pub $name: $ty,)+
        }

        impl Default for Limits {
            fn default() -> Self {
                Self { $($name: $default,)+ }
            }
        }

        /// Limits given as flags to `topicwire serve`; unset ones fall back to
        /// the config file, then to the defaults.
        #[derive(Debug, Clone, Default, clap::Args)]
        pub struct LimitFlags {
            $($(#[doc = $doc])+ #[arg(long)] pub $name: Option<$ty>,)+
        }

        /// The `[limits]` table of the config file.
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct LimitsFile {
            $($name: Option<$ty>,)+
        }

        impl Limits {
            pub(crate) fn layered(file: &LimitsFile, flags: &LimitFlags) -> Self {
                let defaults = Self::default();
                Self { $($name: flags.$name.or(file.$name).unwrap_or(defaults.$name),)+ }
            }

            /// `(name, default, doc)` of every limit, for documentation.
            pub fn table() -> Vec<(&'static str, String, &'static str)> {
                let defaults = Self::default();
                vec![$((stringify!($name), format!("{:?}", defaults.$name), concat!($($doc),+)),)+]
            }
        }
    };
}

limits! {
    /// Maximum simultaneous WebSocket connections (all modules).
    max_connections: usize = 10_000;
    /// Maximum simultaneous WebSocket connections from one IP address (0 = unlimited); more get 429.
    max_connections_per_ip: usize = 1_000;
    /// Maximum open HTTP connections that are not WebSockets; past it new connections wait to be accepted.
    max_http_connections: usize = 1_024;
    /// Milliseconds a client has to send a request's headers (also between requests on a kept-alive connection).
    http_header_timeout_ms: u64 = 10_000;
    /// Milliseconds a client has to send a REST request's whole body (408 beyond).
    http_body_timeout_ms: u64 = 10_000;
    /// Largest header block (names and values) a REST request may carry to a module, bytes (400 beyond).
    max_http_header_bytes: usize = 16 * 1024;
    /// Maximum size of one client frame, bytes; larger frames close the connection with 1009.
    max_frame_bytes: usize = 64 * 1024;
    /// Maximum topics one connection may subscribe to.
    max_subscriptions_per_connection: usize = 100;
    /// Largest subscribe or unsubscribe payload, bytes; larger ones are refused before reaching the module.
    max_request_bytes: usize = 4 * 1024;
    /// Largest topic a module may build, bytes (a topic is repeated in every update frame); larger ones are refused.
    max_topic_bytes: usize = 1024;
    /// Client messages allowed per second per connection (sustained); a client over it is closed with 1008.
    client_messages_per_second: u32 = 50;
    /// Client messages allowed in a burst above the sustained rate.
    client_message_burst: u32 = 200;
    /// Frames queued for one connection; when full, only the latest update per topic is kept (conflation).
    outgoing_queue_frames: usize = 4096;
    /// Kernel send buffer of each client connection, bytes (0 = the OS default, which grows to megabytes): bounds what a client that stops reading holds, and how soon it counts as a slow consumer.
    socket_send_buffer_bytes: usize = 256 * 1024;
    /// Milliseconds a connection's queue may stay overflowing before it is closed with 1008 (slow consumer).
    slow_consumer_grace_ms: u64 = 5_000;
    /// Milliseconds between server pings.
    ping_interval_ms: u64 = 15_000;
    /// Milliseconds without any frame from the client after which it is dropped as dead.
    idle_timeout_ms: u64 = 45_000;
    /// Maximum lifespan of one connection in seconds, then it is closed with 1000 (0 = unlimited).
    max_connection_lifespan_secs: u64 = 0;
    /// Milliseconds one call into a component may run before it is interrupted (trap).
    call_deadline_ms: u64 = 1_000;
    /// Linear memory one component instance may grow to, MiB.
    max_memory_mib: usize = 64;
    /// Live topics per module.
    max_topics: usize = 10_000;
    /// Timers per module.
    max_timers: usize = 10_000;
    /// Smallest timer period a component may set, milliseconds.
    min_timer_period_ms: u64 = 1;
    /// Largest update (`data` JSON) a component may publish, bytes.
    max_update_bytes: usize = 1024 * 1024;
    /// Largest request body a module's REST API accepts, bytes (413 beyond).
    max_http_body_bytes: usize = 1024 * 1024;
    /// Largest response body a module's REST API may give, bytes (502 beyond).
    max_http_response_bytes: usize = 16 * 1024 * 1024;
    /// Updates per second a module may publish (sustained, bursts of one second); the excess is dropped.
    max_updates_per_second: u64 = 200_000;
    /// Modules loaded at once: sizes the pooling allocator (two instances per module during a swap).
    max_modules: usize = 64;
    /// Requests queued for one module's instance; a REST request finding it full gets 503 with Retry-After.
    module_queue: usize = 1024;
    /// Longest key a module may store, bytes; longer keys are refused with a `wasi:keyvalue` error.
    max_key_bytes: usize = 1024;
    /// Largest value a module may store under one key, bytes.
    max_value_bytes: usize = 1024 * 1024;
    /// State one module may keep (bucket names, keys and values), bytes; writes beyond are refused.
    max_state_bytes: u64 = 64 * 1024 * 1024;
    /// Bytes every topic's history may hold together (all modules); past it a topic's oldest kept updates go.
    max_history_bytes: usize = 64 * 1024 * 1024;
    /// Updates one recovery may replay; a client that missed more is answered `recovered: false`.
    max_recovery_updates: usize = 1_000;
    /// Milliseconds a quarantined module waits before a fresh instance is tried; doubles with each consecutive quarantine (at most an hour).
    quarantine_cooldown_ms: u64 = 30_000;
}

/// Per-module settings: the `[modules.<name>]` table, given to the component
/// as its WASI environment (`TICK_MS=200`).
pub type ModuleSettings = BTreeMap<String, BTreeMap<String, String>>;

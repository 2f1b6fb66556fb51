//! Configuration: defaults, overridden by `topicwire.toml`, overridden by flags.
//!
//! Every limit is declared once in [`limits!`], which gives it a field in
//! [`Limits`], a `--kebab-case` flag and a `[limits]` key of the same name in
//! snake case, and its documented default.
//!
//! ```toml
//! listen = "127.0.0.1:8000"
//! components_dir = "components"
//! data_dir = ".topicwire-data"   # modules' state; "" keeps none
//!
//! [limits]
//! outgoing_queue_frames = 1024
//!
//! [modules.datafeed]      # the module's WASI environment
//! TICK_MS = 200
//!
//! [auth]                  # see crate::edge::auth::config
//! jwt_hs256_secret = "..."
//! ```

use crate::cluster::config::{ClusterConfig, ClusterFile, ClusterFlags};
use crate::edge::auth::config::{AuthConfig, AuthFile, AuthFlags};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
        struct LimitsFile {
            $($name: Option<$ty>,)+
        }

        impl Limits {
            fn layered(file: &LimitsFile, flags: &LimitFlags) -> Self {
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
    /// Milliseconds a quarantined module waits before a fresh instance is tried; doubles with each consecutive quarantine (at most an hour).
    quarantine_cooldown_ms: u64 = 30_000;
}

/// Per-module settings: the `[modules.<name>]` table, given to the component
/// as its WASI environment (`TICK_MS=200`).
pub type ModuleSettings = BTreeMap<String, BTreeMap<String, String>>;

/// The resolved configuration of `topicwire serve`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The folder of `*.wasm` components.
    pub components_dir: PathBuf,
    /// Where compiled components are cached (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
    /// Where modules' state is kept (`None`: no state; `wasi:keyvalue` answers `access-denied`).
    pub data_dir: Option<PathBuf>,
    /// Serve the built-in native producer under this module name (benchmark baseline).
    pub native_probe: Option<String>,
    /// Limits.
    pub limits: Limits,
    /// Settings per module name.
    pub modules: ModuleSettings,
    /// Authentication, the admin token and the origin policy.
    pub auth: AuthConfig,
    /// The cluster this node joins (none: a single node).
    pub cluster: ClusterConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            components_dir: PathBuf::from("components"),
            cache_dir: Some(PathBuf::from(DEFAULT_CACHE_DIR)),
            data_dir: Some(PathBuf::from(DEFAULT_DATA_DIR)),
            native_probe: None,
            limits: Limits::default(),
            modules: ModuleSettings::new(),
            auth: AuthConfig::default(),
            cluster: ClusterConfig::default(),
        }
    }
}

/// The config file's layout.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    listen: Option<SocketAddr>,
    components_dir: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    #[serde(default)]
    limits: LimitsFile,
    #[serde(default)]
    modules: BTreeMap<String, BTreeMap<String, toml::Value>>,
    #[serde(default)]
    auth: AuthFile,
    #[serde(default)]
    cluster: ClusterFile,
}

/// What `topicwire serve` was given on its command line.
#[derive(Debug, Clone, Default)]
pub struct ConfigSources {
    /// `--config`: an explicit file must exist; without it `topicwire.toml` is read if present.
    pub config_file: Option<PathBuf>,
    /// `--listen`.
    pub listen: Option<SocketAddr>,
    /// `--components-dir`.
    pub components_dir: Option<PathBuf>,
    /// `--cache-dir`; an empty path (`cache_dir = ""` in the file) turns the cache off.
    pub cache_dir: Option<PathBuf>,
    /// `--data-dir`; an empty path (`data_dir = ""` in the file) keeps no state.
    pub data_dir: Option<PathBuf>,
    /// `--native-probe`.
    pub native_probe: Option<String>,
    /// Limit flags.
    pub limits: LimitFlags,
    /// `[auth]` flags.
    pub auth: AuthFlags,
    /// `[cluster]` flags.
    pub cluster: ClusterFlags,
}

/// The default folder of the compiled-component cache.
pub const DEFAULT_CACHE_DIR: &str = ".topicwire-cache";

pub use crate::state::DEFAULT_DATA_DIR;

/// The default config file, read when present.
pub const DEFAULT_CONFIG_FILE: &str = "topicwire.toml";

impl Config {
    /// Layers defaults, the config file and flags.
    pub fn load(sources: &ConfigSources) -> Result<Self> {
        let file = match &sources.config_file {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => read_file(Path::new(DEFAULT_CONFIG_FILE))?,
            None => ConfigFile::default(),
        };
        Self::layer(file, sources)
    }

    /// Parses config text (as in `topicwire.toml`) layered under `sources`' flags.
    pub fn from_toml(text: &str, sources: &ConfigSources) -> Result<Self> {
        Self::layer(toml::from_str(text).context("invalid configuration")?, sources)
    }

    fn layer(file: ConfigFile, sources: &ConfigSources) -> Result<Self> {
        let defaults = Self::default();
        let mut modules = ModuleSettings::new();
        for (module, settings) in file.modules {
            let mut env = BTreeMap::new();
            for (key, value) in settings {
                let value = match value {
                    toml::Value::String(text) => text,
                    toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => value.to_string(),
                    other => bail!("[modules.{module}] {key}: expected a string, number or boolean, found {other}"),
                };
                env.insert(key, value);
            }
            modules.insert(module, env);
        }
        Ok(Self {
            listen: sources.listen.or(file.listen).unwrap_or(defaults.listen),
            components_dir: sources.components_dir.clone().or(file.components_dir).unwrap_or(defaults.components_dir),
            cache_dir: optional_dir(sources.cache_dir.clone().or(file.cache_dir), defaults.cache_dir),
            data_dir: optional_dir(sources.data_dir.clone().or(file.data_dir), defaults.data_dir),
            native_probe: sources.native_probe.clone(),
            limits: Limits::layered(&file.limits, &sources.limits),
            modules,
            auth: AuthConfig::layered(file.auth, &sources.auth)?,
            cluster: ClusterConfig::layered(file.cluster, &sources.cluster),
        })
    }
}

/// A folder setting where the empty path turns the feature off.
fn optional_dir(given: Option<PathBuf>, default: Option<PathBuf>) -> Option<PathBuf> {
    match given {
        Some(dir) if dir.as_os_str().is_empty() => None,
        Some(dir) => Some(dir),
        None => default,
    }
}

fn read_file(path: &Path) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let text = "listen = \"127.0.0.1:9000\"\n[limits]\nmax_topics = 5\noutgoing_queue_frames = 7\n\
                    [modules.datafeed]\nTICK_MS = 50\nNAME = \"x\"\n";
        let flags = LimitFlags { max_topics: Some(9), ..LimitFlags::default() };
        let config = Config::from_toml(text, &ConfigSources { limits: flags, ..ConfigSources::default() }).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.limits.max_topics, 9);
        assert_eq!(config.limits.outgoing_queue_frames, 7);
        assert_eq!(config.limits.max_frame_bytes, Limits::default().max_frame_bytes);
        assert_eq!(config.modules["datafeed"]["TICK_MS"], "50");
        assert_eq!(config.modules["datafeed"]["NAME"], "x");
    }

    #[test]
    fn an_empty_cache_dir_turns_the_cache_off() {
        assert_eq!(Config::from_toml("", &ConfigSources::default()).unwrap().cache_dir, Some(DEFAULT_CACHE_DIR.into()));
        assert_eq!(Config::from_toml("cache_dir = \"\"\n", &ConfigSources::default()).unwrap().cache_dir, None);
    }

    #[test]
    fn an_empty_data_dir_keeps_no_state() {
        assert_eq!(Config::from_toml("", &ConfigSources::default()).unwrap().data_dir, Some(DEFAULT_DATA_DIR.into()));
        assert_eq!(Config::from_toml("data_dir = \"\"\n", &ConfigSources::default()).unwrap().data_dir, None);
        let flag = ConfigSources { data_dir: Some("d".into()), ..ConfigSources::default() };
        assert_eq!(Config::from_toml("data_dir = \"f\"\n", &flag).unwrap().data_dir, Some("d".into()));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = Config::from_toml("[limits]\nmax_topic = 5\n", &ConfigSources::default()).unwrap_err();
        assert!(format!("{err:#}").contains("unknown field `max_topic`"), "{err:#}");
    }

    #[test]
    fn every_limit_is_documented() {
        assert!(Limits::table().iter().all(|(_, _, doc)| !doc.is_empty()));
    }
}

#[cfg(test)]
mod readme {
    use super::*;

    #[test]
    fn the_readme_documents_every_limit_with_its_default() {
        let readme = include_str!("../../README.md");
        for (name, default, _) in Limits::table() {
            let row = format!("| `{name}` | `--{}` | {default} |", name.replace('_', "-"));
            assert!(readme.contains(&row), "README.md lacks the row `{row}`");
        }
    }
}

//! Configuration: defaults, overridden by `topicwire.toml`, overridden by flags.
//!
//! The sum of every section, at the top: limits ([`crate::limits`]), `[auth]`
//! ([`crate::edge::auth::config`]), `[cluster]` ([`crate::cluster::config`]).
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
use crate::limits::LimitsFile;
use crate::limits::{LimitFlags, Limits, ModuleSettings};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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

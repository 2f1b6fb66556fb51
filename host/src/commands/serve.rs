//! `topicwire serve`: its arguments, layered into a [`Config`], then
//! [`crate::server::run`] until Ctrl-C or SIGTERM.

use crate::cluster::config::ClusterFlags;
use crate::config::{Config, ConfigSources};
use crate::edge::auth::config::AuthFlags;
use crate::limits::LimitFlags;
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// `topicwire serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Folder of `*.wasm` components [default: components, or `components_dir` in the config]
    #[arg(long)]
    pub components_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8000, or `listen` in the config]
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Cache of compiled components [default: .topicwire-cache, or `cache_dir` in the config; `cache_dir = ""` turns it off]
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Modules' state [default: .topicwire-data, or `data_dir` in the config; `data_dir = ""` keeps none]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Also serve the built-in native producer under this module name (the benchmarks' baseline)
    #[arg(long)]
    pub native_probe: Option<String>,
    /// Config file [default: topicwire.toml when present]
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Limits (each also a `[limits]` key of the config file).
    #[command(flatten)]
    pub limits: LimitFlags,
    /// Authentication (each also an `[auth]` key of the config file).
    #[command(flatten)]
    pub auth: AuthFlags,
    /// The cluster (each also a `[cluster]` key of the config file).
    #[command(flatten)]
    pub cluster: ClusterFlags,
}

/// Serves until a signal asks to stop.
pub async fn run(args: ServeArgs) -> Result<()> {
    let sources = ConfigSources {
        config_file: args.config,
        listen: args.listen,
        components_dir: args.components_dir,
        cache_dir: args.cache_dir,
        data_dir: args.data_dir,
        native_probe: args.native_probe,
        limits: args.limits,
        auth: args.auth,
        cluster: args.cluster,
    };
    let config = Config::load(&sources)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let shutdown = CancellationToken::new();
    crate::shutdown::on_signal(shutdown.clone());
    crate::server::run(listener, config, shutdown).await
}

//! The command line: `topicwire serve`, `topicwire sub` and `topicwire token`.

use crate::config::LimitFlags;
use crate::edge::auth::config::AuthFlags;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Topicwire: a WebAssembly-component runtime for real-time WebSocket APIs.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the components of a folder over WebSocket.
    Serve(Box<ServeArgs>),
    /// Subscribe to a route and print every message as a JSON line.
    Sub(SubArgs),
    /// Mint an HS256 development token (for `[auth] jwt_hs256_secret`).
    Token(TokenArgs),
}

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
}

/// `topicwire sub`.
#[derive(Debug, clap::Args)]
pub struct SubArgs {
    /// WebSocket URL, e.g. ws://127.0.0.1:8000/api/v1/datafeed/ws
    pub url: String,
    /// Route, e.g. `bars`
    pub route: String,
    /// Subscription request as JSON, e.g. '{"symbol":"AAPL","resolution":"1"}'
    #[arg(default_value = "{}")]
    pub request: String,
    /// Exit after this many updates.
    #[arg(long)]
    pub count: Option<usize>,
    /// Token to connect with (sent as `Authorization: Bearer`), e.g. from `topicwire token`.
    #[arg(long)]
    pub token: Option<String>,
}

/// `topicwire token`.
#[derive(Debug, Clone, clap::Args)]
pub struct TokenArgs {
    /// The HS256 secret the server verifies with (`[auth] jwt_hs256_secret`).
    #[arg(long)]
    pub secret: String,
    /// The token's subject (`sub`).
    #[arg(long)]
    pub sub: String,
    /// Accounts the token grants (`accounts` claim), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Lifetime: 90s, 15m, 1h, 2d.
    #[arg(long, default_value = "1h")]
    pub ttl: String,
    /// Issuer (`iss`), when the server requires one.
    #[arg(long)]
    pub issuer: Option<String>,
    /// Audience (`aud`), when the server requires one.
    #[arg(long)]
    pub audience: Option<String>,
}

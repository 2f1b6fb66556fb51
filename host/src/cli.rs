//! The command line: `topicwire serve` and `topicwire sub`.

use crate::config::LimitFlags;
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
    /// Write typed TypeScript clients of modules (from component files, or a running host).
    ClientTs(ClientTsArgs),
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
}

/// `topicwire client-ts`.
#[derive(Debug, clap::Args)]
pub struct ClientTsArgs {
    /// Component files (`components/*.wasm`), read offline.
    pub files: Vec<PathBuf>,
    /// Or a running host, e.g. http://127.0.0.1:8000
    #[arg(long, conflicts_with = "files")]
    pub url: Option<String>,
    /// Folder the `<module>.ts` files are written to.
    #[arg(long, default_value = "clients/ts/generated")]
    pub out: PathBuf,
    /// The generator script (Node.js).
    #[arg(long, default_value = crate::ops::client_ts::DEFAULT_GENERATOR)]
    pub generator: PathBuf,
    /// Print the generator's input (the modules' routes as JSON) instead of running it.
    #[arg(long)]
    pub print_routes: bool,
}

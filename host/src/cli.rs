//! The command line: `topicwire serve`, `topicwire sub`, `topicwire token`,
//! `topicwire deploy`, `topicwire client-ts` and `topicwire state export|import`, and [`main`],
//! the whole of every binary that runs the host (the `topicwire` binary and
//! the end-to-end tests' process under test).

use crate::cluster::config::ClusterFlags;
use crate::config::{Config, ConfigSources, LimitFlags};
use crate::edge::auth::config::AuthFlags;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

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
    /// Back up or restore a module's state (with the host stopped).
    State(StateArgs),
    /// Mint an HS256 development token (for `[auth] jwt_hs256_secret`).
    Token(TokenArgs),
    /// Deploy a component to every node of a cluster (a JetStream object store the nodes watch).
    Deploy(DeployArgs),
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

/// `topicwire deploy`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeployArgs {
    /// The component file, e.g. components/broker.wasm.
    pub file: PathBuf,
    /// The cluster's NATS server.
    #[arg(long)]
    pub nats_url: String,
    /// The module's name [default: the file's stem].
    #[arg(long)]
    pub module: Option<String>,
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

/// `topicwire state`.
#[derive(Debug, clap::Args)]
pub struct StateArgs {
    /// Export or import.
    #[command(subcommand)]
    pub command: StateCommand,
}

/// `topicwire state export|import`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Write a module's whole state as JSON to stdout: `topicwire state export ledger > ledger.json`.
    Export(TransferArgs),
    /// Replace a module's whole state with the JSON on stdin: `topicwire state import ledger < ledger.json`.
    Import(TransferArgs),
}

/// Where the state to export or import is.
#[derive(Debug, clap::Args)]
pub struct TransferArgs {
    /// The module (its component file's stem).
    pub module: String,
    /// The host's data folder [default: .topicwire-data, or `data_dir` in the config]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Config file [default: topicwire.toml when present]
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Parses the command line, sets up logging to stderr (`RUST_LOG` filters)
/// and runs the command on a multi-threaded tokio runtime.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command to its end.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Sub(args) => crate::sub::run(args).await,
        Command::Token(args) => crate::edge::auth::mint::run(&args),
        Command::Deploy(args) => {
            crate::cluster::deploy::deploy(&args.nats_url, &args.file, args.module.as_deref()).await
        }
        Command::ClientTs(args) => crate::ops::client_ts::run(args).await,
        Command::State(StateArgs { command: StateCommand::Export(args) }) => export(args).await,
        Command::State(StateArgs { command: StateCommand::Import(args) }) => import(args).await,
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
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

/// The data folder of a `state` command: the flag, else the config's.
fn data_dir(args: &TransferArgs) -> Result<PathBuf> {
    let sources =
        ConfigSources { config_file: args.config.clone(), data_dir: args.data_dir.clone(), ..ConfigSources::default() };
    Config::load(&sources)?.data_dir.context("the configuration keeps no state (`data_dir = \"\"`); pass --data-dir")
}

async fn export(args: TransferArgs) -> Result<()> {
    let dir = data_dir(&args)?;
    let (json, count) = crate::state::transfer::export(&dir, &args.module).await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{json}").and_then(|()| stdout.flush()).context("cannot write to stdout")?;
    eprintln!("exported {count} entries of module `{}` from {}", args.module, location(&dir, &args.module));
    Ok(())
}

async fn import(args: TransferArgs) -> Result<()> {
    let dir = data_dir(&args)?;
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("cannot read the export from stdin")?;
    let (source, usage) = crate::state::transfer::import(&dir, &args.module, &text).await?;
    let from = if source == args.module { String::new() } else { format!(" (exported from module `{source}`)") };
    eprintln!(
        "imported {} entries ({} bytes) into module `{}` at {}{from}",
        usage.keys,
        usage.bytes,
        args.module,
        location(&dir, &args.module)
    );
    Ok(())
}

fn location(dir: &Path, module: &str) -> String {
    crate::state::redb_backend::file_in(dir, module).display().to_string()
}

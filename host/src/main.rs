//! The `topicwire` binary: parses the command line and hands over to
//! [`topicwire::server::run`] or [`topicwire::sub::run`].

use anyhow::{Context, Result};
use clap::Parser;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;
use topicwire::cli::{Cli, ClientTsArgs, Command, ServeArgs};
use topicwire::config::{Config, ConfigSources};

// The benchmarks compare allocators on memory returned after load and CPU per
// message; the default build keeps the system allocator. mimalloc wins when
// both features are on (`--all-features`).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(all(feature = "jemalloc", not(feature = "mimalloc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Sub(args) => topicwire::sub::run(args).await,
        Command::ClientTs(args) => client_ts(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    let sources = ConfigSources {
        config_file: args.config,
        listen: args.listen,
        components_dir: args.components_dir,
        cache_dir: args.cache_dir,
        native_probe: args.native_probe,
        limits: args.limits,
    };
    let config = Config::load(&sources)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let shutdown = CancellationToken::new();
    topicwire::shutdown::on_signal(shutdown.clone());
    topicwire::server::run(listener, config, shutdown).await
}

async fn client_ts(args: ClientTsArgs) -> Result<()> {
    use topicwire::ops::client_ts;
    let manifest = match &args.url {
        Some(url) => client_ts::manifest_of_host(url).await?,
        None if args.files.is_empty() => anyhow::bail!("name component files (components/*.wasm) or --url"),
        None => client_ts::manifest_of_files(&args.files).await?,
    };
    if args.print_routes {
        println!("{manifest:#}");
        return Ok(());
    }
    client_ts::generate(&manifest, &args.generator, &args.out)
}

//! The command line: `topicwire serve`, `topicwire sub`, `topicwire token`,
//! `topicwire deploy`, `topicwire client-ts` and `topicwire state export|import`, and [`main`],
//! the whole of every binary that runs the host (the `topicwire` binary and
//! the end-to-end tests' process under test).

use crate::commands;
use crate::commands::client_ts::ClientTsArgs;
use crate::commands::deploy::DeployArgs;
use crate::commands::serve::ServeArgs;
use crate::commands::state::StateArgs;
use crate::commands::sub::SubArgs;
use crate::commands::token::TokenArgs;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::process::ExitCode;

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
        Command::Serve(args) => commands::serve::run(*args).await,
        Command::Sub(args) => commands::sub::run(args).await,
        Command::Token(args) => commands::token::run(&args),
        Command::Deploy(args) => commands::deploy::run(args).await,
        Command::ClientTs(args) => commands::client_ts::run(args).await,
        Command::State(args) => commands::state::run(args).await,
    }
}

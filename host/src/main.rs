//! The `topicwire` binary: parses the command line and hands over to
//! [`topicwire::server::run`], [`topicwire::sub::run`] or
//! [`topicwire::edge::auth::mint::run`].

use anyhow::{Context, Result};
use clap::Parser;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;
use topicwire::cli::{Cli, Command, ServeArgs};
use topicwire::config::{Config, ConfigSources};

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
        Command::Token(args) => topicwire::edge::auth::mint::run(&args),
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
        auth: args.auth,
    };
    let config = Config::load(&sources)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let shutdown = CancellationToken::new();
    topicwire::shutdown::on_signal(shutdown.clone());
    topicwire::server::run(listener, config, shutdown).await
}

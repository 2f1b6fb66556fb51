//! `topicwire state export|import`: a module's whole state as JSON, with the
//! host stopped (see [`crate::state::transfer`]).

use crate::config::{Config, ConfigSources};
use anyhow::{Context, Result};
use clap::Subcommand;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

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

/// Runs `state export` or `state import`.
pub async fn run(args: StateArgs) -> Result<()> {
    match args.command {
        StateCommand::Export(args) => export(args).await,
        StateCommand::Import(args) => import(args).await,
    }
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

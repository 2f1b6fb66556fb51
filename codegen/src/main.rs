//! `codegen`: writes (or with `--check`, verifies) the generated router code
//! of one or more components.
//!
//! ```text
//! codegen components/datafeed components/broker
//! codegen --check components/datafeed
//! ```

use anyhow::Result;
use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use topicwire_codegen::Component;

/// Generates `src/ws_generated/` of each component from its `src/ws.rs`.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Fail (exit 1) if the checked-in generated code is stale, instead of writing it.
    #[arg(long)]
    check: bool,
    /// The WIT folder (default: the nearest `wit/` above each component).
    #[arg(long)]
    wit: Option<PathBuf>,
    /// Component crate folders.
    #[arg(required = true)]
    components: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut failed = false;
    for root in &cli.components {
        if let Err(err) = run(&cli, root) {
            eprintln!("codegen: {}: {err:#}", root.display());
            failed = true;
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn run(cli: &Cli, root: &Path) -> Result<()> {
    let started = Instant::now();
    let component = Component::locate(root, cli.wit.as_deref())?;
    if cli.check {
        topicwire_codegen::check_fresh(&component)?;
        println!("codegen: {} is up to date ({:.1} ms)", root.display(), ms(started));
    } else {
        let written = topicwire_codegen::write(&component)?;
        println!("codegen: {} -> {} files ({:.1} ms)", root.display(), written.len(), ms(started));
    }
    Ok(())
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

//! `topicwire-bench`: runs the benchmark scenarios against a real
//! `topicwire serve` process and prints one JSON line per scenario; with
//! `--report` it also writes a Markdown table and the raw JSON.
//!
//! The server runs as a child process pinned to one core (`taskset`), the
//! load generator on another (`just bench` pins it), so their CPU does not
//! mix; the server's CPU time is read from `/proc/<pid>/stat`.
//!
//! # Layout
//!
//! - [`server`]: spawning, pinning and measuring the server process.
//! - [`load`]: the load generator: connections, counting, latency.
//! - [`scenarios`]: the scenarios and what each measures.
//! - [`report`]: the Markdown report against the targets.

mod load;
mod report;
mod scenarios;
mod server;

use anyhow::Result;
use clap::Parser;
use std::path::PathBuf;

/// Benchmarks the Topicwire host.
#[derive(Debug, Parser)]
struct Args {
    /// The `topicwire` binary to benchmark (a release build).
    #[arg(long, default_value = "target/release/topicwire")]
    server: PathBuf,
    /// The core to pin the server to (`taskset -c`); none when absent or taskset is missing.
    #[arg(long)]
    server_core: Option<usize>,
    /// CI-sized smoke run: fewer connections, shorter windows.
    #[arg(long)]
    quick: bool,
    /// Write the Markdown report here (and the raw JSON beside it, `.json`).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Run only scenarios whose name contains this.
    #[arg(long)]
    only: Option<String>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let settings = scenarios::Settings { server: args.server, server_core: args.server_core };
    let mut results = Vec::new();
    for scenario in scenarios::all(args.quick) {
        if args.only.as_ref().is_some_and(|only| !scenario.name().contains(only.as_str())) {
            continue;
        }
        let result = scenario.run(&settings).await?;
        println!("{result}");
        results.push(result);
    }
    if let Some(path) = args.report {
        std::fs::write(&path, report::markdown(&results, args.quick))?;
        let json: String = results.iter().map(|result| format!("{result}\n")).collect();
        std::fs::write(path.with_extension("json"), json)?;
        eprintln!("wrote {} and its .json", path.display());
    }
    Ok(())
}

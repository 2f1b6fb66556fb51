//! `topicwire-bench`: runs the benchmark scenarios against real server
//! processes and prints one JSON line per scenario; with `--report` it also
//! writes the Markdown report and the raw JSON.
//!
//! The server runs as a child process pinned to one core (`taskset`), the
//! load generator on another (`just bench` pins it), so their CPU does not
//! mix; the server's CPU time is read from `/proc/<pid>/stat`. The same
//! binary is the floor server the fan-out rows are divided by
//! (`floor-server`), and times a fresh clone's first run (`first-run`).
//!
//! # Layout
//!
//! - [`scenarios`]: the scenarios and what each measures.
//! - [`load`]: the load generator: connections, counting, latency.
//! - [`server`]: spawning, pinning and measuring the server process.
//! - [`floor`]: the floor server: one thread, one write per subscriber.
//! - [`limits`]: the harness's own open-files limit and CPUs.
//! - [`first_run`]: a fresh clone's `./dev run` and `./dev test`, timed.
//! - [`results`]: `BENCHMARKS.json`, read, merged and written.
//! - [`report`]: `BENCHMARKS.md`, rendered from the results.

mod first_run;
mod floor;
mod limits;
mod load;
mod report;
mod results;
mod scenarios;
mod server;

use anyhow::Result;
use clap::{Parser, Subcommand};
use serde_json::json;
use std::path::PathBuf;
use std::process::Command as Process;

/// Benchmarks the Topicwire host.
#[derive(Debug, Parser)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    bench: BenchArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the floor baseline (the fan-out scenarios start it).
    FloorServer(floor::FloorArgs),
    /// Time a fresh clone's `./dev run` and `./dev test`, and record them in the report.
    FirstRun(first_run::FirstRunArgs),
    /// Render the report again from its results (`BENCHMARKS.json` beside it), e.g. after
    /// joining the records of runs of single scenarios.
    Render {
        /// The Markdown report; its results are read from the `.json` beside it.
        #[arg(long, default_value = "BENCHMARKS.md")]
        report: PathBuf,
    },
}

/// Runs the scenarios.
#[derive(Debug, clap::Args)]
struct BenchArgs {
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
    /// Also compare this build of the server, `NAME=PATH` (repeatable): e.g.
    /// `mimalloc=target/release/topicwire-mimalloc`.
    #[arg(long = "allocator", value_name = "NAME=PATH")]
    allocators: Vec<scenarios::Variant>,
}

/// Open files the scale scenarios would like (50 000 connections and spares).
const WANTED_OPEN_FILES: u64 = 60_000;

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        // One thread, no async runtime: the floor is the plainest server.
        Some(Command::FloorServer(args)) => floor::serve(&args),
        Some(Command::FirstRun(args)) => tokio::runtime::Runtime::new()?.block_on(first_run::run(&args)),
        Some(Command::Render { report }) => results::write(&report, &results::read(&report.with_extension("json"))?),
        None => tokio::runtime::Runtime::new()?.block_on(bench(cli.bench)),
    }
}

async fn bench(args: BenchArgs) -> Result<()> {
    let open_files = limits::raise_open_files(WANTED_OPEN_FILES);
    let settings = scenarios::Settings {
        server: args.server,
        server_cpus: args.server_core.map(|core| core.to_string()),
        all_cpus: limits::online_cpus()?,
        open_files,
        quick: args.quick,
    };
    let run = json!({
        "scenario": "run",
        "quick": args.quick,
        "server_cpus": settings.server_cpus,
        "load_cpus": limits::own_cpus()?,
        "all_cpus": settings.all_cpus,
        "open_files": open_files,
        "commit": commit(),
    });
    println!("{run}");
    let mut results = vec![run];
    for scenario in scenarios::all(args.quick, args.allocators) {
        if args.only.as_ref().is_some_and(|only| !scenario.name().contains(only.as_str())) {
            continue;
        }
        let result = scenario.run(&settings).await?;
        println!("{result}");
        results.push(result);
    }
    if let Some(path) = args.report {
        results::carry_over(results::read(&path.with_extension("json"))?, &mut results);
        results::write(&path, &results)?;
    }
    Ok(())
}

/// The checked-out commit, `-dirty` when the work tree has changes.
fn commit() -> Option<String> {
    let output = Process::new("git").args(["describe", "--always", "--dirty"]).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

//! `topicwire-bench`: runs the benchmark scenarios against real server
//! processes and prints one JSON line per scenario; with `--report` it also
//! writes the Markdown report and the raw JSON.
//!
//! The server runs as a child process pinned to one core (`taskset`), the
//! load generator on another (`just bench` pins it), so their CPU does not
//! mix; the server's CPU time is read from `/proc/<pid>/stat`. The same
//! binary is the floor server the fan-out rows are divided by
//! (`floor-server`), the publisher that feeds a server from outside over
//! HTTP (`publisher`), and times a fresh clone's first run (`first-run`).
//! The fan-out scenarios run `--repeats` times, in rounds (every fan-out
//! scenario once per round), and are reported by their medians.
//!
//! # Layout
//!
//! - [`scenarios`]: the scenarios and what each measures.
//! - [`load`]: the load generator: connections, counting, latency.
//! - [`server`]: spawning, pinning and measuring the server process.
//! - [`floor`]: the floor server: one thread, one write per subscriber.
//! - [`sockudo`]: the peer server, Sockudo, as the scenarios configure it.
//! - [`pusher`]: the Pusher protocol the load generator and publisher speak to it.
//! - [`publisher`]: the publisher process: a layout's ticks over HTTP.
//! - [`http`]: a minimal kept-alive HTTP/1.1 client.
//! - [`limits`]: the harness's own open-files limit and CPUs.
//! - [`first_run`]: a fresh clone's `./dev run` and `./dev test`, timed.
//! - [`soak`]: long hostile mixed load on one host, checked for leaks and losses (`just soak`).
//! - [`results`]: `BENCHMARKS.json`, read, merged and written.
//! - [`report`]: `BENCHMARKS.md`, rendered from the results.

mod first_run;
mod floor;
mod http;
mod limits;
mod load;
mod publisher;
mod pusher;
mod report;
mod results;
mod scenarios;
mod server;
mod soak;
mod sockudo;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};
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
    /// Publish a layout's ticks to a server over HTTP until standard input closes (the peer scenarios start it).
    Publisher(publisher::PublisherArgs),
    /// Time a fresh clone's `./dev run` and `./dev test`, and record them in the report.
    FirstRun(first_run::FirstRunArgs),
    /// Long hostile mixed load on one host; prints a row a minute and checks nothing leaked or was lost.
    Soak(soak::SoakArgs),
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
    /// Run only scenarios whose name contains one of these (comma-separated:
    /// `--only s2b,s4`).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Leave out scenarios whose name contains one of these (comma-separated:
    /// `--only s2b,s4 --skip rest,spread,python,all-cores` runs the component,
    /// native and floor rows of s2b and s4 only).
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// Also compare this build of the server, `NAME=PATH` (repeatable): e.g.
    /// `mimalloc=target/release/topicwire-mimalloc`.
    #[arg(long = "allocator", value_name = "NAME=PATH")]
    allocators: Vec<scenarios::Variant>,
    /// The Sockudo binary (`just bench` builds it) to compare with; without it its rows are not run.
    #[arg(long)]
    sockudo: Option<PathBuf>,
    /// The host built with feature `unnumbered` (update frames without positions), to measure what
    /// positions cost on s1 and s2 (`just bench` builds it); without it those rows are not run.
    #[arg(long)]
    unnumbered: Option<PathBuf>,
    /// Runs of each fan-out scenario, in interleaved rounds (default: 3, 1 with --quick).
    #[arg(long)]
    repeats: Option<usize>,
}

/// Whether scenario `name` runs: it contains one of `only` (or `only` is
/// empty) and none of `skip`.
fn selected(name: &str, only: &[String], skip: &[String]) -> bool {
    (only.is_empty() || only.iter().any(|item| name.contains(item.as_str())))
        && !skip.iter().any(|item| name.contains(item.as_str()))
}

/// Open files the scale scenarios would like (50 000 connections and spares).
const WANTED_OPEN_FILES: u64 = 60_000;

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        // One thread, no async runtime: the floor is the plainest server.
        Some(Command::FloorServer(args)) => floor::serve(&args),
        Some(Command::Publisher(args)) => publisher::run(&args),
        Some(Command::FirstRun(args)) => tokio::runtime::Runtime::new()?.block_on(first_run::run(&args)),
        Some(Command::Soak(args)) => tokio::runtime::Runtime::new()?.block_on(soak::run(&args)),
        Some(Command::Render { report }) => results::write(&report, &results::read(&report.with_extension("json"))?),
        None => tokio::runtime::Runtime::new()?.block_on(bench(cli.bench)),
    }
}

async fn bench(args: BenchArgs) -> Result<()> {
    if let Some(folder) = args.report.as_deref().and_then(Path::parent) {
        // Made before the run, not after it: a folder that cannot be made fails now, not half an hour in.
        std::fs::create_dir_all(folder).with_context(|| format!("cannot make {}", folder.display()))?;
    }
    let open_files = limits::raise_open_files(WANTED_OPEN_FILES);
    let settings = scenarios::Settings {
        server: args.server,
        server_cpus: args.server_core.map(|core| core.to_string()),
        all_cpus: limits::online_cpus()?,
        open_files,
        quick: args.quick,
        // Absolute: Sockudo runs in a folder of its own.
        sockudo: args.sockudo.as_deref().map(std::path::absolute).transpose()?,
        unnumbered: args.unnumbered.clone(),
    };
    let repeats = args.repeats.unwrap_or(if args.quick { 1 } else { 3 }).max(1);
    let run = json!({
        "scenario": "run",
        "quick": args.quick,
        "server_cpus": settings.server_cpus,
        "load_cpus": limits::own_cpus()?,
        "all_cpus": settings.all_cpus,
        "open_files": open_files,
        "commit": commit(),
        "repeats": repeats,
        "sockudo": settings.sockudo.as_deref().and_then(sockudo::version),
    });
    println!("{run}");
    let mut results = vec![run];
    let (fanouts, others): (Vec<_>, Vec<_>) =
        scenarios::all(args.quick, args.allocators, args.sockudo.is_some(), args.unnumbered.is_some())
            .into_iter()
            .filter(|scenario| selected(scenario.name(), &args.only, &args.skip))
            .partition(scenarios::Scenario::is_fanout);
    // Round after round, so each server's runs are spread over the run's
    // drift and each ratio can be taken against the run of the same round.
    let mut runs = vec![Vec::new(); fanouts.len()];
    for round in 0..repeats {
        for (scenario, runs) in fanouts.iter().zip(&mut runs) {
            let mut result = scenario.run(&settings).await?;
            result["round"] = round.into();
            println!("{result}");
            runs.push(result);
        }
    }
    results.extend(runs.into_iter().map(results::merge_runs));
    // A scenario that fails is reported and left out; the others' results are still written.
    let mut failed = Vec::new();
    for scenario in others {
        match scenario.run(&settings).await {
            Ok(result) => {
                println!("{result}");
                results.push(result);
            }
            Err(error) => {
                eprintln!("{error:#}");
                failed.push(scenario.name().to_owned());
            }
        }
    }
    if let Some(path) = args.report {
        results::carry_over(results::read(&path.with_extension("json"))?, &mut results);
        results::write(&path, &results)?;
    }
    anyhow::ensure!(failed.is_empty(), "scenarios failed (see above), left out of the report: {}", failed.join(", "));
    Ok(())
}

/// The checked-out commit, `-dirty` when the work tree has changes.
fn commit() -> Option<String> {
    let output = Process::new("git").args(["describe", "--always", "--dirty"]).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::selected;

    #[test]
    fn scenarios_are_selected_by_any_of_only_and_none_of_skip() {
        let items = |list: &str| list.split(',').map(str::to_owned).collect::<Vec<_>>();
        assert!(selected("s2b-native", &[], &[]));
        assert!(selected("s2b-native", &items("s4,s2b"), &[]));
        assert!(!selected("s3", &items("s4,s2b"), &[]));
        assert!(!selected("s2b-rest", &items("s2b"), &items("rest,spread")));
        assert!(selected("s4-floor", &items("s2b,s4"), &items("rest,all-cores")));
    }
}

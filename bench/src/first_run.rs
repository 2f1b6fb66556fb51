//! A new user's first run, timed: on a fresh clone in a temporary folder, with
//! its own empty target folder and the shared `CARGO_HOME` (crates already
//! downloaded, as after a first `cargo fetch`), how long `./dev run` takes to
//! answer its first subscription, then how long `./dev test` takes. Both
//! numbers go into the report with how they were measured.
//!
//! It compiles everything from nothing (a quarter of an hour on two cores),
//! so run it on a quiet machine.

use crate::results;
use crate::server::free_port;
use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use rustix::process::{Pid, Signal, kill_process_group};
use serde_json::{Value, json};
use std::fs::File;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// Times a fresh clone's `./dev run` and `./dev test`.
#[derive(Debug, clap::Args)]
pub(crate) struct FirstRunArgs {
    /// The repository to clone (its committed `HEAD`).
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// The report to record the times in (and its `.json` beside it).
    #[arg(long, default_value = "BENCHMARKS.md")]
    report: PathBuf,
    /// Give up on a step after this many minutes.
    #[arg(long, default_value_t = 90)]
    limit_minutes: u64,
    /// Keep the clone (and its gigabytes of build output) instead of removing it.
    #[arg(long)]
    keep: bool,
}

/// Variables that would point the clone's builds at existing build output.
const SHARED_BUILD_OUTPUT: &[&str] = &["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"];

/// The subscription `./dev run` must answer: the datafeed's `bars`.
const SUBSCRIBE: &str = r#"{"type":"bars.subscribe","payload":{"symbol":"AAPL","resolution":"1"}}"#;

pub(crate) async fn run(args: &FirstRunArgs) -> Result<()> {
    let folder = std::env::temp_dir().join(format!("topicwire-first-run-{}", std::process::id()));
    // Interrupted, the measurement is dropped, and with it the `./dev` it runs.
    let result = tokio::select! {
        result = measure(args, &folder) => result,
        signal = interrupted() => Err(anyhow::anyhow!("interrupted by {signal}")),
    };
    if args.keep {
        eprintln!("kept {}", folder.display());
    } else {
        let _ = std::fs::remove_dir_all(&folder);
    }
    let record = result?;
    println!("{record}");
    let json_path = args.report.with_extension("json");
    let mut records = results::read(&json_path)?;
    results::replace(&mut records, record);
    results::write(&args.report, &records)
}

async fn measure(args: &FirstRunArgs, folder: &Path) -> Result<Value> {
    let limit = Duration::from_secs(args.limit_minutes * 60);
    let clone = folder.join("topicwire");
    std::fs::create_dir_all(folder)?;
    let load_average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load_average = load_average.split_whitespace().next().unwrap_or("?").to_owned();
    let just_installed = tool_installed("just");
    let wasm_target_installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).lines().any(|line| line == "wasm32-wasip2"));
    run_to_end(Command::new("git").arg("clone").arg("--quiet").arg("--no-local").arg(&args.repo).arg(&clone))?;
    let commit = String::from_utf8(
        Command::new("git").arg("-C").arg(&clone).args(["rev-parse", "--short", "HEAD"]).output()?.stdout,
    )?;
    let addr = free_port()?;

    eprintln!("first run: ./dev run in {} (log: {}/dev-run.log)", clone.display(), folder.display());
    let started = Instant::now();
    let mut serving = Dev::start(&clone, &["run", "--listen", &addr.to_string()], &folder.join("dev-run.log"))?;
    wait_for_subscription(&mut serving, addr, limit).await?;
    let dev_run = started.elapsed();
    drop(serving);
    eprintln!(
        "first run: served after {:.0} s; ./dev test (log: {}/dev-test.log)",
        dev_run.as_secs_f64(),
        folder.display()
    );

    let started = Instant::now();
    let mut testing = Dev::start(&clone, &["test"], &folder.join("dev-test.log"))?;
    let passed = loop {
        if let Some(status) = testing.child.try_wait()? {
            break status.success();
        }
        if started.elapsed() > limit {
            bail!("./dev test still running after {limit:?}");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let dev_test = started.elapsed();
    drop(testing);

    let how = format!(
        "a fresh `git clone --no-local` of commit {} in a temporary folder, with its own empty target folder \
         ({} unset) and the shared `CARGO_HOME` (crates already downloaded); `just` {} installed, \
         `wasm32-wasip2` {} installed; 1-minute load average {load_average} at the start. `./dev run` is \
         timed from its start to the first `bars` subscription answered `ok` (polled every second), then stopped; \
         `./dev test` is timed from its start to its exit.",
        commit.trim(),
        SHARED_BUILD_OUTPUT.join(", "),
        if just_installed { "already" } else { "not" },
        if wasm_target_installed { "already" } else { "not" },
    );
    Ok(json!({
        "scenario": "first_run",
        "dev_run_s": (dev_run.as_secs_f64() * 10.0).round() / 10.0,
        "dev_test_s": (dev_test.as_secs_f64() * 10.0).round() / 10.0,
        "dev_test_passed": passed,
        "commit": commit.trim(),
        "how": how,
    }))
}

/// `./dev <args>` running in its own process group, stopped with
/// everything it started (cargo, rustc, the server, test hosts) on drop.
struct Dev {
    child: Child,
}

impl Dev {
    /// Starts `./dev <args>` in `clone`, its output to `log`.
    fn start(clone: &Path, args: &[&str], log: &Path) -> Result<Self> {
        let log = File::create(log)?;
        let mut command = Command::new("./dev");
        command.args(args).current_dir(clone).process_group(0).stdin(Stdio::null());
        command.stdout(log.try_clone()?).stderr(log);
        for variable in SHARED_BUILD_OUTPUT {
            command.env_remove(variable);
        }
        let child = command.spawn().with_context(|| format!("cannot run ./dev in {}", clone.display()))?;
        Ok(Self { child })
    }
}

impl Drop for Dev {
    /// SIGTERM to the group, SIGKILL if its leader lingers.
    fn drop(&mut self) {
        let group = Pid::from_child(&self.child);
        let _ = kill_process_group(group, Signal::TERM);
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = kill_process_group(group, Signal::KILL);
        let _ = self.child.wait();
    }
}

/// Resolves on Ctrl-C or SIGTERM; names the signal.
async fn interrupted() -> &'static str {
    let Ok(mut terminate) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return "Ctrl-C";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "Ctrl-C",
        _ = terminate.recv() => "SIGTERM",
    }
}

/// Polls `addr` until the datafeed answers a subscription.
async fn wait_for_subscription(serving: &mut Dev, addr: SocketAddr, limit: Duration) -> Result<()> {
    let started = Instant::now();
    loop {
        if let Some(status) = serving.child.try_wait()? {
            bail!("./dev run exited ({status}) before serving");
        }
        if subscribed(addr).await {
            return Ok(());
        }
        if started.elapsed() > limit {
            bail!("./dev run did not serve within {limit:?}");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn subscribed(addr: SocketAddr) -> bool {
    let attempt = async {
        let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/datafeed/ws")).await?;
        socket.send(Message::text(SUBSCRIBE)).await?;
        while let Some(message) = socket.next().await {
            if let Message::Text(text) = message?
                && text.starts_with(r#"{"type":"bars.subscribe.response""#)
            {
                return anyhow::Ok(text.contains(r#""status":"ok""#));
            }
        }
        anyhow::Ok(false)
    };
    matches!(tokio::time::timeout(Duration::from_secs(5), attempt).await, Ok(Ok(true)))
}

fn tool_installed(name: &str) -> bool {
    Command::new(name).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn run_to_end(command: &mut Command) -> Result<()> {
    let status = command.status().with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

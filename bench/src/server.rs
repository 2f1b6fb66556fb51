//! The server under test as a child process — `topicwire serve`, this
//! binary's floor server, or the peer Sockudo — on a free loopback port, optionally pinned to CPUs
//! (`taskset`), with its CPU time and memory read from /proc.

use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use topicwire_tests::{TempDir, http_get};

/// Which server to start.
pub(crate) enum Launch<'a> {
    /// `topicwire serve` on its own components and cache folders, configured
    /// by `config` (TOML), serving the native producer as module `native` if asked.
    Topicwire { binary: &'a Path, components: &'a TempDir, cache: &'a Path, config: &'a str, native: bool },
    /// The floor server (`topicwire-bench floor-server`) ticking like the probe.
    Floor { tick_ms: u64, burst: u64, spread: bool },
    /// Sockudo, run in `folder` (it reads `config/` there) with an empty
    /// environment (it reads many variables), configured by [`crate::sockudo::config`].
    Sockudo { binary: &'a Path, folder: &'a TempDir, max_connections: usize, queue_frames: usize },
}

/// A running server process, killed on drop.
pub(crate) struct Server {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    started: Instant,
    /// Whether it is Topicwire (it answers `/healthz` and `/metrics`).
    topicwire: bool,
}

impl Server {
    /// Starts the server and waits until it serves; pinned to `cpus` (a
    /// `taskset -c` list) when given and `taskset` is installed.
    pub(crate) async fn start(launch: Launch<'_>, cpus: Option<&str>) -> Result<Self> {
        let addr = free_port()?;
        let (program, args) = match &launch {
            Launch::Topicwire { binary, components, cache, config, native } => {
                // Inside the components folder (the host only loads `*.wasm` there), so it goes with the folder.
                let config_file = components.path().join("topicwire.toml");
                std::fs::write(&config_file, config)?;
                let mut args: Vec<OsString> = vec!["serve".into(), "--listen".into(), addr.to_string().into()];
                args.extend(["--components-dir".into(), components.path().into()]);
                args.extend(["--cache-dir".into(), cache.into(), "--config".into(), config_file.into()]);
                if *native {
                    args.extend(["--native-probe".into(), "native".into()]);
                }
                (binary.to_path_buf(), args)
            }
            Launch::Floor { tick_ms, burst, spread } => {
                let args = ["floor-server", "--listen", &addr.to_string(), "--tick-ms", &tick_ms.to_string()]
                    .into_iter()
                    .chain(["--burst", &burst.to_string()])
                    .chain(spread.then_some("--spread"))
                    .map(OsString::from)
                    .collect();
                (std::env::current_exe()?, args)
            }
            Launch::Sockudo { binary, folder, max_connections, queue_frames } => {
                let config_file = folder.path().join("sockudo.toml");
                std::fs::write(&config_file, crate::sockudo::config(addr.port(), *max_connections, *queue_frames))?;
                (binary.to_path_buf(), vec!["--config".into(), config_file.into()])
            }
        };
        let mut command = match cpus {
            Some(cpus) if Path::new("/usr/bin/taskset").exists() => {
                let mut command = Command::new("taskset");
                command.arg("-c").arg(cpus).arg(&program);
                command
            }
            _ => Command::new(&program),
        };
        if let Launch::Sockudo { folder, .. } = &launch {
            command.env_clear().current_dir(folder.path());
        }
        command.args(args).env("RUST_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::inherit());
        let started = Instant::now();
        let child = command.spawn().with_context(|| format!("cannot start {}", program.display()))?;
        let topicwire = matches!(launch, Launch::Topicwire { .. });
        let server = Self { child, addr, started, topicwire };
        server.wait_ready().await?;
        Ok(server)
    }

    /// Time since the process was spawned.
    pub(crate) fn age(&self) -> Duration {
        self.started.elapsed()
    }

    async fn wait_ready(&self) -> Result<()> {
        // Up to five minutes: a CPython component compiles for tens of seconds on an empty cache
        // (minutes on busy cores). The host binds its port before it loads its modules, so a
        // connection is accepted meanwhile and its request waits: each is given a second, then retried.
        let limit = Instant::now() + Duration::from_secs(300);
        while Instant::now() < limit {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                if !self.topicwire {
                    return Ok(());
                }
                if let Ok((status, body)) =
                    tokio::time::timeout(Duration::from_secs(1), http_get(self.addr, "/healthz")).await
                    && status == 200
                    && body["modules"].as_u64() > Some(0)
                {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bail!("the server did not become ready at {}", self.addr)
    }

    /// The server's CPU time so far (user + system, every thread).
    pub(crate) fn cpu(&self) -> Duration {
        process_cpu(&format!("/proc/{}/stat", self.child.id()))
    }

    /// The server's open file descriptors (sockets, files).
    pub(crate) fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).map_or(0, Iterator::count)
    }

    /// The server's resident memory, KiB.
    pub(crate) fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// The most resident memory the server has had, KiB.
    pub(crate) fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    /// Waits until Topicwire reports no open connection (`/metrics`), at most `limit`.
    pub(crate) async fn wait_until_no_connections(&self, limit: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            let (_, metrics) = http_get(self.addr, "/metrics").await;
            if metrics.as_str().and_then(|text| gauge(text, "topicwire_connections")) == Some(0.0) {
                return Ok(());
            }
            if started.elapsed() > limit {
                bail!("connections still open {limit:?} after the load ended");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The CPU time (user + system) in a `/proc/<pid>/stat` file.
pub(crate) fn process_cpu(stat_path: &str) -> Duration {
    let stat = std::fs::read_to_string(stat_path).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks: u64 = fields.get(11..13).map_or(0, |t| t.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10)
}

/// The value of an unlabelled gauge in Prometheus text.
fn gauge(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// A loopback port nothing listens on.
pub(crate) fn free_port() -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_unlabelled_gauge() {
        let metrics = "# HELP topicwire_connections Open WebSocket connections.\n\
                       # TYPE topicwire_connections gauge\ntopicwire_connections 3\ntopicwire_connections_total 9\n";
        assert_eq!(gauge(metrics, "topicwire_connections"), Some(3.0));
        assert_eq!(gauge(metrics, "topicwire_failed_loads"), None);
    }
}

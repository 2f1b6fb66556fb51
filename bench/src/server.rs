//! A `topicwire serve` child process: its own components, cache and data
//! folders, a free loopback port, optional CPU pinning, and CPU/RSS readings
//! from /proc.

use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use topicwire_tests::{TempDir, http_get};

/// A running server process, killed on drop.
pub(crate) struct Server {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    started: Instant,
    /// Its modules' state, removed with it.
    _data: TempDir,
}

impl Server {
    /// Starts `binary serve` on `components` and `cache` with `config` (TOML),
    /// pinned to `core`, serving the native baseline as module `native` if asked.
    pub(crate) async fn start(
        binary: &Path,
        core: Option<usize>,
        components: &TempDir,
        cache: &Path,
        config: &str,
        native: bool,
    ) -> Result<Self> {
        let addr = free_port()?;
        // Inside the components folder (the host only loads `*.wasm` there), so it goes with the folder.
        let config_file = components.path().join("topicwire.toml");
        std::fs::write(&config_file, config)?;
        let data = TempDir::new("bench-data");
        let mut command = match core {
            Some(core) if Path::new("/usr/bin/taskset").exists() => {
                let mut command = Command::new("taskset");
                command.arg("-c").arg(core.to_string()).arg(binary);
                command
            }
            _ => Command::new(binary),
        };
        command
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--components-dir")
            .arg(components.path())
            .arg("--cache-dir")
            .arg(cache)
            .arg("--data-dir")
            .arg(data.path())
            .arg("--config")
            .arg(&config_file)
            .args(if native { &["--native-probe", "native"][..] } else { &[] })
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let started = Instant::now();
        let child = command.spawn().with_context(|| format!("cannot start {}", binary.display()))?;
        let server = Self { child, addr, started, _data: data };
        server.wait_ready().await?;
        Ok(server)
    }

    /// Time since the process was spawned.
    pub(crate) fn age(&self) -> Duration {
        self.started.elapsed()
    }

    async fn wait_ready(&self) -> Result<()> {
        for _ in 0..600 {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                let (status, body) = http_get(self.addr, "/healthz").await;
                if status == 200 && body["modules"].as_u64() > Some(0) {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bail!("the server did not become ready at {}", self.addr)
    }

    /// The server's CPU time so far (user + system).
    pub(crate) fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
        let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
        let ticks: u64 = fields.get(11..13).map_or(0, |t| t.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
        Duration::from_millis(ticks * 10)
    }

    /// The server's resident memory, KiB.
    pub(crate) fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

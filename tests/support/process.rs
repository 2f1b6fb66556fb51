//! The host as a real child process, for what only a process can show:
//! `kill -9` in the middle of its life, and the `topicwire state` commands
//! against its data folder. The binary is the tests crate's
//! `topicwire-under-test` (the same entry point as `topicwire`); integration
//! tests pass its path, `env!("CARGO_BIN_EXE_topicwire-under-test")`.

use crate::{DEADLINE, HostDirs, http_get};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// A `serve` process, killed (SIGKILL) on drop.
pub struct HostProcess {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its folders; taken back by [`HostProcess::kill`].
    dirs: Option<HostDirs>,
}

impl HostProcess {
    /// Starts `binary serve` on `dirs` with `config` (TOML) on a free loopback
    /// port, and waits until it serves its modules.
    pub async fn start(binary: &str, dirs: HostDirs, config: &str) -> Self {
        // Inside the components folder (the host only loads `*.wasm` there), so it goes with the folder.
        let config_file = dirs.components.path().join("topicwire.toml");
        std::fs::write(&config_file, config).unwrap();
        let mut child = Command::new(binary)
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .arg("--components-dir")
            .arg(dirs.components.path())
            .arg("--cache-dir")
            .arg(dirs.cache.path())
            .arg("--data-dir")
            .arg(dirs.data.path())
            .arg("--config")
            .arg(&config_file)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (address, listening) = std::sync::mpsc::channel();
        // Reads the log for the bound address, then keeps forwarding it (a full pipe would stall the host).
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[host process] {line}");
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr: String =
                        rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':').collect();
                    let _ = address.send(addr);
                }
            }
        });
        let addr = listening.recv_timeout(DEADLINE).expect("the host process listens").parse().unwrap();
        let (status, health) = http_get(addr, "/healthz").await;
        assert_eq!(status, 200, "{health}");
        dirs.share_compiled();
        Self { child, addr, dirs: Some(dirs) }
    }

    /// Its folders.
    pub fn dirs(&self) -> &HostDirs {
        self.dirs.as_ref().unwrap()
    }

    /// Kills the process with SIGKILL (no shutdown at all) and returns its folders.
    pub fn kill(mut self) -> HostDirs {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.dirs.take().unwrap()
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `binary args...` with `stdin` as its standard input; its output.
pub fn run_command(binary: &str, args: &[&str], data_dir: &Path, stdin: &[u8]) -> Output {
    let mut child = Command::new(binary)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

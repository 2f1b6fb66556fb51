//! Writing one update to many subscribers on every core.
//!
//! A module's actor calls its guest once per update and then writes the
//! frame to each subscriber's socket; those writes are most of a large
//! topic's cost (the kernel's per-socket send), so on a machine with more
//! than one core a topic with at least [`SPLIT_MIN`] subscribers has them
//! split into one slice per core, written in parallel by a pool of fan-out
//! threads while the actor waits. The actor goes on only once every slice
//! is written, so each connection still gets its frames in publish order
//! and nothing else changes for the rest of the host. Smaller topics, and
//! every topic on a single core, are written by the actor itself: a hand-off
//! would cost more than the writes it spreads.

use crate::hub::peer::Peer;
use rayon::prelude::*;
use std::sync::OnceLock;

/// Subscribers a topic needs before its writes are spread over the cores.
pub const SPLIT_MIN: usize = 256;

/// The fan-out threads, one per core the process may run on; `None` on a
/// single core (or when the threads cannot be started).
fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        if cores < 2 {
            return None;
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .thread_name(|i| format!("topicwire-fanout-{i}"))
            .build()
            .map_err(|error| tracing::warn!("fan-out threads not started, writing on the actor: {error}"))
            .ok()
    })
    .as_ref()
}

/// Whether a topic with `subscribers` has its writes split over the cores.
/// Such a topic's frames are written at once by the fan-out threads, not
/// held for the end of the actor's turn (see [`crate::hub::outbox`]): a
/// hold would leave its writes to the actor, one after another.
pub fn splits(subscribers: usize) -> bool {
    subscribers >= SPLIT_MIN && pool().is_some()
}

/// Calls `send` for every subscriber, on every core when there are enough
/// of them; returns how many sends succeeded. Returns once all are done.
pub fn each(subscribers: &[Peer], send: impl Fn(&Peer) -> bool + Sync) -> usize {
    match pool() {
        Some(pool) if subscribers.len() >= SPLIT_MIN => {
            let slice = subscribers.len().div_ceil(pool.current_num_threads());
            pool.install(|| {
                subscribers.par_chunks(slice).map(|chunk| chunk.iter().filter(|peer| send(peer)).count()).sum()
            })
        }
        _ => subscribers.iter().filter(|peer| send(peer)).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::testing::{peer, sent};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_large_topic_reaches_every_subscriber_once_and_in_order() {
        let mut peers = Vec::new();
        let mut clients = Vec::new();
        for id in 0..(SPLIT_MIN as u64 + 7) {
            let (peer, client) = peer(id, 8, Duration::from_secs(60)).await;
            peers.push(peer);
            clients.push(client);
        }
        let topic: std::sync::Arc<str> = "t".into();
        for n in 0..3u8 {
            let frame = crate::hub::frame::text(&[&[b'0' + n]]);
            assert_eq!(each(&peers, |peer| peer.send_update(&topic, frame.clone())), peers.len());
        }
        for client in &mut clients {
            assert_eq!(sent(client, Duration::from_millis(100)).await, ["0", "1", "2"]);
        }
    }
}

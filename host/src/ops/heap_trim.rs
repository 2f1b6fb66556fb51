//! Hands the heap a load leaves behind back to the operating system.
//!
//! glibc's allocator keeps what it freed in its arenas: after 10 000
//! connections close, the process stays at three times its idle size until
//! another load reuses the memory. Once the open WebSockets have fallen to
//! half the peak seen since the last trim, `malloc_trim(0)` returns every
//! free page of every arena (a few milliseconds, on a blocking thread).
//! Other allocators (the benchmarks' `mimalloc` and `jemalloc` builds)
//! manage their own pages, and there this does nothing.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// How often the connection count is looked at.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Loads smaller than this leave too little behind to be worth a trim.
const MIN_PEAK: usize = 256;

/// Watches the open connections (the permits taken from `connections`, of
/// `max` in all) until `shutdown`, trimming the heap after each load.
pub fn spawn(connections: Arc<Semaphore>, max: usize, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut peak = 0;
        let mut ticks = tokio::time::interval(CHECK_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            let open = max.saturating_sub(connections.available_permits());
            peak = peak.max(open);
            if should_trim(peak, open) {
                peak = open;
                let _ = tokio::task::spawn_blocking(trim).await;
            }
        }
    });
}

/// After a load of `peak` connections, with `open` still open.
fn should_trim(peak: usize, open: usize) -> bool {
    peak >= MIN_PEAK && open <= peak / 2
}

/// The global allocator is glibc's: the default, without the benchmarks'
/// `mimalloc` and `jemalloc` features.
#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc"), not(feature = "jemalloc")))]
#[allow(unsafe_code, reason = "malloc_trim is a C function; see the safety comment")]
fn trim() {
    // SAFETY: malloc_trim takes no pointers; glibc locks each arena while it trims it.
    let released = unsafe { libc::malloc_trim(0) };
    tracing::debug!(released = released != 0, "returned the heap's free pages to the system");
}

/// Another allocator, which manages its own pages.
#[cfg(not(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc"), not(feature = "jemalloc"))))]
fn trim() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_once_a_large_load_has_halved() {
        assert!(!should_trim(100, 0), "too small a load");
        assert!(!should_trim(10_000, 6_000));
        assert!(should_trim(10_000, 5_000));
        assert!(should_trim(10_000, 0));
    }
}

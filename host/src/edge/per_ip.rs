//! WebSocket connections per client address (`max_connections_per_ip`), so
//! one client cannot take every connection slot of the host.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Open WebSocket connections by client address.
#[derive(Debug, Default)]
pub struct PerIp {
    /// Most connections one address may hold (0: no limit).
    max: usize,
    /// Open connections per address; addresses with none are removed.
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One counted connection; uncounted when dropped.
#[derive(Debug)]
pub struct IpSlot {
    /// The counter to give the slot back to.
    counter: Arc<PerIp>,
    /// The address it counts for.
    ip: IpAddr,
}

impl PerIp {
    /// A counter allowing `max` connections per address (0: no limit).
    pub fn new(max: usize) -> Self {
        Self { max, open: Mutex::default() }
    }

    /// Counts a connection from `ip`, unless it already holds the maximum.
    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(ip).or_default();
        if self.max != 0 && *count >= self.max {
            return None;
        }
        *count += 1;
        Some(IpSlot { counter: self.clone(), ip })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = self.counter.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_address_and_releases_on_drop() {
        let per_ip = Arc::new(PerIp::new(2));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let first = per_ip.try_acquire(a).unwrap();
        let _second = per_ip.try_acquire(a).unwrap();
        assert!(per_ip.try_acquire(a).is_none());
        assert!(per_ip.try_acquire(b).is_some(), "another address has its own count");
        drop(first);
        assert!(per_ip.try_acquire(a).is_some());
        assert!(Arc::new(PerIp::new(0)).try_acquire(a).is_some(), "0 means no limit");
    }
}

//! The linear memory an instance holds. The store's limiter caps each of the
//! instance's memories at `max_memory_mib` (wasmtime's [`StoreLimits`]) and
//! counts what they hold together, now and at most, so that
//! `/api/v1/modules` shows what a module really uses: a CPython component
//! starts with tens of MiB where a Rust one needs a few, and its limit is set
//! from that measurement (see the README's "Limits").

use serde::Serialize;
use wasmtime::{ResourceLimiter, StoreLimits};

/// What an instance's linear memories hold together.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct MemoryUsage {
    /// Bytes now (memories never shrink, so also since the last restart's peak).
    pub bytes: u64,
    /// The largest single memory, bytes: what `max_memory_mib` bounds.
    pub largest_bytes: u64,
}

/// [`StoreLimits`], counting what it lets the memories grow to.
pub struct MemoryLimiter {
    limits: StoreLimits,
    usage: MemoryUsage,
    /// The growth allowed last, taken back if the memory then fails to grow.
    pending: usize,
}

impl MemoryLimiter {
    /// Counts the memories of a store limited by `limits`.
    pub fn new(limits: StoreLimits) -> Self {
        Self { limits, usage: MemoryUsage::default(), pending: 0 }
    }

    /// What the instance's memories hold.
    pub fn usage(&self) -> MemoryUsage {
        self.usage
    }
}

impl ResourceLimiter for MemoryLimiter {
    /// Also called when a memory is created (`current` 0, `desired` its initial size).
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if allowed {
            self.pending = desired.saturating_sub(current);
            self.usage.bytes = self.usage.bytes.saturating_add(self.pending as u64);
            self.usage.largest_bytes = self.usage.largest_bytes.max(desired as u64);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.usage.bytes = self.usage.bytes.saturating_sub(std::mem::take(&mut self.pending) as u64);
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::StoreLimitsBuilder;

    const MIB: usize = 1024 * 1024;

    #[test]
    fn memories_are_counted_together_up_to_the_limit_of_each() {
        let mut limiter = MemoryLimiter::new(StoreLimitsBuilder::new().memory_size(8 * MIB).build());
        assert!(limiter.memory_growing(0, 2 * MIB, None).unwrap(), "one memory created");
        assert!(limiter.memory_growing(0, MIB, None).unwrap(), "another");
        assert!(limiter.memory_growing(2 * MIB, 6 * MIB, None).unwrap(), "the first grows");
        assert_eq!(limiter.usage(), MemoryUsage { bytes: 7 * MIB as u64, largest_bytes: 6 * MIB as u64 });
        assert!(!limiter.memory_growing(6 * MIB, 9 * MIB, None).unwrap(), "past max_memory_mib: refused");
        assert_eq!(limiter.usage().bytes, 7 * MIB as u64, "a refused growth counts nothing");
    }

    #[test]
    fn an_allowed_growth_that_fails_is_taken_back() {
        let mut limiter = MemoryLimiter::new(StoreLimitsBuilder::new().build());
        assert!(limiter.memory_growing(0, MIB, None).unwrap());
        assert!(limiter.memory_growing(MIB, 3 * MIB, None).unwrap());
        limiter.memory_grow_failed(wasmtime::Error::msg("the system has no more")).unwrap();
        assert_eq!(limiter.usage().bytes, MIB as u64);
    }
}

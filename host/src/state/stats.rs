//! Counters of a module's storage: operations by kind with their latency
//! (count and sum, as a Prometheus summary without quantiles), failures and
//! refusals. Kept beside the namespace, so they outlive instance restarts and
//! reloads; lock-free, since every instance of the module updates them.

use crate::state::Usage;
use crate::state::limits::StorageLimits;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The kinds of `wasi:keyvalue` operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `store.open`.
    Open,
    /// `bucket.get`.
    Get,
    /// `bucket.set`.
    Set,
    /// `bucket.delete`.
    Delete,
    /// `bucket.exists`.
    Exists,
    /// `bucket.list-keys`.
    ListKeys,
    /// `atomics.increment`.
    Increment,
    /// `batch.get-many`.
    GetMany,
    /// `batch.set-many`.
    SetMany,
    /// `batch.delete-many`.
    DeleteMany,
}

impl Operation {
    /// Every kind, in report order.
    pub const ALL: [Self; 10] = [
        Self::Open,
        Self::Get,
        Self::Set,
        Self::Delete,
        Self::Exists,
        Self::ListKeys,
        Self::Increment,
        Self::GetMany,
        Self::SetMany,
        Self::DeleteMany,
    ];

    /// The name in reports and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Get => "get",
            Self::Set => "set",
            Self::Delete => "delete",
            Self::Exists => "exists",
            Self::ListKeys => "list_keys",
            Self::Increment => "increment",
            Self::GetMany => "get_many",
            Self::SetMany => "set_many",
            Self::DeleteMany => "delete_many",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Why a request was refused without touching the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A key over `max_key_bytes` (or empty).
    KeyTooLarge,
    /// A value over `max_value_bytes`.
    ValueTooLarge,
    /// A write that would take the state over `max_state_bytes`.
    StateFull,
    /// An `open` over the open-bucket bound, or of an invalid identifier.
    Bucket,
}

impl Refused {
    /// Every reason, in report order.
    pub const ALL: [Self; 4] = [Self::KeyTooLarge, Self::ValueTooLarge, Self::StateFull, Self::Bucket];

    /// The name in reports and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Self::KeyTooLarge => "key_too_large",
            Self::ValueTooLarge => "value_too_large",
            Self::StateFull => "state_full",
            Self::Bucket => "bucket",
        }
    }
}

/// The counters.
#[derive(Debug, Default)]
pub struct StorageStats {
    /// Completed operations per kind (refusals included).
    counts: [AtomicU64; Operation::ALL.len()],
    /// Their summed latency, microseconds.
    micros: [AtomicU64; Operation::ALL.len()],
    /// Operations that failed in the backend (I/O, corruption), per kind.
    failures: [AtomicU64; Operation::ALL.len()],
    /// Refusals per reason.
    refused: [AtomicU64; Refused::ALL.len()],
}

impl StorageStats {
    /// Records one operation of `kind` that took `elapsed`.
    pub fn record(&self, kind: Operation, elapsed: Duration) {
        self.counts[kind.index()].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.micros[kind.index()].fetch_add(micros, Ordering::Relaxed);
    }

    /// Records a backend failure of `kind`.
    pub fn failed(&self, kind: Operation) {
        self.failures[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Records a refusal; returns how many of this reason there have been.
    pub fn refuse(&self, reason: Refused) -> u64 {
        self.refused[reason as usize].fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A snapshot of the counters with `usage` and `limits`.
    pub fn report(&self, location: &str, usage: Option<Usage>, limits: &StorageLimits) -> StorageReport {
        let operations = Operation::ALL
            .iter()
            .map(|kind| {
                let i = kind.index();
                let report = OperationReport {
                    count: self.counts[i].load(Ordering::Relaxed),
                    failures: self.failures[i].load(Ordering::Relaxed),
                    total_us: self.micros[i].load(Ordering::Relaxed),
                };
                (kind.name(), report)
            })
            .collect();
        let refused = Refused::ALL
            .iter()
            .map(|reason| (reason.name(), self.refused[*reason as usize].load(Ordering::Relaxed)))
            .collect();
        StorageReport {
            location: location.to_owned(),
            bytes: usage.map(|usage| usage.bytes),
            keys: usage.map(|usage| usage.keys),
            max_state_bytes: limits.max_state_bytes,
            max_key_bytes: limits.max_key_bytes,
            max_value_bytes: limits.max_value_bytes,
            operations,
            refused,
        }
    }
}

/// One kind of operation in a [`StorageReport`].
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct OperationReport {
    /// Operations completed.
    pub count: u64,
    /// Of which failed in the backend.
    pub failures: u64,
    /// Their summed latency, microseconds.
    pub total_us: u64,
}

/// A module's storage as `/api/v1/modules` shows it (`storage`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StorageReport {
    /// Where the data lives.
    pub location: String,
    /// Bytes stored (`None` if the usage could not be read).
    pub bytes: Option<u64>,
    /// Keys stored.
    pub keys: Option<u64>,
    /// `max_state_bytes`.
    pub max_state_bytes: u64,
    /// `max_key_bytes`.
    pub max_key_bytes: usize,
    /// `max_value_bytes`.
    pub max_value_bytes: usize,
    /// Per kind of operation.
    pub operations: BTreeMap<&'static str, OperationReport>,
    /// Refusals per reason.
    pub refused: BTreeMap<&'static str, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_counted_with_their_latency() {
        let stats = StorageStats::default();
        stats.record(Operation::Set, Duration::from_micros(30));
        stats.record(Operation::Set, Duration::from_micros(12));
        stats.failed(Operation::Set);
        assert_eq!(stats.refuse(Refused::StateFull), 1);
        assert_eq!(stats.refuse(Refused::StateFull), 2);
        let limits = StorageLimits { max_key_bytes: 1, max_value_bytes: 2, max_state_bytes: 3 };
        let report = stats.report("here", Some(Usage { bytes: 7, keys: 1 }), &limits);
        assert_eq!(report.operations["set"], OperationReport { count: 2, failures: 1, total_us: 42 });
        assert_eq!(report.operations["get"], OperationReport::default());
        assert_eq!(report.refused["state_full"], 2);
        assert_eq!((report.bytes, report.keys, report.max_state_bytes), (Some(7), Some(1), 3));
    }
}

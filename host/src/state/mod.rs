//! Durable module state: a key-value namespace per module, reached by
//! components through the standard `wasi:keyvalue` interfaces.
//!
//! A module sees only its own namespace; `open(identifier)` names a bucket
//! inside it. Storage sits behind [`StateBackend`] and [`Namespace`] so that
//! the embedded backend ([`redb_backend`], one file per module under
//! `--data-dir`) and the cluster's (NATS JetStream KV, [`crate::cluster::state`],
//! beside the connection it uses) are interchangeable.
//!
//! - this file: the backend traits, their error, and [`StorageMap`], the open
//!   namespace of every module;
//! - [`redb_backend`]: the embedded, durable backend;
//! - [`counter`]: the one rule of `atomics.increment`, for every backend;
//! - [`bucket`]: an open bucket, the resource a component holds (the host
//!   functions over it are in [`crate::runtime::host::keyvalue`]);
//! - [`limits`]: key, value and state-size limits;
//! - [`stats`]: operation counts and latencies, usage, for `/api/v1/modules` and `/metrics`;
//! - [`transfer`]: `topicwire state export` / `import`.

pub mod bucket;
pub mod counter;
pub mod limits;
pub mod redb_backend;
pub mod stats;
pub mod transfer;

use crate::limits::Limits;
use anyhow::{Context, Result};
use limits::StorageLimits;
use serde::{Deserialize, Serialize};
use stats::{StorageReport, StorageStats};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// What backend operations return: boxed so that the traits stay object-safe
/// and an implementation may do network I/O (JetStream) or move blocking
/// file I/O off the async threads (redb).
pub type StateFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StateError>> + Send + 'a>>;

/// Why a backend operation failed. The guest sees each as `error::other`
/// with this text; the variants let the host count refusals apart from faults.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The write would take the namespace over `max_state_bytes`; nothing was written.
    #[error("the module's state would grow to {would_be} bytes, over max_state_bytes ({limit}); nothing was written")]
    StateFull {
        /// `max_state_bytes`.
        limit: u64,
        /// The size the namespace would have had.
        would_be: u64,
    },
    /// `increment` on a value that is not a decimal counter, or that would overflow.
    #[error("cannot increment `{key}`: {reason}")]
    NotACounter {
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
    /// The storage failed (I/O, corruption, a lost connection).
    #[error("storage failure: {0}")]
    Storage(String),
}

/// Size of a namespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Sum over entries of bucket name, key and value lengths.
    pub bytes: u64,
    /// Number of entries (over all buckets).
    pub keys: u64,
}

impl Usage {
    /// The bytes one entry counts for.
    pub fn entry_bytes(bucket: &str, key: &str, value_len: usize) -> u64 {
        (bucket.len() + key.len() + value_len) as u64
    }
}

/// A key and its value.
pub type KeyValue = (String, Vec<u8>);

/// One page of `list-keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPage {
    /// Keys of this page, in key order.
    pub keys: Vec<String>,
    /// Where the next page starts; `None` when this was the last.
    pub cursor: Option<u64>,
}

/// One stored value with its bucket and key: the unit of export and import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Bucket name (`""` is the default bucket).
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Value.
    pub value: Vec<u8>,
}

/// A storage system holding one namespace per module.
pub trait StateBackend: Send + Sync {
    /// Opens `module`'s namespace, creating it empty if it has none yet.
    /// Writes that would take it over `max_state_bytes` are refused with
    /// [`StateError::StateFull`]. Fails (naming where) if the existing data is
    /// unreadable: a module must never silently start empty.
    fn open(&self, module: &str, max_state_bytes: u64) -> StateFuture<'_, Arc<dyn Namespace>>;

    /// Where `module`'s data lives (a file, a JetStream bucket), for messages.
    fn location(&self, module: &str) -> String;
}

/// One module's namespace. Every write is durable when its future resolves;
/// a write of several keys (`set_many`, `delete_many`) is one transaction.
pub trait Namespace: Send + Sync {
    /// The value of `key` in `bucket`.
    fn get(&self, bucket: String, key: String) -> StateFuture<'_, Option<Vec<u8>>>;
    /// Sets `key` in `bucket` to `value`.
    fn set(&self, bucket: String, key: String, value: Vec<u8>) -> StateFuture<'_, ()>;
    /// Deletes `key` from `bucket`; nothing if it is absent.
    fn delete(&self, bucket: String, key: String) -> StateFuture<'_, ()>;
    /// Whether `bucket` has `key`.
    fn exists(&self, bucket: String, key: String) -> StateFuture<'_, bool>;
    /// At most `limit` keys of `bucket` in key order, from `cursor` (as returned by the previous page).
    fn list_keys(&self, bucket: String, cursor: Option<u64>, limit: usize) -> StateFuture<'_, KeyPage>;
    /// Adds `delta` to the decimal counter at `key` (absent counts as 0); the new value.
    fn increment(&self, bucket: String, key: String, delta: u64) -> StateFuture<'_, u64>;
    /// The values of `keys`, in their order (`None` for absent ones).
    fn get_many(&self, bucket: String, keys: Vec<String>) -> StateFuture<'_, Vec<Option<KeyValue>>>;
    /// Sets every pair, all or none.
    fn set_many(&self, bucket: String, pairs: Vec<KeyValue>) -> StateFuture<'_, ()>;
    /// Deletes every key, all or none.
    fn delete_many(&self, bucket: String, keys: Vec<String>) -> StateFuture<'_, ()>;
    /// The namespace's size.
    fn usage(&self) -> StateFuture<'_, Usage>;
    /// Every entry of every bucket, in (bucket, key) order.
    fn export(&self) -> StateFuture<'_, Vec<Entry>>;
    /// Replaces the whole namespace with `entries` in one transaction (a restore); its new size.
    fn replace_all(&self, entries: Vec<Entry>) -> StateFuture<'_, Usage>;
}

/// A module's open namespace, with its limits and counters. Shared by every
/// instance of every version of the module: a new version sees the same data.
pub struct ModuleStorage {
    /// The module, for logs.
    pub module: Arc<str>,
    /// Where the data lives, for messages and `/api/v1/modules`.
    pub location: String,
    /// The namespace.
    pub namespace: Arc<dyn Namespace>,
    /// Key, value and size limits.
    pub limits: StorageLimits,
    /// Operations, latencies and refusals since the host started.
    pub stats: StorageStats,
}

impl ModuleStorage {
    /// What `/api/v1/modules` and `/metrics` show: usage, limits and counters.
    pub async fn report(&self) -> StorageReport {
        let usage = match self.namespace.usage().await {
            Ok(usage) => Some(usage),
            Err(error) => {
                tracing::warn!(location = self.location, "cannot read the state's usage: {error}");
                None
            }
        };
        self.stats.report(&self.location, usage, &self.limits)
    }
}

/// The open namespace of every module that has loaded, by module name.
///
/// A namespace is opened on a module's first load and stays open (and, for
/// redb, its file locked) until the host stops, so that reloads and restarts
/// share it.
pub struct StorageMap {
    /// `None`: the host keeps no state (`data_dir = ""`); `open` of a bucket is `access-denied`.
    backend: Option<Arc<dyn StateBackend>>,
    /// The limits every module's storage gets.
    limits: StorageLimits,
    /// One cell per module, so two loads never open the same namespace twice.
    open: Mutex<BTreeMap<String, Arc<OnceCell<Arc<ModuleStorage>>>>>,
}

impl StorageMap {
    /// A map over the embedded backend in `data_dir` (`None`: no state).
    /// Fails, naming the folder, if it cannot be created or is not a folder.
    pub fn new(data_dir: Option<&Path>, limits: &Limits) -> Result<Self> {
        let backend = match data_dir {
            Some(dir) => Some(Arc::new(redb_backend::RedbBackend::new(dir)?) as Arc<dyn StateBackend>),
            None => None,
        };
        Ok(Self::with_backend(backend, limits))
    }

    /// A map over `backend`.
    pub fn with_backend(backend: Option<Arc<dyn StateBackend>>, limits: &Limits) -> Self {
        Self { backend, limits: StorageLimits::from(limits), open: Mutex::default() }
    }

    /// `module`'s storage, opening it on first use; `None` when the host keeps no state.
    pub async fn open(&self, module: &str) -> Result<Option<Arc<ModuleStorage>>> {
        let Some(backend) = &self.backend else { return Ok(None) };
        let cell = lock(&self.open).entry(module.to_owned()).or_default().clone();
        let storage = cell
            .get_or_try_init(|| async {
                let location = backend.location(module);
                let namespace = backend
                    .open(module, self.limits.max_state_bytes)
                    .await
                    .with_context(|| format!("cannot open the module's state {location}"))?;
                tracing::info!(module, location, "state opened");
                anyhow::Ok(Arc::new(ModuleStorage {
                    module: module.into(),
                    location,
                    namespace,
                    limits: self.limits,
                    stats: StorageStats::default(),
                }))
            })
            .await?;
        Ok(Some(storage.clone()))
    }

    /// Forgets every open namespace; each closes when its last user (an
    /// instance, a report) lets go of it.
    pub fn close(&self) {
        let open = std::mem::take(&mut *lock(&self.open));
        for (module, cell) in open {
            if let Some(storage) = cell.get()
                && Arc::strong_count(storage) > 1
            {
                tracing::warn!(module, "state still in use while closing; it closes when released");
            }
        }
    }

    /// `module`'s storage if it is open.
    pub fn get(&self, module: &str) -> Option<Arc<ModuleStorage>> {
        lock(&self.open).get(module).and_then(|cell| cell.get().cloned())
    }
}

/// The default folder of module state.
pub const DEFAULT_DATA_DIR: &str = ".topicwire-data";

/// `dir`, created if missing; fails, naming it, if it is not a usable folder.
pub fn prepare_data_dir(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot use data folder {}", dir.display()))?;
    let metadata = std::fs::metadata(dir).with_context(|| format!("cannot use data folder {}", dir.display()))?;
    anyhow::ensure!(metadata.is_dir(), "cannot use data folder {}: it is not a folder", dir.display());
    Ok(dir.to_owned())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves a map that is still consistent.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_where_the_data_folder_should_be_is_an_error_naming_it() {
        let dir = std::env::temp_dir().join(format!("topicwire-state-file-{}", std::process::id()));
        std::fs::write(&dir, b"not a folder").unwrap();
        let error = format!("{:#}", prepare_data_dir(&dir).unwrap_err());
        assert!(error.contains(&dir.display().to_string()), "{error}");
        std::fs::remove_file(&dir).unwrap();
    }

    #[tokio::test]
    async fn without_a_backend_modules_have_no_storage() {
        let map = StorageMap::with_backend(None, &Limits::default());
        assert!(map.open("m").await.unwrap().is_none());
        assert!(map.get("m").is_none());
    }
}

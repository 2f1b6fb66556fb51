//! The host side of `wasi:keyvalue` (`store`, `atomics`, `batch`) over a
//! module's [`Namespace`](crate::state::Namespace); the bucket resource is
//! [`crate::state::bucket::Bucket`].
//!
//! Every failure is a WIT `error`, never a trap: a size limit or a full
//! state is `other` naming the limit, a host without state is
//! `access-denied`, an invalid bucket identifier is `no-such-store`, and a
//! storage fault is `other` naming the file. Each call is timed and counted
//! in the module's [`StorageStats`](crate::state::stats::StorageStats).

use crate::runtime::bindings::wasi::keyvalue::store::{Error, KeyResponse};
use crate::runtime::bindings::wasi::keyvalue::{atomics, batch, store};
use crate::runtime::guest_state::GuestState;
use crate::state::bucket::Bucket;
use crate::state::limits::{LIST_KEYS_PAGE, MAX_OPEN_BUCKETS, Refusal, valid_bucket_name};
use crate::state::stats::{Operation, Refused};
use crate::state::{ModuleStorage, StateError, StateFuture};
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::Resource;

impl GuestState {
    /// The storage and name of an open bucket.
    fn bucket(&mut self, bucket: &Resource<Bucket>) -> Result<(Arc<ModuleStorage>, String), Error> {
        // The component model only hands the guest handles it owns, so a miss is a host bug.
        let bucket = self.resources().get(bucket).map_err(|error| Error::Other(format!("no such bucket: {error}")))?;
        Ok((bucket.storage().clone(), bucket.name().to_owned()))
    }
}

/// Awaits one backend operation, recording its latency and outcome.
async fn timed<T>(
    storage: &ModuleStorage,
    kind: Operation,
    started: Instant,
    operation: StateFuture<'_, T>,
) -> Result<T, Error> {
    let result = operation.await;
    storage.stats.record(kind, started.elapsed());
    result.map_err(|error| backend_error(storage, kind, error))
}

fn backend_error(storage: &ModuleStorage, kind: Operation, error: StateError) -> Error {
    let message = error.to_string();
    match error {
        StateError::StateFull { .. } => {
            let count = storage.stats.refuse(Refused::StateFull);
            log_refusal(storage, count, &message);
        }
        StateError::NotACounter { .. } => {}
        StateError::Storage(_) => {
            storage.stats.failed(kind);
            tracing::error!(module = &*storage.module, operation = kind.name(), "state operation failed: {message}");
        }
    }
    Error::Other(message)
}

fn refuse(storage: &ModuleStorage, (refusal, message): (Refusal, String)) -> Error {
    let reason = match refusal {
        Refusal::Key => Refused::KeyTooLarge,
        Refusal::Value => Refused::ValueTooLarge,
    };
    let count = storage.stats.refuse(reason);
    log_refusal(storage, count, &message);
    Error::Other(message)
}

fn log_refusal(storage: &ModuleStorage, count: u64, message: &str) {
    // The 1st, 2nd, 4th, 8th...: a module hammering a limit stays visible without flooding the log.
    if count.is_power_of_two() {
        tracing::warn!(module = &*storage.module, count, "refused a state operation: {message}");
    }
}

fn check_keys<'a>(storage: &ModuleStorage, keys: impl IntoIterator<Item = &'a String>) -> Result<(), Error> {
    for key in keys {
        storage.limits.check_key(key).map_err(|refusal| refuse(storage, refusal))?;
    }
    Ok(())
}

fn check_value(storage: &ModuleStorage, key: &str, value: &[u8]) -> Result<(), Error> {
    storage.limits.check_value(key, value).map_err(|refusal| refuse(storage, refusal))
}

impl store::Host for GuestState {
    async fn open(&mut self, identifier: String) -> Result<Resource<Bucket>, Error> {
        let started = Instant::now();
        let Some(storage) = self.storage.clone() else { return Err(Error::AccessDenied) };
        let result = if !valid_bucket_name(&identifier) {
            storage.stats.refuse(Refused::Bucket);
            Err(Error::NoSuchStore)
        } else if self.open_buckets >= MAX_OPEN_BUCKETS {
            let message = format!("too many open buckets: at most {MAX_OPEN_BUCKETS} per instance; drop some first");
            let count = storage.stats.refuse(Refused::Bucket);
            log_refusal(&storage, count, &message);
            Err(Error::Other(message))
        } else {
            let bucket = Bucket::new(storage.clone(), identifier);
            match self.resources().push(bucket) {
                Ok(resource) => {
                    self.open_buckets += 1;
                    Ok(resource)
                }
                Err(error) => Err(Error::Other(format!("cannot open the bucket: {error}"))),
            }
        };
        storage.stats.record(Operation::Open, started.elapsed());
        result
    }
}

impl store::HostBucket for GuestState {
    async fn get(&mut self, bucket: Resource<Bucket>, key: String) -> Result<Option<Vec<u8>>, Error> {
        let started = Instant::now();
        let (storage, name) = self.bucket(&bucket)?;
        check_keys(&storage, [&key])?;
        timed(&storage, Operation::Get, started, storage.namespace.get(name, key)).await
    }

    async fn set(&mut self, bucket: Resource<Bucket>, key: String, value: Vec<u8>) -> Result<(), Error> {
        let started = Instant::now();
        let (storage, name) = self.bucket(&bucket)?;
        check_keys(&storage, [&key])?;
        check_value(&storage, &key, &value)?;
        timed(&storage, Operation::Set, started, storage.namespace.set(name, key, value)).await
    }

    async fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> Result<(), Error> {
        let started = Instant::now();
        let (storage, name) = self.bucket(&bucket)?;
        check_keys(&storage, [&key])?;
        timed(&storage, Operation::Delete, started, storage.namespace.delete(name, key)).await
    }

    async fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> Result<bool, Error> {
        let started = Instant::now();
        let (storage, name) = self.bucket(&bucket)?;
        check_keys(&storage, [&key])?;
        timed(&storage, Operation::Exists, started, storage.namespace.exists(name, key)).await
    }

    async fn list_keys(&mut self, bucket: Resource<Bucket>, cursor: Option<u64>) -> Result<KeyResponse, Error> {
        let started = Instant::now();
        let (storage, name) = self.bucket(&bucket)?;
        let page =
            timed(&storage, Operation::ListKeys, started, storage.namespace.list_keys(name, cursor, LIST_KEYS_PAGE))
                .await?;
        Ok(KeyResponse { keys: page.keys, cursor: page.cursor })
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.resources().delete(bucket)?;
        self.open_buckets = self.open_buckets.saturating_sub(1);
        Ok(())
    }
}

impl atomics::Host for GuestState {
    async fn increment(&mut self, bucket: Resource<Bucket>, key: String, delta: u64) -> Result<u64, Error> {
        let started = Instant::now();
        let (storage, name) = self.bucket(&bucket)?;
        check_keys(&storage, [&key])?;
        timed(&storage, Operation::Increment, started, storage.namespace.increment(name, key, delta)).await
    }
}

impl batch::Host for GuestState {
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> Result<Vec<Option<(String, Vec<u8>)>>, Error> {
        let started = Instant::now();
        let (storage, name) = self.bucket(&bucket)?;
        check_keys(&storage, &keys)?;
        timed(&storage, Operation::GetMany, started, storage.namespace.get_many(name, keys)).await
    }

    async fn set_many(&mut self, bucket: Resource<Bucket>, key_values: Vec<(String, Vec<u8>)>) -> Result<(), Error> {
        let started = Instant::now();
        let (storage, name) = self.bucket(&bucket)?;
        for (key, value) in &key_values {
            check_keys(&storage, [key])?;
            check_value(&storage, key, value)?;
        }
        timed(&storage, Operation::SetMany, started, storage.namespace.set_many(name, key_values)).await
    }

    async fn delete_many(&mut self, bucket: Resource<Bucket>, keys: Vec<String>) -> Result<(), Error> {
        let started = Instant::now();
        let (storage, name) = self.bucket(&bucket)?;
        check_keys(&storage, &keys)?;
        timed(&storage, Operation::DeleteMany, started, storage.namespace.delete_many(name, keys)).await
    }
}

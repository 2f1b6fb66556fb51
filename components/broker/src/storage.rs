//! The store the broker's state lives in: the host's `wasi:keyvalue`
//! (durable, one namespace for the module) through `topicwire_guest::store`;
//! in memory when the crate's pure logic runs natively in unit tests.

use crate::ledger::{Store, StoreError};
use std::collections::HashMap;
use topicwire_guest::store::{Batch, Bucket};

/// Open buckets kept between calls (opening one is a host call).
const OPEN_BUCKETS: usize = 1_024;

/// The module's store.
pub fn open_store() -> Box<dyn Store> {
    if cfg!(target_arch = "wasm32") {
        Box::new(KeyValue::default())
    } else {
        Box::new(crate::ledger::MemoryStore::default())
    }
}

/// `wasi:keyvalue`, one bucket per ledger bucket.
#[derive(Debug, Default)]
struct KeyValue {
    buckets: HashMap<String, Bucket>,
}

impl KeyValue {
    fn bucket(&mut self, name: &str) -> Result<&Bucket, StoreError> {
        if !self.buckets.contains_key(name) {
            if self.buckets.len() >= OPEN_BUCKETS {
                self.buckets.clear();
            }
            let bucket = Bucket::open_named(name).map_err(failed)?;
            self.buckets.insert(name.to_owned(), bucket);
        }
        self.buckets.get(name).ok_or_else(|| StoreError("the bucket did not open".into()))
    }
}

fn failed(error: topicwire_guest::store::StoreError) -> StoreError {
    StoreError(error.to_string())
}

impl Store for KeyValue {
    fn get(&mut self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.bucket(bucket)?.get(key).map_err(failed)
    }

    fn get_many(&mut self, bucket: &str, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.bucket(bucket)?.get_many(&keys).map_err(failed)
    }

    fn set_many(&mut self, bucket: &str, entries: Vec<(String, Vec<u8>)>) -> Result<(), StoreError> {
        let mut batch = Batch::new();
        for (key, value) in entries {
            batch.set(&key, value);
        }
        self.bucket(bucket)?.set_many(&batch).map_err(failed)
    }

    fn keys(&mut self, bucket: &str) -> Result<Vec<String>, StoreError> {
        self.bucket(bucket)?.keys().map_err(failed)
    }

    fn delete_many(&mut self, bucket: &str, keys: &[String]) -> Result<(), StoreError> {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.bucket(bucket)?.delete_many(&keys).map_err(failed)
    }

    fn increment(&mut self, bucket: &str, key: &str, delta: u64) -> Result<u64, StoreError> {
        self.bucket(bucket)?.increment(key, delta).map_err(failed)
    }
}

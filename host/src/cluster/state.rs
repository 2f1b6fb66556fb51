//! The cluster's state backend: one JetStream KV bucket per module
//! (`topicwire-state-<module>`), so a module's data is wherever its leader
//! runs and survives a failover. Each `wasi:keyvalue` bucket is one KV entry
//! holding all its keys, written with compare-and-set on the entry's
//! revision: a write of several keys of one bucket (`set-many`,
//! `delete-many`) is one atomic, durable write (JetStream acknowledges it
//! once stored), and two writers never lose each other's changes.
//!
//! Limits of this layout: a bucket's encoded size must fit NATS's
//! `max_payload` (1 MiB by default), so keep buckets small (the broker keeps
//! one per account); and `max_state_bytes` counts the buckets this node has
//! read or written since it opened the module's state.

use crate::cluster::token;
use crate::state::counter;
use crate::state::{Entry, KeyPage, KeyValue, Namespace, StateBackend, StateError, StateFuture, Usage};
use async_nats::jetstream::{self, kv};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::TryStreamExt;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

/// Compare-and-set attempts of one write before it fails.
const ATTEMPTS: usize = 5;

/// Module state in JetStream KV.
pub struct JetStreamBackend {
    jetstream: jetstream::Context,
}

impl JetStreamBackend {
    /// The backend over `jetstream`.
    pub fn new(jetstream: jetstream::Context) -> Self {
        Self { jetstream }
    }
}

fn bucket_of(module: &str) -> String {
    format!("topicwire-state-{}", token(module))
}

impl StateBackend for JetStreamBackend {
    fn open(&self, module: &str, max_state_bytes: u64) -> StateFuture<'_, Arc<dyn Namespace>> {
        let name = bucket_of(module);
        Box::pin(async move {
            let store = match self.jetstream.get_key_value(&name).await {
                Ok(store) => store,
                Err(_) => {
                    let config = kv::Config { bucket: name.clone(), history: 1, ..Default::default() };
                    self.jetstream.create_key_value(config).await.map_err(failure)?
                }
            };
            let namespace = JetStreamNamespace { store, max_state_bytes, sizes: Mutex::default() };
            // Reads every bucket once: damaged data fails the open, and the size is known.
            namespace.usage_now().await?;
            Ok(Arc::new(namespace) as Arc<dyn Namespace>)
        })
    }

    fn location(&self, module: &str) -> String {
        format!("JetStream KV bucket {}", bucket_of(module))
    }
}

/// One module's KV bucket.
struct JetStreamNamespace {
    store: kv::Store,
    max_state_bytes: u64,
    /// The size of each bucket as last read or written here.
    sizes: Mutex<HashMap<String, u64>>,
}

type Keys = BTreeMap<String, Vec<u8>>;

/// The KV key of `wasi:keyvalue` bucket `bucket`.
fn entry_key(bucket: &str) -> String {
    format!("b{}", bucket.bytes().map(|byte| format!("{byte:02x}")).collect::<String>())
}

fn bucket_name(key: &str) -> Option<String> {
    let hex = key.strip_prefix('b')?;
    let bytes: Option<Vec<u8>> =
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect();
    String::from_utf8(bytes?).ok()
}

impl JetStreamNamespace {
    /// `bucket`'s keys and the revision they were read at (`None`: absent).
    async fn load(&self, bucket: &str) -> Result<(Keys, Option<u64>), StateError> {
        let entry = self.store.entry(entry_key(bucket)).await.map_err(failure)?;
        let (keys, revision) = match entry {
            Some(entry) if entry.operation == kv::Operation::Put => (decode(&entry.value)?, Some(entry.revision)),
            Some(entry) => (Keys::new(), Some(entry.revision)),
            None => (Keys::new(), None),
        };
        self.sizes.lock().unwrap_or_else(PoisonError::into_inner).insert(bucket.to_owned(), size(bucket, &keys));
        Ok((keys, revision))
    }

    /// Applies `change` to `bucket` and stores the result atomically,
    /// reading again when another writer came first. Returns what `change` did.
    async fn modify<T>(
        &self,
        bucket: &str,
        mut change: impl FnMut(&mut Keys) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        for _ in 0..ATTEMPTS {
            let (mut keys, revision) = self.load(bucket).await?;
            let outcome = change(&mut keys)?;
            let new_size = size(bucket, &keys);
            let others: u64 = {
                let sizes = self.sizes.lock().unwrap_or_else(PoisonError::into_inner);
                sizes.iter().filter(|(name, _)| name.as_str() != bucket).map(|(_, bytes)| bytes).sum()
            };
            if others + new_size > self.max_state_bytes {
                return Err(StateError::StateFull { limit: self.max_state_bytes, would_be: others + new_size });
            }
            let value = encode(&keys);
            // Only a conflict (another writer came first) is tried again: any other
            // failure may have stored the write, so applying `change` twice could repeat it.
            let conflict = match revision {
                Some(revision) => match self.store.update(entry_key(bucket), value, revision).await {
                    Ok(_) => false,
                    Err(error) if error.kind() == kv::UpdateErrorKind::WrongLastRevision => true,
                    Err(error) => return Err(failure(error)),
                },
                None => match self.store.create(entry_key(bucket), value).await {
                    Ok(_) => false,
                    Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => true,
                    Err(error) => return Err(failure(error)),
                },
            };
            if !conflict {
                self.sizes.lock().unwrap_or_else(PoisonError::into_inner).insert(bucket.to_owned(), new_size);
                return Ok(outcome);
            }
        }
        Err(StateError::Storage(format!("bucket `{bucket}` kept changing under this write; try again")))
    }

    async fn usage_now(&self) -> Result<Usage, StateError> {
        let mut usage = Usage::default();
        for entry in self.export_all().await? {
            usage.bytes += Usage::entry_bytes(&entry.bucket, &entry.key, entry.value.len());
            usage.keys += 1;
        }
        Ok(usage)
    }

    async fn export_all(&self) -> Result<Vec<Entry>, StateError> {
        let names: Vec<String> = self.store.keys().await.map_err(failure)?.try_collect().await.map_err(failure)?;
        let mut buckets: Vec<String> = names.iter().filter_map(|name| bucket_name(name)).collect();
        buckets.sort();
        let mut entries = Vec::new();
        for bucket in buckets {
            let (keys, _) = self.load(&bucket).await?;
            entries.extend(keys.into_iter().map(|(key, value)| Entry { bucket: bucket.clone(), key, value }));
        }
        Ok(entries)
    }
}

impl Namespace for JetStreamNamespace {
    fn get(&self, bucket: String, key: String) -> StateFuture<'_, Option<Vec<u8>>> {
        Box::pin(async move { Ok(self.load(&bucket).await?.0.remove(&key)) })
    }

    fn set(&self, bucket: String, key: String, value: Vec<u8>) -> StateFuture<'_, ()> {
        Box::pin(async move {
            self.modify(&bucket, |keys| {
                keys.insert(key.clone(), value.clone());
                Ok(())
            })
            .await
        })
    }

    fn delete(&self, bucket: String, key: String) -> StateFuture<'_, ()> {
        Box::pin(async move {
            self.modify(&bucket, |keys| {
                keys.remove(&key);
                Ok(())
            })
            .await
        })
    }

    fn exists(&self, bucket: String, key: String) -> StateFuture<'_, bool> {
        Box::pin(async move { Ok(self.load(&bucket).await?.0.contains_key(&key)) })
    }

    fn list_keys(&self, bucket: String, cursor: Option<u64>, limit: usize) -> StateFuture<'_, KeyPage> {
        Box::pin(async move {
            let (keys, _) = self.load(&bucket).await?;
            let start = cursor.unwrap_or(0) as usize;
            let page: Vec<String> = keys.into_keys().skip(start).take(limit.max(1) + 1).collect();
            let more = page.len() > limit.max(1);
            let keys: Vec<String> = page.into_iter().take(limit.max(1)).collect();
            let cursor = more.then_some((start + keys.len()) as u64);
            Ok(KeyPage { keys, cursor })
        })
    }

    fn increment(&self, bucket: String, key: String, delta: u64) -> StateFuture<'_, u64> {
        Box::pin(async move {
            self.modify(&bucket, |keys| {
                let (next, stored) = counter::increment(&key, keys.get(&key).map(Vec::as_slice), delta)?;
                keys.insert(key.clone(), stored);
                Ok(next)
            })
            .await
        })
    }

    fn get_many(&self, bucket: String, keys: Vec<String>) -> StateFuture<'_, Vec<Option<KeyValue>>> {
        Box::pin(async move {
            let (stored, _) = self.load(&bucket).await?;
            Ok(keys.into_iter().map(|key| stored.get(&key).map(|value| (key.clone(), value.clone()))).collect())
        })
    }

    fn set_many(&self, bucket: String, pairs: Vec<KeyValue>) -> StateFuture<'_, ()> {
        Box::pin(async move {
            self.modify(&bucket, |keys| {
                keys.extend(pairs.iter().cloned());
                Ok(())
            })
            .await
        })
    }

    fn delete_many(&self, bucket: String, keys: Vec<String>) -> StateFuture<'_, ()> {
        Box::pin(async move {
            self.modify(&bucket, |stored| {
                for key in &keys {
                    stored.remove(key);
                }
                Ok(())
            })
            .await
        })
    }

    fn usage(&self) -> StateFuture<'_, Usage> {
        Box::pin(self.usage_now())
    }

    fn export(&self) -> StateFuture<'_, Vec<Entry>> {
        Box::pin(self.export_all())
    }

    fn replace_all(&self, entries: Vec<Entry>) -> StateFuture<'_, Usage> {
        Box::pin(async move {
            let mut buckets: BTreeMap<String, Keys> = BTreeMap::new();
            for entry in self.export_all().await? {
                buckets.entry(entry.bucket).or_default();
            }
            for Entry { bucket, key, value } in entries {
                buckets.entry(bucket).or_default().insert(key, value);
            }
            for (bucket, keys) in buckets {
                self.modify(&bucket, |stored| {
                    *stored = keys.clone();
                    Ok(())
                })
                .await?;
            }
            self.usage_now().await
        })
    }
}

/// The size a bucket counts for: its name, keys and values.
fn size(bucket: &str, keys: &Keys) -> u64 {
    keys.iter().map(|(key, value)| Usage::entry_bytes(bucket, key, value.len())).sum()
}

/// Keys as `(u32 length, key, u32 length, value)*`, big-endian lengths.
fn encode(keys: &Keys) -> Bytes {
    let mut out = BytesMut::new();
    for (key, value) in keys {
        out.put_u32(key.len() as u32);
        out.put_slice(key.as_bytes());
        out.put_u32(value.len() as u32);
        out.put_slice(value);
    }
    out.freeze()
}

fn decode(mut bytes: &[u8]) -> Result<Keys, StateError> {
    let damaged = || StateError::Storage("a stored bucket is damaged (cut short or not UTF-8 keys)".into());
    let mut keys = Keys::new();
    while bytes.has_remaining() {
        let mut part = || -> Option<Vec<u8>> {
            let len = (bytes.remaining() >= 4).then(|| bytes.get_u32() as usize)?;
            let part = bytes.get(..len)?.to_vec();
            bytes.advance(len);
            Some(part)
        };
        let key = part().and_then(|key| String::from_utf8(key).ok()).ok_or_else(damaged)?;
        let value = part().ok_or_else(damaged)?;
        keys.insert(key, value);
    }
    Ok(keys)
}

fn failure(error: impl std::fmt::Display) -> StateError {
    StateError::Storage(format!("JetStream: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_trip_and_damage_is_an_error() {
        let keys: Keys = [("a".to_owned(), b"1".to_vec()), ("order:7".to_owned(), vec![0, 255])].into();
        assert_eq!(decode(&encode(&keys)).unwrap(), keys);
        assert!(decode(&encode(&keys)[..5]).is_err());
        assert_eq!(bucket_name(&entry_key("account:A1")).as_deref(), Some("account:A1"));
        assert_eq!(bucket_name(&entry_key("")).as_deref(), Some(""));
    }
}

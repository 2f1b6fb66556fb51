//! The embedded backend: one [redb](https://www.redb.org) file per module,
//! `<data-dir>/<module>.redb`, so a damaged file stops only its own module.
//!
//! Every write is one transaction committed with [`Durability::Immediate`]
//! (fsync before the call returns): once a guest's `set` returns, `kill -9`
//! of the host cannot lose it. A batch (`set-many`, `delete-many`) is one
//! transaction, all or nothing. The namespace's size is kept in the same
//! transaction as the data, so the `max_state_bytes` check cannot race.
//!
//! redb blocks on file I/O, so each operation runs on tokio's blocking pool.
//! Its file lock keeps a second process (another host, `topicwire state
//! import`) from opening a namespace that is in use.
//!
//! Layout of a file: table `entries` maps `(bucket, key)` to the value;
//! table `meta` holds the file's `format` and its usage (`bytes`, `keys`).

use crate::state::counter;
use crate::state::{
    Entry, KeyPage, KeyValue, Namespace, StateBackend, StateError, StateFuture, Usage, prepare_data_dir,
};
use anyhow::Result;
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Values by `(bucket, key)`.
const ENTRIES: TableDefinition<'static, (&str, &str), &[u8]> = TableDefinition::new("entries");
/// `format`, `bytes`, `keys`.
const META: TableDefinition<'static, &str, u64> = TableDefinition::new("meta");
/// The layout described above; a file of another format is refused, not guessed at.
const FORMAT: u64 = 1;
/// Page cache per module file: state is small and many modules share the host.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Module namespaces as redb files in one folder.
#[derive(Debug, Clone)]
pub struct RedbBackend {
    /// The data folder, checked to be a usable folder.
    dir: PathBuf,
}

impl RedbBackend {
    /// The backend over `dir`, created if missing. Fails, naming it, if it is not a usable folder.
    pub fn new(dir: &Path) -> Result<Self> {
        Ok(Self { dir: prepare_data_dir(dir)? })
    }

    /// The file of `module`.
    pub fn file(&self, module: &str) -> PathBuf {
        file_in(&self.dir, module)
    }
}

/// The file of `module` in data folder `dir`.
pub fn file_in(dir: &Path, module: &str) -> PathBuf {
    dir.join(format!("{module}.redb"))
}

impl StateBackend for RedbBackend {
    fn open(&self, module: &str, max_state_bytes: u64) -> StateFuture<'_, Arc<dyn Namespace>> {
        let path = self.file(module);
        Box::pin(async move {
            let namespace = blocking(move || RedbNamespace::open(&path, max_state_bytes)).await?;
            Ok(Arc::new(namespace) as Arc<dyn Namespace>)
        })
    }

    fn location(&self, module: &str) -> String {
        self.file(module).display().to_string()
    }
}

/// One module's file.
#[derive(Clone)]
pub struct RedbNamespace {
    /// Shared with the blocking tasks running its operations.
    inner: Arc<Inner>,
}

struct Inner {
    /// The open file (redb locks it against other processes).
    db: Database,
    /// Its path, for errors.
    path: PathBuf,
    /// Writes that would grow the namespace past this are refused.
    max_state_bytes: u64,
}

impl RedbNamespace {
    /// Opens (or creates) the file at `path`, blocking. Its integrity is
    /// checked (every page's checksum), so a damaged file is an error naming
    /// it, never a namespace that silently lost data.
    pub fn open(path: &Path, max_state_bytes: u64) -> Result<Self, StateError> {
        let fail = |error: redb::Error| storage_error(path, &error);
        let mut builder = Database::builder();
        builder.set_cache_size(CACHE_BYTES).set_check_integrity_on_open(true);
        let db = match builder.create(path) {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StateError::Storage(format!(
                    "{} is in use by another process (a running host?); stop it first",
                    path.display()
                )));
            }
            Err(error) => return Err(fail(error.into())),
        };
        let inner = Inner { db, path: path.to_owned(), max_state_bytes };
        inner.initialise().map_err(fail)?;
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Runs `operation` on the blocking pool.
    fn run<T: Send + 'static>(
        &self,
        operation: impl FnOnce(&Inner) -> Result<T, StateError> + Send + 'static,
    ) -> StateFuture<'_, T> {
        let inner = self.inner.clone();
        Box::pin(blocking(move || operation(&inner)))
    }
}

impl Inner {
    /// Creates the tables of a new file, checks the format of an existing one,
    /// and recomputes its usage (cheap next to the integrity check, and it
    /// makes the counters self-healing).
    fn initialise(&self) -> Result<(), redb::Error> {
        let txn = self.db.begin_write()?;
        {
            let entries = txn.open_table(ENTRIES)?;
            let mut meta = txn.open_table(META)?;
            let format = meta.get("format")?.map(|value| value.value());
            match format {
                None => {
                    meta.insert("format", FORMAT)?;
                }
                Some(FORMAT) => {}
                Some(other) => {
                    return Err(redb::Error::Corrupted(format!(
                        "state format {other}, but this host reads format {FORMAT}"
                    )));
                }
            }
            let mut usage = Usage::default();
            for item in entries.iter()? {
                let (key, value) = item?;
                let (bucket, key) = key.value();
                usage.bytes += Usage::entry_bytes(bucket, key, value.value().len());
                usage.keys += 1;
            }
            write_usage(&mut meta, usage)?;
        }
        txn.commit()?;
        Ok(())
    }

    fn fail(&self, error: impl Into<redb::Error>) -> StateError {
        storage_error(&self.path, &error.into())
    }

    /// Reads with a read transaction over `entries`.
    fn read<T>(
        &self,
        operation: impl FnOnce(&redb::ReadOnlyTable<(&'static str, &'static str), &'static [u8]>) -> Result<T, redb::Error>,
    ) -> Result<T, StateError> {
        let run = || -> Result<T, redb::Error> {
            let txn = self.db.begin_read()?;
            let entries = txn.open_table(ENTRIES)?;
            operation(&entries)
        };
        run().map_err(|error| self.fail(error))
    }

    /// One durable write transaction: `operation` changes `entries` and
    /// keeps `usage` up to date; the transaction is aborted (nothing written)
    /// if it fails or if the state would grow past `max_state_bytes`.
    fn write<T>(
        &self,
        operation: impl FnOnce(
            &mut redb::Table<'_, (&'static str, &'static str), &'static [u8]>,
            &mut Usage,
        ) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        let mut txn = self.db.begin_write().map_err(|error| self.fail(error))?;
        txn.set_durability(Durability::Immediate).map_err(|error| self.fail(error))?;
        let result = {
            let mut entries = txn.open_table(ENTRIES).map_err(|error| self.fail(error))?;
            let mut meta = txn.open_table(META).map_err(|error| self.fail(error))?;
            let before = read_usage(&meta).map_err(|error| self.fail(error))?;
            let mut usage = before;
            let result = operation(&mut entries, &mut usage)?;
            if usage.bytes > self.max_state_bytes && usage.bytes > before.bytes {
                // Dropping the uncommitted transaction aborts it.
                return Err(StateError::StateFull { limit: self.max_state_bytes, would_be: usage.bytes });
            }
            write_usage(&mut meta, usage).map_err(|error| self.fail(error))?;
            result
        };
        txn.commit().map_err(|error| self.fail(error))?;
        Ok(result)
    }

    fn usage(&self) -> Result<Usage, StateError> {
        let run = || -> Result<Usage, redb::Error> {
            let txn = self.db.begin_read()?;
            let meta = txn.open_table(META)?;
            read_usage(&meta)
        };
        run().map_err(|error| self.fail(error))
    }
}

type EntriesTable<'txn> = redb::Table<'txn, (&'static str, &'static str), &'static [u8]>;

/// Sets one entry inside a write transaction, keeping `usage` exact.
fn put(
    entries: &mut EntriesTable<'_>,
    usage: &mut Usage,
    bucket: &str,
    key: &str,
    value: &[u8],
) -> Result<(), redb::Error> {
    match entries.insert((bucket, key), value)? {
        Some(old) => {
            usage.bytes = usage.bytes.saturating_sub(Usage::entry_bytes(bucket, key, old.value().len()));
        }
        None => usage.keys += 1,
    }
    usage.bytes += Usage::entry_bytes(bucket, key, value.len());
    Ok(())
}

/// Removes one entry inside a write transaction, keeping `usage` exact.
fn remove(entries: &mut EntriesTable<'_>, usage: &mut Usage, bucket: &str, key: &str) -> Result<(), redb::Error> {
    if let Some(old) = entries.remove((bucket, key))? {
        usage.bytes = usage.bytes.saturating_sub(Usage::entry_bytes(bucket, key, old.value().len()));
        usage.keys = usage.keys.saturating_sub(1);
    }
    Ok(())
}

fn read_usage(meta: &impl ReadableTable<&'static str, u64>) -> Result<Usage, redb::Error> {
    let field = |name: &str| -> Result<u64, redb::Error> { Ok(meta.get(name)?.map_or(0, |value| value.value())) };
    Ok(Usage { bytes: field("bytes")?, keys: field("keys")? })
}

fn write_usage(meta: &mut redb::Table<'_, &'static str, u64>, usage: Usage) -> Result<(), redb::Error> {
    meta.insert("bytes", usage.bytes)?;
    meta.insert("keys", usage.keys)?;
    Ok(())
}

fn storage_error(path: &Path, error: &redb::Error) -> StateError {
    StateError::Storage(format!("{}: {error}", path.display()))
}

/// Runs blocking storage code on tokio's blocking pool. A panic in redb (it
/// may panic on a file damaged while open) becomes an error, not a host crash.
async fn blocking<T: Send + 'static>(
    operation: impl FnOnce() -> Result<T, StateError> + Send + 'static,
) -> Result<T, StateError> {
    tokio::task::spawn_blocking(operation)
        .await
        .unwrap_or_else(|error| Err(StateError::Storage(format!("the storage operation failed: {error}"))))
}

impl Namespace for RedbNamespace {
    fn get(&self, bucket: String, key: String) -> StateFuture<'_, Option<Vec<u8>>> {
        self.run(move |inner| {
            inner.read(|entries| Ok(entries.get((bucket.as_str(), key.as_str()))?.map(|v| v.value().to_vec())))
        })
    }

    fn set(&self, bucket: String, key: String, value: Vec<u8>) -> StateFuture<'_, ()> {
        self.run(move |inner| {
            inner.write(|entries, usage| put(entries, usage, &bucket, &key, &value).map_err(|error| inner.fail(error)))
        })
    }

    fn delete(&self, bucket: String, key: String) -> StateFuture<'_, ()> {
        self.run(move |inner| {
            inner.write(|entries, usage| remove(entries, usage, &bucket, &key).map_err(|error| inner.fail(error)))
        })
    }

    fn exists(&self, bucket: String, key: String) -> StateFuture<'_, bool> {
        self.run(move |inner| inner.read(|entries| Ok(entries.get((bucket.as_str(), key.as_str()))?.is_some())))
    }

    fn list_keys(&self, bucket: String, cursor: Option<u64>, limit: usize) -> StateFuture<'_, KeyPage> {
        self.run(move |inner| {
            inner.read(|entries| {
                // The cursor is the number of keys already listed: guest-controlled, so only ever skipped over.
                let offset = cursor.unwrap_or(0);
                let mut skipped = 0u64;
                let mut keys = Vec::new();
                let mut more = false;
                for item in entries.range((bucket.as_str(), "")..)? {
                    let (entry, _) = item?;
                    let (entry_bucket, key) = entry.value();
                    if entry_bucket != bucket {
                        break;
                    }
                    if skipped < offset {
                        skipped += 1;
                        continue;
                    }
                    if keys.len() == limit {
                        more = true;
                        break;
                    }
                    keys.push(key.to_owned());
                }
                let cursor = more.then(|| offset + keys.len() as u64);
                Ok(KeyPage { keys, cursor })
            })
        })
    }

    fn increment(&self, bucket: String, key: String, delta: u64) -> StateFuture<'_, u64> {
        self.run(move |inner| {
            inner.write(|entries, usage| {
                let current = entries.get((bucket.as_str(), key.as_str())).map_err(|error| inner.fail(error))?;
                let (next, stored) = counter::increment(&key, current.as_ref().map(|value| value.value()), delta)?;
                drop(current);
                put(entries, usage, &bucket, &key, &stored).map_err(|error| inner.fail(error))?;
                Ok(next)
            })
        })
    }

    fn get_many(&self, bucket: String, keys: Vec<String>) -> StateFuture<'_, Vec<Option<KeyValue>>> {
        self.run(move |inner| {
            inner.read(|entries| {
                let mut values = Vec::with_capacity(keys.len());
                for key in keys {
                    let value = entries.get((bucket.as_str(), key.as_str()))?.map(|value| value.value().to_vec());
                    values.push(value.map(|value| (key, value)));
                }
                Ok(values)
            })
        })
    }

    fn set_many(&self, bucket: String, pairs: Vec<KeyValue>) -> StateFuture<'_, ()> {
        self.run(move |inner| {
            inner.write(|entries, usage| {
                for (key, value) in &pairs {
                    put(entries, usage, &bucket, key, value).map_err(|error| inner.fail(error))?;
                }
                Ok(())
            })
        })
    }

    fn delete_many(&self, bucket: String, keys: Vec<String>) -> StateFuture<'_, ()> {
        self.run(move |inner| {
            inner.write(|entries, usage| {
                for key in &keys {
                    remove(entries, usage, &bucket, key).map_err(|error| inner.fail(error))?;
                }
                Ok(())
            })
        })
    }

    fn usage(&self) -> StateFuture<'_, Usage> {
        self.run(Inner::usage)
    }

    fn export(&self) -> StateFuture<'_, Vec<Entry>> {
        self.run(|inner| {
            inner.read(|entries| {
                let mut all = Vec::new();
                for item in entries.iter()? {
                    let (key, value) = item?;
                    let (bucket, key) = key.value();
                    all.push(Entry { bucket: bucket.to_owned(), key: key.to_owned(), value: value.value().to_vec() });
                }
                Ok(all)
            })
        })
    }

    fn replace_all(&self, replacement: Vec<Entry>) -> StateFuture<'_, Usage> {
        self.run(move |inner| {
            inner.write(|entries, usage| {
                entries.retain(|_, _| false).map_err(|error| inner.fail(error))?;
                *usage = Usage::default();
                for entry in &replacement {
                    put(entries, usage, &entry.bucket, &entry.key, &entry.value).map_err(|error| inner.fail(error))?;
                }
                Ok(*usage)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    //! What is particular to redb; what every backend must do is checked on
    //! both in the end-to-end suite (`tests/e2e/state_backends.rs`).
    use super::*;

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("topicwire-redb-{name}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            Self(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    async fn namespace(scratch: &Scratch, quota: u64) -> Arc<dyn Namespace> {
        RedbBackend::new(&scratch.0).unwrap().open("m", quota).await.unwrap()
    }

    fn s(text: &str) -> String {
        text.to_owned()
    }

    #[tokio::test]
    async fn data_survives_reopening_the_file() {
        let scratch = Scratch::new("reopen");
        {
            let ns = namespace(&scratch, u64::MAX).await;
            ns.set_many(s(""), vec![(s("x"), b"1".to_vec()), (s("y"), b"22".to_vec())]).await.unwrap();
        }
        let ns = namespace(&scratch, u64::MAX).await;
        let values = ns.get_many(s(""), vec![s("x"), s("nope"), s("y")]).await.unwrap();
        assert_eq!(values, vec![Some((s("x"), b"1".to_vec())), None, Some((s("y"), b"22".to_vec()))]);
        assert_eq!(ns.usage().await.unwrap(), Usage { bytes: 5, keys: 2 });
    }

    #[tokio::test]
    async fn a_second_open_of_a_file_in_use_is_refused() {
        let scratch = Scratch::new("in-use");
        let _first = namespace(&scratch, u64::MAX).await;
        let path = RedbBackend::new(&scratch.0).unwrap().file("m");
        let Err(error) = RedbNamespace::open(&path, u64::MAX) else { panic!("opened twice") };
        assert!(error.to_string().contains("in use"), "{error}");
    }

    #[tokio::test]
    async fn a_damaged_file_is_an_error_naming_it() {
        let scratch = Scratch::new("damaged");
        let backend = RedbBackend::new(&scratch.0).unwrap();
        std::fs::write(backend.file("m"), vec![0x5a; 64 * 1024]).unwrap();
        let Err(error) = backend.open("m", u64::MAX).await else { panic!("opened a damaged file") };
        assert!(error.to_string().contains(&backend.location("m")), "{error}");
    }
}

//! `topicwire state import` files (`state::transfer`, format
//! `topicwire-state/1`), imported into a real data folder (redb) holding a
//! module's state, as the command does.
//!
//! Properties: importing never panics; a refused file writes nothing (the
//! module's state exports as before); an accepted one leaves exactly its
//! entries, each one a module could have written (a non-empty key, a bucket
//! name within bounds, no key twice), and its export imports back to the
//! same state (decode, encode, decode round-trips).

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use topicwire::state::Entry;
use topicwire::state::limits::MAX_BUCKET_NAME_BYTES;
use topicwire::state::transfer::{export, from_json, import, to_json};

const MODULE: &str = "ledger";

/// A data folder of its own, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("topicwire-fuzz-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Store {
    runtime: tokio::runtime::Runtime,
    dir: Scratch,
}

impl Store {
    fn new(name: &str) -> Self {
        let store = Self {
            runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
            dir: Scratch::new(name),
        };
        let seed = include_str!("__fuzz__/state_imports/corpus/ledger.json");
        store.runtime.block_on(import(&store.dir.0, MODULE, seed)).unwrap();
        store
    }

    fn export(&self) -> String {
        self.runtime.block_on(export(&self.dir.0, MODULE)).unwrap().0
    }

    fn import(&self, text: &str) -> anyhow::Result<()> {
        self.runtime.block_on(import(&self.dir.0, MODULE, text)).map(|_| ())
    }
}

fn check(store: &Store, input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else { return };
    let decoded = from_json(text);
    let before = store.export();
    let imported = store.import(text);
    assert_eq!(imported.is_ok(), decoded.is_ok(), "import and decode disagree on {text}");
    let after = store.export();
    let Ok((source, entries)) = decoded else {
        assert_eq!(after, before, "a refused import wrote: {text}");
        return;
    };
    let mut sorted = entries.clone();
    sorted.sort_by(|a, b| (&a.bucket, &a.key).cmp(&(&b.bucket, &b.key)));
    for (entry, next) in sorted.iter().zip(sorted.iter().skip(1)) {
        assert!((&entry.bucket, &entry.key) != (&next.bucket, &next.key), "a key twice: {text}");
    }
    for Entry { bucket, key, .. } in &sorted {
        assert!(!key.is_empty() && bucket.len() <= MAX_BUCKET_NAME_BYTES, "an entry no module could write: {text}");
    }
    assert_eq!(from_json(&after).unwrap(), (MODULE.to_owned(), sorted.clone()), "the state is the file's entries");
    assert_eq!(from_json(&to_json(&source, entries.clone()).unwrap()).unwrap(), (source, entries));
    store.import(&after).unwrap();
    assert_eq!(store.export(), after, "an export imports back to the same state");
}

#[test]
fn fuzz() {
    let store = AssertUnwindSafe(Store::new("import"));
    bolero::check!(name = "state_imports")
        .with_iterations(crate::support::iterations(300))
        .for_each(move |input: &[u8]| check(&store, input));
}

/// Two entries of one key were imported as one (the last): the state was
/// not the file's, against this target's property.
#[test]
fn a_key_twice_is_refused_and_writes_nothing() {
    let store = Store::new("twice");
    let before = store.export();
    let twice = r#"{"format":"topicwire-state/1","module":"m","entries":[
        {"bucket":"","key":"k","text":"1"},{"bucket":"","key":"k","text":"2"}]}"#;
    let refused = format!("{:#}", store.import(twice).unwrap_err());
    assert!(refused.contains("key `k` of bucket `` twice"), "{refused}");
    assert_eq!(store.export(), before);
}

/// An empty key, or a bucket name no module can open, was imported as
/// state no module could read or delete, against this target's property.
#[test]
fn entries_no_module_could_write_are_refused() {
    let store = Store::new("unwritable");
    let before = store.export();
    let empty = r#"{"format":"topicwire-state/1","module":"m","entries":[{"bucket":"","key":"","text":"1"}]}"#;
    assert!(format!("{:#}", store.import(empty).unwrap_err()).contains("empty key"));
    let long = format!(
        r#"{{"format":"topicwire-state/1","module":"m","entries":[{{"bucket":"{}","key":"k","text":"1"}}]}}"#,
        "b".repeat(MAX_BUCKET_NAME_BYTES + 1)
    );
    assert!(format!("{:#}", store.import(&long).unwrap_err()).contains("bucket name"));
    assert_eq!(store.export(), before);
}

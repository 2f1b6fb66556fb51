//! Compilations of the fixtures, shared between the tests' hosts.
//!
//! Every host in the tests has a compiled-component cache folder of its own
//! (pruning, damaged entries and warm restarts stay per host, as in
//! production), but compiling the same components afresh in each of the
//! ~150 hosts the tests start, with the test profile's lightly optimised
//! Cranelift, was most of the tests' CPU time. So a new cache folder starts
//! with the entries earlier hosts compiled for the fixtures
//! ([`seed`]), and hands back the ones it compiled itself ([`hand_back`]).
//! Entries are named by content hash and engine configuration, so a copy is
//! only loaded by a host that would have compiled the very same thing; one
//! that does not load is recompiled, as with any cache entry.
//!
//! Only entries of the fixture files themselves are shared (variants a test
//! makes, with a custom section say, are compiled where they are used), and
//! the shared folder drops entries of fixtures that have since changed (and
//! the temporary files of copies that were cut short).

use crate::python::{PROBE_PY_V2_WASM, PROBE_PY_WASM, TRADING_WASM};
use crate::{BROKER_WASM, DATAFEED_WASM, LEDGER_V2_WASM, LEDGER_WASM, PROBE_V2_WASM, PROBE_WASM};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The shared entries: beside the fixtures this crate's build script built.
pub const SHARED_DIR: &str = concat!(env!("OUT_DIR"), "/compiled-fixtures");

/// The content hashes of the fixtures (the host's cache keys), with the
/// shared folder pruned of every other hash, once per test process.
fn fixture_hashes() -> &'static [String] {
    static HASHES: OnceLock<Vec<String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        let fixtures = [DATAFEED_WASM, BROKER_WASM, PROBE_WASM, PROBE_V2_WASM, LEDGER_WASM, LEDGER_V2_WASM];
        let python = [TRADING_WASM, PROBE_PY_WASM, PROBE_PY_V2_WASM];
        let hashes: Vec<String> = fixtures.into_iter().chain(python).map(content_hash).collect();
        let _ = std::fs::create_dir_all(SHARED_DIR);
        for (path, name) in entries(Path::new(SHARED_DIR)) {
            if !is_fixture_entry(&hashes, &name) {
                let _ = std::fs::remove_file(path);
            }
        }
        hashes
    })
}

/// The host's cache key of the component file `wasm`: its SHA-256, in hex.
pub fn content_hash(wasm: &str) -> String {
    Sha256::digest(std::fs::read(wasm).unwrap()).iter().map(|byte| format!("{byte:02x}")).collect()
}

fn is_fixture_entry(hashes: &[String], name: &str) -> bool {
    name.ends_with(".cwasm") && name.split_once('-').is_some_and(|(hash, _)| hashes.iter().any(|known| known == hash))
}

/// The files of `dir`, with their names.
fn entries(dir: &Path) -> Vec<(PathBuf, String)> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    read.flatten().filter_map(|entry| Some((entry.path(), entry.file_name().into_string().ok()?))).collect()
}

/// Copies `from` to `to` through a temporary file of its own and a rename,
/// so a host or test reading `to` never sees half of it, even while other
/// tests (threads of this process or other processes) copy the same entry.
fn copy_atomically(from: &Path, to: &Path) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    let temporary = to.with_extension(format!("part{}-{unique}", std::process::id()));
    if std::fs::copy(from, &temporary).is_ok() {
        let _ = std::fs::rename(&temporary, to);
    }
    let _ = std::fs::remove_file(&temporary);
}

/// Whether the shared folder holds a compilation of the component with `hash`.
pub fn is_shared(hash: &str) -> bool {
    fixture_hashes();
    entries(Path::new(SHARED_DIR))
        .iter()
        .any(|(_, name)| name.ends_with(".cwasm") && name.starts_with(&format!("{hash}-")))
}

/// Puts the shared compilations of the fixtures into the empty cache folder `cache`.
pub fn seed(cache: &Path) {
    let hashes = fixture_hashes();
    for (path, name) in entries(Path::new(SHARED_DIR)) {
        if is_fixture_entry(hashes, &name) {
            copy_atomically(&path, &cache.join(name));
        }
    }
}

/// Shares the compilations of fixtures in `cache` that the shared folder lacks.
pub fn hand_back(cache: &Path) {
    let hashes = fixture_hashes();
    for (path, name) in entries(cache) {
        let shared = Path::new(SHARED_DIR).join(&name);
        if is_fixture_entry(hashes, &name) && !shared.exists() {
            copy_atomically(&path, &shared);
        }
    }
}

//! The store the broker's state lives in.

use crate::ledger::{MemoryStore, Store};

/// The module's store.
pub fn open_store() -> Box<dyn Store> {
    Box::new(MemoryStore::default())
}

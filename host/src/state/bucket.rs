//! An open bucket: what a component holds as a `wasi:keyvalue/store.bucket`
//! resource (kept in its instance's resource table; the host functions over
//! it are in [`crate::runtime::host::keyvalue`]).

use crate::state::ModuleStorage;
use std::sync::Arc;

/// A bucket of a module's namespace, as one instance opened it.
pub struct Bucket {
    /// The module's storage the bucket belongs to.
    storage: Arc<ModuleStorage>,
    /// Its identifier inside the module's namespace.
    name: String,
}

impl Bucket {
    /// Bucket `name` of `storage`.
    pub fn new(storage: Arc<ModuleStorage>, name: String) -> Self {
        Self { storage, name }
    }

    /// The module's storage.
    pub fn storage(&self) -> &Arc<ModuleStorage> {
        &self.storage
    }

    /// Its identifier inside the module's namespace (`""`: the default bucket).
    pub fn name(&self) -> &str {
        &self.name
    }
}

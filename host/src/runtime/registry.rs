//! The loaded modules by name, and loading them from component files.
//!
//! A module's name is its file's stem (`components/datafeed.wasm` serves
//! `/api/v1/datafeed/ws`). Loading compiles the file, links it against the
//! `ws-route-service` world, starts an instance and asks it for its routes;
//! only then does the module serve (or, for a module already loaded, replace
//! the running version). A file that fails to load never disturbs what runs.
//!
//! A module's state is opened on its first load and shared by every later
//! version; a module whose state cannot be opened (a damaged data file) does
//! not load, and `failed` names the file.

use crate::hub::history::HistoryBudget;
use crate::limits::{Limits, ModuleSettings};
use crate::module_name::{is_component_file, module_name};
use crate::runtime::engine::Runtime;
use crate::runtime::loader::{self, Version};
use crate::runtime::module::{LastError, Module, now_ms};
use crate::runtime::remote::{Alone, Nodes};
use crate::state::{ModuleStorage, StorageMap};
use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// A file that failed to load and has no running version.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FailedLoad {
    /// Module name.
    pub module: String,
    /// The file.
    pub file: PathBuf,
    /// Why it failed.
    pub last_error: LastError,
}

/// Every loaded module.
pub struct Registry {
    runtime: Runtime,
    /// The folder of component files.
    components_dir: PathBuf,
    /// `[modules.<name>]`: each module's WASI environment.
    settings: ModuleSettings,
    limits: Arc<Limits>,
    storage: StorageMap,
    modules: RwLock<BTreeMap<String, Arc<Module>>>,
    failed: RwLock<BTreeMap<String, FailedLoad>>,
    /// Content hash of each module's file as last read: with the served
    /// versions, what the compiled-component cache keeps.
    file_hashes: RwLock<BTreeMap<String, String>>,
    /// The other nodes modules join ([`Alone`] on a single node).
    nodes: Arc<dyn Nodes>,
    /// What every topic's history may hold, shared by every module.
    history: Arc<HistoryBudget>,
}

impl Registry {
    /// An empty registry of the components in `components_dir`, whose
    /// modules get `settings` and `limits`, keep their state in `storage`
    /// and join `nodes`.
    pub fn new(
        runtime: Runtime,
        components_dir: PathBuf,
        settings: ModuleSettings,
        limits: Arc<Limits>,
        storage: StorageMap,
        nodes: Arc<dyn Nodes>,
    ) -> Self {
        Self {
            runtime,
            components_dir,
            settings,
            storage,
            modules: RwLock::default(),
            failed: RwLock::default(),
            file_hashes: RwLock::default(),
            nodes,
            history: HistoryBudget::new(limits.max_history_bytes),
            limits,
        }
    }

    /// What the topics' histories hold, host-wide.
    pub fn history(&self) -> &HistoryBudget {
        &self.history
    }

    /// The other nodes, as `/healthz` and `/api/v1/modules` report them (`None` alone).
    pub fn nodes_report(&self) -> Option<serde_json::Value> {
        self.nodes.report()
    }

    /// The open storage of module `name`, if it has any.
    pub fn storage(&self, name: &str) -> Option<Arc<ModuleStorage>> {
        self.storage.get(name)
    }

    /// The module called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Module>> {
        read(&self.modules).get(name).cloned()
    }

    /// Every loaded module, by name.
    pub fn modules(&self) -> Vec<Arc<Module>> {
        read(&self.modules).values().cloned().collect()
    }

    /// Files that failed to load and have no running version.
    pub fn failed(&self) -> Vec<FailedLoad> {
        read(&self.failed).values().cloned().collect()
    }

    /// Loads every `*.wasm` in the components folder; failures are logged.
    pub async fn load_dir(&self) -> Result<()> {
        let dir = &self.components_dir;
        let mut files = Vec::new();
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read components folder {}", dir.display()))?;
        for entry in entries {
            let path = entry.with_context(|| format!("cannot read components folder {}", dir.display()))?.path();
            if is_component_file(&path) {
                files.push(path);
            }
        }
        files.sort();
        if files.is_empty() {
            tracing::warn!("no *.wasm components in {}", dir.display());
        }
        for file in files {
            let _ = self.load_file(&file).await;
        }
        self.prune_cache().await;
        Ok(())
    }

    /// Removes compiled components of versions neither served nor in the
    /// folder any more. Called once the folder's changes are applied (not
    /// between the files of one scan, which would drop entries still to load).
    pub async fn prune_cache(&self) {
        let mut keep: std::collections::HashSet<String> = read(&self.file_hashes).values().cloned().collect();
        keep.extend(self.modules().iter().map(|module| module.status().version));
        self.runtime.prune_cache(keep).await;
    }

    /// Loads `file`: a new module is mounted; an existing one switches to the
    /// new version if it loads, and keeps its current one otherwise.
    pub async fn load_file(&self, file: &Path) -> Result<()> {
        let name = module_name(file)?;
        let existing = self.get(&name);
        let result = self.prepare(&name, file, existing.as_ref().map(|module| module.status().version)).await;
        match (result, existing) {
            (Ok(Some(version)), Some(module)) => {
                tracing::info!(module = name, file = %file.display(), version = &version.hash[..12], "reloading");
                module.replace(version).await;
                Ok(())
            }
            (Ok(Some(version)), None) => {
                let routes: Vec<&str> = version.routes.iter().map(|route| route.name.as_str()).collect();
                tracing::info!(module = name, file = %file.display(), routes = ?routes, "loaded; serving /api/v1/{name}/ws");
                let module =
                    Module::start(name.as_str().into(), file.to_owned(), version, self.limits.clone(), &*self.nodes);
                write(&self.failed).remove(&name);
                write(&self.modules).insert(name, Arc::new(module));
                Ok(())
            }
            (Ok(None), _) => {
                tracing::debug!(module = name, "unchanged content, not reloaded");
                Ok(())
            }
            (Err(error), existing) => {
                let message = format!("{error:#}");
                tracing::error!(module = name, file = %file.display(), "cannot load: {message}");
                match existing {
                    Some(module) => module.reload_failed(message).await,
                    None => {
                        let failed = FailedLoad {
                            module: name.clone(),
                            file: file.to_owned(),
                            last_error: LastError { message, at_ms: now_ms() },
                        };
                        write(&self.failed).insert(name, failed);
                    }
                }
                Err(error)
            }
        }
    }

    /// Serves the built-in native producer as module `name` (the benchmarks' baseline).
    pub async fn load_native(&self, name: &str) -> Result<()> {
        let version = loader::load_native(name, self.setting(name, None)).await?;
        // The baseline is measured on one node, whatever the registry's other modules join.
        let module = Module::start(name.into(), PathBuf::from("(built-in)"), version, self.limits.clone(), &Alone);
        write(&self.modules).insert(name.to_owned(), Arc::new(module));
        tracing::info!(module = name, "serving the built-in native producer on /api/v1/{name}/ws");
        Ok(())
    }

    /// What module `name`'s instances get, with its `storage`.
    fn setting(&self, name: &str, storage: Option<Arc<ModuleStorage>>) -> loader::Setting {
        loader::Setting { env: self.env_of(name), limits: self.limits.clone(), storage, history: self.history.clone() }
    }

    fn env_of(&self, name: &str) -> Arc<[(String, String)]> {
        self.settings
            .get(name)
            .map(|settings| settings.iter().map(|(key, value)| (key.clone(), value.clone())).collect())
            .unwrap_or_default()
    }

    /// Unloads module `name`: its topics are removed and its clients closed with 1001.
    pub async fn unload(&self, name: &str) {
        write(&self.failed).remove(name);
        write(&self.file_hashes).remove(name);
        let Some(module) = write(&self.modules).remove(name) else { return };
        tracing::info!(module = name, "unloading");
        module.unload().await;
    }

    /// Unloads every module, waiting for their instances to go, then closes
    /// their state: once this returns, no data file is held open.
    pub async fn close(&self) {
        let modules = std::mem::take(&mut *write(&self.modules));
        for module in modules.values() {
            module.unload().await;
        }
        drop(modules);
        self.storage.close();
    }

    /// Compiles, links and starts `file`, unless its content hash is `current`
    /// (then `None`: nothing to do).
    async fn prepare(&self, name: &str, file: &Path, current: Option<String>) -> Result<Option<Version>> {
        let bytes = tokio::fs::read(file).await.with_context(|| format!("cannot read {}", file.display()))?;
        let hash = hex(&Sha256::digest(&bytes));
        write(&self.file_hashes).insert(name.to_owned(), hash.clone());
        if current.as_deref() == Some(hash.as_str()) {
            return Ok(None);
        }
        let storage = self.storage.open(name).await?;
        loader::load(&self.runtime, name, bytes, hash, self.setting(name, storage)).await.map(Some)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // A panic while holding the lock leaves a map that is still consistent.
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

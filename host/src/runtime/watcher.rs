//! Watches the components folder (non-recursive, `*.wasm`) and loads,
//! reloads or unloads modules as files appear, change or go.
//!
//! Events are debounced per file: a `cp` produces several events while the
//! file is still being written, so a file is acted on only after
//! [`DEBOUNCE`] without events. An atomic rename produces one event. Changes
//! are applied one at a time, and a file whose content hash is already being
//! served is not loaded again.

use crate::module_name::{is_component_file, module_name};
use crate::runtime::registry::Registry;
use crate::runtime::timers::sleep_until;
use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Quiet time after a file's last event before it is acted on.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// Starts watching `dir` for the registry until `shutdown`.
pub fn watch(dir: &Path, registry: Arc<Registry>, shutdown: CancellationToken) -> Result<()> {
    let (changes, mut changed) = mpsc::channel::<PathBuf>(1024);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
        Ok(event) => {
            for path in event.paths.into_iter().filter(|path| is_component_file(path)) {
                // The watcher's own thread: blocking here only slows event delivery.
                let _ = changes.blocking_send(path);
            }
        }
        Err(error) => tracing::warn!("file watching error: {error}"),
    })
    .context("cannot create a file watcher")?;
    watcher.watch(dir, RecursiveMode::NonRecursive).with_context(|| format!("cannot watch {}", dir.display()))?;
    tracing::info!("watching {} for *.wasm changes", dir.display());

    tokio::spawn(async move {
        let _watcher = watcher;
        let mut due: HashMap<PathBuf, Instant> = HashMap::new();
        loop {
            let next = due.values().min().copied();
            tokio::select! {
                () = shutdown.cancelled() => return,
                path = changed.recv() => match path {
                    Some(path) => {
                        due.insert(path, Instant::now() + DEBOUNCE);
                    }
                    None => return,
                },
                () = sleep_until(next) => {
                    let now = Instant::now();
                    let ready: Vec<PathBuf> = due.iter().filter(|(_, at)| **at <= now).map(|(path, _)| path.clone()).collect();
                    for path in ready {
                        due.remove(&path);
                        apply(&registry, &path).await;
                    }
                }
            }
        }
    });
    Ok(())
}

async fn apply(registry: &Registry, path: &Path) {
    if path.is_file() {
        // Errors are logged and recorded by the registry; the old version keeps serving.
        let _ = registry.load_file(path).await;
    } else if let Ok(name) = module_name(path) {
        registry.unload(&name).await;
    }
    registry.prune_cache().await;
}

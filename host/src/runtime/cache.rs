//! Compiled components on disk, keyed by content hash and engine
//! configuration, so a restart with unchanged files does not recompile.
//!
//! Entries are written atomically (temporary file, then rename). An entry
//! that fails to load (corrupt, or from another wasmtime) is removed and the
//! component recompiled: the cache can only make loading faster, never fail it.
//!
//! The registry prunes the cache after the folder changes: entries of
//! versions no longer in the components folder, or of another engine
//! configuration, are removed, so it holds the versions in use, not every
//! version ever loaded.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The on-disk cache of compiled components.
#[derive(Debug, Clone)]
pub struct ArtifactCache {
    dir: Option<PathBuf>,
    engine_key: String,
}

impl ArtifactCache {
    /// A cache in `dir` (`None`: no caching) for artifacts of `engine`.
    pub fn new(dir: Option<PathBuf>, engine: &Engine) -> Self {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Self { dir, engine_key: format!("{:016x}", hasher.finish()) }
    }

    fn entry(&self, content_hash: &str) -> Option<PathBuf> {
        Some(self.dir.as_ref()?.join(format!("{content_hash}-{}.cwasm", self.engine_key)))
    }

    /// The cached compilation of the component with `content_hash`, if any.
    pub fn load(&self, engine: &Engine, content_hash: &str) -> Option<Component> {
        let path = self.entry(content_hash)?;
        if !path.is_file() {
            return None;
        }
        match deserialize(engine, &path) {
            Ok(component) => Some(component),
            Err(error) => {
                tracing::warn!(path = %path.display(), "ignoring a cache entry that does not load: {error:#}");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Removes every entry whose content hash is not in `keep` (and every
    /// entry of another engine configuration); returns how many. Failures
    /// are only logged.
    pub fn prune(&self, keep: &HashSet<String>) -> usize {
        let Some(dir) = &self.dir else { return 0 };
        let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
        let mut removed = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|name| name.to_str()) else { continue };
            let Some((hash, engine_key)) = name.strip_suffix(".cwasm").and_then(|stem| stem.split_once('-')) else {
                continue;
            };
            if keep.contains(hash) && engine_key == self.engine_key {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(error) => tracing::warn!(path = %path.display(), "cannot prune a cache entry: {error}"),
            }
        }
        removed
    }

    /// Stores the compilation of the component with `content_hash`; failures are only logged.
    pub fn store(&self, content_hash: &str, component: &Component) {
        let Some(path) = self.entry(content_hash) else { return };
        let result = (|| -> anyhow::Result<()> {
            let bytes = component.serialize()?;
            let dir = path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            let temporary = path.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&temporary, bytes)?;
            std::fs::rename(&temporary, &path)?;
            Ok(())
        })();
        if let Err(error) = result {
            tracing::warn!(path = %path.display(), "cannot cache a compiled component: {error:#}");
        }
    }
}

#[allow(unsafe_code, reason = "loading precompiled code; see the safety comment")]
fn deserialize(engine: &Engine, path: &Path) -> anyhow::Result<Component> {
    // SAFETY: wasmtime requires that the file be a `Component::serialize`
    // output it can trust. The cache folder is the host's own: entries are
    // written only by `store` above, atomically, and named by the engine's
    // compatibility hash; wasmtime still checks the header and version and
    // refuses artifacts of another engine configuration.
    Ok(unsafe { Component::deserialize_file(engine, path) }?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_keeps_the_versions_in_use_of_this_engine() {
        let dir = std::env::temp_dir().join(format!("topicwire-cache-prune-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let cache = ArtifactCache::new(Some(dir.clone()), &Engine::default());
        let key = cache.engine_key.clone();
        for name in
            [format!("aaa-{key}.cwasm"), format!("bbb-{key}.cwasm"), "aaa-0123.cwasm".into(), "notes.txt".into()]
        {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        assert_eq!(cache.prune(&HashSet::from(["aaa".to_owned()])), 2);
        let mut left: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, [format!("aaa-{key}.cwasm"), "notes.txt".to_owned()]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

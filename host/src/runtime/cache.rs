//! Compiled components on disk, keyed by content hash and engine
//! configuration, so a restart with unchanged files does not recompile.
//!
//! Entries are written atomically (temporary file, then rename). An entry
//! that fails to load (corrupt, or from another wasmtime) is removed and the
//! component recompiled: the cache can only make loading faster, never fail it.

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

//! Cluster-wide deploys: `topicwire deploy broker.wasm --nats-url …` puts
//! the component into the JetStream object store [`COMPONENTS`]; every node
//! watches the store and writes each component it holds into its own
//! components folder (a temporary file, then a rename), where the folder
//! watcher hot-reloads it as it does any file (the leader swaps with live
//! topics kept). A file dropped into one node's folder still loads on that
//! node only.

use crate::cluster::Cluster;
use anyhow::{Context, Result, bail};
use async_nats::jetstream::{self, object_store};
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

/// The JetStream object store of deployed components.
pub const COMPONENTS: &str = "topicwire-components";
/// The largest component a node takes from the store.
const MAX_COMPONENT_BYTES: u64 = 256 * 1024 * 1024;

/// The object store of components, created when missing.
async fn store(jetstream: &jetstream::Context) -> Result<object_store::ObjectStore> {
    if let Ok(store) = jetstream.get_object_store(COMPONENTS).await {
        return Ok(store);
    }
    let config = object_store::Config { bucket: COMPONENTS.to_owned(), ..Default::default() };
    jetstream.create_object_store(config).await.context("cannot create the JetStream object store of components")
}

/// Whether `name` may become a file of the components folder: `<module>.wasm`, nothing else.
fn is_component_name(name: &str) -> bool {
    name.strip_suffix(".wasm").is_some_and(|module| {
        !module.is_empty() && module.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
    })
}

/// `topicwire deploy`: puts `file` into the store as `<module>.wasm`.
pub async fn deploy(nats_url: &str, file: &Path, module: Option<&str>) -> Result<()> {
    let module = match module {
        Some(module) => module.to_owned(),
        None => file.file_stem().and_then(|stem| stem.to_str()).context("the file has no usable name")?.to_owned(),
    };
    let name = format!("{module}.wasm");
    if !is_component_name(&name) {
        bail!("module name `{module}`: use letters, digits, `_` and `-`");
    }
    let bytes = tokio::fs::read(file).await.with_context(|| format!("cannot read {}", file.display()))?;
    let client =
        async_nats::connect(nats_url).await.with_context(|| format!("cannot connect to NATS at {nats_url}"))?;
    let store = store(&jetstream::new(client)).await?;
    let info = store.put(name.as_str(), &mut bytes.as_slice()).await.context("cannot store the component")?;
    println!("deployed {name} ({} bytes, {}) to {COMPONENTS}", info.size, info.digest.unwrap_or_default());
    Ok(())
}

/// Keeps `components_dir` holding every component of the store, until `shutdown`.
pub fn sync(cluster: Arc<Cluster>, components_dir: PathBuf, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let store = match store(&cluster.jetstream).await {
            Ok(store) => store,
            Err(error) => return tracing::error!("cluster deploys are off: {error:#}"),
        };
        let mut changes = match store.watch_with_history().await {
            Ok(changes) => changes,
            Err(error) => return tracing::error!("cannot watch the store of components: {error}"),
        };
        loop {
            let info = tokio::select! {
                () = shutdown.cancelled() => return,
                change = changes.next() => match change {
                    Some(Ok(info)) => info,
                    Some(Err(error)) => {
                        tracing::warn!("watching deployed components: {error}");
                        continue;
                    }
                    None => return,
                },
            };
            if info.deleted {
                continue;
            }
            if !is_component_name(&info.name) || info.size as u64 > MAX_COMPONENT_BYTES {
                tracing::warn!(
                    name = info.name,
                    size = info.size,
                    "ignoring a deployed object that is not a component"
                );
                continue;
            }
            if let Err(error) = fetch(&store, &info.name, &components_dir).await {
                tracing::error!(name = info.name, "cannot take the deployed component: {error:#}");
            }
        }
    });
}

/// Writes component `name` of the store into `dir`, unless the file there is the same.
async fn fetch(store: &object_store::ObjectStore, name: &str, dir: &Path) -> Result<()> {
    let mut object = store.get(name).await?;
    let mut bytes = Vec::new();
    (&mut object).take(MAX_COMPONENT_BYTES).read_to_end(&mut bytes).await?;
    let path = dir.join(name);
    if tokio::fs::read(&path).await.is_ok_and(|current| current == bytes) {
        return Ok(());
    }
    // Not `*.wasm` until renamed, so the folder watcher sees only the whole file.
    let temporary = dir.join(format!(".{name}.deploying"));
    tokio::fs::write(&temporary, &bytes).await?;
    tokio::fs::rename(&temporary, &path).await?;
    tracing::info!(name, bytes = bytes.len(), "took a deployed component");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_component_names_become_files() {
        assert!(is_component_name("broker.wasm"));
        assert!(is_component_name("my_module-2.wasm"));
        for bad in ["../x.wasm", "a/b.wasm", ".wasm", "broker", "broker.wasm.tmp", ".hidden.wasm", "a b.wasm"] {
            assert!(!is_component_name(bad), "{bad}");
        }
    }
}

//! `topicwire serve`: loads the components, serves them until shutdown.

use crate::cluster::Cluster;
use crate::cluster::state::JetStreamBackend;
use crate::config::Config;
use crate::edge::auth::Auth;
use crate::edge::gateway::{AppState, app};
use crate::runtime::engine::Runtime;
use crate::runtime::registry::Registry;
use crate::runtime::remote::{Alone, Nodes};
use crate::state::StorageMap;
use anyhow::{Context, Result};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Opens the data folder, loads every component of `config.components_dir`,
/// watches the folder for changes, and serves the modules on `listener`
/// until `shutdown` is cancelled; then closes every connection with 1001,
/// unloads the modules, closes their state and returns.
pub async fn run(listener: TcpListener, config: Config, shutdown: CancellationToken) -> Result<()> {
    let address = listener.local_addr().context("the listener has no address")?;
    let auth = Arc::new(Auth::new(&config.auth, address.ip().is_loopback()).context("invalid [auth] configuration")?);
    let config = Arc::new(config);
    let cluster = match &config.cluster.nats_url {
        Some(url) => {
            let node = config.cluster.node_name.clone().unwrap_or_else(|| default_node_name(address.port()));
            Some(Cluster::connect(url, &node).await?)
        }
        None => None,
    };
    // In a cluster, module state lives in JetStream, so it follows the module's leader.
    let storage = match (&cluster, &config.data_dir) {
        (Some(cluster), Some(_)) => {
            let backend = JetStreamBackend::new(cluster.jetstream().clone());
            StorageMap::with_backend(Some(Arc::new(backend)), &config.limits)
        }
        _ => StorageMap::new(config.data_dir.as_deref(), &config.limits)?,
    };
    let runtime = Runtime::new(config.cache_dir.clone(), &config.limits)?;
    let limits = Arc::new(config.limits.clone());
    let nodes: Arc<dyn Nodes> = match &cluster {
        Some(cluster) => Arc::new(cluster.clone()),
        None => Arc::new(Alone),
    };
    let dir = config.components_dir.clone();
    let registry = Arc::new(Registry::new(runtime, dir, config.modules.clone(), limits.clone(), storage, nodes));
    registry.load_dir().await?;
    if let Some(name) = &config.native_probe {
        registry.load_native(name).await?;
    }
    crate::runtime::watcher::watch(&config.components_dir, registry.clone(), shutdown.clone())?;
    if let Some(cluster) = cluster {
        crate::cluster::deploy::sync(cluster, config.components_dir.clone(), shutdown.clone());
    }
    let state = AppState::new(registry.clone(), limits.clone(), auth, shutdown.clone());
    let slots = state.http_connections.clone();
    crate::ops::heap_trim::spawn(state.connections.clone(), limits.max_connections, shutdown.clone());
    tracing::info!("listening on http://{address}");
    crate::edge::listener::serve(listener, app(state), &limits, slots, shutdown).await;
    // Finish the modules' work and release their data files.
    registry.close().await;
    Ok(())
}

/// A node's name when none is configured: the machine's host name and the port it serves.
fn default_node_name(port: u16) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    format!("{}-{port}", if host.is_empty() { "node" } else { host })
}

//! `[cluster]`: the NATS server the nodes meet on, and this node's name.
//! Without a `nats_url` the host is a single node, exactly as before.

use serde::Deserialize;

/// `[cluster]` as written in `topicwire.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterFile {
    nats_url: Option<String>,
    node_name: Option<String>,
}

/// `[cluster]` flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClusterFlags {
    /// Join a cluster on this NATS server, e.g. nats://127.0.0.1:4222 (`[cluster] nats_url`)
    #[arg(long)]
    pub nats_url: Option<String>,
    /// This node's name in the cluster [default: the host name and the listen port] (`[cluster] node_name`)
    #[arg(long)]
    pub node_name: Option<String>,
}

/// The cluster this node joins, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterConfig {
    /// The NATS server; `None`: a single node.
    pub nats_url: Option<String>,
    /// This node's name, unique in the cluster; `None`: derived at start.
    pub node_name: Option<String>,
}

impl ClusterConfig {
    /// Flags over the file.
    pub fn layered(file: ClusterFile, flags: &ClusterFlags) -> Self {
        Self {
            nats_url: flags.nats_url.clone().or(file.nats_url).filter(|url| !url.is_empty()),
            node_name: flags.node_name.clone().or(file.node_name).filter(|name| !name.is_empty()),
        }
    }
}

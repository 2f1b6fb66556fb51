//! `topicwire deploy`: puts a component into the cluster's object store, from
//! which every node takes it (see [`crate::cluster::deploy`]).

use anyhow::Result;
use std::path::PathBuf;

/// `topicwire deploy`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeployArgs {
    /// The component file, e.g. components/broker.wasm.
    pub file: PathBuf,
    /// The cluster's NATS server.
    #[arg(long)]
    pub nats_url: String,
    /// The module's name [default: the file's stem].
    #[arg(long)]
    pub module: Option<String>,
}

/// Deploys `args.file`.
pub async fn run(args: DeployArgs) -> Result<()> {
    crate::cluster::deploy::deploy(&args.nats_url, &args.file, args.module.as_deref()).await
}

//! Loading a component: compile it (or take it from the cache), link it
//! against the `ws-route-service` world, start an instance and ask for its
//! routes. Only a component that gets through all four is a [`Version`]
//! that can serve; `topicwire serve` (the registry) and `topicwire
//! client-ts` both load through here.

use crate::runtime::engine::Runtime;
pub use crate::runtime::instance::Setting;
use crate::runtime::instance::{Blueprint, Instance};
use crate::runtime::status::{RouteInfo, World};
use anyhow::{Context, Result};

/// A compiled, started version of a component, ready to serve.
pub struct Version {
    /// Makes more instances of it.
    pub blueprint: Blueprint,
    /// The instance that will serve.
    pub instance: Instance,
    /// Its routes.
    pub routes: Vec<RouteInfo>,
    /// The version of the world it was built for.
    pub world: World,
    /// Content hash.
    pub hash: String,
    /// Whether its compiled code came from the on-disk cache.
    pub from_cache: bool,
}

/// Loads component `bytes` (content hash `hash`, the cache's key) as module `module`.
pub async fn load(runtime: &Runtime, module: &str, bytes: Vec<u8>, hash: String, setting: Setting) -> Result<Version> {
    let (component, from_cache) = runtime.compile(bytes, &hash).await?;
    let blueprint = Blueprint::new(runtime, module.into(), &component, setting)?;
    started(blueprint, hash, from_cache).await
}

/// The built-in native producer as module `module` (the benchmarks' baseline).
pub async fn load_native(module: &str, setting: Setting) -> Result<Version> {
    started(Blueprint::native(module.into(), setting), "native".into(), false).await
}

async fn started(blueprint: Blueprint, hash: String, from_cache: bool) -> Result<Version> {
    let mut instance = blueprint.instantiate().await?;
    let routes = instance.routes().await.context("the component trapped in `routes`")?;
    let routes = RouteInfo::from_guest(routes)?;
    let world = blueprint.world();
    Ok(Version { blueprint, instance, routes, world, hash, from_cache })
}

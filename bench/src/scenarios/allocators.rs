//! Builds of the same server with other global allocators (the host's
//! `mimalloc` and `jemalloc` features), compared on what an allocator changes:
//! memory per connection, memory kept after a load, and CPU per message.
//! Every variant runs the same scenarios back to back, so they share the
//! machine's conditions.

use super::fanout::{Cores, Fanout, Layout, Producer};
use super::{Settings, Windows, idle_conns, layouts, memory};
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::str::FromStr;

/// One server build: `name=path`.
#[derive(Debug, Clone)]
pub(crate) struct Variant {
    name: String,
    server: PathBuf,
}

impl FromStr for Variant {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self> {
        let Some((name, server)) = text.split_once('=') else { bail!("expected NAME=PATH, got `{text}`") };
        if name.is_empty() || server.is_empty() {
            bail!("expected NAME=PATH, got `{text}`");
        }
        Ok(Self { name: name.to_owned(), server: server.into() })
    }
}

/// Fan-out layouts whose CPU per message is compared.
const FANOUTS: [&str; 2] = ["s1", "s2b"];

/// Runs the comparison; one result per variant under `variants`.
pub(super) async fn compare(settings: &Settings, variants: &[Variant]) -> Result<Value> {
    let mut results = Vec::new();
    for variant in variants {
        let settings = Settings { server: variant.server.clone(), ..settings.clone() };
        let mut result = json!({"allocator": variant.name});
        for (name, layout) in layouts(settings.quick).into_iter().filter(|(name, _)| FANOUTS.contains(name)) {
            let fanout = fanout(name, layout, settings.quick);
            let run = fanout.run(&settings).await.with_context(|| format!("{name} with {}", variant.name))?;
            result[format!("{name}_cpu_us_per_msg")] = run["server_cpu_us_per_msg"].clone();
            result[format!("{name}_p99_ms")] = run["p99_ms"].clone();
        }
        let idle = memory::idle(&settings, idle_conns(settings.quick)).await?;
        result["idle_kib_per_conn"] = idle["kib_per_conn"].clone();
        for reading in ["before", "open", "after", "later"] {
            result[format!("idle_rss_{reading}_kib")] = idle[format!("server_rss_{reading}_kib")].clone();
        }
        let load = memory::AfterLoad::new(settings.quick).run(&settings).await?;
        for reading in ["before", "peak", "after", "later"] {
            result[format!("load_rss_{reading}_kib")] = load[format!("server_rss_{reading}_kib")].clone();
        }
        eprintln!("{result}");
        results.push(result);
    }
    Ok(json!({"scenario": "allocators", "variants": results}))
}

fn fanout(name: &str, layout: Layout, quick: bool) -> Fanout {
    Fanout::new(name, Producer::Component, Cores::Pinned, layout, Windows::new(quick))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_are_name_equals_path() {
        let variant: Variant = "mimalloc=target/release/topicwire-mimalloc".parse().unwrap();
        assert_eq!(
            (variant.name.as_str(), variant.server),
            ("mimalloc", PathBuf::from("target/release/topicwire-mimalloc"))
        );
        assert!("mimalloc".parse::<Variant>().is_err());
        assert!("=path".parse::<Variant>().is_err());
    }
}

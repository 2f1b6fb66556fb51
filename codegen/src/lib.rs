//! Generates the router code of a Topicwire component from its route
//! declarations.
//!
//! A component author declares each route in `src/ws.rs` the way the Python
//! system declared `BarWsRouter: TypeAlias = WsRouter[BarsSubscriptionRequest, Bar]`:
//!
//! ```ignore
//! /// OHLCV bars of one symbol at one resolution.
//! #[route("bars")]
//! pub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;
//!
//! /// The service handling this component's topics.
//! pub type Service = crate::service::Datafeed;
//! ```
//!
//! and `codegen` writes `src/ws_generated/mod.rs` with only what varies
//! between components: a marker type per route implementing
//! `topicwire_guest::WsRoute` (its name, description, delivery policy and
//! history from `#[route("orders", delivery = "reliable", history = 1000,
//! history_ttl_secs = 300)]`, request and data types) and
//! its typed topic (`pub type BarWsTopic = topicwire_guest::WsTopic<BarWsRoute>;`),
//! the host's imports for those topics, the match on route names that hands
//! each `ws-route-service` export to `topicwire_guest::dispatch`, the
//! wit-bindgen glue, and for a REST API one line exporting
//! `topicwire_guest`'s `wasi:http` glue. The service implements
//! `topicwire_guest::WsRouteService<R>` for each route.
//!
//! # Layout
//!
//! - [`parse`]: reads `ws.rs` and the crate's type definitions with `syn`.
//! - [`check`]: validates declarations into a [`check::Model`], collecting
//!   every error with its file, line and fix.
//! - [`emit`]: renders the model with `quote!` and `prettyplease`.
//! - [`format`]: finishes the output with `rustfmt`, so `cargo fmt` agrees.
//! - [`diagnostic`]: the error type.
//! - this file: the front door, [`generate`], [`write`] and [`check_fresh`].

pub mod check;
pub mod diagnostic;
pub mod emit;
pub mod format;
pub mod parse;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The folder, inside a component's `src/`, that holds generated code.
pub const GENERATED_DIR: &str = "ws_generated";

/// One generated file: its path relative to the component's root and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the component crate's root, e.g. `src/ws_generated/mod.rs`.
    pub path: PathBuf,
    /// Complete file contents.
    pub contents: String,
}

/// Where the component is and where the WIT package it implements lives.
#[derive(Debug, Clone)]
pub struct Component {
    /// The component crate's root (the folder with `Cargo.toml`).
    pub root: PathBuf,
    /// The WIT folder, as a path relative to `root` (what wit-bindgen reads).
    pub wit_from_root: String,
}

impl Component {
    /// A component at `root`, finding the workspace's `wit/` folder above it
    /// unless `wit` is given.
    pub fn locate(root: &Path, wit: Option<&Path>) -> Result<Self> {
        let root =
            root.canonicalize().with_context(|| format!("component folder {} does not exist", root.display()))?;
        let wit = match wit {
            Some(wit) => wit.canonicalize().with_context(|| format!("WIT folder {} does not exist", wit.display()))?,
            None => find_wit(&root)?,
        };
        let wit_from_root = relative_path(&root, &wit);
        Ok(Self { root, wit_from_root })
    }
}

/// Generates the files of `component` without writing them.
pub fn generate(component: &Component) -> Result<Vec<GeneratedFile>> {
    let sources = parse::Sources::read(&component.root)?;
    let model = check::check(&sources)?;
    let mut files = emit::emit(&model, &component.wit_from_root);
    for file in &mut files {
        file.contents = format::rustfmt(&component.root, &file.contents)
            .with_context(|| format!("cannot format {}", file.path.display()))?;
    }
    Ok(files)
}

/// Writes the generated files of `component` and deletes stale ones from its
/// generated folder. Returns the paths written.
pub fn write(component: &Component) -> Result<Vec<PathBuf>> {
    let files = generate(component)?;
    let dir = component.root.join("src").join(GENERATED_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for stale in stale_files(component, &files)? {
        std::fs::remove_file(&stale).with_context(|| format!("cannot remove {}", stale.display()))?;
    }
    let mut written = Vec::new();
    for file in files {
        let path = component.root.join(&file.path);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == file.contents);
        if !unchanged {
            std::fs::write(&path, &file.contents).with_context(|| format!("cannot write {}", path.display()))?;
        }
        written.push(path);
    }
    Ok(written)
}

/// Fails, naming every stale, missing or extra file, unless the checked-in
/// generated code of `component` is what [`generate`] produces now.
pub fn check_fresh(component: &Component) -> Result<()> {
    let files = generate(component)?;
    let mut problems = Vec::new();
    for file in &files {
        let path = component.root.join(&file.path);
        match std::fs::read_to_string(&path) {
            Ok(old) if old == file.contents => {}
            Ok(_) => problems.push(format!("{} is stale", path.display())),
            Err(_) => problems.push(format!("{} is missing", path.display())),
        }
    }
    for extra in stale_files(component, &files)? {
        problems.push(format!("{} is not generated from src/ws.rs any more", extra.display()));
    }
    if !problems.is_empty() {
        bail!("generated code is out of date; run `just codegen`:\n  {}", problems.join("\n  "));
    }
    Ok(())
}

/// Files in the generated folder that `files` does not contain.
fn stale_files(component: &Component, files: &[GeneratedFile]) -> Result<Vec<PathBuf>> {
    let dir = component.root.join("src").join(GENERATED_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut stale = Vec::new();
    for entry in entries {
        let path = entry.with_context(|| format!("cannot list {}", dir.display()))?.path();
        let generated = files.iter().any(|file| component.root.join(&file.path) == path);
        if !generated && path.extension().is_some_and(|ext| ext == "rs") {
            stale.push(path);
        }
    }
    stale.sort();
    Ok(stale)
}

fn find_wit(root: &Path) -> Result<PathBuf> {
    root.ancestors()
        .map(|dir| dir.join("wit"))
        .find(|wit| wit.join("world.wit").is_file())
        .with_context(|| format!("no wit/world.wit above {}; pass --wit", root.display()))
}

/// `to` relative to `from`, both absolute, with `/` separators (for wit-bindgen's `path`).
fn relative_path(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let ups = std::iter::repeat_n("..".to_owned(), from.len() - common);
    let downs = to[common..].iter().map(|part| part.as_os_str().to_string_lossy().into_owned());
    ups.chain(downs).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_then_descend() {
        assert_eq!(relative_path(Path::new("/w/components/datafeed"), Path::new("/w/wit")), "../../wit");
        assert_eq!(relative_path(Path::new("/w/a"), Path::new("/w/a/wit")), "wit");
    }
}

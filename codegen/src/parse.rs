//! Reads a component's sources with `syn`: the declarations in `src/ws.rs`
//! and the struct and enum definitions of the whole crate (to check that
//! declared models exist and derive what routing needs).

use crate::GENERATED_DIR;
use crate::diagnostic::{Diagnostic, Diagnostics};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The declarations file, relative to the component's root.
pub const WS_FILE: &str = "src/ws.rs";

/// A struct or enum defined somewhere in the component's crate.
#[derive(Debug, Clone)]
pub struct TypeDef {
    /// File it is defined in, relative to the component's root.
    pub file: PathBuf,
    /// 1-based line of its name.
    pub line: usize,
    /// Last path segments of its `#[derive(...)]` entries (`Serialize`, `JsonSchema`, ...).
    pub derives: BTreeSet<String>,
}

/// The parsed sources of one component.
#[derive(Debug)]
pub struct Sources {
    /// `src/ws.rs`.
    pub ws: syn::File,
    /// Struct and enum definitions by name (the first one found per name).
    pub types: BTreeMap<String, TypeDef>,
}

impl Sources {
    /// Parses `root/src/ws.rs` and every other `.rs` file under `root/src`
    /// except the generated folder.
    pub fn read(root: &Path) -> Result<Self, Diagnostics> {
        let ws = parse_file(root, Path::new(WS_FILE))?;
        let mut types = BTreeMap::new();
        let mut files = Vec::new();
        rust_files(root, Path::new("src"), &mut files);
        files.sort();
        let mut diagnostics = Vec::new();
        for file in files {
            match parse_file(root, &file) {
                Ok(parsed) => collect_types(&file, &parsed.items, &mut types),
                Err(errors) => diagnostics.extend(errors.0),
            }
        }
        if diagnostics.is_empty() { Ok(Self { ws, types }) } else { Err(Diagnostics(diagnostics)) }
    }
}

impl Sources {
    /// The sources of a crate whose one file is `src/ws.rs` holding `text`
    /// (its declarations and the types it defines): the same parse as
    /// [`Sources::read`], without a folder.
    pub fn from_ws_text(text: &str) -> Result<Self, Diagnostics> {
        let file = Path::new(WS_FILE);
        let ws = parse_text(file, text)?;
        let mut types = BTreeMap::new();
        collect_types(file, &ws.items, &mut types);
        Ok(Self { ws, types })
    }
}

fn parse_file(root: &Path, file: &Path) -> Result<syn::File, Diagnostics> {
    let text = std::fs::read_to_string(root.join(file)).map_err(|err| Diagnostic {
        file: file.to_owned(),
        line: 1,
        column: 1,
        message: format!("cannot read {}: {err}", file.display()),
        help: format!("declare the component's routes in {WS_FILE}"),
    })?;
    parse_text(file, &text)
}

fn parse_text(file: &Path, text: &str) -> Result<syn::File, Diagnostics> {
    syn::parse_file(text).map_err(|err| {
        Diagnostics::from(Diagnostic::at(file, err.span(), format!("syntax error: {err}"), "fix the Rust syntax"))
    })
}

/// Every `.rs` file below `dir` (relative to `root`), skipping generated code.
fn rust_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root.join(dir)) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let relative = dir.join(&name);
        let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
        if is_dir && name != GENERATED_DIR {
            rust_files(root, &relative, out);
        } else if !is_dir && relative.extension().is_some_and(|ext| ext == "rs") {
            out.push(relative);
        }
    }
}

fn collect_types(file: &Path, items: &[syn::Item], types: &mut BTreeMap<String, TypeDef>) {
    for item in items {
        let (ident, attrs) = match item {
            syn::Item::Struct(item) => (&item.ident, &item.attrs),
            syn::Item::Enum(item) => (&item.ident, &item.attrs),
            syn::Item::Mod(syn::ItemMod { content: Some((_, items)), .. }) => {
                collect_types(file, items, types);
                continue;
            }
            _ => continue,
        };
        types.entry(ident.to_string()).or_insert_with(|| TypeDef {
            file: file.to_owned(),
            line: ident.span().start().line,
            derives: derives(attrs),
        });
    }
}

fn derives(attrs: &[syn::Attribute]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("derive")) {
        let paths = attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated);
        for path in paths.into_iter().flatten() {
            if let Some(last) = path.segments.last() {
                names.insert(last.ident.to_string());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_derives_by_last_segment_including_nested_modules() {
        let file: syn::File = syn::parse_quote! {
            #[derive(Debug, serde::Serialize, schemars::JsonSchema)]
            pub struct Bar;
            mod inner {
                #[derive(Deserialize)]
                enum Side { Buy }
            }
        };
        let mut types = BTreeMap::new();
        collect_types(Path::new("src/models.rs"), &file.items, &mut types);
        assert_eq!(types["Bar"].derives, BTreeSet::from(["Debug".into(), "Serialize".into(), "JsonSchema".into()]));
        assert!(types["Side"].derives.contains("Deserialize"));
    }
}

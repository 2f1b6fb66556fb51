//! What names a module: its component file's stem, which must be a URL
//! segment and a file name (`components/datafeed.wasm` serves
//! `/api/v1/datafeed/ws` and keeps its state in `datafeed.redb`). A leaf,
//! because the runtime, the state and the commands all apply the one rule.

use anyhow::{Result, bail};
use std::path::Path;

/// Whether `path` names a component file: `*.wasm`, not hidden.
pub fn is_component_file(path: &Path) -> bool {
    let hidden = path.file_name().and_then(|name| name.to_str()).is_none_or(|name| name.starts_with('.'));
    !hidden && path.extension().is_some_and(|ext| ext == "wasm")
}

/// The module name of a component file: its stem, which must be a URL-safe word.
pub fn module_name(file: &Path) -> Result<String> {
    let stem = file.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
    if !is_valid_module_name(stem) {
        bail!("`{}` is not a valid module name: use letters, digits, `-` and `_`", file.display());
    }
    Ok(stem.to_owned())
}

/// Whether `name` can name a module: letters, digits, `-` and `_` (it is a URL segment and a file name).
pub fn is_valid_module_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_come_from_file_stems() {
        assert_eq!(module_name(Path::new("components/datafeed.wasm")).unwrap(), "datafeed");
        assert!(module_name(Path::new("components/bad name.wasm")).is_err());
        assert!(is_component_file(Path::new("c/datafeed.wasm")));
        assert!(!is_component_file(Path::new("c/.datafeed.wasm.tmp")));
        assert!(!is_component_file(Path::new("c/notes.txt")));
    }
}

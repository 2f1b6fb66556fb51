//! The layers of `host/src`, checked: each top-level module may use only
//! modules of lower layers (and itself), so no import runs back up and no
//! circle can form. [`LAYERS`] is the map `lib.rs` describes; a file that
//! reaches up fails `the_layers_hold`, naming the file, the line and both
//! layers.

/// Top-level modules, from the floor up; modules in one row are siblings and
/// may not use each other either.
const LAYERS: &[&[&str]] = &[
    &["limits", "module_name", "rate", "shutdown"],
    &["hub", "state"],
    &["runtime"],
    &["cluster", "ops"],
    &["edge"],
    &["config"],
    &["server"],
    &["commands"],
    &["cli"],
];

/// The layer of top-level module `module`.
fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

/// The top-level module a file under `src/` belongs to (`None`: `lib.rs`, `main.rs`, this check).
fn module_of(path: &std::path::Path) -> Option<String> {
    let first = path.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!["lib", "main", "layers"].contains(&name)).then(|| name.to_owned())
}

/// Every `crate::<module>` a line of code (not a comment) names.
fn crate_paths(line: &str) -> Vec<&str> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return Vec::new();
    }
    let code = code.split(" //").next().unwrap_or(code);
    code.match_indices("crate::")
        .filter(|(at, _)| !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(at, _)| {
            let rest = &code[at + "crate::".len()..];
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn the_layers_hold() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![root.clone()];
    let mut violations = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|entry| entry.unwrap().path()));
            continue;
        }
        let relative = path.strip_prefix(&root).unwrap();
        let Some(module) = module_of(relative).filter(|_| path.extension().is_some_and(|ext| ext == "rs")) else {
            continue;
        };
        let own = layer_of(&module).unwrap_or_else(|| panic!("`{module}` is in no layer: add it to LAYERS"));
        for (number, line) in std::fs::read_to_string(&path).unwrap().lines().enumerate() {
            for target in crate_paths(line) {
                let Some(theirs) = layer_of(target) else { continue };
                if target != module && theirs >= own {
                    violations.push(format!(
                        "src/{}:{}: `{module}` (layer {own}) uses `{target}` (layer {theirs})",
                        relative.display(),
                        number + 1
                    ));
                }
            }
        }
    }
    violations.sort();
    assert!(violations.is_empty(), "imports that run up or across the layers:\n{}", violations.join("\n"));
}

#[test]
fn paths_are_read_from_code_not_comments() {
    assert_eq!(crate_paths("use crate::hub::topics::{Outlet, TopicTable};"), ["hub"]);
    assert_eq!(crate_paths("    let x = crate::edge::gateway::error(); // crate::cli"), ["edge"]);
    assert!(crate_paths("//! see [`crate::cluster`]").is_empty());
    assert!(crate_paths("use my_crate::hub;").is_empty());
    assert_eq!(layer_of("runtime"), Some(2));
}

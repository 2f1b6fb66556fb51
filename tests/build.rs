//! Builds the components the end-to-end tests load, for wasm32-wasip2, and
//! exports their paths as `env!` constants (`DATAFEED_WASM`, ...).
//!
//! The nested cargo uses its own target folder (`target/components`, shared
//! with `just build-components`): the outer cargo holds the lock on `target/`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One wasm build: the package, its cargo features, the constant naming the output.
struct Build {
    package: &'static str,
    features: &'static str,
    constant: &'static str,
}

const BUILDS: &[Build] = &[
    Build { package: "datafeed", features: "", constant: "DATAFEED_WASM" },
    Build { package: "broker", features: "", constant: "BROKER_WASM" },
    Build { package: "probe", features: "", constant: "PROBE_WASM" },
    Build { package: "probe", features: "v2", constant: "PROBE_V2_WASM" },
    Build { package: "ledger", features: "", constant: "LEDGER_WASM" },
    Build { package: "ledger", features: "v2", constant: "LEDGER_V2_WASM" },
];

/// Variables of the outer build that must not leak into the nested one
/// (clippy's wrapper, host rustflags, the outer target folder and jobserver).
const SCRUBBED: &[&str] = &[
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest.parent().expect("tests/ is inside the workspace").to_owned();
    for watched in ["components", "guest", "market-sim", "wit", "tests/fixtures", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_dir = workspace.join("target").join("components");
    for build in BUILDS {
        let wasm = build_component(&workspace, &target_dir, build);
        let copy = out_dir.join(format!("{}.wasm", build.constant.to_lowercase()));
        std::fs::copy(&wasm, &copy).unwrap_or_else(|err| panic!("cannot copy {}: {err}", wasm.display()));
        println!("cargo:rustc-env={}={}", build.constant, copy.display());
    }
}

fn build_component(workspace: &Path, target_dir: &Path, build: &Build) -> PathBuf {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace).args(["build", "--quiet", "--target", "wasm32-wasip2", "--profile", "wasm"]);
    command.arg("--target-dir").arg(target_dir).args(["-p", build.package]);
    if !build.features.is_empty() {
        command.args(["--features", build.features]);
    }
    for variable in SCRUBBED {
        command.env_remove(variable);
    }
    let status = command.status().unwrap_or_else(|err| panic!("cannot run cargo: {err}"));
    assert!(
        status.success(),
        "building {} for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`)",
        build.package
    );
    target_dir.join("wasm32-wasip2").join("wasm").join(format!("{}.wasm", build.package.replace('-', "_")))
}

//! Builds the components the end-to-end tests load, for wasm32-wasip2, and
//! exports their paths as `env!` constants (`DATAFEED_WASM`, ...).
//!
//! The nested cargo uses its own target folder (`target/components`, shared
//! with `just build-components`): the outer cargo holds the lock on `target/`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One cargo build for wasm32-wasip2: its packages with their features,
/// and the constant naming each package's output.
struct Build {
    packages: &'static [(&'static str, &'static str)],
    features: &'static [&'static str],
}

/// Every package of one build links in parallel (each component's LTO runs
/// on one core); versions 2 are a second build, since a package has one
/// feature set per build. The components build with the same dependency
/// features as `just build-components`, which builds them together too.
const BUILDS: &[Build] = &[
    Build {
        packages: &[
            ("datafeed", "DATAFEED_WASM"),
            ("broker", "BROKER_WASM"),
            ("probe", "PROBE_WASM"),
            ("ledger", "LEDGER_WASM"),
            ("legacy", "LEGACY_WASM"),
        ],
        features: &[],
    },
    Build {
        packages: &[("probe", "PROBE_V2_WASM"), ("ledger", "LEDGER_V2_WASM")],
        features: &["probe/v2", "ledger/v2"],
    },
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
        build_components(&workspace, &target_dir, build);
        for (package, constant) in build.packages {
            let wasm =
                target_dir.join("wasm32-wasip2").join("wasm").join(format!("{}.wasm", package.replace('-', "_")));
            let copy = out_dir.join(format!("{}.wasm", constant.to_lowercase()));
            std::fs::copy(&wasm, &copy).unwrap_or_else(|err| panic!("cannot copy {}: {err}", wasm.display()));
            println!("cargo:rustc-env={constant}={}", copy.display());
        }
    }
}

fn build_components(workspace: &Path, target_dir: &Path, build: &Build) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace).args(["build", "--quiet", "--target", "wasm32-wasip2", "--profile", "wasm"]);
    command.arg("--target-dir").arg(target_dir);
    for (package, _) in build.packages {
        command.args(["-p", package]);
    }
    for feature in build.features {
        command.args(["--features", feature]);
    }
    for variable in SCRUBBED {
        command.env_remove(variable);
    }
    let status = command.status().unwrap_or_else(|err| panic!("cannot run cargo: {err}"));
    let packages: Vec<_> = build.packages.iter().map(|(package, _)| *package).collect();
    assert!(
        status.success(),
        "building {} for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`)",
        packages.join(", ")
    );
}

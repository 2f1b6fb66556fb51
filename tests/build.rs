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
            ("legacy-0-2", "LEGACY_0_2_WASM"),
        ],
        features: &[],
    },
    Build {
        packages: &[("probe", "PROBE_V2_WASM"), ("ledger", "LEDGER_V2_WASM")],
        features: &["probe/v2", "ledger/v2"],
    },
];

/// Python components (`guest-py/topicwire/build.py`, componentize-py): the
/// folder, folders put first on its path (a second version's overrides), and
/// the constant naming the output. They build while cargo builds the Rust ones.
const PYTHON_BUILDS: &[(&str, &[&str], &str)] = &[
    ("components/trading", &[], "TRADING_WASM"),
    ("tests/fixtures/probe-py", &[], "PROBE_PY_WASM"),
    ("tests/fixtures/probe-py", &["tests/fixtures/probe-py/v2"], "PROBE_PY_V2_WASM"),
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
    for watched in
        ["components", "guest", "guest-py", "market-sim", "wit", "tests/fixtures", "Cargo.lock", "Cargo.toml"]
    {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_dir = workspace.join("target").join("components");
    let python: Vec<_> =
        PYTHON_BUILDS.iter().map(|build| (build, start_python_build(&workspace, &target_dir, build))).collect();
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
    for ((_, _, constant), mut child) in python {
        let status = child.wait().unwrap_or_else(|err| panic!("cannot wait for the Python build of {constant}: {err}"));
        assert!(status.success(), "building the Python component of {constant} failed (see its output above)");
        let wasm = python_output(&target_dir, constant);
        let copy = out_dir.join(format!("{}.wasm", constant.to_lowercase()));
        std::fs::copy(&wasm, &copy).unwrap_or_else(|err| panic!("cannot copy {}: {err}", wasm.display()));
        println!("cargo:rustc-env={constant}={}", copy.display());
    }
}

fn python_output(target_dir: &Path, constant: &str) -> PathBuf {
    target_dir
        .join("python")
        .join(format!("{}.wasm", constant.trim_end_matches("_WASM").to_lowercase().replace('_', "-")))
}

/// Starts `build.py` on one Python component; it rebuilds only if the component's inputs changed.
fn start_python_build(
    workspace: &Path,
    target_dir: &Path,
    (folder, first, constant): &(&str, &[&str], &str),
) -> std::process::Child {
    let python = env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut command = Command::new(&python);
    command.current_dir(workspace).arg("guest-py/topicwire/build.py").arg(folder);
    for path in *first {
        command.arg("--first").arg(path);
    }
    command.arg("-o").arg(python_output(target_dir, constant));
    command
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {python} (Python 3.11 or newer builds the Python components): {err}"))
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

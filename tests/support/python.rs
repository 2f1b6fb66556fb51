//! The Python components (built by this crate's build script with
//! componentize-py), and what lets one scenario run for the Rust probe and
//! for the Python one: [`Probe`] and [`for_each_probe!`](crate::for_each_probe).
//!
//! A CPython component is ~19 MB, which the tests' lightly optimised
//! Cranelift compiles in tens of seconds: more than an awaited event may
//! take ([`crate::DEADLINE`]) when a test swaps one in at run time. So each
//! Python scenario first makes sure the shared compiled-component folder
//! ([`crate::shared_cache`]) holds its fixtures ([`Probe::compiled`]), once
//! per build of the fixtures; every host then starts with them cached.

use crate::shared_cache;
use std::path::Path;
use tokio::sync::Mutex;

/// The `trading` module, in Python (`components/trading`).
pub const TRADING_WASM: &str = env!("TRADING_WASM");
/// The probe in Python (`tests/fixtures/probe-py`), version 1.
pub const PROBE_PY_WASM: &str = env!("PROBE_PY_WASM");
/// The Python probe, version 2 (`tests/fixtures/probe-py/v2` first on its path).
pub const PROBE_PY_V2_WASM: &str = env!("PROBE_PY_V2_WASM");

/// One language's probe fixture: the same route (`ticks`), misbehaviours,
/// settings and REST API, so a scenario written against it runs for both.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    /// `rust` or `python`.
    pub language: &'static str,
    /// Version 1.
    pub v1: &'static str,
    /// Version 2 (ticks carry `"version": 2`).
    pub v2: &'static str,
}

/// The Rust probe (`tests/fixtures/probe`).
pub const RUST_PROBE: Probe = Probe { language: "rust", v1: crate::PROBE_WASM, v2: crate::PROBE_V2_WASM };
/// The Python probe (`tests/fixtures/probe-py`).
pub const PYTHON_PROBE: Probe = Probe { language: "python", v1: PROBE_PY_WASM, v2: PROBE_PY_V2_WASM };

impl Probe {
    /// Makes sure both versions are compiled into the shared folder, so hosts load them from the cache.
    pub async fn compiled(self) -> Self {
        if self.language == "python" {
            compile_into_shared_cache(&[self.v1, self.v2]).await;
        }
        self
    }
}

/// Compiles `components` into the shared folder unless it holds them already (one at a time).
pub async fn compile_into_shared_cache(components: &[&str]) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    let shared = Path::new(shared_cache::SHARED_DIR);
    let runtime = topicwire::runtime::engine::Runtime::new(Some(shared.to_owned()), &Default::default()).unwrap();
    for wasm in components {
        let hash = shared_cache::content_hash(wasm);
        if shared_cache::is_shared(&hash) {
            continue;
        }
        // How long it takes is measured by `just bench` (its `python` scenario).
        runtime.compile(std::fs::read(wasm).unwrap(), &hash).await.unwrap();
    }
}

/// Runs an `async fn name(probe: Probe)` scenario once per probe: `name::rust` and `name::python`.
#[macro_export]
macro_rules! for_each_probe {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn rust() {
                super::$scenario($crate::python::RUST_PROBE).await;
            }

            #[tokio::test]
            async fn python() {
                super::$scenario($crate::python::PYTHON_PROBE.compiled().await).await;
            }
        }
    )+};
}

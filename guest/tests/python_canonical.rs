//! Canonical topics of the Rust guest for the requests in
//! `guest-py/tests/canonical_cases.json`, which the Python SDK's tests check
//! byte for byte against the same file: a Python module builds the topics a
//! Rust module would for the same model and request (non-ASCII, nested and
//! defaulted fields included).
//!
//! `BLESS=1 cargo test -p topicwire-guest --test python_canonical` rewrites
//! the expected topics from the requests.

#![allow(clippy::unwrap_used, missing_docs, reason = "a failed unwrap is a failed test")]

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use topicwire_guest::topic::{build_topic, parse_request};

/// The model of the cases; `guest-py/tests/test_canonical.py` declares the same one.
#[derive(Serialize, Deserialize)]
struct Request {
    symbols: Vec<String>,
    #[serde(default = "default_label")]
    label: String,
    #[serde(default = "default_depth")]
    depth: i64,
    #[serde(default = "default_ratio")]
    ratio: f64,
    #[serde(default)]
    live: bool,
    #[serde(default)]
    nested: Option<Nested>,
    #[serde(default)]
    flags: BTreeMap<String, bool>,
}

#[derive(Serialize, Deserialize)]
struct Nested {
    name: String,
    #[serde(default)]
    tags: Vec<String>,
}

fn default_label() -> String {
    "all".to_owned()
}

fn default_depth() -> i64 {
    1
}

fn default_ratio() -> f64 {
    0.5
}

#[test]
fn the_python_sdks_cases_are_the_rust_guests_topics() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-py/tests/canonical_cases.json");
    let mut cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let bless = std::env::var_os("BLESS").is_some();
    for case in &mut cases {
        let request = case["request"].as_str().unwrap();
        let topic = build_topic("trades", &parse_request::<Request>(request).unwrap()).unwrap();
        if bless {
            case["topic"] = Value::String(topic);
        } else {
            assert_eq!(case["topic"].as_str(), Some(topic.as_str()), "request {request}");
        }
    }
    if bless {
        std::fs::write(&path, serde_json::to_string_pretty(&cases).unwrap() + "\n").unwrap();
    }
}

//! Every decoder of untrusted bytes, fuzzed: one module per target, each a
//! `fuzz` test over raw bytes seeded from `__fuzz__/<target>/corpus/` (real
//! examples), and regression tests for what fuzzing found. `cargo test`
//! runs each for a bounded number of inputs; `just fuzz TARGET SECONDS`
//! runs one coverage-guided. One binary, so the targets link once.

#![allow(clippy::unwrap_used, missing_docs, reason = "a failed unwrap is a failed test")]

mod canonical_topics;
mod client_frames;
mod client_messages;
mod cluster_messages;
mod codegen_input;
mod config_files;
mod jwt_tokens;
mod rest_requests;
mod state_imports;
mod support;

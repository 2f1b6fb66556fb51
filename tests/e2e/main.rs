//! End-to-end tests: the real host, real built components, real WebSocket
//! clients over loopback. One test binary, so everything links once.

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

mod auth;
mod bad_input;
mod bounded;
mod broker;
mod broker_access;
mod broker_state;
mod cluster;
mod cluster_recovery;
mod delivery;
mod faults;
mod hot_reload;
mod http;
mod http_edge;
mod limits;
mod protocol;
mod python;
mod python_memory;
mod recovery;
mod state;
mod state_backends;
mod subscriptions;
mod timers;
mod worlds;

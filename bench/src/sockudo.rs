//! Sockudo, the peer server (crates.io `sockudo`, a Pusher-protocol server
//! on axum and tokio), as the fan-out scenarios run it: one app, on
//! loopback, with what the benchmarks do not use or that would refuse
//! their load turned off.
//!
//! `just bench` builds it into a folder of its own (`cargo install sockudo
//! --version V --locked --root target/bench-peers/sockudo-V`, the version
//! pinned in the Justfile) and passes its path with `--sockudo`; without it
//! the Sockudo rows are not run.
//!
//! The settings, read from its source (`sockudo-core`'s `options`): it
//! loads `config/config.toml` from its working directory before the file
//! given with `--config`, and many environment variables after it, so it
//! runs in a folder of its own with an empty environment. Its defaults
//! limit API requests to 100 and WebSocket connects to 20 a minute per IP
//! (`rate_limiter`), serve Prometheus metrics on 0.0.0.0:9601, listen on
//! 0.0.0.0 and close a connection whose queue holds 1000 messages: the
//! first three are turned off or moved to loopback, and the queue is given
//! Topicwire's size for the layout, dropping rather than disconnecting when
//! full (Topicwire's benchmark configuration keeps a saturated client too).
//! The app allows the layout's connections and batches of up to
//! [`MAX_BATCH`] events; no webhooks, history, recovery or cluster adapter
//! (their defaults are off or local).

use crate::pusher::{APP_ID, APP_KEY, APP_SECRET};

/// Most events the app accepts in one `batch_events` request.
pub(crate) const MAX_BATCH: usize = 1000;

/// The version of the Sockudo `binary` (what `--version` prints: `sockudo 5.2.0`).
pub(crate) fn version(binary: &std::path::Path) -> Option<String> {
    let output = std::process::Command::new(binary).arg("--version").env_clear().output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    output.status.success().then(|| text.trim().trim_start_matches("sockudo").trim().to_owned())
}

/// The configuration file (TOML) for a server on `127.0.0.1:port` whose
/// connections queue at most `queue_frames` messages each.
pub(crate) fn config(port: u16, max_connections: usize, queue_frames: usize) -> String {
    format!(
        "host = \"127.0.0.1\"\nport = {port}\ndebug = false\nmode = \"production\"\n\
         [adapter]\ndriver = \"local\"\n\
         [app_manager]\ndriver = \"memory\"\n\
         [app_manager.cache]\nenabled = false\n\
         [[app_manager.array.apps]]\nid = \"{APP_ID}\"\nkey = \"{APP_KEY}\"\nsecret = \"{APP_SECRET}\"\nenabled = true\n\
         [app_manager.array.apps.policy.limits]\nmax_connections = {max_connections}\n\
         max_client_events_per_second = 1000\nmax_event_batch_size = {MAX_BATCH}\n\
         [rate_limiter]\nenabled = false\n\
         [metrics]\nenabled = false\nhost = \"127.0.0.1\"\n\
         [websocket]\nmax_messages = {queue_frames}\ndisconnect_on_buffer_full = false\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_is_toml_naming_the_app_and_lifting_the_limits() {
        let config: toml::Table = config(6001, 1000, 1024).parse().unwrap();
        assert_eq!(config["port"].as_integer(), Some(6001));
        let app = &config["app_manager"]["array"]["apps"][0];
        assert_eq!(app["key"].as_str(), Some(APP_KEY));
        assert_eq!(app["policy"]["limits"]["max_event_batch_size"].as_integer(), Some(1000));
        assert_eq!(config["rate_limiter"]["enabled"].as_bool(), Some(false));
        assert_eq!(config["websocket"]["max_messages"].as_integer(), Some(1024));
    }
}

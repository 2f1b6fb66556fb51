//! What a component asks of the host: the world's imports `topic-update`,
//! `topic-updates`, `set-timer` and `clear-timer`, as
//! [`WsTopic`](crate::WsTopic) calls them.
//!
//! wit-bindgen generates those imports in each component's own bindings, so
//! this crate cannot call them directly: a component's generated code
//! implements [`Host`] once, forwarding to its bindings, and every route names
//! that implementation (`WsRoute::Host`). The calls are static and inline
//! into the bindings' own, so an update costs what it did when each route had
//! a generated topic type of its own. This is the one place that knows how a
//! topic reaches the host: a new world version changes it here.

/// The host's imports, implemented once per component by its generated code
/// (`ws_generated::Imports`).
///
/// A service reaches them through its typed topics; it may also call them
/// directly for a live topic it holds only as a string (the broker moves an
/// account's tick timer to another of its topics, whatever its route). A test
/// can implement it with a recorder, to run a service natively.
pub trait Host {
    /// Publishes `data` (JSON text) to every subscriber of `topic`.
    fn topic_update(topic: &str, data: &str);
    /// Publishes each `(id, data)`, in order, to the topic live as `id`.
    fn topic_updates(updates: &[(u32, String)]);
    /// Asks the host to call `on-timer` for `topic` every `period_ms` milliseconds.
    fn set_timer(topic: &str, period_ms: u32);
    /// Stops the timer of `topic`, if any.
    fn clear_timer(topic: &str);
}

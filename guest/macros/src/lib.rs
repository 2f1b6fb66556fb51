//! The `#[route("name")]` marker that names a route next to its declaration,
//! with its delivery policy when it is not the default `conflate`, and its
//! history when it is not the default of its delivery:
//!
//! ```ignore
//! /// OHLCV bars of one symbol at one resolution.
//! #[route("bars")]
//! pub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;
//!
//! /// Orders of one account: a client must never miss one.
//! #[route("orders", delivery = "reliable", history = 1000, history_ttl_secs = 300)]
//! pub type OrderWsRouter = WsRouter<AccountRequest, Order>;
//! ```
//!
//! It is read by `topicwire-codegen` (which checks the name and options) and
//! expands to the item unchanged, so declarations compile as ordinary Rust.

use proc_macro::TokenStream;

/// Names the route of a `WsRouter<Request, Data>` declaration, optionally with
/// `delivery = "conflate" | "reliable"`, `history = N` (updates each topic
/// keeps for clients that recover, at most 10000; 0 keeps none) and
/// `history_ttl_secs = S` (how long, at most 3600). Without either the route
/// keeps the host's default for its delivery: 1000 updates for 300 s when
/// reliable, none when conflated; `history = N` alone keeps them 300 s,
/// `history_ttl_secs = S` alone keeps 1000. Inert: the item is returned
/// unchanged; `topicwire-codegen` reads and checks the arguments.
#[proc_macro_attribute]
pub fn route(_name: TokenStream, item: TokenStream) -> TokenStream {
    item
}

//! The `#[route("name")]` marker that names a route next to its declaration,
//! with its delivery policy when it is not the default `conflate`:
//!
//! ```ignore
//! /// OHLCV bars of one symbol at one resolution.
//! #[route("bars")]
//! pub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;
//!
//! /// Orders of one account: a client must never miss one.
//! #[route("orders", delivery = "reliable")]
//! pub type OrderWsRouter = WsRouter<AccountRequest, Order>;
//! ```
//!
//! It is read by `topicwire-codegen` (which checks the name and options) and
//! expands to the item unchanged, so declarations compile as ordinary Rust.

use proc_macro::TokenStream;

/// Names the route of a `WsRouter<Request, Data>` declaration, optionally with
/// `delivery = "conflate" | "reliable"`. Inert: the item is returned unchanged;
/// `topicwire-codegen` reads and checks the arguments.
#[proc_macro_attribute]
pub fn route(_name: TokenStream, item: TokenStream) -> TokenStream {
    item
}

//! The `#[route("name")]` marker that names a route next to its declaration:
//!
//! ```ignore
//! /// OHLCV bars of one symbol at one resolution.
//! #[route("bars")]
//! pub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;
//! ```
//!
//! It is read by `topicwire-codegen` (which checks the name) and expands to the
//! item unchanged, so declarations compile as ordinary Rust.

use proc_macro::TokenStream;

/// Names the route of a `WsRouter<Request, Data>` declaration. Inert: the item
/// is returned unchanged; `topicwire-codegen` reads and checks the name.
#[proc_macro_attribute]
pub fn route(_name: TokenStream, item: TokenStream) -> TokenStream {
    item
}

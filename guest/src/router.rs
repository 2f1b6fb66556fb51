//! The declaration of a route: the Rust form of the Python system's
//! `BarWsRouter: TypeAlias = WsRouter[BarsSubscriptionRequest, Bar]`.

use std::marker::PhantomData;

/// A route whose subscriptions are `Request`s and whose updates carry `Data`.
///
/// Declared as a type alias in a component's `src/ws.rs`, named with
/// [`route`](crate::route):
///
/// ```
/// # use topicwire_guest::{route, WsRouter};
/// # #[derive(serde::Deserialize)] pub struct BarsSubscriptionRequest;
/// # #[derive(serde::Serialize)] pub struct Bar;
/// /// OHLCV bars of one symbol at one resolution.
/// #[route("bars")]
/// pub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;
/// ```
pub struct WsRouter<Request, Data>(PhantomData<fn() -> (Request, Data)>);

/// The model types of a route declaration, for generated code to name them
/// without knowing where the component defines them.
pub trait Router {
    /// The subscription request: validated by deserialising it.
    type Request;
    /// The `data` of each update.
    type Data;
}

impl<Request, Data> Router for WsRouter<Request, Data> {
    type Request = Request;
    type Data = Data;
}

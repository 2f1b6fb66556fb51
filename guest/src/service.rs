//! The handlers a component writes: [`WsRouteService<R>`] for each of its
//! routes `R`, implemented by the type `src/ws.rs` names `Service`.
//!
//! One trait generic over the route, rather than one method per route and
//! hook, lets routes that behave alike share one implementation: the broker
//! serves its five account routes with a single
//! `impl<R: AccountRoute> WsRouteService<R> for Broker`, which authorizes
//! once for all of them.

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::router::WsRoute;
use crate::topic::WsTopic;

/// The handlers of route `R`. `create` and `remove` are required; `on_timer`
/// does nothing and `authorize` lets everyone in unless overridden.
///
/// ```
/// # use topicwire_guest::{Host, Router, ServiceError, WsRoute, WsRouteService, WsRouter, WsTopic};
/// # use topicwire_guest::wire::Delivery;
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)] pub struct BarsSubscriptionRequest { symbol: String }
/// # #[derive(serde::Serialize, schemars::JsonSchema)] pub struct Bar { close: f64 }
/// # pub enum Imports {}
/// # impl Host for Imports {
/// #     fn topic_update(_: &str, _: &str) {}
/// #     fn topic_updates(_: &[(u32, String)]) {}
/// #     fn set_timer(_: &str, _: u32) {}
/// #     fn clear_timer(_: &str) {}
/// # }
/// # pub enum BarWsRoute {}
/// # impl WsRoute for BarWsRoute {
/// #     const NAME: &'static str = "bars";
/// #     const DESCRIPTION: &'static str = "";
/// #     const DELIVERY: Delivery = Delivery::Conflate;
/// #     type Request = BarsSubscriptionRequest;
/// #     type Data = Bar;
/// #     type Host = Imports;
/// # }
/// # pub type BarWsTopic = WsTopic<BarWsRoute>;
/// pub struct Datafeed;
///
/// impl WsRouteService<BarWsRoute> for Datafeed {
///     fn create(topic: &BarWsTopic) -> Result<(), ServiceError> {
///         if topic.request().symbol.is_empty() {
///             return Err(ServiceError::invalid_request("symbol: must not be empty"));
///         }
///         topic.set_timer(200); // `on_timer` every 200 ms
///         Ok(())
///     }
///
///     fn remove(_topic: &BarWsTopic) {}
///
///     fn on_timer(topic: &BarWsTopic) {
///         topic.update(&Bar { close: 1.0 });
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not serve route `{R}`",
    label = "the service `src/ws.rs` names has no handlers for this route",
    note = "implement `WsRouteService<{R}>` for `{Self}` (`create` and `remove`; `on_timer` and `authorize` are optional)"
)]
pub trait WsRouteService<R: WsRoute> {
    /// May `caller` subscribe to `request`? Called for every subscribe,
    /// before the caller is added to the topic or the topic is created;
    /// refuse with [`ServiceError::forbidden`]. By default everyone may.
    fn authorize(caller: &Caller, request: &R::Request) -> Result<(), ServiceError> {
        let _ = (caller, request);
        Ok(())
    }

    /// A topic got its first subscriber: start publishing to it, or refuse it.
    fn create(topic: &WsTopic<R>) -> Result<(), ServiceError>;

    /// A topic lost its last subscriber: release what it holds. Its timer is
    /// already cleared.
    fn remove(topic: &WsTopic<R>);

    /// A timer set on a topic (with [`WsTopic::set_timer`]) fired.
    fn on_timer(topic: &WsTopic<R>) {
        let _ = topic;
    }
}

//! The bodies of the `ws-route-service` exports for one route, which a
//! component's generated code calls from its match on the route name: what
//! is the same for every route of every component lives here, once.

use crate::caller::Caller;
use crate::host::Host;
use crate::router::WsRoute;
use crate::schema::schema_json;
use crate::service::WsRouteService;
use crate::topic::WsTopic;
use crate::wire;
use crate::{clock, live};
use std::rc::Rc;

/// The `routes` entry of route `R`: name, description, schemas, delivery, history.
pub fn route<R: WsRoute>() -> wire::Route {
    wire::Route {
        name: R::NAME.to_owned(),
        description: R::DESCRIPTION.to_owned(),
        request_schema: schema_json::<R::Request>(),
        data_schema: schema_json::<R::Data>(),
        delivery: R::DELIVERY,
        history: R::HISTORY,
    }
}

/// The caller the host passed to `build-topic` (none for an unsubscribe).
pub fn caller(caller: Option<wire::Caller>) -> Result<Option<Caller>, wire::Error> {
    let caller = caller.map(|caller| Caller::from_json(caller.subject, &caller.claims)).transpose()?;
    Ok(caller)
}

/// `build-topic` on route `R`: validates `request`, has `S` authorize a
/// subscribing `caller`, and returns the canonical topic.
pub fn build_topic<S: WsRouteService<R>, R: WsRoute>(
    request: &str,
    caller: Option<&Caller>,
) -> Result<String, wire::Error> {
    let topic = WsTopic::<R>::from_request_json(request)?;
    if let Some(caller) = caller {
        S::authorize(caller, topic.request())?;
    }
    Ok(topic.into_string())
}

/// `create-topic` of a topic of route `R`, live as `id`: parses it and
/// hands it to `S`; once created, the component knows it by `id` (see
/// [`crate::live`]). What `S` published meanwhile goes to the host.
pub fn create_topic<S: WsRouteService<R>, R: WsRoute>(topic: &str, id: u32) -> Result<(), wire::Error> {
    let topic = WsTopic::<R>::parse(topic)?.live_as(id);
    let created = S::create(&topic);
    if created.is_ok() {
        live::insert(id, topic.shared());
    }
    live::flush::<R::Host>();
    Ok(created?)
}

/// `remove-topic` of a topic of route `R` this component accepted.
pub fn remove_topic<S: WsRouteService<R>, R: WsRoute>(topic: String) {
    live::remove(&topic);
    S::remove(&WsTopic::accepted(topic.into(), None));
    live::flush::<R::Host>();
}

/// `on-timers`: the tick of each topic live as one of `ids`, in order,
/// with the clock at the turn's `now_us` (see [`crate::clock`]); `tick`
/// hands one to its route's [`on_timer`]. The updates of the turn then go
/// to the host together (see [`crate::live`]). An id the component does not
/// know (its topic removed meanwhile) ticks nothing.
pub fn on_timers<H: Host>(now_us: u64, ids: &[u32], mut tick: impl FnMut(Rc<str>, u32)) {
    clock::in_turn(now_us, || {
        for &id in ids {
            if let Some(topic) = live::topic_of(id) {
                tick(topic, id);
            }
        }
    });
    live::flush::<H>();
}

/// The tick of `topic`, of route `R`, live as `id`: its request is parsed
/// only if `S` reads it.
pub fn on_timer<S: WsRouteService<R>, R: WsRoute>(topic: Rc<str>, id: u32) {
    S::on_timer(&WsTopic::accepted(topic, Some(id)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ServiceError;
    use crate::testing::{BarsRoute, Candle, calls};

    /// Authorizes symbol `A` for callers whose subject is `alice`; refuses
    /// to create topics of symbol `X`; publishes on every tick.
    struct Service;

    impl WsRouteService<BarsRoute> for Service {
        fn authorize(caller: &Caller, request: &crate::testing::Bars) -> Result<(), ServiceError> {
            if caller.subject() == Some("alice") || request.symbol != "A" {
                Ok(())
            } else {
                Err(ServiceError::forbidden("not yours"))
            }
        }

        fn create(topic: &WsTopic<BarsRoute>) -> Result<(), ServiceError> {
            if topic.request().symbol == "X" { Err(ServiceError::failed("no X")) } else { Ok(()) }
        }

        fn remove(topic: &WsTopic<BarsRoute>) {
            topic.clear_timer();
        }

        fn on_timer(topic: &WsTopic<BarsRoute>) {
            topic.update(&Candle { close: 2.0 });
        }
    }

    const A: &str = r#"bars:{"extended":false,"resolution":"1","symbol":"A"}"#;

    #[test]
    fn build_topic_validates_then_authorizes_the_subscriber() {
        let request = r#"{"symbol":"A","resolution":"1"}"#;
        let alice = caller(Some(wire::Caller { subject: Some("alice".into()), claims: "{}".into() })).unwrap();
        assert_eq!(build_topic::<Service, BarsRoute>(request, alice.as_ref()).unwrap(), A);
        let bob = Caller::new(Some("bob".into()), Default::default());
        assert!(matches!(build_topic::<Service, BarsRoute>(request, Some(&bob)), Err(wire::Error::Forbidden(_))));
        assert_eq!(build_topic::<Service, BarsRoute>(request, None).unwrap(), A, "an unsubscribe needs no permission");
        let invalid = build_topic::<Service, BarsRoute>(r#"{"symbol":1}"#, None);
        assert!(matches!(invalid, Err(wire::Error::InvalidRequest(reason)) if reason.starts_with("symbol: ")));
        let claims = wire::Caller { subject: None, claims: "[]".into() };
        assert!(matches!(caller(Some(claims)), Err(wire::Error::Failed(_))));
    }

    #[test]
    fn topics_reach_the_handlers_of_their_route() {
        assert!(create_topic::<Service, BarsRoute>(A, 7).is_ok());
        let x = r#"bars:{"extended":false,"resolution":"1","symbol":"X"}"#;
        let refused = create_topic::<Service, BarsRoute>(x, 8);
        assert!(matches!(refused, Err(wire::Error::Failed(reason)) if reason == "no X"));
        assert!(matches!(create_topic::<Service, BarsRoute>("bars:{}", 9), Err(wire::Error::InvalidRequest(_))));
        // Ticks name topics by id: a turn's updates reach the host together; unknown ids tick nothing.
        let tick = |topic, id| on_timer::<Service, BarsRoute>(topic, id);
        on_timers::<crate::testing::Recorder>(1_000, &[7, 8, 9, 7], tick);
        remove_topic::<Service, BarsRoute>(A.to_owned());
        on_timers::<crate::testing::Recorder>(2_000, &[7], tick);
        assert_eq!(
            calls(),
            [r#"topic-updates #7 {"close":2.0} #7 {"close":2.0}"#.to_owned(), format!("clear-timer {A}")]
        );
    }

    #[test]
    fn a_route_describes_itself() {
        let route = route::<BarsRoute>();
        assert_eq!((route.name.as_str(), route.description.as_str()), ("bars", "Bars of one symbol."));
        assert_eq!(route.delivery, wire::Delivery::Reliable);
        assert!(matches!(route.history, Some(wire::History { size: 5, ttl_secs: 60 })));
        assert!(route.request_schema.contains("resolution"), "{}", route.request_schema);
        assert!(route.data_schema.contains("close"), "{}", route.data_schema);
    }
}

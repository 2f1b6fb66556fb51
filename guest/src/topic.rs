//! Topics: `route + ":" + canonical JSON of the validated request`, and
//! [`WsTopic`], the typed topic of every route.
//!
//! Building a topic deserialises the request into the route's typed model and
//! serialises it back canonically, so equivalent requests (other key order,
//! defaulted fields, unknown fields) give the same topic.

use crate::canonical::to_canonical_json;
use crate::error::ServiceError;
use crate::host::Host;
use crate::router::WsRoute;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::OnceCell;
use std::fmt;
use std::rc::Rc;

/// The route part of a topic: everything before the first `:`.
pub fn route_of(topic: &str) -> &str {
    topic.split_once(':').map_or(topic, |(route, _)| route)
}

/// Deserialises a request (JSON text) into its typed model. The error names
/// the offending field, e.g. ``symbol: invalid type: integer `1`, expected a string``.
pub fn parse_request<T: DeserializeOwned>(json: &str) -> Result<T, ServiceError> {
    let deserializer = &mut serde_json::Deserializer::from_str(json);
    let request =
        serde_path_to_error::deserialize(deserializer).map_err(|err| ServiceError::InvalidRequest(describe(&err)))?;
    Ok(request)
}

/// The canonical topic of a typed request on `route`.
pub fn build_topic<T: Serialize>(route: &str, request: &T) -> Result<String, ServiceError> {
    let canonical = to_canonical_json(request)
        .map_err(|err| ServiceError::failed(format!("cannot serialise the request: {err}")))?;
    Ok(format!("{route}:{canonical}"))
}

/// Parses a topic of `route` back into its typed request.
pub fn parse_topic<T: DeserializeOwned>(route: &str, topic: &str) -> Result<T, ServiceError> {
    let request = topic
        .strip_prefix(route)
        .and_then(|rest| rest.strip_prefix(':'))
        .ok_or_else(|| ServiceError::invalid_request(format!("topic `{topic}` is not of route `{route}`")))?;
    parse_request(request)
}

/// A topic of route `R`: its canonical topic string and its typed request,
/// which is parsed at most once and only when asked for. Generated code
/// names one per route (`pub type BarWsTopic = WsTopic<BarWsRoute>;`).
///
/// Timer ticks hand a service a topic this component accepted in
/// `create-topic`, by the id the host gave it there (see [`crate::live`]),
/// so a tick costs no parse unless the service reads the request, and
/// publishing costs one serialisation of the data; the updates of a topic
/// known by id are gathered and reach the host together.
pub struct WsTopic<R: WsRoute> {
    topic: Rc<str>,
    /// The id the host gave the topic, when it came from the host.
    id: Option<u32>,
    request: OnceCell<R::Request>,
}

impl<R: WsRoute> WsTopic<R> {
    /// The route name: the prefix of the topic and of message types.
    pub const ROUTE: &'static str = R::NAME;

    /// The topic of `request`: the route name, `:`, and the request as canonical JSON.
    pub fn new(request: R::Request) -> Result<Self, ServiceError> {
        let topic = build_topic(R::NAME, &request)?;
        Ok(Self { topic: topic.into(), id: None, request: OnceCell::from(request) })
    }

    /// Validates a subscription request given as JSON text and builds its topic.
    pub fn from_request_json(json: &str) -> Result<Self, ServiceError> {
        Self::new(parse_request(json)?)
    }

    /// Validates `topic` as a topic of this route and parses its request.
    pub fn parse(topic: &str) -> Result<Self, ServiceError> {
        let request = parse_topic::<R::Request>(R::NAME, topic)?;
        Ok(Self { topic: topic.into(), id: None, request: OnceCell::from(request) })
    }

    /// A topic this component accepted before (`create-topic` parsed it),
    /// live as `id` when the host gave one; its request is parsed on first use.
    pub(crate) fn accepted(topic: Rc<str>, id: Option<u32>) -> Self {
        Self { topic, id, request: OnceCell::new() }
    }

    /// The same topic, live as `id`.
    pub(crate) fn live_as(self, id: u32) -> Self {
        Self { id: Some(id), ..self }
    }

    /// The id the host gave this topic, if it came from the host (a
    /// `create-topic` or a timer's tick).
    pub fn id(&self) -> Option<u32> {
        self.id
    }

    /// The topic string, shared.
    pub(crate) fn shared(&self) -> Rc<str> {
        self.topic.clone()
    }

    /// The validated subscription request.
    ///
    /// # Panics
    ///
    /// If the host handed back (to `remove-topic` or `on-timer`) a topic this
    /// component never accepted and it does not parse: a host fault.
    pub fn request(&self) -> &R::Request {
        self.request.get_or_init(|| match parse_topic(R::NAME, &self.topic) {
            Ok(request) => request,
            Err(err) => panic!("the host handed back a topic this component never accepted: {err}"),
        })
    }

    /// The canonical topic string.
    pub fn as_str(&self) -> &str {
        &self.topic
    }

    /// The canonical topic string, by value.
    pub fn into_string(self) -> String {
        String::from(&*self.topic)
    }

    /// Publishes `data` to every subscriber of this topic.
    pub fn update(&self, data: &R::Data) {
        match self.id {
            Some(id) => crate::live::gather::<R::Host>(id, to_json(data)),
            None => self.send(&to_json(data)),
        }
    }

    /// Publishes data that is already JSON text to every subscriber of this
    /// topic. The host drops (and counts) data that is not valid JSON.
    pub fn update_json(&self, data: &str) {
        match self.id {
            // Past the gathering bound it would be sent at once anyway: sent as is, not copied first.
            Some(id) if data.len() < crate::live::MAX_GATHERED_BYTES => {
                crate::live::gather::<R::Host>(id, data.to_owned());
            }
            _ => self.send(data),
        }
    }

    /// Sends an update by topic string, after the updates gathered before it
    /// (see [`crate::live`]).
    fn send(&self, data: &str) {
        crate::live::flush::<R::Host>();
        <R::Host as Host>::topic_update(&self.topic, data);
    }

    /// Asks the host to call the route's `on_timer` for this topic every
    /// `period_ms` milliseconds; setting it again replaces the period.
    pub fn set_timer(&self, period_ms: u32) {
        <R::Host as Host>::set_timer(&self.topic, period_ms);
    }

    /// Stops this topic's timer.
    pub fn clear_timer(&self) {
        <R::Host as Host>::clear_timer(&self.topic);
    }
}

impl<R: WsRoute> fmt::Debug for WsTopic<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WsTopic").field(&self.topic).finish()
    }
}

/// An update's data as JSON text.
///
/// # Panics
///
/// If `data`'s `Serialize` implementation fails (e.g. a map with non-string
/// keys): a bug in the component, which traps and is restarted by the host.
pub fn to_json<T: Serialize>(data: &T) -> String {
    match serde_json::to_string(data) {
        Ok(json) => json,
        Err(err) => panic!("update data does not serialise to JSON: {err}"),
    }
}

fn describe(err: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let inner = err.inner();
    let message = inner.to_string();
    // serde_json appends " at line L column C"; the field path says more.
    let message = match message.rfind(" at line ") {
        Some(at) if inner.line() > 0 => &message[..at],
        _ => &message,
    };
    let path = err.path().to_string();
    if path == "." { message.to_owned() } else { format!("{path}: {message}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Bars, BarsRoute, Candle, calls};

    #[test]
    fn equivalent_requests_give_one_topic() {
        let a: Bars = parse_request(r#"{"symbol":"AAPL","resolution":"1"}"#).unwrap();
        let b: Bars =
            parse_request(r#"{ "resolution": "1", "junk": 3, "symbol": "AAPL", "extended": false }"#).unwrap();
        let topic = build_topic("bars", &a).unwrap();
        assert_eq!(topic, r#"bars:{"extended":false,"resolution":"1","symbol":"AAPL"}"#);
        assert_eq!(build_topic("bars", &b).unwrap(), topic);
    }

    #[test]
    fn topics_parse_back() {
        let request = Bars { symbol: "MSFT".into(), resolution: "5".into(), extended: true };
        let topic = build_topic("bars", &request).unwrap();
        assert_eq!(route_of(&topic), "bars");
        assert_eq!(parse_topic::<Bars>("bars", &topic).unwrap(), request);
        assert!(parse_topic::<Bars>("quotes", &topic).is_err());
    }

    #[test]
    fn typed_topics_parse_their_request_once_and_only_when_asked() {
        let built = WsTopic::<BarsRoute>::new(Bars { symbol: "MSFT".into(), resolution: "5".into(), extended: false });
        let built = built.unwrap();
        let accepted = WsTopic::<BarsRoute>::accepted(built.as_str().into(), None);
        assert!(accepted.request.get().is_none());
        assert_eq!(accepted.request(), built.request());
        assert!(accepted.request.get().is_some());
        assert!(WsTopic::<BarsRoute>::parse(r#"bars:{"symbol":1}"#).is_err());
        assert!(WsTopic::<BarsRoute>::parse(r#"quotes:{"symbol":"A","resolution":"1"}"#).is_err());
        let json = WsTopic::<BarsRoute>::from_request_json(r#"{"resolution":"5","symbol":"MSFT"}"#).unwrap();
        assert_eq!(json.into_string(), built.as_str());
        assert_eq!(WsTopic::<BarsRoute>::ROUTE, "bars");
    }

    #[test]
    #[should_panic(expected = "never accepted")]
    fn an_accepted_topic_that_does_not_parse_is_a_host_fault() {
        WsTopic::<BarsRoute>::accepted("bars:{}".into(), None).request();
    }

    #[test]
    fn typed_topics_reach_the_host_of_their_route() {
        let topic = WsTopic::<BarsRoute>::new(Bars { symbol: "A".into(), resolution: "1".into(), extended: false });
        let topic = topic.unwrap();
        topic.set_timer(200);
        topic.update(&Candle { close: 1.5 });
        topic.update_json("{}");
        topic.clear_timer();
        let name = r#"bars:{"extended":false,"resolution":"1","symbol":"A"}"#;
        assert_eq!(
            calls(),
            [
                format!("set-timer {name} 200"),
                format!(r#"topic-update {name} {{"close":1.5}}"#),
                format!("topic-update {name} {{}}"),
                format!("clear-timer {name}"),
            ]
        );
    }

    #[test]
    fn a_numbered_topics_updates_are_gathered_and_go_before_one_sent_by_name() {
        let topic = WsTopic::<BarsRoute>::new(Bars { symbol: "A".into(), resolution: "1".into(), extended: false });
        let topic = topic.unwrap();
        let live = WsTopic::<BarsRoute>::accepted(topic.shared(), Some(3));
        assert_eq!(live.id(), Some(3));
        live.update(&Candle { close: 1.0 });
        live.update_json("{}");
        assert!(calls().is_empty(), "gathered");
        topic.update_json("[]");
        let name = r#"bars:{"extended":false,"resolution":"1","symbol":"A"}"#;
        assert_eq!(calls(), [r#"topic-updates #3 {"close":1.0} #3 {}"#.to_owned(), format!("topic-update {name} []")]);
    }

    #[test]
    fn errors_name_the_field() {
        let missing = parse_request::<Bars>(r#"{"symbol":"AAPL"}"#).unwrap_err();
        assert_eq!(missing, ServiceError::invalid_request("missing field `resolution`"));
        let wrong = parse_request::<Bars>(r#"{"symbol":1,"resolution":"1"}"#).unwrap_err();
        assert_eq!(wrong, ServiceError::invalid_request("symbol: invalid type: integer `1`, expected a string"));
    }
}

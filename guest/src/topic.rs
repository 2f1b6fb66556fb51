//! Topics: `route + ":" + canonical JSON of the validated request`.
//!
//! Building a topic deserialises the request into the route's typed model and
//! serialises it back canonically, so equivalent requests (other key order,
//! defaulted fields, unknown fields) give the same topic.

use crate::canonical::to_canonical_json;
use crate::error::ServiceError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::OnceCell;

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

/// A canonical topic of one route with its typed request, which is parsed at
/// most once and only when asked for: the generated `<Route>WsTopic` types
/// wrap it. Timer ticks hand a service the topic the host holds, one this
/// component accepted in `create-topic`, so a tick costs no parse unless the
/// service reads the request.
#[derive(Debug)]
pub struct TypedTopic<T> {
    topic: String,
    request: OnceCell<T>,
}

impl<T: Serialize + DeserializeOwned> TypedTopic<T> {
    /// The topic of `request` on `route`.
    pub fn new(route: &str, request: T) -> Result<Self, ServiceError> {
        let topic = build_topic(route, &request)?;
        Ok(Self { topic, request: OnceCell::from(request) })
    }

    /// Validates `topic` as a topic of `route` and parses its request.
    pub fn parse(route: &str, topic: &str) -> Result<Self, ServiceError> {
        let request: T = parse_topic(route, topic)?;
        Ok(Self { topic: topic.to_owned(), request: OnceCell::from(request) })
    }

    /// A topic this component accepted before (`create-topic` parsed it);
    /// its request is parsed on first use.
    pub fn accepted(topic: String) -> Self {
        Self { topic, request: OnceCell::new() }
    }

    /// The typed request of this topic of `route`.
    ///
    /// # Panics
    ///
    /// If the topic came from [`TypedTopic::accepted`] and does not parse: the
    /// host handed back a topic this component never accepted.
    pub fn request(&self, route: &str) -> &T {
        self.request.get_or_init(|| match parse_topic(route, &self.topic) {
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
        self.topic
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
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Bars {
        symbol: String,
        resolution: String,
        #[serde(default)]
        extended: bool,
    }

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
        let built = TypedTopic::new("bars", Bars { symbol: "MSFT".into(), resolution: "5".into(), extended: false });
        let built = built.unwrap();
        let accepted = TypedTopic::<Bars>::accepted(built.as_str().to_owned());
        assert!(accepted.request.get().is_none());
        assert_eq!(accepted.request("bars"), built.request("bars"));
        assert!(accepted.request.get().is_some());
        assert!(TypedTopic::<Bars>::parse("bars", r#"bars:{"symbol":1}"#).is_err());
    }

    #[test]
    #[should_panic(expected = "never accepted")]
    fn an_accepted_topic_that_does_not_parse_is_a_host_fault() {
        TypedTopic::<Bars>::accepted("bars:{}".to_owned()).request("bars");
    }

    #[test]
    fn errors_name_the_field() {
        let missing = parse_request::<Bars>(r#"{"symbol":"AAPL"}"#).unwrap_err();
        assert_eq!(missing, ServiceError::invalid_request("missing field `resolution`"));
        let wrong = parse_request::<Bars>(r#"{"symbol":1,"resolution":"1"}"#).unwrap_err();
        assert_eq!(wrong, ServiceError::invalid_request("symbol: invalid type: integer `1`, expected a string"));
    }
}

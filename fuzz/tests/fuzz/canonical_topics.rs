//! Subscribe payloads into canonical topics: the guest's canonical JSON
//! (`topicwire_guest::canonical`) and the typed topics built from it
//! (`WsTopic`), for routes whose models are shaped like the served ones
//! (datafeed's `bars` and `quotes`, the broker's per-account routes) and
//! the model of the cases the Python SDK shares
//! (`guest-py/tests/canonical_cases.json`: nested, defaulted, map fields).
//!
//! Properties: canonical JSON decodes to the value it encodes, is ASCII,
//! and is stable (the canonical JSON of canonical JSON is itself); a typed
//! topic parses back to itself and its request part builds the same topic;
//! equivalent requests (keys in another order, whitespace, escapes, an
//! unknown field) give one topic, or are all refused.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use topicwire_guest::canonical::to_canonical_json;
use topicwire_guest::error::ServiceError;
use topicwire_guest::wire::Delivery;
use topicwire_guest::{Host, WsRoute, WsTopic};

/// datafeed's `bars` request.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Bars {
    symbol: String,
    resolution: String,
}

/// datafeed's `quotes` request.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Quotes {
    #[serde(default)]
    symbols: Vec<String>,
    #[serde(default)]
    fast_symbols: Vec<String>,
}

/// The broker's per-account request.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Account {
    #[serde(rename = "accountId")]
    account_id: String,
}

/// The model of the shared cases; `guest/tests/python_canonical.rs` declares the same one.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Trades {
    symbols: Vec<String>,
    #[serde(default = "default_label")]
    label: String,
    #[serde(default = "default_depth")]
    depth: i64,
    #[serde(default = "default_ratio")]
    ratio: f64,
    #[serde(default)]
    live: bool,
    #[serde(default)]
    nested: Option<Nested>,
    #[serde(default)]
    flags: BTreeMap<String, bool>,
}

#[derive(Serialize, Deserialize, JsonSchema)]
struct Nested {
    name: String,
    #[serde(default)]
    tags: Vec<String>,
}

fn default_label() -> String {
    "all".to_owned()
}

fn default_depth() -> i64 {
    1
}

fn default_ratio() -> f64 {
    0.5
}

/// Building topics publishes nothing.
enum NoHost {}

impl Host for NoHost {
    fn topic_update(_: &str, _: &str) {}
    fn topic_updates(_: &[(u32, String)]) {}
    fn set_timer(_: &str, _: u32) {}
    fn clear_timer(_: &str) {}
}

macro_rules! routes {
    ($($marker:ident $name:literal $request:ty;)*) => {$(
        enum $marker {}

        impl WsRoute for $marker {
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = "";
            const DELIVERY: Delivery = Delivery::Conflate;
            type Request = $request;
            type Data = ();
            type Host = NoHost;
        }
    )*};
}

routes! {
    BarsRoute "bars" Bars;
    QuotesRoute "quotes" Quotes;
    OrdersRoute "orders" Account;
    TradesRoute "trades" Trades;
}

/// One route's name and its typed topics' build and parse.
struct Route {
    name: &'static str,
    build: fn(&str) -> Result<String, ServiceError>,
    parse: fn(&str) -> Result<String, ServiceError>,
}

fn typed<R: WsRoute>() -> Route {
    Route {
        name: R::NAME,
        build: |json| WsTopic::<R>::from_request_json(json).map(WsTopic::into_string),
        parse: |topic| WsTopic::<R>::parse(topic).map(WsTopic::into_string),
    }
}

fn routes() -> Vec<Route> {
    vec![typed::<BarsRoute>(), typed::<QuotesRoute>(), typed::<OrdersRoute>(), typed::<TradesRoute>()]
}

fn check_canonical(value: &Value) {
    let canonical = to_canonical_json(value).unwrap();
    assert!(canonical.is_ascii(), "{canonical}");
    let back: Value = serde_json::from_str(&canonical).unwrap();
    assert_eq!(&back, value, "{canonical}");
    assert_eq!(to_canonical_json(&back).unwrap(), canonical, "canonical of canonical");
    for text in crate::support::equivalent_texts(value) {
        let again: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(to_canonical_json(&again).unwrap(), canonical, "{text}");
    }
}

/// Requests meaning what `value` means to every route: other spellings, and an unknown field.
fn equivalents(value: &Value) -> Vec<String> {
    let mut texts = crate::support::equivalent_texts(value);
    if let Value::Object(map) = value
        && !map.contains_key("zz_unknown")
    {
        let mut extended = map.clone();
        extended.insert("zz_unknown".into(), serde_json::json!({"a": [1, "b"]}));
        texts.push(Value::Object(extended).to_string());
    }
    texts
}

fn check_route(route: &Route, text: &str, value: Option<&Value>) {
    let built = (route.build)(text);
    if let Ok(topic) = &built {
        let request = topic.strip_prefix(route.name).and_then(|rest| rest.strip_prefix(':')).unwrap();
        assert_eq!((route.parse)(topic).as_ref(), Ok(topic), "a topic parses back to itself");
        assert_eq!((route.build)(request).as_ref(), Ok(topic), "the canonical request builds the same topic");
        assert_eq!(to_canonical_json(&serde_json::from_str::<Value>(request).unwrap()).unwrap(), request);
    }
    let Some(value) = value else { return };
    // The request as decoded (a repeated key: its last value), then in other words.
    let baseline = (route.build)(&value.to_string());
    if built.is_ok() {
        assert_eq!(built, baseline, "{} of {text}", route.name);
    }
    for equivalent in equivalents(value) {
        let again = (route.build)(&equivalent);
        assert_eq!(
            again.is_ok(),
            baseline.is_ok(),
            "{} of {text} and {equivalent}: {baseline:?} {again:?}",
            route.name
        );
        if let (Ok(topic), Ok(again)) = (&baseline, &again) {
            assert_eq!(topic, again, "{} of {text} and {equivalent}", route.name);
        }
    }
}

fn check(routes: &[Route], input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let value = serde_json::from_str::<Value>(&text).ok();
    if let Some(value) = &value {
        check_canonical(value);
    }
    for route in routes {
        check_route(route, &text, value.as_ref());
    }
}

#[test]
fn fuzz() {
    let routes = routes();
    bolero::check!(name = "canonical_topics")
        .with_iterations(crate::support::iterations(3000))
        .for_each(move |input: &[u8]| check(&routes, input));
}

#[test]
fn equivalent_requests_share_one_topic() {
    let routes = routes();
    let bars = &routes[0];
    let topic = (bars.build)(r#"{"symbol":"AAPL","resolution":"1"}"#).unwrap();
    assert_eq!((bars.build)("{ \"resolution\" : \"1\",\n \"symbol\" : \"\\u0041APL\", \"x\": [] }"), Ok(topic));
    check(&routes, br#"{"symbols":["\u00e9",""],"nested":{"name":"n","tags":[]},"flags":{"b":true,"a":false}}"#);
}

#[test]
fn equivalent_texts_decode_to_the_value() {
    let value: Value = serde_json::from_str(r#"{"b":[1,{"y":"é😀\"\\\n"}],"a":null,"c":-1.5e3}"#).unwrap();
    for text in crate::support::equivalent_texts(&value) {
        assert_eq!(serde_json::from_str::<Value>(&text).ok(), Some(value.clone()), "{text}");
    }
    assert!(crate::support::equivalent_texts(&value)[0].starts_with(r#"{"c""#));
}

//! Request parsing and error answers as the Python system's framework
//! (FastAPI) gives them, so its generated REST client reads them unchanged:
//! `{"detail": "..."}` for a refusal (400) or an unknown object (404), and
//! for input that does not validate, 422 with
//! `{"detail": [{"type", "loc", "msg"}]}` locating the offending field
//! (`["body", "qty"]`, `["query", "side"]`).

use crate::ledger::StoreError;
use crate::trading::Refusal;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use topicwire_guest::http::{Request, Response};

/// A request that cannot be served, as its response.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection(pub Response);

impl From<Refusal> for Rejection {
    fn from(refusal: Refusal) -> Self {
        Self(detail(refusal.status, refusal.message))
    }
}

impl From<StoreError> for Rejection {
    fn from(error: StoreError) -> Self {
        Self(detail(503, format!("{error}; nothing was changed, try again")))
    }
}

/// `{"detail": message}` with `status`.
pub fn detail(status: u16, message: impl Into<String>) -> Response {
    Response::json(status, &json!({"detail": message.into()}))
}

/// 422: one validation error at `loc`.
pub fn unprocessable(loc: Vec<Value>, kind: &str, message: impl Into<String>) -> Rejection {
    Rejection(Response::json(422, &json!({"detail": [{"type": kind, "loc": loc, "msg": message.into()}]})))
}

/// The JSON body as `T`; a body that does not validate is 422 naming the field.
pub fn body<T: DeserializeOwned>(request: &Request) -> Result<T, Rejection> {
    let Ok(text) = std::str::from_utf8(&request.body) else {
        return Err(unprocessable(vec![json!("body")], "json_invalid", "the body is not UTF-8"));
    };
    from_json(text, "body")
}

/// `text` (JSON) as `T`, errors located under `origin` (`body` or `query`).
pub fn from_json<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, Rejection> {
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let mut loc = vec![json!(origin)];
        loc.extend(error.path().iter().map(|segment| match segment {
            serde_path_to_error::Segment::Seq { index } => json!(index),
            other => json!(other.to_string()),
        }));
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return unprocessable(loc, "json_invalid", format!("JSON decode error: {inner}"));
        }
        let message = inner.to_string();
        let message = message.split(" at line ").next().unwrap_or_default();
        // serde reports a missing field at its parent: locate it at the field, as FastAPI does.
        if let Some(field) = message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
            loc.push(json!(field));
            return unprocessable(loc, "missing", "Field required");
        }
        unprocessable(loc, "value_error", message)
    })
}

/// The body must be a JSON object (as FastAPI's models require): serde would
/// otherwise read a struct positionally from an array.
pub fn object_body<T: DeserializeOwned>(request: &Request) -> Result<T, Rejection> {
    let starts_with_brace = request.body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{');
    if !starts_with_brace {
        return Err(unprocessable(vec![json!("body")], "model_attributes_type", "Input should be a valid object"));
    }
    body(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::PreOrder;

    fn request(body: &str) -> Request {
        Request { method: "POST".into(), path: "/orders".into(), query: None, headers: Vec::new(), body: body.into() }
    }

    fn detail_of(rejection: Rejection) -> (u16, Value) {
        (rejection.0.status, serde_json::from_slice::<Value>(&rejection.0.body).unwrap()["detail"].clone())
    }

    #[test]
    fn a_missing_field_is_located_at_the_field() {
        let error = object_body::<PreOrder>(&request(r#"{"symbol":"AAPL","type":2,"side":1}"#)).unwrap_err();
        assert_eq!(
            detail_of(error),
            (422, json!([{"type": "missing", "loc": ["body", "qty"], "msg": "Field required"}]))
        );
    }

    #[test]
    fn a_wrong_value_names_its_path() {
        let error = object_body::<PreOrder>(&request(r#"{"symbol":"AAPL","type":9,"side":1,"qty":1}"#)).unwrap_err();
        let (status, detail) = detail_of(error);
        assert_eq!((status, &detail[0]["loc"]), (422, &json!(["body", "type"])));
        assert!(detail[0]["msg"].as_str().unwrap().contains("9 is not a OrderType"), "{detail}");
    }

    #[test]
    fn non_objects_and_broken_json_are_unprocessable() {
        assert_eq!(detail_of(object_body::<PreOrder>(&request(r#"["AAPL"]"#)).unwrap_err()).0, 422);
        let (status, detail) = detail_of(object_body::<PreOrder>(&request("{nope")).unwrap_err());
        assert_eq!((status, detail[0]["type"].as_str()), (422, Some("json_invalid")));
    }

    #[test]
    fn refusals_are_details() {
        let response = Rejection::from(Refusal { status: 404, message: "no order `9`".into() }).0;
        assert_eq!((response.status, response.body.as_slice()), (404, br#"{"detail":"no order `9`"}"#.as_slice()));
    }
}

//! A component's REST API, as plain values: generated code turns the
//! `wasi:http/incoming-handler` call into a [`Request`] for the type that
//! `src/ws.rs` names `Http`, and writes its [`Response`] back.
//!
//! The host strips the module's prefix: `POST /api/v1/broker/orders` arrives
//! as `POST /orders`; the rest of the path and the query arrive as the client
//! sent them, not percent-decoded. Who is asking is [`Request::caller`].

use crate::caller::{CLAIMS_HEADER, Caller, SUBJECT_HEADER};
use serde::Serialize;

/// An HTTP request, its body read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path below the module, e.g. `/orders/3`, as sent (not percent-decoded).
    pub path: String,
    /// The query string without `?`, if any, as sent.
    pub query: Option<String>,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// The value of query parameter `name` (not percent-decoded).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.as_deref()?.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    }

    /// The value of query parameter `name`, percent-decoded (`+` is a space);
    /// `None` when absent or not UTF-8 once decoded.
    pub fn query_value(&self, name: &str) -> Option<String> {
        let pairs = self.query.as_deref()?.split('&');
        pairs
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| percent_decode(key).as_deref() == Some(name))
            .and_then(|(_, value)| percent_decode(value))
    }

    /// Who is asking, as the host verified it: read from the reserved
    /// `x-topicwire-*` headers, which the host sets after removing any the
    /// client sent. Anonymous when the host serves without `[auth]`.
    pub fn caller(&self) -> Caller {
        let claims = match serde_json::from_str(self.header(CLAIMS_HEADER).unwrap_or("{}")) {
            Ok(serde_json::Value::Object(claims)) => claims,
            _ => serde_json::Map::new(),
        };
        // The claims hold `sub` whatever its characters; the header only when it is plain ASCII.
        let subject = match claims.get("sub") {
            Some(serde_json::Value::String(subject)) => Some(subject.clone()),
            _ => self.header(SUBJECT_HEADER).map(str::to_owned),
        };
        Caller::new(subject, claims)
    }

    /// The path's segments: `/orders/3` → `["orders", "3"]`.
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|segment| !segment.is_empty()).collect()
    }
}

/// Decodes `%XX` escapes and `+` (form encoding) in a query component.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// `value` as a JSON body with `status`.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
        Self { status, headers: vec![("content-type".into(), "application/json".into())], body }
    }

    /// `{"error": message}` with `status`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Self::json(status, &serde_json::json!({"error": message.into()}))
    }
}

/// A component's REST API.
pub trait HttpService {
    /// Answers one request.
    fn handle(request: Request) -> Response;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_comes_from_the_reserved_headers() {
        let request = Request {
            method: "GET".into(),
            path: "/account".into(),
            query: None,
            headers: vec![
                ("x-topicwire-sub".into(), "alice".into()),
                ("x-topicwire-claims".into(), r#"{"sub":"alice","accounts":["A1"]}"#.into()),
            ],
            body: Vec::new(),
        };
        let caller = request.caller();
        assert_eq!((caller.subject(), caller.strings("accounts")), (Some("alice"), vec!["A1"]));
    }

    #[test]
    fn reads_headers_query_and_segments() {
        let request = Request {
            method: "GET".into(),
            path: "/orders/7".into(),
            query: Some("accountId=A1&x=2".into()),
            headers: vec![("x-account-id".into(), "B2".into())],
            body: Vec::new(),
        };
        assert_eq!(request.header("X-Account-Id"), Some("B2"));
        assert_eq!(request.query_param("accountId"), Some("A1"));
        assert_eq!(request.query_param("y"), None);
        let encoded = Request { query: Some("a=1&accountId=A%201+x&bad=%zz".into()), ..request.clone() };
        assert_eq!(encoded.query_value("accountId").as_deref(), Some("A 1 x"));
        assert_eq!(encoded.query_value("bad"), None);
        assert_eq!(encoded.query_value("b"), None);
        assert_eq!(request.segments(), ["orders", "7"]);
        assert!(request.caller().is_anonymous());
        let response = Response::error(404, "no order 7");
        assert_eq!((response.status, response.body.as_slice()), (404, br#"{"error":"no order 7"}"#.as_slice()));
    }
}

//! A module's REST API behind the edge: `* /api/v1/{module}/{path}` reaches
//! the component's `wasi:http/incoming-handler` as `/{path}`, path and query
//! exactly as the client sent them (not percent-decoded).
//!
//! The host answers, and the guest never sees, whatever it cannot or must
//! not hand on, in this order: an unknown module or one without a REST API
//! (404); header values that are not visible ASCII, a header block over
//! `max_http_header_bytes`, or a bad URL (400); a disallowed `Origin` (403);
//! a missing or bad token (401); a request (GET and HEAD aside) with a body
//! or a declared type that is not `Content-Type: application/json` (415: a
//! page on another site may send text/plain or form data without a CORS
//! preflight, and the host never grants one); a body over `max_http_body_bytes`
//! (413) or slower than `http_body_timeout_ms` (408); a full module queue
//! (503 with `Retry-After`). The client's `x-topicwire-*` headers are
//! replaced by the verified identity's. The response is read whole inside
//! the module's actor (502 past `max_http_response_bytes`) and written to the
//! client from here, so a slow reader never holds up the module.

use crate::edge::auth::identity::Identity;
use crate::edge::gateway::{AppState, error};
use crate::runtime::instance::{HttpOutcome, HttpRequest};
use crate::runtime::module::Unavailable;
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, RETRY_AFTER, TRANSFER_ENCODING};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;

/// Seconds a client is told to wait when the module's queue is full.
const RETRY_AFTER_SECS: &str = "1";

/// Answers `request` for the module its path names.
pub async fn forward(state: &AppState, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Some((name, target)) = split_target(&parts.uri) else {
        return error(StatusCode::BAD_REQUEST, "invalid URL");
    };
    let Some(module) = state.registry.get(&name) else {
        return error(StatusCode::NOT_FOUND, &format!("no module `{name}` is loaded"));
    };
    if !module.status().serves_http {
        return error(StatusCode::NOT_FOUND, &format!("module `{name}` has no REST API"));
    }
    let uri = match checked_target(&target, &parts.headers, state.limits.max_http_header_bytes) {
        Ok(uri) => uri,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    if let Err(message) = state.auth.origins().check(&parts.headers) {
        return error(StatusCode::FORBIDDEN, &message);
    }
    let identity = match state.auth.authenticate(&parts.headers, parts.uri.query()) {
        Ok(identity) => identity,
        Err(refusal) => return state.unauthorized(&refusal),
    };
    if let Err(message) = check_content_type(&parts.method, &parts.headers) {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message);
    }
    let body = match axum::body::to_bytes(body, state.limits.max_http_body_bytes).await {
        Ok(body) => body,
        Err(failure) if is_timeout(&failure) => {
            let message = format!("the request body did not arrive within {} ms", state.limits.http_body_timeout_ms);
            return error(StatusCode::REQUEST_TIMEOUT, &message);
        }
        Err(_) => {
            let message = format!("request body larger than {} bytes", state.limits.max_http_body_bytes);
            return error(StatusCode::PAYLOAD_TOO_LARGE, &message);
        }
    };
    answer(module.http(module_request(parts, uri, &identity, body)).await, state.limits.max_http_response_bytes)
}

/// The request the module's `wasi:http` handler is given: `uri` (the
/// target [`checked_target`] admitted), the verified identity's headers in
/// place of any the client sent, and a `Host` if the client sent none.
pub fn module_request(mut parts: Parts, uri: Uri, identity: &Identity, body: Bytes) -> HttpRequest {
    parts.uri = uri;
    identity.set_headers(&mut parts.headers);
    if !parts.headers.contains_key(HOST) {
        parts.headers.insert(HOST, HeaderValue::from_static("localhost"));
    }
    axum::http::Request::from_parts(parts, http_body_util::Full::new(body))
}

/// The URI of `target` (`/{path}?query`, from [`split_target`]) when the
/// request's head can become a `wasi:http` request; else the 400 message.
pub fn checked_target(target: &str, headers: &HeaderMap, max_header_bytes: usize) -> Result<Uri, String> {
    check_headers(headers, max_header_bytes)?;
    target.parse::<Uri>().map_err(|_| "invalid URL".to_owned())
}

/// Refuses (the 415 message) a request whose body the module could misread: see [`must_be_json`].
pub fn check_content_type(method: &Method, headers: &HeaderMap) -> Result<(), String> {
    if must_be_json(method, headers) && !is_json(headers) {
        return Err(format!("{method} requests need `Content-Type: application/json`"));
    }
    Ok(())
}

/// The client's answer to what became of a request the module was given
/// (here, or on the module's leader in a cluster).
pub fn answer(outcome: Result<HttpOutcome, Unavailable>, max_response_bytes: usize) -> Response {
    match outcome {
        Ok(HttpOutcome::Response(response)) => response.map(axum::body::Body::from),
        Ok(HttpOutcome::TooLarge) => {
            let message = format!("the module's response is larger than {max_response_bytes} bytes");
            error(StatusCode::BAD_GATEWAY, &message)
        }
        Ok(HttpOutcome::Refused(code)) => {
            error(StatusCode::BAD_GATEWAY, &format!("the module failed to answer: {code}"))
        }
        Ok(HttpOutcome::NoResponse) => error(StatusCode::BAD_GATEWAY, "the module gave no response"),
        Ok(HttpOutcome::Unusable(message)) => error(StatusCode::BAD_REQUEST, &message),
        Ok(HttpOutcome::Unavailable(message)) => busy(&message),
        Err(unavailable @ Unavailable::Busy) => busy(&unavailable.to_string()),
        Err(unavailable @ Unavailable::Gone) => error(StatusCode::SERVICE_UNAVAILABLE, &unavailable.to_string()),
    }
}

/// `/api/v1/{module}/{rest}?query` → the module's name and `/{rest}?query`,
/// both raw.
pub fn split_target(uri: &Uri) -> Option<(String, String)> {
    let below = uri.path().strip_prefix("/api/v1/")?;
    let (module, rest) = below.split_once('/')?;
    let query = uri.query().map(|query| format!("?{query}")).unwrap_or_default();
    Some((module.to_owned(), format!("/{rest}{query}")))
}

/// Whether the headers can become a `wasi:http` request: every value visible
/// ASCII (what `HeaderValue::to_str` accepts) and the block within `max` bytes.
fn check_headers(headers: &HeaderMap, max: usize) -> Result<(), String> {
    let mut size = 0;
    for (name, value) in headers {
        if value.to_str().is_err() {
            return Err(format!("header `{name}` holds bytes that are not visible ASCII"));
        }
        size += name.as_str().len() + value.len();
    }
    if size > max {
        return Err(format!("the request's headers are larger than {max} bytes"));
    }
    Ok(())
}

/// Whether a request must declare a JSON body: any request but GET and
/// HEAD that carries a body or declares a type (a page on another site may
/// send a form, or text, without a preflight). A request with neither, a
/// bodiless POST too, has nothing to misread: it goes on to the module,
/// whose routing answers first (405 for a method its path does not serve).
fn must_be_json(method: &Method, headers: &HeaderMap) -> bool {
    let has_body = headers.contains_key(TRANSFER_ENCODING)
        || headers.get(CONTENT_LENGTH).is_some_and(|length| length.as_bytes() != b"0");
    *method != Method::GET && *method != Method::HEAD && (has_body || headers.contains_key(CONTENT_TYPE))
}

/// Whether the body is declared as JSON (`application/json`, parameters allowed).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Whether reading the body failed because it took longer than its deadline.
fn is_timeout(failure: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(failure);
    while let Some(error) = source {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// 503 with `Retry-After`.
fn busy(message: &str) -> Response {
    let mut response = error(StatusCode::SERVICE_UNAVAILABLE, message);
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_stays_raw() {
        let uri: Uri = "/api/v1/broker/account%3FaccountId=x?token=a%2Eb".parse().unwrap();
        assert_eq!(split_target(&uri), Some(("broker".into(), "/account%3FaccountId=x?token=a%2Eb".into())));
        assert_eq!(split_target(&"/api/v1/broker".parse().unwrap()), None);
    }

    #[test]
    fn headers_must_be_visible_ascii_and_bounded() {
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("fine"));
        assert!(check_headers(&headers, 100).is_ok());
        assert!(check_headers(&headers, 5).unwrap_err().contains("larger than 5 bytes"));
        headers.insert(HOST, HeaderValue::from_bytes(b"h\xe9st").unwrap());
        assert!(check_headers(&headers, 100).unwrap_err().contains("`host`"));
    }

    #[test]
    fn json_is_recognised_with_parameters() {
        let mut headers = HeaderMap::new();
        assert!(!is_json(&headers));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("Application/JSON; charset=utf-8"));
        assert!(is_json(&headers));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!is_json(&headers));
    }

    #[test]
    fn every_post_and_every_body_must_be_json() {
        let sized = |length: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_LENGTH, HeaderValue::from_static(length));
            headers
        };
        assert!(!must_be_json(&Method::POST, &HeaderMap::new()), "nothing to misread");
        assert!(!must_be_json(&Method::POST, &sized("0")));
        assert!(must_be_json(&Method::POST, &sized("2")));
        let mut form = HeaderMap::new();
        form.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        assert!(must_be_json(&Method::POST, &form), "an empty form is a form");
        assert!(must_be_json(&Method::PUT, &sized("12")));
        assert!(!must_be_json(&Method::DELETE, &HeaderMap::new()));
        assert!(!must_be_json(&Method::DELETE, &sized("0")));
        assert!(must_be_json(&Method::DELETE, &sized("3")));
        assert!(!must_be_json(&Method::GET, &sized("3")));
    }
}

//! A REST request, or what became of it, as one NATS message: a 4-byte
//! big-endian length, a JSON head of that length (method and URI; or the
//! outcome, with the status and headers of a response), then the body as
//! is. Only the leader's node and the node a client asked read it; the
//! headers are already the host's (identity set, checked). The outcome
//! travels as the runtime's plain [`HttpOutcome`]: the asking node's edge
//! renders it, as it renders its own.

use crate::runtime::instance::HttpOutcome;
use crate::runtime::module::Unavailable;
use anyhow::{Context, Result, bail};
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

/// A request's head.
#[derive(Serialize, Deserialize)]
struct RequestHead {
    method: String,
    uri: String,
    headers: Vec<(String, Vec<u8>)>,
}

/// An outcome's head.
#[derive(Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum OutcomeHead {
    Response { status: u16, headers: Vec<(String, Vec<u8>)> },
    TooLarge,
    Refused { message: String },
    NoResponse,
    Unusable { message: String },
    Unavailable { message: String },
    Busy,
    Gone,
}

/// `request` as a message.
pub fn encode_request(request: &Request<Bytes>) -> Result<Bytes> {
    let head = RequestHead {
        method: request.method().to_string(),
        uri: request.uri().to_string(),
        headers: headers_of(request.headers()),
    };
    join(&serde_json::to_vec(&head)?, request.body())
}

/// The request of a message made by [`encode_request`].
pub fn decode_request(message: &[u8]) -> Result<Request<Bytes>> {
    let (head, body) = split(message)?;
    let head: RequestHead = serde_json::from_slice(head).context("a forwarded request's head is not valid")?;
    let mut request = Request::builder().method(head.method.as_str()).uri(head.uri.as_str());
    for (name, value) in head.headers {
        request = request.header(HeaderName::try_from(name)?, HeaderValue::from_bytes(&value)?);
    }
    Ok(request.body(Bytes::copy_from_slice(body))?)
}

/// What became of a forwarded request, as a message.
pub fn encode_outcome(outcome: &Result<HttpOutcome, Unavailable>) -> Bytes {
    let (head, body) = match outcome {
        Ok(HttpOutcome::Response(response)) => {
            let head =
                OutcomeHead::Response { status: response.status().as_u16(), headers: headers_of(response.headers()) };
            (head, response.body().as_ref())
        }
        Ok(HttpOutcome::TooLarge) => (OutcomeHead::TooLarge, &[][..]),
        Ok(HttpOutcome::Refused(message)) => (OutcomeHead::Refused { message: message.clone() }, &[][..]),
        Ok(HttpOutcome::NoResponse) => (OutcomeHead::NoResponse, &[][..]),
        Ok(HttpOutcome::Unusable(message)) => (OutcomeHead::Unusable { message: message.clone() }, &[][..]),
        Ok(HttpOutcome::Unavailable(message)) => (OutcomeHead::Unavailable { message: message.clone() }, &[][..]),
        Err(Unavailable::Busy) => (OutcomeHead::Busy, &[][..]),
        Err(Unavailable::Gone) => (OutcomeHead::Gone, &[][..]),
    };
    // A head of plain strings and numbers always serialises, and is far below 4 GiB.
    let head = serde_json::to_vec(&head).unwrap_or_default();
    join(&head, body).unwrap_or_default()
}

/// The outcome of a message made by [`encode_outcome`].
pub fn decode_outcome(message: &[u8]) -> Result<Result<HttpOutcome, Unavailable>> {
    let (head, body) = split(message)?;
    let head: OutcomeHead = serde_json::from_slice(head).context("a forwarded answer's head is not valid")?;
    Ok(match head {
        OutcomeHead::Response { status, headers } => {
            let mut response = Response::builder().status(StatusCode::from_u16(status)?);
            for (name, value) in headers {
                response = response.header(HeaderName::try_from(name)?, HeaderValue::from_bytes(&value)?);
            }
            Ok(HttpOutcome::Response(response.body(Bytes::copy_from_slice(body))?))
        }
        OutcomeHead::TooLarge => Ok(HttpOutcome::TooLarge),
        OutcomeHead::Refused { message } => Ok(HttpOutcome::Refused(message)),
        OutcomeHead::NoResponse => Ok(HttpOutcome::NoResponse),
        OutcomeHead::Unusable { message } => Ok(HttpOutcome::Unusable(message)),
        OutcomeHead::Unavailable { message } => Ok(HttpOutcome::Unavailable(message)),
        OutcomeHead::Busy => Err(Unavailable::Busy),
        OutcomeHead::Gone => Err(Unavailable::Gone),
    })
}

fn headers_of(headers: &axum::http::HeaderMap) -> Vec<(String, Vec<u8>)> {
    headers.iter().map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec())).collect()
}

fn join(head: &[u8], body: &[u8]) -> Result<Bytes> {
    let len = u32::try_from(head.len()).context("a head over 4 GiB")?;
    let mut out = BytesMut::with_capacity(4 + head.len() + body.len());
    out.put_u32(len);
    out.put_slice(head);
    out.put_slice(body);
    Ok(out.freeze())
}

fn split(message: &[u8]) -> Result<(&[u8], &[u8])> {
    let Some((len, rest)) = message.split_first_chunk::<4>() else { bail!("a forwarded message without a head") };
    let len = u32::from_be_bytes(*len) as usize;
    if rest.len() < len {
        bail!("a forwarded message cut short");
    }
    Ok(rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers_cross_whole() {
        let request = Request::builder()
            .method("POST")
            .uri("/orders%3Fx?accountId=A%201")
            .header("x-topicwire-sub", "alice")
            .body(Bytes::from_static(b"{\"qty\":1}"))
            .unwrap();
        let back = decode_request(&encode_request(&request).unwrap()).unwrap();
        assert_eq!((back.method(), back.uri()), (request.method(), request.uri()), "the URI stays raw");
        assert_eq!(back.headers(), request.headers());
        assert_eq!(back.body(), request.body());
        let response = Response::builder().status(403).header("content-type", "application/json");
        let response = response.body(Bytes::from_static(b"{}")).unwrap();
        let Ok(Ok(HttpOutcome::Response(back))) =
            decode_outcome(&encode_outcome(&Ok(HttpOutcome::Response(response.clone()))))
        else {
            panic!("not a response")
        };
        assert_eq!(
            (back.status(), back.headers(), back.body()),
            (response.status(), response.headers(), response.body())
        );
        assert!(decode_outcome(b"\0\0\0\x09{}").is_err(), "cut short");
    }

    #[test]
    fn every_outcome_crosses_whole() {
        let outcomes = [
            Ok(HttpOutcome::TooLarge),
            Ok(HttpOutcome::Refused("HttpProtocolError".into())),
            Ok(HttpOutcome::NoResponse),
            Ok(HttpOutcome::Unusable("bad header".into())),
            Ok(HttpOutcome::Unavailable("quarantined".into())),
            Err(Unavailable::Busy),
            Err(Unavailable::Gone),
        ];
        for outcome in outcomes {
            let back = decode_outcome(&encode_outcome(&outcome)).unwrap();
            assert_eq!(format!("{back:?}"), format!("{outcome:?}"));
        }
    }
}

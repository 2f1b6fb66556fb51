//! A REST request, or its answer, as one NATS message: a 4-byte big-endian
//! length, a JSON head of that length (method and URI, or status; headers),
//! then the body as is. Only the leader's node and the node a client asked
//! read it; the headers are already the host's (identity set, checked).

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

/// An answer's head.
#[derive(Serialize, Deserialize)]
struct ResponseHead {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
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

/// `response` as a message.
pub fn encode_response(response: &Response<Bytes>) -> Result<Bytes> {
    let head = ResponseHead { status: response.status().as_u16(), headers: headers_of(response.headers()) };
    join(&serde_json::to_vec(&head)?, response.body())
}

/// The response of a message made by [`encode_response`].
pub fn decode_response(message: &[u8]) -> Result<Response<Bytes>> {
    let (head, body) = split(message)?;
    let head: ResponseHead = serde_json::from_slice(head).context("a forwarded answer's head is not valid")?;
    let mut response = Response::builder().status(StatusCode::from_u16(head.status)?);
    for (name, value) in head.headers {
        response = response.header(HeaderName::try_from(name)?, HeaderValue::from_bytes(&value)?);
    }
    Ok(response.body(Bytes::copy_from_slice(body))?)
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
        let response = Response::builder().status(403).header("content-type", "application/json").body(Bytes::new());
        let response = response.unwrap();
        let back = decode_response(&encode_response(&response).unwrap()).unwrap();
        assert_eq!((back.status(), back.headers()), (response.status(), response.headers()));
        assert!(decode_response(b"\0\0\0\x09{}").is_err(), "cut short");
    }
}

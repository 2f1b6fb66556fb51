//! The WebSocket opening handshake (RFC 6455 §4.2), done by hand rather
//! than by axum's extractor so the connection gets its own `TcpStream` back
//! from hyper: the hub then writes shared frames straight to it (see
//! [`crate::hub::outbox`]). The listener serves HTTP/1.1 over
//! `TokioIo<TcpStream>`, which is what the upgraded connection is downcast to.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use tokio::net::TcpStream;

/// An accepted upgrade request.
pub struct Upgrade {
    accept: String,
    on_upgrade: OnUpgrade,
}

/// The socket of an upgraded connection and what hyper had read past the request.
pub struct Upgraded {
    /// The connection's socket.
    pub socket: Arc<TcpStream>,
    /// Bytes the client sent right after its request (the start of its first frames).
    pub read_ahead: Vec<u8>,
}

impl Upgrade {
    /// Checks that `request` asks for a WebSocket; the error is the answer to send.
    pub fn from_request(request: &mut axum::extract::Request) -> Result<Self, Refused> {
        let headers = request.headers();
        if request.method() != axum::http::Method::GET {
            return Err(refuse(StatusCode::METHOD_NOT_ALLOWED, "a WebSocket upgrade is a GET"));
        }
        if !has_token(headers, header::CONNECTION, "upgrade") || !has_token(headers, header::UPGRADE, "websocket") {
            return Err(refuse(
                StatusCode::UPGRADE_REQUIRED,
                "this endpoint speaks WebSocket: send Upgrade: websocket",
            ));
        }
        if headers.get(header::SEC_WEBSOCKET_VERSION).map(HeaderValue::as_bytes) != Some(b"13") {
            return Err(refuse(StatusCode::UPGRADE_REQUIRED, "only WebSocket version 13 is supported"));
        }
        let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
            return Err(refuse(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key"));
        };
        let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
        let Some(on_upgrade) = request.extensions_mut().remove::<OnUpgrade>() else {
            return Err(refuse(StatusCode::UPGRADE_REQUIRED, "this connection cannot be upgraded"));
        };
        Ok(Self { accept, on_upgrade })
    }

    /// The `101 Switching Protocols` answer.
    pub fn response(&self) -> Response {
        let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        if let Ok(accept) = HeaderValue::from_str(&self.accept) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        response
    }

    /// Waits for hyper to hand the connection over (once the 101 is sent).
    pub async fn socket(self) -> anyhow::Result<Upgraded> {
        let upgraded = self.on_upgrade.await?;
        let Ok(parts) = upgraded.downcast::<TokioIo<TcpStream>>() else {
            anyhow::bail!("the upgraded connection is not a TCP stream");
        };
        Ok(Upgraded { socket: Arc::new(parts.io.into_inner()), read_ahead: parts.read_buf.to_vec() })
    }
}

/// Whether the comma-separated header `name` holds `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.split(',').any(|part| part.trim().eq_ignore_ascii_case(token)))
}

/// A request that is not a WebSocket upgrade: the status and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// The HTTP status to answer.
    pub status: StatusCode,
    /// Why.
    pub message: &'static str,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.status, axum::Json(serde_json::json!({"status": "error", "message": self.message}))).into_response()
    }
}

fn refuse(status: StatusCode, message: &'static str) -> Refused {
    Refused { status, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_tokens_are_matched_in_lists() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        assert!(has_token(&headers, header::CONNECTION, "upgrade"));
        assert!(!has_token(&headers, header::UPGRADE, "websocket"));
    }

    #[test]
    fn the_accept_key_is_the_rfc_example() {
        let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}

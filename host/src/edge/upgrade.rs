//! The WebSocket handshake (RFC 6455, section 4.2), done here rather than by
//! axum's extractor so the connection owns its raw socket: after a close
//! frame it can shut down its side and drain what the client still sends,
//! so the close frame is read instead of being lost to a TCP reset.

use axum::http::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE};
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// A server-side WebSocket over the upgraded HTTP connection.
pub type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// Why a request is not a WebSocket upgrade; the message of a 400 (or 426).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotUpgrade {
    /// Missing `Connection: upgrade`, `Upgrade: websocket` or `Sec-WebSocket-Key`.
    #[error("expected a WebSocket upgrade: {0}")]
    Missing(&'static str),
    /// `Sec-WebSocket-Version` is not 13.
    #[error("unsupported WebSocket version: use 13")]
    Version,
    /// The connection cannot be upgraded (not served by hyper with upgrades).
    #[error("this connection cannot be upgraded")]
    NotUpgradable,
}

impl NotUpgrade {
    /// The HTTP status of the refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Version => StatusCode::UPGRADE_REQUIRED,
            Self::Missing(_) => StatusCode::BAD_REQUEST,
            Self::NotUpgradable => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An accepted handshake: the `101 Switching Protocols` response to send,
/// and the upgrade to wait for once it is sent.
pub struct Handshake {
    /// The 101 response.
    pub response: Response<axum::body::Body>,
    /// Resolves to the raw connection once the response is sent.
    upgrade: OnUpgrade,
}

impl Handshake {
    /// Checks `request`'s upgrade headers and takes its upgrade.
    pub fn accept<B>(request: &mut Request<B>) -> Result<Self, NotUpgrade> {
        let headers = request.headers();
        if !has_token(headers, CONNECTION, "upgrade") {
            return Err(NotUpgrade::Missing("no `Connection: upgrade` header"));
        }
        if !has_token(headers, UPGRADE, "websocket") {
            return Err(NotUpgrade::Missing("no `Upgrade: websocket` header"));
        }
        if headers.get(SEC_WEBSOCKET_VERSION).is_none_or(|version| version.as_bytes() != b"13") {
            return Err(NotUpgrade::Version);
        }
        let Some(key) = headers.get(SEC_WEBSOCKET_KEY) else {
            return Err(NotUpgrade::Missing("no `Sec-WebSocket-Key` header"));
        };
        let accept = derive_accept_key(key.as_bytes());
        let upgrade = request.extensions_mut().remove::<OnUpgrade>().ok_or(NotUpgrade::NotUpgradable)?;
        let mut response = Response::new(axum::body::Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        // The accept key is base64: always a valid header value.
        if let Ok(accept) = HeaderValue::from_str(&accept) {
            headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
        }
        Ok(Self { response, upgrade })
    }

    /// Splits into the response and the future socket: `socket` resolves once
    /// the response has been sent and the connection switched protocols.
    pub fn into_parts(
        self,
        config: WebSocketConfig,
    ) -> (Response<axum::body::Body>, impl Future<Output = Option<Socket>>) {
        let upgrade = self.upgrade;
        let socket = async move {
            match upgrade.await {
                Ok(upgraded) => {
                    Some(WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await)
                }
                Err(error) => {
                    tracing::debug!("WebSocket upgrade failed: {error}");
                    None
                }
            }
        };
        (self.response, socket)
    }
}

/// Whether header `name` lists `token` (comma-separated, case-insensitive).
fn has_token(headers: &HeaderMap, name: axum::http::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pairs: &[(&'static str, &'static str)]) -> Request<()> {
        let mut request = Request::new(());
        for (name, value) in pairs {
            request.headers_mut().insert(*name, HeaderValue::from_static(value));
        }
        request
    }

    #[test]
    fn refuses_requests_that_are_not_upgrades() {
        let plain = Handshake::accept(&mut request(&[])).err().unwrap();
        assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
        let old = [("connection", "keep-alive, Upgrade"), ("upgrade", "websocket"), ("sec-websocket-version", "8")];
        assert_eq!(Handshake::accept(&mut request(&old)).err().unwrap(), NotUpgrade::Version);
        let good = [
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "WebSocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ];
        // Well-formed, but a plain request has no connection to upgrade.
        assert_eq!(Handshake::accept(&mut request(&good)).err().unwrap(), NotUpgrade::NotUpgradable);
    }
}

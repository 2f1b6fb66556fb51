//! The HTTP/1.1 upgrade to WebSocket (RFC 6455 §4): find the end of the
//! client's request head, read its `Sec-WebSocket-Key`, answer 101.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::{Digest, Sha1};

/// Appended to the client's key before hashing (RFC 6455 §1.3).
const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The length of the request head at the start of `input` (through its
/// blank line), once it has fully arrived.
pub(crate) fn head_len(input: &[u8]) -> Option<usize> {
    input.windows(4).position(|window| window == b"\r\n\r\n").map(|at| at + 4)
}

/// The `Sec-WebSocket-Key` header of a request head.
pub(crate) fn websocket_key(head: &[u8]) -> Option<&str> {
    let head = std::str::from_utf8(head).ok()?;
    head.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("sec-websocket-key").then(|| value.trim())
    })
}

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub(crate) fn accept_key(key: &str) -> String {
    let mut hash = Sha1::new();
    hash.update(key.as_bytes());
    hash.update(WEBSOCKET_GUID.as_bytes());
    BASE64.encode(hash.finalize())
}

/// The 101 answer that completes the upgrade of the request carrying `key`.
pub(crate) fn switching_protocols(key: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(key)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &[u8] = b"GET /api/v1/bench/ws HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nsec-websocket-key:  dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    #[test]
    fn accept_key_of_the_rfc_example() {
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn finds_the_head_and_its_key_whatever_the_header_case() {
        assert_eq!(head_len(&REQUEST[..REQUEST.len() - 1]), None);
        let mut input = REQUEST.to_vec();
        input.extend_from_slice(b"\x81\x80");
        assert_eq!(head_len(&input), Some(REQUEST.len()));
        assert_eq!(websocket_key(REQUEST), Some("dGhlIHNhbXBsZSBub25jZQ=="));
        assert_eq!(websocket_key(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), None);
    }

    #[test]
    fn answers_101_with_the_accept_key() {
        let answer = switching_protocols("dGhlIHNhbXBsZSBub25jZQ==");
        assert!(answer.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
        assert!(answer.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(answer.ends_with("\r\n\r\n"));
    }
}

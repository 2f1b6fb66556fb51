//! Server-to-client WebSocket frames as wire bytes (RFC 6455 §5.2), built
//! once and shared: an update is framed a single time and the same bytes
//! are written to every subscriber's socket.
//!
//! Server frames are never masked and never fragmented here.

use bytes::{BufMut, Bytes, BytesMut};

/// Opcode of a text frame.
const TEXT: u8 = 0x1;
/// Opcode of a close frame.
const CLOSE: u8 = 0x8;
/// Opcode of a ping frame.
const PING: u8 = 0x9;
/// Opcode of a pong frame.
const PONG: u8 = 0xA;
/// FIN: the frame is a whole message.
const FIN: u8 = 0x80;

/// The largest close reason (a control frame's payload is at most 125 bytes, 2 of them the code).
pub const MAX_CLOSE_REASON: usize = 123;

/// The length of a frame header for a payload of `len` bytes.
pub fn header_len(len: usize) -> usize {
    match len {
        0..=125 => 2,
        126..=65_535 => 4,
        _ => 10,
    }
}

/// Writes the header of an unmasked, final frame of `opcode` with a payload of `len` bytes.
fn put_header(out: &mut BytesMut, opcode: u8, len: usize) {
    out.put_u8(FIN | opcode);
    match len {
        0..=125 => out.put_u8(len as u8),
        126..=65_535 => {
            out.put_u8(126);
            out.put_u16(len as u16);
        }
        _ => {
            out.put_u8(127);
            out.put_u64(len as u64);
        }
    }
}

/// A text frame whose payload is the concatenation of `parts` (so a frame
/// can be assembled from a shared prefix and the data without another copy).
pub fn text(parts: &[&[u8]]) -> Bytes {
    let len = parts.iter().map(|part| part.len()).sum();
    let mut out = BytesMut::with_capacity(header_len(len) + len);
    put_header(&mut out, TEXT, len);
    for part in parts {
        out.put_slice(part);
    }
    out.freeze()
}

/// A close frame with `code` and `reason` (cut to [`MAX_CLOSE_REASON`] bytes on a character boundary).
pub fn close(code: u16, reason: &str) -> Bytes {
    let reason = truncate(reason, MAX_CLOSE_REASON);
    let mut out = BytesMut::with_capacity(4 + reason.len());
    put_header(&mut out, CLOSE, 2 + reason.len());
    out.put_u16(code);
    out.put_slice(reason.as_bytes());
    out.freeze()
}

/// A ping frame with an empty payload.
pub fn ping() -> Bytes {
    Bytes::from_static(&[FIN | PING, 0])
}

/// A pong frame echoing `payload` (at most 125 bytes, as a ping's).
pub fn pong(payload: &[u8]) -> Bytes {
    let payload = &payload[..payload.len().min(125)];
    let mut out = BytesMut::with_capacity(2 + payload.len());
    put_header(&mut out, PONG, payload.len());
    out.put_slice(payload);
    out.freeze()
}

/// The payload of a text frame built by [`text`], as text.
pub fn text_payload(frame: &[u8]) -> Option<&str> {
    let len = match frame.get(1)? & 0x7f {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    std::str::from_utf8(frame.get(len..)?).ok()
}

/// The payload of `bytes` when they are exactly one whole, unmasked, final
/// text frame (as [`text`] makes them); `None` for anything else.
pub fn single_text_payload(bytes: &[u8]) -> Option<&str> {
    if *bytes.first()? != 0x80 | TEXT || bytes.get(1)? & 0x80 != 0 {
        return None;
    }
    let (header, len): (usize, usize) = match bytes[1] & 0x7f {
        126 => (4, usize::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?))),
        127 => (10, usize::try_from(u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?)).ok()?),
        len => (2, usize::from(len)),
    };
    if bytes.len() != header.checked_add(len)? {
        return None;
    }
    std::str::from_utf8(&bytes[header..]).ok()
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_use_the_shortest_length_form() {
        assert_eq!(&text(&[b"hi"])[..], &[0x81, 2, b'h', b'i']);
        let medium = text(&[&[b'a'; 200]]);
        assert_eq!((&medium[..4], medium.len()), (&[0x81, 126, 0, 200][..], 204));
        let large = text(&[&vec![b'a'; 70_000]]);
        assert_eq!(&large[..10], &[0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
        assert_eq!(text_payload(&large).map(str::len), Some(70_000));
    }

    #[test]
    fn a_frame_joins_its_parts() {
        let frame = text(&[b"{\"a\":", b"1}"]);
        assert_eq!(text_payload(&frame), Some("{\"a\":1}"));
    }

    #[test]
    fn close_frames_carry_the_code_and_a_bounded_reason() {
        assert_eq!(&close(1008, "slow consumer")[..4], &[0x88, 15, 0x03, 0xF0]);
        let long = close(1000, &"é".repeat(100));
        assert!(long.len() <= 2 + 125, "{}", long.len());
        assert_eq!(truncate("héllo", 2), "h");
    }

    #[test]
    fn control_frames() {
        assert_eq!(&ping()[..], &[0x89, 0]);
        assert_eq!(&pong(b"x")[..], &[0x8A, 1, b'x']);
    }
}

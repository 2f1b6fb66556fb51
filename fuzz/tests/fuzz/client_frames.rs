//! WebSocket frames: what a client writes after the handshake, read by
//! tungstenite under the host's configuration (`edge::connection`), with the
//! close the host answers each read error with; and the server's own frames
//! (`hub::frame`), whose decoder also reads the frames other nodes send.
//!
//! Properties: reading never panics and yields only messages within
//! `max_frame_bytes`; every error is answered with a documented close code
//! whose frame a client reads back (code and reason), or a silent drop; a
//! frame the hub builds reads back, through tungstenite as a client reads it
//! and through `single_text_payload`, as exactly what was framed.

use std::io::{self, Cursor, Read, Write};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocket};
use tokio_tungstenite::tungstenite::{Error, Message};
use topicwire::edge::connection::{close_for, websocket_config};
use topicwire::edge::{auth::refresh, protocol};
use topicwire::hub::frame;
use topicwire::hub::peer::close_code;
use topicwire::limits::Limits;

/// A socket whose reads come from `input` and whose writes are kept.
struct Wire {
    input: Cursor<Vec<u8>>,
    output: Vec<u8>,
}

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn socket(bytes: &[u8], role: Role, limits: &Limits) -> WebSocket<Wire> {
    let wire = Wire { input: Cursor::new(bytes.to_vec()), output: Vec::new() };
    WebSocket::from_raw_socket(wire, role, Some(websocket_config(limits)))
}

/// Small enough that inputs of a few KiB cross it.
fn limits() -> Limits {
    Limits { max_frame_bytes: 1024, ..Limits::default() }
}

/// Reads `bytes` as a client's frames, as the host's reader does; returns how the connection ended.
fn serve(bytes: &[u8], limits: &Limits) -> Result<(u16, String), &'static str> {
    let mut socket = socket(bytes, Role::Server, limits);
    loop {
        match socket.read() {
            Ok(Message::Text(text)) => {
                assert!(text.len() <= limits.max_frame_bytes);
                let _ = refresh::parse(text.as_str());
                let _ = protocol::parse_client_message(text.as_str());
            }
            Ok(Message::Binary(data)) => assert!(data.len() <= limits.max_frame_bytes),
            Ok(Message::Ping(data) | Message::Pong(data)) => assert!(data.len() <= 125),
            Ok(Message::Close(_)) => return Err("client closed the connection"),
            Ok(Message::Frame(_)) => unreachable!("tungstenite hands raw frames only to writers"),
            Err(error) => return close_for(&error, limits),
        }
    }
}

/// The close frame a client reads from `bytes`.
fn read_close(bytes: &[u8]) -> Option<CloseFrame> {
    match socket(bytes, Role::Client, &Limits::default()).read() {
        Ok(Message::Close(frame)) => frame,
        other => panic!("not a close frame: {other:?}"),
    }
}

fn check(input: &[u8]) {
    let limits = limits();
    if let Ok((code, reason)) = serve(input, &limits) {
        assert!([close_code::PROTOCOL, close_code::INVALID_DATA, close_code::TOO_BIG].contains(&code), "{code}");
        let close = read_close(&frame::close(code, &reason)).unwrap();
        assert_eq!(u16::from(close.code), code);
        assert_eq!(close.reason.as_str(), frame::truncate(&reason, frame::MAX_CLOSE_REASON));
    }

    // The hub's frames, as a client reads them.
    let text = String::from_utf8_lossy(input);
    let built = frame::text(&[text.as_bytes()]);
    assert_eq!(frame::single_text_payload(&built), Some(&*text));
    assert_eq!(frame::text_payload(&built), Some(&*text));
    match socket(&built, Role::Client, &Limits::default()).read() {
        Ok(Message::Text(read)) => assert_eq!(read.as_str(), text),
        other => panic!("not the text frame: {other:?}"),
    }
    let pong = frame::pong(input);
    match socket(&pong, Role::Client, &Limits::default()).read() {
        Ok(Message::Pong(read)) => assert_eq!(&read[..], &input[..input.len().min(125)]),
        other => panic!("not the pong: {other:?}"),
    }
    if let [pick, reason @ ..] = input {
        let codes = [1000, 1001, 1002, 1007, 1008, 1009, 4001];
        let code = codes[usize::from(*pick) % codes.len()];
        let reason = String::from_utf8_lossy(reason);
        let close = read_close(&frame::close(code, &reason)).unwrap();
        assert_eq!(
            (u16::from(close.code), close.reason.as_str()),
            (code, frame::truncate(&reason, frame::MAX_CLOSE_REASON))
        );
    }

    // What the hub's decoder accepts re-frames to what it decoded.
    if let Some(payload) = frame::single_text_payload(input) {
        assert_eq!(frame::single_text_payload(&frame::text(&[payload.as_bytes()])), Some(payload));
    }
}

#[test]
fn fuzz() {
    bolero::check!(name = "client_frames").with_iterations(crate::support::iterations(3000)).for_each(check);
}

/// The close a client gets for `frames`, read by the host.
fn closed_with(frames: &[u8]) -> Result<(u16, String), &'static str> {
    serve(frames, &limits())
}

#[test]
fn violations_are_answered_with_their_close_codes() {
    // An unmasked text frame from a client.
    assert_eq!(closed_with(b"\x81\x02hi").map(|(code, _)| code), Ok(close_code::PROTOCOL));
    // A masked text frame of invalid UTF-8 (mask 0: the payload as is).
    assert_eq!(closed_with(b"\x81\x82\0\0\0\0\xff\xfe").map(|(code, _)| code), Ok(close_code::INVALID_DATA));
    // A frame over max_frame_bytes.
    assert_eq!(closed_with(b"\x82\xfe\x10\x00\0\0\0\0").map(|(code, _)| code), Ok(close_code::TOO_BIG));
    // A client that just goes away.
    assert_eq!(closed_with(b"\x81\x82\0\0\0\0{}"), Err("client went away"));
    assert!(matches!(
        socket(b"", Role::Server, &limits()).read(),
        Err(Error::Protocol(_) | Error::ConnectionClosed | Error::AlreadyClosed)
    ));
}

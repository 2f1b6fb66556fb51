//! A WebSocket client that writes frames byte by byte, to send what no
//! well-behaved client library would (reserved bits, unknown opcodes, invalid
//! UTF-8, oversized frames), and reads the server's close frame and whether
//! the TCP connection then ended cleanly.

use crate::DEADLINE;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How the server ended the connection, as read from the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// The close frame's code and reason, if one arrived.
    pub close: Option<(u16, String)>,
    /// Whether the TCP connection then ended with a FIN (not a reset).
    pub clean: bool,
}

/// A raw WebSocket connection.
pub struct RawSocket {
    stream: TcpStream,
    /// Bytes read past the handshake, not yet parsed.
    pending: Vec<u8>,
}

impl RawSocket {
    /// Performs the handshake on `path` of the host at `addr`.
    pub async fn connect(addr: SocketAddr, path: &str) -> Self {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut received = Vec::new();
        let mut buffer = [0u8; 1024];
        let until = tokio::time::Instant::now() + DEADLINE;
        let end = loop {
            let read = tokio::time::timeout_at(until, stream.read(&mut buffer)).await.unwrap().unwrap();
            assert!(read > 0, "the server closed during the handshake");
            received.extend_from_slice(&buffer[..read]);
            if let Some(end) = received.windows(4).position(|window| window == b"\r\n\r\n") {
                break end + 4;
            }
        };
        let head = String::from_utf8_lossy(&received[..end]);
        assert!(head.starts_with("HTTP/1.1 101"), "no upgrade: {head}");
        Self { stream, pending: received[end..].to_vec() }
    }

    /// Sends one frame: `first` is the byte of FIN, RSV and opcode; the
    /// payload is masked, as a client must.
    pub async fn send_frame(&mut self, first: u8, payload: &[u8]) {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let mut frame = vec![first];
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | len as u8),
            len @ 126..=0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, byte)| byte ^ mask[i % 4]));
        // The server may stop reading an oversized frame: a failed write is not this test's concern.
        let _ = self.stream.write_all(&frame).await;
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.send_frame(0x81, text.as_bytes()).await;
    }

    /// Reads frames until the server's close frame, answers it, and reads
    /// until the connection ends.
    pub async fn ending(self) -> Ending {
        self.texts_and_ending().await.1
    }

    /// The text frames the server sent before it ended the connection, and how it ended it.
    pub async fn texts_and_ending(mut self) -> (Vec<String>, Ending) {
        let mut texts = Vec::new();
        let mut close = None;
        let mut buffer = [0u8; 16 * 1024];
        // One deadline for the whole ending: pings alone must not keep it waiting.
        let until = tokio::time::Instant::now() + DEADLINE;
        loop {
            while let Some((opcode, payload, used)) = parse(&self.pending) {
                let payload = payload.to_vec();
                self.pending.drain(..used);
                if opcode == 0x1 {
                    texts.push(String::from_utf8_lossy(&payload).into_owned());
                }
                if opcode == 0x8 && close.is_none() {
                    let code = payload.get(..2).map_or(1005, |code| u16::from_be_bytes([code[0], code[1]]));
                    close = Some((code, String::from_utf8_lossy(payload.get(2..).unwrap_or_default()).into_owned()));
                    // Answer the close, as a client should; the server may already have shut its side.
                    let _ = self.stream.write_all(&[0x88, 0x80, 0, 0, 0, 0]).await;
                }
            }
            match tokio::time::timeout_at(until, self.stream.read(&mut buffer))
                .await
                .expect("the server ends the connection in time")
            {
                Ok(0) => return (texts, Ending { close, clean: true }),
                Ok(read) => self.pending.extend_from_slice(&buffer[..read]),
                Err(_) => return (texts, Ending { close, clean: false }),
            }
        }
    }
}

/// One unmasked server frame at the start of `bytes`: opcode, payload, bytes used.
fn parse(bytes: &[u8]) -> Option<(u8, &[u8], usize)> {
    let (first, second) = (*bytes.first()?, *bytes.get(1)?);
    let (len, start) = match second & 0x7f {
        126 => (u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?]) as usize, 4),
        127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?) as usize, 10),
        len => (len as usize, 2),
    };
    let payload = bytes.get(start..start + len)?;
    Some((first & 0x0f, payload, start + len))
}

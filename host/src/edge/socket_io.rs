//! The WebSocket protocol engine's view of a connection's socket: it reads
//! from the shared socket and writes (its pongs and close replies) through
//! the connection's [`Outbox`], in order with the data frames the hub
//! writes there. tungstenite validates what clients send (masking, opcodes,
//! control frames, UTF-8, sizes); the hub writes the server's frames itself,
//! prebuilt and shared, without going through it.

use crate::hub::outbox::Outbox;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A shared socket read directly and written through an outbox.
#[derive(Debug)]
pub struct SocketIo {
    socket: Arc<TcpStream>,
    outbox: Arc<Outbox>,
    /// Bytes the protocol engine wrote since its last flush: one or more whole frames.
    written: Vec<u8>,
}

impl SocketIo {
    /// The engine's view of `socket`, writing through `outbox`.
    pub fn new(socket: Arc<TcpStream>, outbox: Arc<Outbox>) -> Self {
        Self { socket, outbox, written: Vec::new() }
    }
}

impl AsyncRead for SocketIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.socket.poll_read_ready(cx))?;
            match self.socket.try_read(buf.initialize_unfilled()) {
                Ok(read) => {
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
                // Readiness was stale; polling again registers for the next.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}

impl AsyncWrite for SocketIo {
    fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.written.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.written.is_empty() {
            let frames = std::mem::take(&mut self.written);
            // Control replies are few and must not be lost: they pass a full queue.
            self.outbox.push_always(frames.into());
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

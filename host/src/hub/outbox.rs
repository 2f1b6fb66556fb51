//! A connection's outgoing bytes. Whoever produces a frame — the module's
//! actor fanning an update out, the connection answering a request — writes
//! it straight to the socket when nothing is queued before it, so a fan-out
//! costs one `write` per subscriber and wakes no task: the kernel's cost
//! floor. What the socket does not take at once is queued, in order, for the
//! connection's writer task, which drains it (several frames per `writev`)
//! as the socket becomes writable.
//!
//! The socket is shared (`try_write` and `try_read` take `&TcpStream`): the
//! connection reads from the same socket while frames are written here.

use bytes::Bytes;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// Frames given to one `writev`.
const FRAMES_PER_WRITE: usize = 64;

/// What became of a pushed frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// Written to the socket whole.
    Sent,
    /// Queued behind others (or partly written), for the writer task.
    Queued,
    /// The queue holds `capacity` frames already; the frame was not taken.
    Full(Bytes),
    /// The connection is closed or failed; nothing more is written.
    Closed,
}

/// One connection's outgoing frames.
#[derive(Debug)]
pub struct Outbox {
    socket: Arc<TcpStream>,
    state: Mutex<State>,
    /// Wakes the writer task when frames are queued.
    queued: Notify,
    /// Frames the queue may hold before [`Pushed::Full`].
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    /// Frames not yet written whole; the front one may be partly written.
    queue: VecDeque<Bytes>,
    /// Bytes of the front frame already written.
    written: usize,
    /// Nothing more is written.
    closed: bool,
}

impl Outbox {
    /// The outbox of `socket`, queueing at most `capacity` frames.
    pub fn new(socket: Arc<TcpStream>, capacity: usize) -> Self {
        Self { socket, state: Mutex::default(), queued: Notify::new(), capacity: capacity.max(1) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The queue stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes `frame` now if nothing is queued and the socket takes it;
    /// queues it (or what is left of it) otherwise, up to the capacity.
    pub fn push(&self, frame: Bytes) -> Pushed {
        self.push_within(frame, self.capacity)
    }

    /// As [`push`](Self::push), past the capacity: for the few frames that
    /// must not be lost (replies, a close frame).
    pub fn push_always(&self, frame: Bytes) -> Pushed {
        self.push_within(frame, usize::MAX)
    }

    fn push_within(&self, frame: Bytes, capacity: usize) -> Pushed {
        let mut state = self.lock();
        if state.closed {
            return Pushed::Closed;
        }
        if !state.queue.is_empty() {
            if state.queue.len() >= capacity {
                return Pushed::Full(frame);
            }
            state.queue.push_back(frame);
            return Pushed::Queued;
        }
        match self.socket.try_write(&frame) {
            Ok(written) if written == frame.len() => return Pushed::Sent,
            Ok(written) => state.written = written,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => {
                state.closed = true;
                return Pushed::Closed;
            }
        }
        state.queue.push_back(frame);
        drop(state);
        self.queued.notify_one();
        Pushed::Queued
    }

    /// Frames waiting in the queue.
    pub fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// Whether nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.lock().queue.is_empty()
    }

    /// Resolves when frames have been queued since the writer last looked.
    pub async fn woken(&self) {
        self.queued.notified().await;
    }

    /// Writes what is queued, waiting for the socket as needed, until the
    /// queue is empty. An error closes the outbox.
    pub async fn drain(&self) -> io::Result<()> {
        loop {
            match self.write_queued() {
                Ok(true) => return Ok(()),
                Ok(false) => self.socket.writable().await?,
                Err(error) => {
                    self.lock().closed = true;
                    return Err(error);
                }
            }
        }
    }

    /// Writes queued frames until the socket stops taking them. True once the queue is empty.
    fn write_queued(&self) -> io::Result<bool> {
        let mut state = self.lock();
        if state.closed {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        while !state.queue.is_empty() {
            let written = {
                let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(FRAMES_PER_WRITE.min(state.queue.len()));
                for (i, frame) in state.queue.iter().take(FRAMES_PER_WRITE).enumerate() {
                    slices.push(IoSlice::new(if i == 0 { &frame[state.written..] } else { frame }));
                }
                match self.socket.try_write_vectored(&slices) {
                    Ok(written) => written,
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(error) => return Err(error),
                }
            };
            state.advance(written);
        }
        Ok(true)
    }

    /// Drops every queued frame not yet begun; a partly written front frame
    /// stays, so the stream remains well-framed for a close frame after it.
    pub fn discard_queued(&self) {
        let mut state = self.lock();
        let keep = usize::from(state.written > 0);
        state.queue.truncate(keep);
    }

    /// Stops writing: later pushes are [`Pushed::Closed`].
    pub fn close(&self) {
        self.lock().closed = true;
    }
}

impl State {
    /// Drops `written` bytes from the front of the queue.
    fn advance(&mut self, mut written: usize) {
        while let Some(front) = self.queue.front() {
            let left = front.len() - self.written;
            if written < left {
                self.written += written;
                return;
            }
            written -= left;
            self.written = 0;
            self.queue.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn pair() -> (Arc<TcpStream>, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (Arc::new(server), client)
    }

    #[tokio::test]
    async fn frames_go_straight_to_an_idle_socket() {
        let (server, mut client) = pair().await;
        let outbox = Outbox::new(server, 4);
        assert_eq!(outbox.push(Bytes::from_static(b"hello ")), Pushed::Sent);
        assert_eq!(outbox.push(Bytes::from_static(b"world")), Pushed::Sent);
        let mut read = [0u8; 11];
        client.read_exact(&mut read).await.unwrap();
        assert_eq!(&read, b"hello world");
    }

    #[tokio::test]
    async fn a_full_socket_queues_in_order_and_the_writer_drains_it() {
        let (server, mut client) = pair().await;
        let outbox = Arc::new(Outbox::new(server, 1_000_000));
        // Until the kernel's buffers are full, frames are sent; then they queue.
        let frame = Bytes::from(vec![7u8; 64 * 1024]);
        let mut pushed = 0usize;
        while outbox.push(frame.clone()) == Pushed::Sent {
            pushed += 1;
        }
        for _ in 0..10 {
            assert_eq!(outbox.push(frame.clone()), Pushed::Queued);
        }
        let total = (pushed + 11) * frame.len();
        let writer = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.drain().await }
        });
        let mut received = vec![0u8; total];
        client.read_exact(&mut received).await.unwrap();
        writer.await.unwrap().unwrap();
        assert!(received.iter().all(|byte| *byte == 7));
        assert!(outbox.is_empty());
        assert_eq!(outbox.push(Bytes::from_static(b"x")), Pushed::Sent, "idle again");
    }

    #[tokio::test]
    async fn the_queue_is_bounded_but_urgent_frames_pass() {
        let (server, _client) = pair().await;
        let outbox = Outbox::new(server, 2);
        let frame = Bytes::from(vec![1u8; 256 * 1024]);
        while outbox.push(frame.clone()) == Pushed::Sent {}
        assert_eq!(outbox.push(frame.clone()), Pushed::Queued);
        assert!(matches!(outbox.push(frame.clone()), Pushed::Full(_)));
        assert_eq!(outbox.push_always(Bytes::from_static(b"close")), Pushed::Queued);
        outbox.close();
        assert_eq!(outbox.push_always(Bytes::from_static(b"late")), Pushed::Closed);
    }

    #[test]
    fn advancing_drops_whole_frames_and_remembers_a_partial_one() {
        let mut state = State::default();
        state.queue.extend([Bytes::from_static(b"abc"), Bytes::from_static(b"de"), Bytes::from_static(b"f")]);
        state.advance(4);
        assert_eq!((state.queue.len(), state.written), (2, 1));
        state.advance(2);
        assert!(state.queue.is_empty());
        assert_eq!(state.written, 0);
    }

    #[tokio::test]
    async fn discarding_keeps_a_partly_written_frame() {
        let (server, _client) = pair().await;
        let outbox = Outbox::new(server, 8);
        outbox.lock().queue.extend([Bytes::from_static(b"abc"), Bytes::from_static(b"de")]);
        outbox.lock().written = 1;
        outbox.discard_queued();
        assert_eq!(outbox.len(), 1, "the begun frame stays");
        outbox.lock().written = 0;
        outbox.discard_queued();
        assert!(outbox.is_empty());
    }
}

//! A connection's outgoing bytes. Whoever produces a frame — the module's
//! actor fanning an update out, the connection answering a request — writes
//! it straight to the socket when nothing is queued before it, so a fan-out
//! costs one `write` per subscriber and wakes no task: the kernel's cost
//! floor. What the socket does not take at once is queued, in order, for the
//! connection's writer task, which drains it (several frames per `writev`)
//! as the socket becomes writable.
//!
//! Within a [`Batch`] (one turn of a module's actor firing its due timers)
//! an idle connection's frames are held instead and written together when
//! the batch ends: a client whose topics tick together gets them in one
//! `writev` (of up to 64 frames), and is woken once, instead of once per
//! frame. Any other frame pushed meanwhile (a reply, another module's
//! update) does not wait: it goes out at once, with the held ones.
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
    /// The queue holds a batch's frames, written when it ends (the writer
    /// task was not woken for them).
    held: bool,
}

/// The connections whose frames a batch holds, written when it is flushed
/// (or dropped). Shared by the threads of a parallel fan-out.
#[derive(Debug, Default)]
pub struct Batch {
    held: Mutex<Vec<Arc<Outbox>>>,
}

impl Batch {
    /// Writes every held frame (what a socket does not take goes to its writer task).
    pub fn flush(&self) {
        // Pushes take this lock only after their outbox's, and none runs during a flush.
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        for outbox in held.drain(..) {
            outbox.release();
        }
    }

    fn hold(&self, outbox: Arc<Outbox>) {
        self.held.lock().unwrap_or_else(PoisonError::into_inner).push(outbox);
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.flush();
    }
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

    /// As [`push`](Self::push), but an idle connection's frame is held by
    /// `batch` and written when it is flushed, with the connection's later
    /// frames of the batch.
    pub fn push_held(self: &Arc<Self>, frame: Bytes, batch: &Batch) -> Pushed {
        let mut state = self.lock();
        if state.closed {
            return Pushed::Closed;
        }
        if state.held {
            state.queue.push_back(frame);
            if state.queue.len() >= FRAMES_PER_WRITE.min(self.capacity) {
                // A full `writev`'s worth: no reason to hold it longer.
                self.write_held(&mut state);
            }
            return Pushed::Queued;
        }
        if state.queue.is_empty() {
            state.queue.push_back(frame);
            state.held = true;
            drop(state);
            batch.hold(self.clone());
            return Pushed::Queued;
        }
        drop(state);
        self.push(frame)
    }

    /// Writes the frames a batch holds; what the socket does not take goes to the writer task.
    fn release(&self) {
        let mut state = self.lock();
        if state.held && !state.closed {
            self.write_held(&mut state);
        }
        state.held = false;
    }

    fn write_held(&self, state: &mut State) {
        state.held = false;
        match self.write_some(state) {
            Ok(true) => {}
            Ok(false) => self.queued.notify_one(),
            Err(_) => {
                // The writer task finds the outbox closed and ends the connection.
                state.closed = true;
                self.queued.notify_one();
            }
        }
    }

    fn push_within(&self, frame: Bytes, capacity: usize) -> Pushed {
        let mut state = self.lock();
        if state.closed {
            return Pushed::Closed;
        }
        if state.held {
            // Another producer's frame (a reply, another module's update)
            // does not wait for the batch: the held frames go now, with it.
            state.queue.push_back(frame);
            self.write_held(&mut state);
            return Pushed::Queued;
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
        // Frames a batch held go now too, in order; the batch finds nothing left.
        state.held = false;
        self.write_some(&mut state)
    }

    /// Writes queued frames until the socket stops taking them. True once the queue is empty.
    fn write_some(&self, state: &mut State) -> io::Result<bool> {
        while !state.queue.is_empty() {
            let written = {
                let frames = state.queue.len().min(FRAMES_PER_WRITE);
                let result = if frames == 1 {
                    // One frame: `send`, which skips `writev`'s trip through the VFS.
                    self.socket.try_write(&state.queue[0][state.written..])
                } else {
                    let mut slices = [IoSlice::new(&[]); FRAMES_PER_WRITE];
                    for (i, (slice, frame)) in slices.iter_mut().zip(&state.queue).enumerate() {
                        *slice = IoSlice::new(if i == 0 { &frame[state.written..] } else { frame });
                    }
                    self.socket.try_write_vectored(&slices[..frames])
                };
                match result {
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
        state.held = false;
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

    #[tokio::test]
    async fn a_batch_holds_an_idle_connections_frames_and_writes_them_together_at_its_end() {
        let (server, mut client) = pair().await;
        let outbox = Arc::new(Outbox::new(server, 8));
        let batch = Batch::default();
        assert_eq!(outbox.push_held(Bytes::from_static(b"one "), &batch), Pushed::Queued);
        assert_eq!(outbox.push_held(Bytes::from_static(b"two"), &batch), Pushed::Queued);
        let mut read = [0u8; 64];
        let nothing = client.try_read(&mut read).expect_err("nothing is written before the batch ends");
        assert_eq!(nothing.kind(), io::ErrorKind::WouldBlock);
        batch.flush();
        assert!(outbox.is_empty());
        let mut all = [0u8; 7];
        client.read_exact(&mut all).await.unwrap();
        assert_eq!(&all, b"one two");
        assert_eq!(outbox.push(Bytes::from_static(b"x")), Pushed::Sent, "idle again");
    }

    #[tokio::test]
    async fn another_producers_frame_does_not_wait_for_the_batch() {
        let (server, mut client) = pair().await;
        let outbox = Arc::new(Outbox::new(server, 1));
        let batch = Batch::default();
        assert_eq!(outbox.push_held(Bytes::from_static(b"held "), &batch), Pushed::Queued);
        assert_eq!(outbox.push(Bytes::from_static(b"reply")), Pushed::Queued, "not refused as full");
        let mut all = [0u8; 10];
        client.read_exact(&mut all).await.unwrap();
        assert_eq!(&all, b"held reply", "written at once, in order");
        assert!(outbox.is_empty());
        batch.flush();
        assert_eq!(outbox.push(Bytes::from_static(b"!")), Pushed::Sent, "nothing left held");
    }

    #[tokio::test]
    async fn a_batch_writes_a_full_writev_at_once_and_its_drop_writes_the_rest() {
        let (server, mut client) = pair().await;
        let outbox = Arc::new(Outbox::new(server, 2));
        let batch = Batch::default();
        for frame in [b"a", b"b", b"c"] {
            assert_eq!(outbox.push_held(Bytes::from_static(frame), &batch), Pushed::Queued);
        }
        let mut two = [0u8; 2];
        client.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"ab", "the queue's capacity is reached: written without waiting");
        drop(batch);
        let mut last = [0u8; 1];
        client.read_exact(&mut last).await.unwrap();
        assert_eq!(&last, b"c");
    }

    #[tokio::test]
    async fn the_writer_takes_held_frames_with_the_rest() {
        let (server, mut client) = pair().await;
        let outbox = Arc::new(Outbox::new(server, 8));
        let batch = Batch::default();
        assert_eq!(outbox.push_held(Bytes::from_static(b"held "), &batch), Pushed::Queued);
        assert_eq!(outbox.push_always(Bytes::from_static(b"close")), Pushed::Queued);
        outbox.drain().await.unwrap();
        let mut all = [0u8; 10];
        client.read_exact(&mut all).await.unwrap();
        assert_eq!(&all, b"held close");
        batch.flush();
        assert_eq!(outbox.push(Bytes::from_static(b"!")), Pushed::Sent, "nothing left held");
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

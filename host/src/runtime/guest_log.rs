//! A component's stdout and stderr, line by line into the host's `tracing`
//! log, tagged with the module name. Lines are capped so a chatty guest cannot
//! grow host memory.

use bytes::Bytes;
use std::sync::Arc;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Longest line kept; the rest of a longer line is cut.
const MAX_LINE: usize = 4096;

/// Which stream a [`GuestLog`] receives.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// The guest's stdout, logged at INFO.
    Stdout,
    /// The guest's stderr, logged at WARN.
    Stderr,
}

/// A `StdoutStream` that logs a module's output.
#[derive(Debug, Clone)]
pub struct GuestLog {
    module: Arc<str>,
    stream: Stream,
}

impl GuestLog {
    /// A log of `module`'s `stream`.
    pub fn new(module: Arc<str>, stream: Stream) -> Self {
        Self { module, stream }
    }
}

impl IsTerminal for GuestLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestLog {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(LineWriter { log: self.clone(), line: Vec::new() })
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        // Only the WASIp2 stream is linked; anything else gets a sink.
        Box::new(tokio::io::sink())
    }
}

struct LineWriter {
    log: GuestLog,
    line: Vec<u8>,
}

impl LineWriter {
    fn emit(&mut self) {
        let text = String::from_utf8_lossy(&self.line);
        let text = text.trim_end_matches('\r');
        let module = &*self.log.module;
        match self.log.stream {
            Stream::Stdout => tracing::info!(target: "topicwire::guest", module, "{text}"),
            Stream::Stderr => tracing::warn!(target: "topicwire::guest", module, "{text}"),
        }
        self.line.clear();
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.emit();
        }
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LineWriter {
    async fn ready(&mut self) {}
}

impl OutputStream for LineWriter {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        for chunk in bytes.split_inclusive(|byte| *byte == b'\n') {
            let room = MAX_LINE.saturating_sub(self.line.len());
            let (text, newline) = match chunk.split_last() {
                Some((b'\n', text)) => (text, true),
                _ => (chunk, false),
            };
            self.line.extend_from_slice(&text[..text.len().min(room)]);
            if newline {
                self.emit();
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

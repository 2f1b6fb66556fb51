//! A minimal HTTP/1.1 client: one kept-alive connection, a request at a
//! time, as cheap as the benchmarks need (the REST scenarios and the
//! publishers that feed servers from outside).

use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long one request may take.
const REQUEST_LIMIT: Duration = Duration::from_secs(30);

/// One kept-alive HTTP/1.1 connection, a request at a time; answers with a
/// body must carry a `Content-Length` (the host's do).
pub(crate) struct Http {
    stream: BufReader<TcpStream>,
    host: String,
    /// The last answer said `Connection: close` (Sockudo's API answers do).
    closing: bool,
}

impl Http {
    pub(crate) async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self { stream: BufReader::new(stream), host: addr.to_string(), closing: false })
    }

    /// Whether the connection can take another request (the server did not close it).
    pub(crate) fn reusable(&self) -> bool {
        !self.closing
    }

    /// Sends a request and reads its answer: status and body.
    pub(crate) async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(u16, Vec<u8>)> {
        tokio::time::timeout(REQUEST_LIMIT, self.exchange(method, path, headers, body))
            .await
            .with_context(|| format!("{method} {path}: no answer within {REQUEST_LIMIT:?}"))?
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(u16, Vec<u8>)> {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.get_mut().write_all(&bytes).await?;

        let (mut status, mut length) = (None, None);
        let mut line = String::new();
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                bail!("the server closed the connection");
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if status.is_none() {
                status = line.split_whitespace().nth(1).and_then(|code| code.parse::<u16>().ok());
            } else if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("connection") {
                    self.closing = value.trim().eq_ignore_ascii_case("close");
                }
            }
        }
        let status = status.context("an answer without a status line")?;
        // A 204 carries no body, and so no length.
        let length = if status == 204 { 0 } else { length.context("an answer without a Content-Length")? };
        let mut reply = vec![0; length];
        self.stream.read_exact(&mut reply).await?;
        Ok((status, reply))
    }
}

//! Accepts TCP connections and serves HTTP/1.1 on each with hyper's
//! connection builder, within limits `axum::serve` does not offer:
//!
//! - at most `max_http_connections` open connections that are not (yet)
//!   WebSockets: past it the listener stops accepting until one closes (a
//!   connection that becomes a WebSocket leaves this count for `max_connections`);
//! - a request's headers must arrive within `http_header_timeout_ms`, also
//!   while a kept-alive connection waits for its next request, so idle and
//!   half-sent requests cannot hold a slot for ever;
//! - request heads larger than four times `max_http_header_bytes` are answered
//!   431 by hyper itself (smaller ones over the limit get a 400 from the gateway);
//! - each socket's kernel send buffer is `socket_send_buffer_bytes`, so a
//!   client that stops reading holds that much, not the megabytes the kernel
//!   would grow it to.

use crate::limits::Limits;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::Service;

/// How long in-flight HTTP requests may take to finish after shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed `accept` (e.g. out of file descriptors) before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How each HTTP/1.1 connection is read: its head's deadline and size bound.
pub fn http1(limits: &Limits) -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.http_header_timeout_ms.max(1)))
        .max_header_size(limits.max_http_header_bytes.saturating_mul(4).max(8 * 1024));
    builder
}

/// Serves `app` on `listener` until `shutdown`; `slots` holds one permit per
/// open HTTP connection (`max_http_connections` in all).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    slots: Arc<Semaphore>,
    shutdown: CancellationToken,
) {
    let builder = http1(limits);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = shutdown.cancelled() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!("cannot accept a connection: {error}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        // Frames are batched into one flush per write; don't let Nagle hold them back.
        let _ = stream.set_nodelay(true);
        if limits.socket_send_buffer_bytes > 0 {
            let _ = socket2::SockRef::from(&stream).set_send_buffer_size(limits.socket_send_buffer_bytes);
        }
        let router = app.clone();
        let builder = builder.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut request: axum::http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().call(request)
            });
            let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = shutdown.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%peer, "HTTP connection ended: {error}");
            }
            drop(permit);
        });
    }
    let all = u32::try_from(limits.max_http_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all)).await;
}

/// The client address of a request served by [`serve`].
pub fn peer_of<B>(request: &axum::http::Request<B>) -> Option<SocketAddr> {
    request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| *addr)
}

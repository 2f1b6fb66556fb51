//! REST requests: the bytes of an HTTP/1.1 connection, read by hyper as
//! the host's listener reads them (`edge::listener::http1`), checked by the
//! edge (`edge::rest`: target, headers, content type, body) and turned
//! into the `wasi:http` incoming request a module's handler is given
//! (wasmtime-wasi-http), read back through the `wasi:http` interface as
//! the guest reads it.
//!
//! Properties: nothing panics; every request the edge admits becomes a
//! `wasi:http` request (the host never hands a module one it cannot
//! convert); the guest sees the method, and the path and query exactly as
//! the client sent them (not decoded); it sees every header the client sent
//! but the reserved `x-topicwire-*`, which only the host sets; and a `Host`.

use axum::http::{HeaderMap, Request, Response};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;
use topicwire::edge::auth::identity::{CLAIMS_HEADER, Identity, RESERVED_HEADER_PREFIX};
use topicwire::edge::listener::http1;
use topicwire::edge::rest::{check_content_type, checked_target, module_request, split_target};
use topicwire::limits::Limits;
use topicwire::runtime::guest_state::NoOutgoingRequests;
use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi_http::p2::bindings::http::types::{HostFields, HostIncomingRequest, Method, Scheme};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks};

fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other.clone(),
    }
}

/// What the guest is handed for `request`, read through `wasi:http`.
struct Seen {
    method: String,
    path_with_query: Option<String>,
    authority: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
}

fn hand_to_guest(request: topicwire::runtime::instance::HttpRequest) -> Seen {
    let mut table = ResourceTable::new();
    let mut ctx = WasiHttpCtx::new();
    let mut hooks = NoOutgoingRequests;
    let mut view = WasiHttpCtxView { ctx: &mut ctx, table: &mut table, hooks: &mut hooks };
    let incoming = view.new_incoming_request(Scheme::Http, request).expect("an admitted request converts");
    let again = || Resource::<wasmtime_wasi_http::p2::types::HostIncomingRequest>::new_borrow(incoming.rep());
    let method = method_name(&HostIncomingRequest::method(&mut view, again()).unwrap());
    let path_with_query = HostIncomingRequest::path_with_query(&mut view, again()).unwrap();
    let authority = HostIncomingRequest::authority(&mut view, again()).unwrap();
    let fields = HostIncomingRequest::headers(&mut view, again()).unwrap();
    let headers = HostFields::entries(&mut view, fields).unwrap();
    Seen { method, path_with_query, authority, headers }
}

/// The edge's checks of one request and, when it passes them, what the
/// guest sees; whether it reached the guest.
async fn admit(request: Request<Incoming>, limits: &Limits) -> bool {
    let (parts, body) = request.into_parts();
    let Some((_module, target)) = split_target(&parts.uri) else { return false };
    let Ok(uri) = checked_target(&target, &parts.headers, limits.max_http_header_bytes) else { return false };
    if check_content_type(&parts.method, &parts.headers).is_err() {
        return false;
    }
    let Ok(body) = axum::body::to_bytes(axum::body::Body::new(body), limits.max_http_body_bytes).await else {
        return false;
    };
    let sent: HeaderMap = parts.headers.clone();
    let method = parts.method.to_string();
    let seen = hand_to_guest(module_request(parts, uri, &Identity::anonymous(), body));
    assert_eq!(seen.method, method);
    assert_eq!(seen.path_with_query.as_deref(), Some(&*target), "the target reaches the guest as sent");
    let host = sent.get("host").map_or("localhost".to_owned(), |host| host.to_str().unwrap().to_owned());
    assert_eq!(seen.authority, Some(host));
    for (name, value) in &seen.headers {
        if name.starts_with(RESERVED_HEADER_PREFIX) {
            assert_eq!((name.as_str(), value.as_slice()), (CLAIMS_HEADER, &b"{}"[..]), "only the host's identity");
        } else if name != "host" || sent.contains_key("host") {
            assert!(sent.get_all(name.as_str()).iter().any(|sent| sent.as_bytes() == value), "{name} was not sent");
        }
    }
    for (name, value) in &sent {
        if !name.as_str().starts_with(RESERVED_HEADER_PREFIX) && !NoOutgoingRequests.is_forbidden_header(name) {
            assert!(
                seen.headers.iter().any(|(seen, seen_value)| seen == name.as_str() && seen_value == value.as_bytes())
            );
        }
    }
    true
}

struct Edge {
    runtime: tokio::runtime::Runtime,
    limits: Arc<Limits>,
}

/// Serves `input` as one connection's bytes; how many requests reached the guest.
fn check(edge: &Edge, input: &[u8]) -> usize {
    let limits = edge.limits.clone();
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    edge.runtime.block_on(async {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let recorded = outcomes.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let limits = limits.clone();
            let recorded = recorded.clone();
            async move {
                // A failed check inside hyper's task would only end the connection: keep it for the test.
                let checked = tokio::spawn(async move { admit(request, &limits).await }).await;
                recorded.lock().unwrap().push(checked.map_err(tokio::task::JoinError::into_panic));
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
            }
        });
        // As the host reads connections, but going on after the client's end of
        // input, so that every request of the input is read.
        let mut builder = http1(&edge.limits);
        builder.half_close(true);
        let connection = builder.serve_connection(TokioIo::new(server), service);
        let (mut read, mut write) = tokio::io::split(client);
        let input = input.to_vec();
        let writer = async move {
            let _ = write.write_all(&input).await;
            let _ = write.shutdown().await;
            // Drained so that answers never fill the pipe.
            let _ = tokio::io::copy(&mut read, &mut tokio::io::sink()).await;
        };
        let _ = tokio::join!(connection, writer);
    });
    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    let mut admitted = 0;
    for outcome in outcomes {
        match outcome {
            Ok(reached) => admitted += usize::from(reached),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    admitted
}

#[test]
fn fuzz() {
    let edge = Edge {
        runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
        limits: Arc::new(Limits { max_http_header_bytes: 512, max_http_body_bytes: 1024, ..Limits::default() }),
    };
    let edge = AssertUnwindSafe(edge);
    bolero::check!(name = "rest_requests").with_iterations(crate::support::iterations(1500)).for_each(
        move |input: &[u8]| {
            check(&edge, input);
        },
    );
}

#[test]
fn the_guest_gets_the_raw_target_and_no_forged_identity() {
    let edge = Edge {
        runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
        limits: Arc::new(Limits::default()),
    };
    let admitted = check(
        &edge,
        b"GET /api/v1/broker/orders%2F1?accountId=A%201&x HTTP/1.1\r\nX-Topicwire-Sub: admin\r\nAccept: */*\r\n\r\n\
          POST /api/v1/broker/orders HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(admitted, 2);
}

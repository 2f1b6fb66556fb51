//! The HTTP edge against hostile clients: what the host cannot hand to a
//! component is answered by the host and never restarts it, slow or idle
//! clients never hold up a module or the listener, and REST requests reach
//! the component exactly as sent.

use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use topicwire_tests::{BROKER_WASM, DEADLINE, Host, PROBE_WASM, http_get, http_raw, http_request, poll_until};

const JSON: (&str, &str) = ("Content-Type", "application/json");

#[tokio::test]
async fn five_hundred_non_ascii_host_headers_get_400_and_never_restart_the_broker() {
    let host = Host::start_with(&[("broker", BROKER_WASM)], "").await;
    let order = json!({"symbol": "MSFT", "type": 1, "side": 1, "qty": 3, "limitPrice": 1.0}).to_string();
    let (status, placed) =
        http_request(host.addr, "POST", "/api/v1/broker/orders", &[("X-Account-Id", "A1"), JSON], &order).await;
    assert_eq!(status, 200, "{placed}");
    let request =
        b"GET /api/v1/broker/account HTTP/1.1\r\nHost: h\xe9st\r\nX-Account-Id: A1\r\nConnection: close\r\n\r\n";
    for _ in 0..500 {
        let (status, _, body) = http_raw(host.addr, request).await;
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    }
    let broker = host.module("broker").await.unwrap();
    assert_eq!((broker["restarts"].as_u64(), broker["state"].as_str()), (Some(0), Some("serving")), "{broker}");
    let (_, orders) = http_request(host.addr, "GET", "/api/v1/broker/orders", &[("X-Account-Id", "A1")], "").await;
    assert_eq!(orders[0]["id"], placed["orderId"], "the order is intact: {orders}");
    host.stop().await;
}

#[tokio::test]
async fn requests_the_host_cannot_hand_on_are_400() {
    let host = Host::start_with(&[("probe", PROBE_WASM)], "[limits]\nmax_http_header_bytes = 2048\n").await;
    let big = "x".repeat(4096);
    let (status, body) = http_request(host.addr, "GET", "/api/v1/probe/echo", &[("X-Big", &big)], "").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("larger than 2048 bytes"), "{body}");
    let (status, _, _) =
        http_raw(host.addr, b"GET /api/v1/probe/echo HTTP/1.1\r\nHost: x\r\nX-Bin: \x01\xff\r\n\r\n").await;
    assert_eq!(status, 400);
    assert_eq!(host.module("probe").await.unwrap()["restarts"], 0);
    host.stop().await;
}

#[tokio::test]
async fn paths_and_queries_reach_the_module_raw() {
    let host = Host::start_with(&[("probe", PROBE_WASM)], "").await;
    let (status, echo) = http_get(host.addr, "/api/v1/probe/echo%3FaccountId=x/%2e%2e?a=%41&b").await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(echo["path"], "/echo%3FaccountId=x/%2e%2e");
    assert_eq!(echo["query"], "a=%41&b");
    host.stop().await;
}

#[tokio::test]
async fn a_client_that_never_reads_a_large_response_does_not_hold_up_the_module() {
    let host = Host::start_with(&[("probe", PROBE_WASM)], "[modules.probe]\nTICK_MS = 20\n").await;
    let mut watcher = host.client("probe").await;
    watcher.subscribe("ticks", json!({"stream": "w"})).await;
    // Four megabytes asked for (a thousand times the socket's buffer), and never read.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket.connect(host.addr).await.unwrap();
    stalled.write_all(b"GET /api/v1/probe/bytes/4000000 HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    // The module has answered once the response begins; its body then
    // waits in the host. Well past the call deadline (1 s) from then,
    // updates keep coming and other requests are answered.
    let mut response = vec![0u8; 4096];
    let read = tokio::time::timeout(DEADLINE, stalled.read(&mut response)).await.expect("the response begins").unwrap();
    response.truncate(read);
    let until = tokio::time::Instant::now() + Duration::from_millis(1500);
    while tokio::time::Instant::now() < until {
        watcher.next_update("ticks").await;
        let (status, echo) = http_get(host.addr, "/api/v1/probe/echo").await;
        assert_eq!((status, echo["method"].as_str()), (200, Some("GET")));
    }
    let probe = host.module("probe").await.unwrap();
    assert_eq!((probe["restarts"].as_u64(), probe["state"].as_str()), (Some(0), Some("serving")), "{probe}");
    // The stalled reader still gets its whole answer once it reads.
    tokio::time::timeout(DEADLINE, async {
        let mut buffer = vec![0u8; 1 << 16];
        while !response.ends_with(b"xxxxxxxx") || response.len() < 4_000_000 {
            let read = stalled.read(&mut buffer).await.unwrap();
            assert!(read > 0, "the response was cut short at {} bytes", response.len());
            response.extend_from_slice(&buffer[..read]);
        }
    })
    .await
    .unwrap();
    assert!(response.starts_with(b"HTTP/1.1 200"));
    host.stop().await;
}

#[tokio::test]
async fn a_response_over_max_http_response_bytes_is_502() {
    let host = Host::start_with(&[("probe", PROBE_WASM)], "[limits]\nmax_http_response_bytes = 1000\n").await;
    assert_eq!(http_get(host.addr, "/api/v1/probe/bytes/1000").await.0, 200);
    let (status, body) = http_get(host.addr, "/api/v1/probe/bytes/1001").await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(host.module("probe").await.unwrap()["restarts"], 0);
    host.stop().await;
}

#[tokio::test]
async fn half_sent_requests_are_closed_after_their_timeout() {
    let config = "[limits]\nhttp_header_timeout_ms = 300\nhttp_body_timeout_ms = 300\n";
    let host = Host::start_with(&[("probe", PROBE_WASM)], config).await;
    // Headers that never end: the connection is closed.
    let mut headers = TcpStream::connect(host.addr).await.unwrap();
    headers.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(DEADLINE, headers.read_to_end(&mut rest)).await.expect("closed in time").ok();
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"), "{}", String::from_utf8_lossy(&rest));
    // A body that never ends: 408.
    let mut body = TcpStream::connect(host.addr).await.unwrap();
    let head = "POST /api/v1/probe/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":";
    body.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(DEADLINE, async {
        let mut buffer = [0u8; 4096];
        while !answer.windows(4).any(|window| window == b"\r\n\r\n") {
            let read = body.read(&mut buffer).await.unwrap();
            assert!(read > 0, "closed without an answer");
            answer.extend_from_slice(&buffer[..read]);
        }
    })
    .await
    .unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 408"), "{}", String::from_utf8_lossy(&answer));
    host.stop().await;
}

#[tokio::test]
async fn a_thousand_idle_connections_do_not_stop_healthz() {
    let host = Host::start_with(&[("probe", PROBE_WASM)], "[limits]\nhttp_header_timeout_ms = 1000\n").await;
    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(TcpStream::connect(host.addr).await.unwrap());
    }
    let (status, health) = http_get(host.addr, "/healthz").await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")), "{health}");
    // And the idle ones are let go after the header timeout.
    let mut first = idle.swap_remove(0);
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(DEADLINE, first.read(&mut byte)).await.expect("closed in time");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    host.stop().await;
}

#[tokio::test]
async fn past_max_http_connections_new_clients_wait_for_a_slot() {
    let config = "[limits]\nmax_http_connections = 4\nhttp_header_timeout_ms = 300\n";
    let host = Host::start_with(&[("probe", PROBE_WASM)], config).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(host.addr).await.unwrap());
    }
    // Every slot is held by a silent client; they time out and /healthz gets through.
    assert_eq!(http_get(host.addr, "/healthz").await.0, 200);
    let metrics = http_get(host.addr, "/metrics").await.1;
    assert!(metrics.as_str().unwrap().contains("# TYPE topicwire_http_connections gauge"), "{metrics}");
    host.stop().await;
}

#[tokio::test]
async fn a_full_module_queue_answers_503_with_retry_after() {
    let host =
        Host::start_with(&[("probe", PROBE_WASM)], "[limits]\nmodule_queue = 1\n[modules.probe]\nTICK_MS = 0\n").await;
    let addr = host.addr;
    let mut watcher = host.client("probe").await;
    watcher.subscribe("ticks", json!({"stream": "busy"})).await;
    // One request keeps the instance busy (it ticks before it sleeps: the
    // tick says it is busy); of those arriving meanwhile, one fits the queue
    // and the others find it full.
    let busy = tokio::spawn(async move { http_get(addr, "/api/v1/probe/sleep/800?stream=busy").await.0 });
    watcher.next_update("ticks").await;
    let request = b"GET /api/v1/probe/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let meanwhile: Vec<_> = (0..5).map(|_| tokio::spawn(async move { http_raw(addr, request).await })).collect();
    let mut refused = 0;
    for answer in meanwhile {
        let (status, head, _) = answer.await.unwrap();
        match status {
            503 => {
                assert!(head.to_ascii_lowercase().contains("retry-after: 1"), "{head}");
                refused += 1;
            }
            200 => {}
            other => panic!("unexpected {other}: {head}"),
        }
    }
    assert!(refused >= 4, "{refused} of 5 refused with a queue of one");
    assert_eq!(busy.await.unwrap(), 200);
    assert_eq!(host.module("probe").await.unwrap()["restarts"], 0);
    host.stop().await;
}

#[tokio::test]
async fn websockets_per_address_are_capped() {
    let host = Host::start_with(&[("probe", PROBE_WASM)], "[limits]\nmax_connections_per_ip = 2\n").await;
    let first = host.client("probe").await;
    let _second = host.client("probe").await;
    let refused = topicwire_tests::Client::try_connect(&host.ws_url("probe"), &[]).await.err().unwrap();
    assert_eq!(refused.status, 429, "{refused:?}");
    drop(first);
    // A slot is free again once a connection closes.
    poll_until("a slot is free again", async || topicwire_tests::Client::try_connect(&host.ws_url("probe"), &[]).await)
        .await;
    host.stop().await;
}

#[tokio::test]
async fn ticks_posted_to_the_probe_reach_their_subscribers_and_it_ticks_on_no_timer_of_its_own() {
    let config = "[modules.probe]\nTICK_MS = 0\n[modules.clock]\nTICK_MS = 20\n";
    let host = Host::start_with(&[("probe", PROBE_WASM), ("clock", PROBE_WASM)], config).await;
    let mut client = host.client("probe").await;
    client.subscribe("ticks", json!({"stream": "a"})).await;
    client.subscribe("ticks", json!({"stream": "b"})).await;
    let ticks = json!([
        {"stream": "b", "tick": {"version": 1, "seq": 7, "sent_us": 42}},
        {"stream": "a", "tick": {"version": 1, "seq": 8, "sent_us": 43}},
    ]);
    let (status, answer) = http_request(host.addr, "POST", "/api/v1/probe/publish", &[JSON], &ticks.to_string()).await;
    assert_eq!((status, answer["published"].as_u64()), (200, Some(2)), "{answer}");
    let first = client.next_update("ticks").await;
    assert_eq!((first["topic"].as_str(), &first["payload"]["seq"]), (Some(r#"ticks:{"stream":"b"}"#), &json!(7)));
    let second = client.next_update("ticks").await;
    assert_eq!(
        (second["topic"].as_str(), &second["payload"]["sent_us"]),
        (Some(r#"ticks:{"stream":"a"}"#), &json!(43))
    );
    // Ten ticks of a 20 ms timer of the same host: had the probe a timer of
    // its own, it would have fired meanwhile, and the barrier comes after it.
    let mut clock = host.client("clock").await;
    clock.subscribe("ticks", json!({"stream": "clock"})).await;
    for _ in 0..10 {
        clock.next_update("ticks").await;
    }
    assert!(client.barrier().await.is_empty(), "no ticks of its own");
    let (status, answer) = http_request(host.addr, "POST", "/api/v1/probe/publish", &[JSON], "{\"stream\":1}").await;
    assert_eq!(status, 400, "{answer}");
    host.stop().await;
}

//! Authentication at the edge and identity in the component: every failure
//! class refused with its reason on WebSocket and REST, tokens from the
//! header, the cookie or the query, the component deciding who may subscribe
//! (every subscriber checked), identity headers on REST, expiry and
//! `auth.refresh`, browser origins and content types, the admin surface.

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use topicwire_tests::python::Probe;
use topicwire_tests::tokens::{hs256, key_file, now, signed};
use topicwire_tests::{Client, Host, PROBE_WASM, for_each_probe, http_request};

const SECRET: &str = "test-secret";
const ADMIN: &str = "admin-secret";

/// The probe, verifying HS256 tokens of issuer `issuer` for audience `topicwire`,
/// letting a caller subscribe to the streams its `streams` claim lists.
async fn hs256_host() -> Host {
    hs256_host_of(PROBE_WASM).await
}

/// [`hs256_host`] serving `wasm` as the probe.
async fn hs256_host_of(wasm: &str) -> Host {
    let config = format!(
        "[auth]\njwt_hs256_secret = \"{SECRET}\"\njwt_issuer = \"issuer\"\njwt_audience = \"topicwire\"\n\
         jwt_leeway_secs = 0\nadmin_token = \"{ADMIN}\"\n[modules.probe]\nAUTHORIZE = \"streams\"\nTICK_MS = 20\n"
    );
    Host::start_with(&[("probe", wasm)], &config).await
}

fn claims(sub: &str, streams: &[&str], ttl_secs: u64) -> Value {
    json!({"sub": sub, "streams": streams, "iss": "issuer", "aud": "topicwire", "exp": now() + ttl_secs})
}

fn token(sub: &str, streams: &[&str]) -> String {
    hs256(SECRET, &claims(sub, streams, 3600))
}

/// The 401 reason of a WebSocket upgrade and of a REST request with `headers`.
async fn refusals(host: &Host, headers: &[(&str, &str)]) -> (String, String) {
    let ws = Client::try_connect(&host.ws_url("probe"), headers).await.err().expect("the upgrade is refused");
    assert_eq!(ws.status, 401, "{ws:?}");
    let (status, rest) = http_request(host.addr, "GET", "/api/v1/probe/echo", headers, "").await;
    assert_eq!(status, 401, "{rest}");
    (ws.body["reason"].as_str().unwrap().to_owned(), rest["reason"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn every_auth_failure_is_refused_with_its_reason_on_websocket_and_rest() {
    let host = hs256_host().await;
    let good = claims("alice", &["A1"], 3600);
    let with = |key: &str, value: Value| {
        let mut claims = good.clone();
        claims[key] = value;
        hs256(SECRET, &claims)
    };
    let b64 = |value: Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    };
    let cases = [
        ("missing_token", None),
        ("malformed_token", Some("not.a-token".to_owned())),
        ("bad_signature", Some(hs256("another-secret", &good))),
        ("token_expired", Some(with("exp", json!(now() - 60)))),
        ("token_not_yet_valid", Some(with("nbf", json!(now() + 3600)))),
        ("wrong_issuer", Some(with("iss", json!("mallory")))),
        ("wrong_audience", Some(with("aud", json!("elsewhere")))),
        ("wrong_algorithm", Some(format!("{}.{}.", b64(json!({"alg": "none"})), b64(good.clone())))),
    ];
    for (reason, token) in cases {
        let bearer = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = bearer.iter().map(|bearer| ("Authorization", bearer.as_str())).collect();
        let (ws, rest) = refusals(&host, &headers).await;
        assert_eq!((ws.as_str(), rest.as_str()), (reason, reason));
    }
    // A token for the key set's algorithm but an unknown `kid`, on a JWKS host.
    let jwks =
        Host::start_with(&[("probe", PROBE_WASM)], &format!("[auth]\njwks_file = \"{}\"\n", key_file("jwks.json")))
            .await;
    let unknown = signed(Algorithm::RS256, "rsa-private.pem", Some("rsa-9"), &json!({"sub": "a", "exp": now() + 60}));
    let bearer = format!("Bearer {unknown}");
    assert_eq!(refusals(&jwks, &[("Authorization", &bearer)]).await, ("unknown_kid".into(), "unknown_kid".into()));
    let metrics = jwks.get("/metrics").await.1;
    assert!(metrics.as_str().unwrap().contains("topicwire_auth_refused_total 2\n"), "{metrics}");
    jwks.stop().await;
    host.stop().await;
}

#[tokio::test]
async fn rsa_ec_and_ed25519_tokens_are_verified_by_their_keys() {
    let jwks =
        Host::start_with(&[("probe", PROBE_WASM)], &format!("[auth]\njwks_file = \"{}\"\n", key_file("jwks.json")))
            .await;
    let claims = json!({"sub": "bob", "exp": now() + 60});
    for (algorithm, private, kid) in [
        (Algorithm::RS256, "rsa-private.pem", "rsa-1"),
        (Algorithm::ES256, "ec-private.pem", "ec-1"),
        (Algorithm::EdDSA, "ed25519-private.pem", "ed-1"),
    ] {
        let token = signed(algorithm, private, Some(kid), &claims);
        let (status, echo) =
            http_request(jwks.addr, "GET", "/api/v1/probe/echo", &[("Authorization", &format!("Bearer {token}"))], "")
                .await;
        assert_eq!((status, echo["caller"]["subject"].as_str()), (200, Some("bob")), "{kid}: {echo}");
    }
    jwks.stop().await;
    let pem = Host::start_with(
        &[("probe", PROBE_WASM)],
        &format!("[auth]\njwt_public_key_file = \"{}\"\n", key_file("ed25519-public.pem")),
    )
    .await;
    let ed = signed(Algorithm::EdDSA, "ed25519-private.pem", None, &claims);
    let mut client = pem.client_with_token("probe", &ed).await;
    assert_eq!(client.subscribe("ticks", json!({"stream": "bob"})).await["status"], "ok");
    let rsa = signed(Algorithm::RS256, "rsa-private.pem", None, &claims);
    let refused =
        Client::try_connect(&pem.ws_url("probe"), &[("Authorization", &format!("Bearer {rsa}"))]).await.err().unwrap();
    assert_eq!(refused.body["reason"], "wrong_algorithm", "{refused:?}");
    pem.stop().await;
}

async fn the_token_comes_from_the_header_the_access_token_cookie_or_the_query(probe: Probe) {
    let host = hs256_host_of(probe.v1).await;
    let token = token("alice", &["A1"]);
    let bearer = format!("Bearer {token}");
    let cookie = format!("theme=dark; access_token={token}");
    for headers in [vec![("Authorization", bearer.as_str())], vec![("Cookie", cookie.as_str())]] {
        let mut client = Client::try_connect(&host.ws_url("probe"), &headers).await.unwrap();
        assert_eq!(client.subscribe("ticks", json!({"stream": "A1"})).await["status"], "ok");
        let (status, echo) = http_request(host.addr, "GET", "/api/v1/probe/echo", &headers, "").await;
        assert_eq!((status, echo["caller"]["subject"].as_str()), (200, Some("alice")), "{echo}");
    }
    let mut client = Client::connect(&format!("{}?token={token}", host.ws_url("probe"))).await;
    assert_eq!(client.subscribe("ticks", json!({"stream": "A1"})).await["status"], "ok");
    let (status, echo) = http_request(host.addr, "GET", &format!("/api/v1/probe/echo?token={token}"), &[], "").await;
    assert_eq!((status, echo["caller"]["subject"].as_str()), (200, Some("alice")), "{echo}");
    host.stop().await;
}

async fn the_component_decides_who_may_subscribe_and_checks_every_subscriber(probe: Probe) {
    let host = hs256_host_of(probe.v1).await;
    let mut a1 = host.client_with_token("probe", &token("alice", &["A1"])).await;
    assert_eq!(a1.subscribe("ticks", json!({"stream": "A1"})).await["status"], "ok");
    a1.next_update("ticks").await;
    let refused = a1.subscribe("ticks", json!({"stream": "A2"})).await;
    assert_eq!(refused, json!({"status": "error", "message": "forbidden: stream `A2` is not one of yours"}));
    // The connection stays, and no topic was created for the refused caller.
    a1.next_update("ticks").await;
    assert_eq!(host.topics("probe").await, [(r#"ticks:{"stream":"A1"}"#.to_owned(), 1)]);
    // A second subscriber of the existing topic is checked too.
    let mut mallory = host.client_with_token("probe", &token("mallory", &["M1"])).await;
    let refused = mallory.subscribe("ticks", json!({"stream": "A1"})).await;
    assert!(refused["message"].as_str().unwrap().starts_with("forbidden"), "{refused}");
    assert_eq!(host.topics("probe").await, [(r#"ticks:{"stream":"A1"}"#.to_owned(), 1)]);
    // Being the subject is enough too.
    assert_eq!(mallory.subscribe("ticks", json!({"stream": "mallory"})).await["status"], "ok");
    // An unsubscribe needs no permission (nothing to refuse): it is simply not subscribed.
    assert!(
        mallory.unsubscribe("ticks", json!({"stream": "A1"})).await["message"]
            .as_str()
            .unwrap()
            .starts_with("not subscribed")
    );
    host.stop().await;
}

async fn rest_requests_carry_the_verified_identity_and_never_the_clients_own(probe: Probe) {
    let host = hs256_host_of(probe.v1).await;
    let bearer = format!("Bearer {}", token("alice", &["A1", "A2"]));
    let forged = [
        ("Authorization", bearer.as_str()),
        ("X-Topicwire-Sub", "root"),
        ("X-Topicwire-Claims", "{\"admin\":true}"),
        ("X-Topicwire-Other", "1"),
    ];
    let (status, echo) = http_request(host.addr, "GET", "/api/v1/probe/echo", &forged, "").await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(echo["caller"]["subject"], "alice");
    assert_eq!(echo["caller"]["claims"]["streams"], json!(["A1", "A2"]));
    let reserved: Vec<&Value> = echo["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|pair| pair[0].as_str().unwrap().starts_with("x-topicwire-"))
        .collect();
    assert_eq!(reserved.len(), 2, "only the host's own: {reserved:?}");
    // Without [auth] the caller is anonymous, whatever the client claims.
    let open = Host::start_with(&[("probe", probe.v1)], "").await;
    let (_, echo) = http_request(open.addr, "GET", "/api/v1/probe/echo", &forged[1..], "").await;
    assert_eq!(
        (echo["caller"]["subject"].clone(), echo["caller"]["claims"].clone()),
        (Value::Null, json!({})),
        "{echo}"
    );
    open.stop().await;
    host.stop().await;
}

for_each_probe!(
    the_token_comes_from_the_header_the_access_token_cookie_or_the_query,
    the_component_decides_who_may_subscribe_and_checks_every_subscriber,
    rest_requests_carry_the_verified_identity_and_never_the_clients_own,
);

#[tokio::test]
async fn an_expired_token_closes_the_websocket_with_4001_unless_refreshed() {
    let host = hs256_host().await;
    let short = hs256(SECRET, &claims("alice", &["A1"], 2));
    let mut expiring = host.client_with_token("probe", &short).await;
    let mut refreshed = host.client_with_token("probe", &short).await;
    refreshed.subscribe("ticks", json!({"stream": "A1"})).await;
    // A token for someone else is refused; the connection stays.
    let bob = json!({"type": "auth.refresh", "payload": {"token": token("bob", &["A1"])}});
    refreshed.send_text(&bob.to_string()).await;
    let answer = refreshed.recv_type("auth.refresh.response").await;
    assert_eq!(answer["payload"]["status"], "error", "{answer}");
    let bad = json!({"type": "auth.refresh", "payload": {"token": hs256("wrong", &claims("alice", &[], 60))}});
    refreshed.send_text(&bad.to_string()).await;
    assert!(
        refreshed.recv_type("auth.refresh.response").await["payload"]["message"]
            .as_str()
            .unwrap()
            .starts_with("bad signature")
    );
    let refresh = json!({"type": "auth.refresh", "payload": {"token": token("alice", &["A1"])}});
    refreshed.send_text(&refresh.to_string()).await;
    let answer = refreshed.recv_type("auth.refresh.response").await;
    assert_eq!(answer["payload"], json!({"status": "ok", "message": "Token refreshed"}));

    let (code, reason) = expiring.expect_close().await;
    assert_eq!(code, 4001, "{reason}");
    // The first token has expired (the other connection closed for it), and
    // the refreshed connection outlives it: its reader looks at the expiry
    // before each message it reads, so the barrier's answer is proof.
    refreshed.barrier().await;
    refreshed.next_update("ticks").await;
    refreshed.next_update("ticks").await;
    host.stop().await;
}

#[tokio::test]
async fn an_evil_origin_and_a_text_plain_post_are_refused() {
    let host = hs256_host().await;
    let bearer = format!("Bearer {}", token("alice", &["A1"]));
    let evil = [("Authorization", bearer.as_str()), ("Origin", "https://evil.example")];
    let refused = Client::try_connect(&host.ws_url("probe"), &evil).await.err().unwrap();
    assert_eq!(refused.status, 403, "{refused:?}");
    let (status, body) = http_request(
        host.addr,
        "POST",
        "/api/v1/probe/echo",
        &[evil[0], evil[1], ("Content-Type", "application/json")],
        "{}",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    // The page's own origin is fine.
    let own = format!("http://{}", host.addr);
    assert!(Client::try_connect(&host.ws_url("probe"), &[evil[0], ("Origin", &own)]).await.is_ok());
    // A form-style POST needs no preflight in a browser, so it is refused.
    for form in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        let (status, body) =
            http_request(host.addr, "POST", "/api/v1/probe/echo", &[evil[0], ("Content-Type", form)], "{}").await;
        assert_eq!(status, 415, "{form}: {body}");
    }
    let (status, body) = http_request(host.addr, "POST", "/api/v1/probe/echo", &[evil[0]], "{}").await;
    assert_eq!(status, 415, "no Content-Type: {body}");
    let (status, _) = http_request(
        host.addr,
        "POST",
        "/api/v1/probe/echo",
        &[evil[0], ("Content-Type", "application/json; charset=utf-8")],
        "{}",
    )
    .await;
    assert_eq!(status, 200);
    host.stop().await;
}

#[tokio::test]
async fn topic_contents_are_only_for_the_admin() {
    let host = hs256_host().await;
    let mut client = host.client_with_token("probe", &token("alice", &["A1"])).await;
    client.subscribe("ticks", json!({"stream": "A1"})).await;
    let (status, modules) = host.get("/api/v1/modules").await;
    assert_eq!(status, 200);
    let probe = &modules["modules"][0];
    assert!(probe.get("topics").is_none(), "{probe}");
    assert_eq!((probe["topic_count"].as_u64(), probe["subscriber_count"].as_u64()), (Some(1), Some(1)));
    let user = format!("Bearer {}", token("alice", &["A1"]));
    let (_, modules) = http_request(host.addr, "GET", "/api/v1/modules", &[("Authorization", &user)], "").await;
    assert!(modules["modules"][0].get("topics").is_none(), "a user token is not the admin token");
    let (_, modules) =
        http_request(host.addr, "GET", "/api/v1/modules", &[("Authorization", &format!("Bearer {ADMIN}"))], "").await;
    assert_eq!(modules["modules"][0]["topics"][0]["topic"], r#"ticks:{"stream":"A1"}"#);
    // Health and metrics stay open.
    assert_eq!(host.get("/healthz").await.0, 200);
    assert_eq!(host.get("/metrics").await.0, 200);
    host.stop().await;
}

#[tokio::test]
async fn optional_tokens_let_anonymous_clients_in_but_still_refuse_bad_ones() {
    let config = format!("[auth]\njwt_hs256_secret = \"{SECRET}\"\nrequired = false\n");
    let host = Host::start_with(&[("probe", PROBE_WASM)], &config).await;
    let mut anonymous = host.client("probe").await;
    assert_eq!(anonymous.subscribe("ticks", json!({"stream": "x"})).await["status"], "ok");
    let bad = format!("Bearer {}", hs256("wrong", &json!({"sub": "a", "exp": now() + 60})));
    let refused = Client::try_connect(&host.ws_url("probe"), &[("Authorization", &bad)]).await.err().unwrap();
    assert_eq!(refused.body["reason"], "bad_signature");
    host.stop().await;
}

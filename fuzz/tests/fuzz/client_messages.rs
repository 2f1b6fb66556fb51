//! Protocol messages: the text frames a client sends (`edge::protocol`,
//! `since` positions and `auth.refresh` included), one per line of the
//! input, handed as the edge hands them to a real module actor (the
//! built-in native producer, route `ticks`) for one connection.
//!
//! Properties: parsing never panics; an accepted message re-encoded parses
//! to the same request; a refusal's reply is one text frame of the
//! documented shape; a message the edge or the module refuses leaves the
//! module's topics as they were, an accepted one changes them as it says
//! (a subscribe adds this connection to the request's topic, an
//! unsubscribe removes it), another connection's topic is never touched,
//! and the connection's end leaves nothing of it behind.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::{TcpListener, TcpStream};
use topicwire::edge::auth::identity::Identity;
use topicwire::edge::auth::refresh;
use topicwire::edge::protocol::{Refusal, parse_client_message};
use topicwire::hub::frame;
use topicwire::hub::messages::Op;
use topicwire::hub::peer::Peer;
use topicwire::hub::position::{MAX_OFFSET, is_valid_epoch};
use topicwire::limits::Limits;
use topicwire::runtime::instance::Setting;
use topicwire::runtime::module::{Module, Request};
use topicwire::runtime::native::NativeProbe;
use topicwire::runtime::remote::Alone;

/// The topic another connection holds throughout.
const KEPT: &str = r#"{"stream":"kept"}"#;

/// A module actor and a way to open connections to it.
struct Host {
    runtime: tokio::runtime::Runtime,
    module: Module,
    limits: Arc<Limits>,
    listener: TcpListener,
    next_id: AtomicU64,
    /// The other connection, kept open.
    kept: Option<(Peer, TcpStream)>,
}

impl Host {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let limits = Arc::new(Limits { max_subscriptions_per_connection: 8, ..Limits::default() });
        let (module, listener) = runtime.block_on(async {
            let history = topicwire::hub::history::HistoryBudget::new(usize::MAX);
            // A tick a day: no connection is sent anything but its replies.
            let env = Arc::from([("TICK_MS".to_owned(), "86400000".to_owned())]);
            let setting = Setting { env, limits: limits.clone(), storage: None, history };
            let version = topicwire::runtime::loader::load_native("probe", setting).await.unwrap();
            let module = Module::start("probe".into(), "(built-in)".into(), version, limits.clone(), &Alone);
            (module, TcpListener::bind("127.0.0.1:0").await.unwrap())
        });
        let mut host = Self { runtime, module, limits, listener, next_id: AtomicU64::new(1), kept: None };
        let kept = host.connect();
        let request = Request { op: Op::Subscribe, route: "ticks".into(), payload: KEPT.into(), since: None };
        assert!(host.runtime.block_on(host.module.request(request, Identity::anonymous().caller(), kept.0.clone())));
        host.kept = Some(kept);
        host
    }

    /// A new connection: the host's peer and the client's socket.
    fn connect(&self) -> (Peer, TcpStream) {
        self.runtime.block_on(async {
            let client = TcpStream::connect(self.listener.local_addr().unwrap()).await.unwrap();
            let (server, _) = self.listener.accept().await.unwrap();
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let peer = topicwire::edge::connection::peer(id, &Arc::new(server), &self.limits);
            (peer, client)
        })
    }

    /// Every live topic and its subscriber count; asked of the actor after
    /// everything sent before, so it reflects them.
    fn topics(&self) -> BTreeMap<String, usize> {
        let live = self.runtime.block_on(self.module.live());
        live.topics.into_iter().map(|topic| (topic.topic, topic.subscribers)).collect()
    }
}

/// The message `request` is, written anew.
fn reencode(request: &Request) -> String {
    let mut message = serde_json::json!({
        "type": format!("{}.{}", request.route, request.op.as_str()),
        "payload": serde_json::from_str::<serde_json::Value>(&request.payload).unwrap(),
    });
    if let Some(since) = &request.since {
        message["since"] = serde_json::json!({"epoch": &*since.epoch, "offset": since.offset});
    }
    message.to_string()
}

fn check_refusal(refusal: &Refusal) {
    let reply = refusal.reply();
    let text = frame::single_text_payload(&reply).expect("one text frame");
    let reply: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(reply["payload"]["status"], "error");
    assert!(reply["payload"]["message"].as_str().is_some_and(|message| !message.is_empty()));
    match refusal {
        Refusal::Unroutable(_) => assert_eq!(reply["type"], "error"),
        Refusal::InvalidRequest { route, op, .. } => {
            assert_eq!(reply["type"].as_str(), Some(&*format!("{route}.{}.response", op.as_str())));
        }
    }
}

/// What an accepted `request` does to the connection's topics, as the module's rules say.
fn expect(request: &Request, mine: &mut BTreeSet<String>, limits: &Limits) {
    // `ticks` keeps no history: a subscribe asking to recover is refused.
    if request.payload.len() > limits.max_request_bytes || request.since.is_some() {
        return;
    }
    let Ok(topic) = NativeProbe::build_topic(&request.route, &request.payload) else { return };
    match request.op {
        Op::Subscribe if topic.len() <= limits.max_topic_bytes => {
            if mine.len() < limits.max_subscriptions_per_connection || mine.contains(&topic) {
                mine.insert(topic);
            }
        }
        Op::Subscribe => {}
        Op::Unsubscribe => {
            mine.remove(&topic);
        }
    }
}

fn check(host: &Host, input: &[u8]) {
    let kept = format!("ticks:{KEPT}");
    let (peer, client) = host.connect();
    let mut mine = BTreeSet::new();
    for line in String::from_utf8_lossy(input).lines() {
        let _ = refresh::parse(line);
        let request = match parse_client_message(line) {
            Err(refusal) => {
                check_refusal(&refusal);
                continue;
            }
            Ok(request) => request,
        };
        assert!(!request.route.is_empty());
        assert!(request.payload.starts_with('{'));
        serde_json::from_str::<serde_json::Map<_, _>>(&request.payload).unwrap();
        if let Some(since) = &request.since {
            assert!(request.op == Op::Subscribe && is_valid_epoch(&since.epoch) && since.offset <= MAX_OFFSET);
        }
        assert_eq!(parse_client_message(&reencode(&request)), Ok(request.clone()), "{line}");

        expect(&request, &mut mine, &host.limits);
        if request.payload.len() <= host.limits.max_request_bytes {
            assert!(host.runtime.block_on(host.module.request(request, Identity::anonymous().caller(), peer.clone())));
        }
        let mut expected: BTreeMap<String, usize> = mine.iter().map(|topic| (topic.clone(), 1)).collect();
        *expected.entry(kept.clone()).or_default() += 1;
        assert_eq!(host.topics(), expected, "after {line}");
    }
    host.runtime.block_on(host.module.disconnect(peer.id()));
    drop(client);
    assert_eq!(host.topics(), BTreeMap::from([(kept, 1)]), "the connection left topics behind");
}

#[test]
fn fuzz() {
    let host = AssertUnwindSafe(Host::start());
    bolero::check!(name = "client_messages")
        .with_iterations(crate::support::iterations(1000))
        .for_each(move |input: &[u8]| check(&host, input));
}

#[test]
fn since_is_checked_and_for_subscribing_only() {
    let refused = |text: &str| match parse_client_message(text) {
        Err(Refusal::InvalidRequest { message, .. }) => message,
        other => panic!("{text}: {other:?}"),
    };
    assert!(refused(r#"{"type":"ticks.unsubscribe","since":{"epoch":"a","offset":1}}"#).contains("subscribing only"));
    assert!(refused(r#"{"type":"ticks.subscribe","since":{"epoch":"A","offset":1}}"#).contains("epoch"));
    assert!(
        refused(r#"{"type":"ticks.subscribe","since":{"epoch":"a","offset":9007199254740992}}"#).contains("offset")
    );
    let request = parse_client_message(r#"{"type":"ticks.subscribe","since":{"epoch":"a1","offset":0}}"#).unwrap();
    assert_eq!(request.since.map(|since| (since.epoch.to_string(), since.offset)), Some(("a1".into(), 0)));
}

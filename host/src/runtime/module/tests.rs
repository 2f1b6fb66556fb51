//! The actor's leader and follower paths against a fake of the seam, with
//! the built-in native producer as the instance (no wasm needed): the
//! `ticks` route, whose topics tick every 20 ms once created. Tokio's clock
//! is paused, so "would have ticked by now" is certain, not a bet on time.

use super::*;
use crate::hub::testing::{peer, read_text};
use crate::hub::topics::Outlet;
use crate::runtime::loader;
use crate::runtime::remote::RemoteFuture;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::TcpStream;

const TOPIC: &str = r#"ticks:{"stream":"a"}"#;

/// The other nodes, as a test sees them: what the actor asked of them.
struct Fake {
    leading: AtomicBool,
    calls: Mutex<Vec<String>>,
    outlet: Outlet,
    frames: tokio::sync::Mutex<mpsc::Receiver<(Arc<str>, Bytes)>>,
    inbox: Mutex<Option<ModuleInbox>>,
}

impl Fake {
    fn new() -> Arc<Self> {
        let (outlet, frames) = mpsc::channel(1024);
        Arc::new(Self {
            leading: AtomicBool::new(false),
            calls: Mutex::default(),
            outlet,
            frames: tokio::sync::Mutex::new(frames),
            inbox: Mutex::default(),
        })
    }

    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn inbox(&self) -> ModuleInbox {
        self.inbox.lock().unwrap().clone().expect("joined")
    }

    /// Frames handed to the outlet so far.
    async fn published(&self) -> Vec<Arc<str>> {
        let mut frames = self.frames.lock().await;
        std::iter::from_fn(|| frames.try_recv().ok()).map(|(topic, _)| topic).collect()
    }
}

struct FakeNodes(Arc<Fake>);

impl Nodes for FakeNodes {
    fn join(&self, _module: &str, inbox: ModuleInbox, _limits: &Limits) -> Arc<dyn Remote> {
        *self.0.inbox.lock().unwrap() = Some(inbox);
        self.0.clone()
    }

    fn report(&self) -> Option<serde_json::Value> {
        None
    }
}

impl Remote for Fake {
    fn clustered(&self) -> bool {
        true
    }

    fn is_leader(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }

    fn set_leading(&self, leading: bool) {
        self.leading.store(leading, Ordering::SeqCst);
        self.record(format!("leading {leading}"));
    }

    fn mirror(&self, topic: &str) {
        self.record(format!("mirror {topic}"));
    }

    fn unmirror(&self, topic: &str) {
        self.record(format!("unmirror {topic}"));
    }

    fn keep_mirrors(&self, topics: &[String]) {
        self.record(format!("keep {topics:?}"));
    }

    fn outlet(&self) -> Option<Outlet> {
        Some(self.outlet.clone())
    }

    fn stream(&self) -> Option<crate::hub::topics::StreamOutlet> {
        None
    }

    fn continuation(
        &self,
        _topic: &str,
        _after: Option<crate::hub::position::Position>,
    ) -> RemoteFuture<'_, Option<crate::hub::topics::Continuation>> {
        Box::pin(async { None })
    }

    fn fill(&self, topic: &str, _after: crate::hub::position::Position) {
        self.record(format!("fill {topic}"));
    }

    fn forward(&self, request: HttpRequest) -> RemoteFuture<'_, Result<HttpOutcome, Unavailable>> {
        self.record(format!("forward {}", request.uri()));
        Box::pin(async { Ok(HttpOutcome::Unusable("answered by the leader".into())) })
    }

    fn leave(&self) -> RemoteFuture<'_, ()> {
        Box::pin(async {})
    }
}

async fn module(fake: &Arc<Fake>) -> Module {
    let limits = Arc::new(Limits::default());
    let history = crate::hub::history::HistoryBudget::new(usize::MAX);
    let setting = loader::Setting { env: Arc::default(), limits: limits.clone(), storage: None, history };
    let version = loader::load_native("probe", setting).await.unwrap();
    Module::start("probe".into(), "(built-in)".into(), version, limits, &FakeNodes(fake.clone()))
}

async fn subscribe(module: &Module, peer: &Peer, op: Op) {
    let caller = Caller { subject: None, claims: "{}".into() };
    let request = Request { op, route: "ticks".into(), payload: r#"{"stream":"a"}"#.into(), since: None };
    assert!(module.request(request, caller, peer.clone()).await);
}

/// Long enough for a created topic to have ticked many times.
async fn a_while() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn published(module: &Module) -> u64 {
    module.live().await.published
}

async fn response(client: &mut TcpStream) -> serde_json::Value {
    serde_json::from_str(&read_text(client).await).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_follower_mirrors_the_leaders_topic_and_forwards_rest() {
    let fake = Fake::new();
    let module = module(&fake).await;
    assert_eq!(module.status().cluster_role, Some("follower"));
    let (peer, mut client) = peer(1, 64, Duration::from_secs(60)).await;
    subscribe(&module, &peer, Op::Subscribe).await;
    assert_eq!(response(&mut client).await["payload"]["message"], "Subscribed");
    assert_eq!(fake.calls(), [format!("mirror {TOPIC}")]);
    a_while().await;
    assert_eq!(published(&module).await, 0, "a follower creates no topic and fires no timer");

    let update = crate::hub::messages::update_frame(&crate::hub::messages::update_prefix("ticks", TOPIC), "1", 1, "e1");
    fake.inbox().frame(TOPIC.into(), update).await;
    let frame = response(&mut client).await;
    assert_eq!((frame["type"].as_str(), &frame["payload"]["payload"]), (Some("ticks.update"), &serde_json::json!(1)));

    let request = axum::http::Request::get("/orders").body(http_body_util::Full::new(Bytes::new())).unwrap();
    let outcome = module.http(request).await;
    assert!(matches!(outcome, Ok(HttpOutcome::Unusable(ref why)) if why == "answered by the leader"), "{outcome:?}");
    assert_eq!(module.live().await.topics[0].epoch, "e1", "a mirror takes the leader's positions");
    fake.inbox().lead(true).await;
    a_while().await;
    let taken = module.live().await.topics;
    assert!(taken[0].epoch != "e1" && taken[0].offset > 0, "a new leader numbers a new sequence: {taken:?}");
    subscribe(&module, &peer, Op::Unsubscribe).await;
    assert!(fake.calls().contains(&"leading true".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn a_leader_runs_topics_other_nodes_want_and_hands_their_frames_on() {
    let fake = Fake::new();
    let module = module(&fake).await;
    fake.inbox().lead(true).await;
    let _ = module.live().await;
    assert_eq!(module.status().cluster_role, Some("leader"));
    assert!(fake.calls().contains(&"leading true".to_owned()), "{:?}", fake.calls());

    fake.inbox().remote_interest(vec![TOPIC.into()], Vec::new()).await;
    a_while().await;
    let live = module.live().await;
    assert_eq!(live.topics.iter().map(|topic| topic.topic.as_str()).collect::<Vec<_>>(), [TOPIC]);
    assert!(live.published > 0, "the wanted topic ticks");
    let handed = fake.published().await;
    assert!(!handed.is_empty() && handed.iter().all(|topic| &**topic == TOPIC), "{handed:?}");

    fake.inbox().remote_interest(Vec::new(), vec![TOPIC.into()]).await;
    assert!(module.live().await.topics.is_empty(), "no node wants it: removed");
    let before = published(&module).await;
    a_while().await;
    assert_eq!(published(&module).await, before, "its timer went with it");
}

#[tokio::test(start_paused = true)]
async fn a_leaders_local_topic_reaches_its_clients_only_and_is_mirrored_once_the_lead_is_lost() {
    let fake = Fake::new();
    let module = module(&fake).await;
    fake.inbox().lead(true).await;
    let (peer, mut client) = peer(1, 4096, Duration::from_secs(60)).await;
    subscribe(&module, &peer, Op::Subscribe).await;
    assert_eq!(response(&mut client).await["payload"]["message"], "Subscribed");
    assert_eq!(response(&mut client).await["type"], "ticks.update");
    a_while().await;
    assert!(fake.published().await.is_empty(), "no other node wants it: nothing for the outlet");

    fake.inbox().lead(false).await;
    let before = published(&module).await;
    assert!(fake.calls().contains(&format!("mirror {TOPIC}")), "{:?}", fake.calls());
    assert_eq!(module.status().cluster_role, Some("follower"));
    a_while().await;
    assert_eq!(published(&module).await, before, "the new leader runs it now");
    let live = module.live().await;
    assert_eq!(live.topics.len(), 1, "the local client keeps its topic, as a mirror");
}

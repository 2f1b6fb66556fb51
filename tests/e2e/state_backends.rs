//! The two state backends agree: every `wasi:keyvalue` scenario runs the
//! same against the embedded one (redb, a file in a temporary folder) and
//! the cluster's (JetStream KV on a real nats-server), so a module sees the
//! same results on one node and in a cluster.

use std::sync::Arc;
use topicwire::cluster::Cluster;
use topicwire::cluster::state::JetStreamBackend;
use topicwire::state::redb_backend::RedbBackend;
use topicwire::state::{Entry, Namespace, StateBackend, StateError, Usage};
use topicwire_tests::TempDir;
use topicwire_tests::nats::NatsServer;

/// Where the namespaces of one backend come from, kept alive with it.
enum Backend {
    Redb(TempDir),
    /// The server runs as long as the backend is used.
    JetStream {
        _server: NatsServer,
        cluster: Arc<Cluster>,
    },
}

impl Backend {
    async fn redb() -> Self {
        Self::Redb(TempDir::new("conformance"))
    }

    async fn jetstream() -> Self {
        let nats = NatsServer::start().await;
        let cluster = Cluster::connect(&nats.url(), "conformance").await.unwrap();
        Self::JetStream { _server: nats, cluster }
    }

    /// A fresh namespace (module `module`) with `max_state_bytes` = `quota`.
    async fn namespace(&self, module: &str, quota: u64) -> Arc<dyn Namespace> {
        match self {
            Self::Redb(dir) => RedbBackend::new(dir.path()).unwrap().open(module, quota).await.unwrap(),
            Self::JetStream { cluster, .. } => {
                JetStreamBackend::new(cluster.jetstream().clone()).open(module, quota).await.unwrap()
            }
        }
    }
}

fn s(text: &str) -> String {
    text.to_owned()
}

/// Every scenario, on namespaces of `backend`; `name` says which in a failure.
async fn scenarios(backend: &Backend, name: &str) {
    values_round_trip_per_bucket(&*backend.namespace("round-trip", u64::MAX).await).await;
    keys_are_listed_in_pages(&*backend.namespace("pages", u64::MAX).await).await;
    counters_follow_one_rule(&*backend.namespace("counters", u64::MAX).await).await;
    writes_over_the_quota_change_nothing(&*backend.namespace("quota", 10).await).await;
    batches_are_all_or_nothing(&*backend.namespace("batches", u64::MAX).await).await;
    replace_all_restores_exactly_the_given_entries(&*backend.namespace("replace", u64::MAX).await).await;
    eprintln!("{name}: every scenario holds");
}

#[tokio::test]
async fn redb_and_jetstream_give_the_same_results() {
    let (redb, jetstream) = tokio::join!(Backend::redb(), Backend::jetstream());
    scenarios(&redb, "redb").await;
    scenarios(&jetstream, "jetstream").await;
}

async fn values_round_trip_per_bucket(ns: &dyn Namespace) {
    ns.set(s(""), s("a"), b"1".to_vec()).await.unwrap();
    ns.set(s("other"), s("a"), b"2".to_vec()).await.unwrap();
    assert_eq!(ns.get(s(""), s("a")).await.unwrap(), Some(b"1".to_vec()));
    assert_eq!(ns.get(s("other"), s("a")).await.unwrap(), Some(b"2".to_vec()));
    assert_eq!(ns.get(s("none"), s("a")).await.unwrap(), None);
    assert!(ns.exists(s(""), s("a")).await.unwrap());
    ns.delete(s(""), s("a")).await.unwrap();
    assert!(!ns.exists(s(""), s("a")).await.unwrap());
    ns.delete(s(""), s("never")).await.unwrap();
    assert_eq!(ns.usage().await.unwrap(), Usage { bytes: 5 + 1 + 1, keys: 1 });
    let values = ns.get_many(s("other"), vec![s("a"), s("nope")]).await.unwrap();
    assert_eq!(values, vec![Some((s("a"), b"2".to_vec())), None]);
}

async fn keys_are_listed_in_pages(ns: &dyn Namespace) {
    let pairs = (0..5).map(|i| (format!("k{i}"), vec![0])).collect();
    ns.set_many(s("b"), pairs).await.unwrap();
    ns.set(s("c"), s("elsewhere"), vec![1]).await.unwrap();
    let first = ns.list_keys(s("b"), None, 2).await.unwrap();
    assert_eq!((first.keys.as_slice(), first.cursor), ([s("k0"), s("k1")].as_slice(), Some(2)));
    let second = ns.list_keys(s("b"), first.cursor, 2).await.unwrap();
    assert_eq!(second.keys, [s("k2"), s("k3")]);
    let last = ns.list_keys(s("b"), second.cursor, 2).await.unwrap();
    assert_eq!((last.keys.as_slice(), last.cursor), ([s("k4")].as_slice(), None));
    assert!(ns.list_keys(s("b"), Some(u64::MAX), 2).await.unwrap().keys.is_empty());
    assert!(ns.list_keys(s("empty"), None, 2).await.unwrap().keys.is_empty());
}

async fn counters_follow_one_rule(ns: &dyn Namespace) {
    assert_eq!(ns.increment(s(""), s("n"), 5).await.unwrap(), 5);
    assert_eq!(ns.increment(s(""), s("n"), 2).await.unwrap(), 7);
    assert_eq!(ns.get(s(""), s("n")).await.unwrap(), Some(b"7".to_vec()));
    ns.set(s(""), s("spaced"), b" 41\n".to_vec()).await.unwrap();
    assert_eq!(ns.increment(s(""), s("spaced"), 1).await.unwrap(), 42, "whitespace around a counter is allowed");
    for (key, value) in [("text", &b"text"[..]), ("negative", b"-1"), ("empty", b"")] {
        ns.set(s(""), s(key), value.to_vec()).await.unwrap();
        assert!(matches!(ns.increment(s(""), s(key), 1).await, Err(StateError::NotACounter { .. })), "{key}");
        assert_eq!(ns.get(s(""), s(key)).await.unwrap(), Some(value.to_vec()), "a refused increment changes nothing");
    }
    ns.set(s(""), s("max"), u64::MAX.to_string().into_bytes()).await.unwrap();
    assert!(matches!(ns.increment(s(""), s("max"), 1).await, Err(StateError::NotACounter { .. })));
}

async fn writes_over_the_quota_change_nothing(ns: &dyn Namespace) {
    ns.set(s(""), s("a"), vec![0; 5]).await.unwrap();
    let refused = ns.set_many(s(""), vec![(s("b"), vec![0; 2]), (s("c"), vec![0; 2])]).await;
    assert_eq!(refused, Err(StateError::StateFull { limit: 10, would_be: 12 }));
    assert_eq!(ns.get(s(""), s("b")).await.unwrap(), None, "a refused batch writes nothing");
    // Shrinking is always allowed, as is staying within the quota.
    ns.set(s(""), s("a"), vec![0; 1]).await.unwrap();
    ns.set(s(""), s("b"), vec![0; 2]).await.unwrap();
    assert_eq!(ns.usage().await.unwrap(), Usage { bytes: 5, keys: 2 });
}

async fn batches_are_all_or_nothing(ns: &dyn Namespace) {
    ns.set_many(s("b"), vec![(s("x"), b"1".to_vec()), (s("y"), b"2".to_vec())]).await.unwrap();
    ns.delete_many(s("b"), vec![s("x"), s("absent")]).await.unwrap();
    assert_eq!(ns.get_many(s("b"), vec![s("x"), s("y")]).await.unwrap(), vec![None, Some((s("y"), b"2".to_vec()))]);
}

async fn replace_all_restores_exactly_the_given_entries(ns: &dyn Namespace) {
    ns.set(s(""), s("old"), b"x".to_vec()).await.unwrap();
    let entries = vec![
        Entry { bucket: s(""), key: s("a"), value: b"1".to_vec() },
        Entry { bucket: s("b"), key: s("k"), value: vec![0, 255] },
    ];
    assert_eq!(ns.replace_all(entries.clone()).await.unwrap(), Usage { bytes: 2 + 4, keys: 2 });
    assert_eq!(ns.export().await.unwrap(), entries);
    assert_eq!(ns.get(s(""), s("old")).await.unwrap(), None);
}

//! The topic table over real loopback sockets: reference counting, framing
//! once with positions, held writes, handovers, mirrors, joining with and
//! without recovery, lingering. Tokio's clock is paused where time matters.

use super::*;
use crate::hub::testing::{read_text, sent};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;

const MAX: usize = 1024;

const CONFLATE: TopicPolicy = TopicPolicy { reliable: false, history: HistoryPolicy::NONE };
const RELIABLE: TopicPolicy = TopicPolicy { reliable: true, history: HistoryPolicy::NONE };
const KEPT: TopicPolicy =
    TopicPolicy { reliable: true, history: HistoryPolicy { size: 4, ttl: Duration::from_secs(60) } };

async fn peer(id: ConnId) -> (Peer, TcpStream) {
    crate::hub::testing::peer(id, 64, Duration::from_secs(60)).await
}

fn parsed(frames: &[String]) -> Vec<Value> {
    frames.iter().map(|frame| serde_json::from_str(frame).unwrap()).collect()
}

/// The offset of each update among `frames`.
fn offsets(frames: &[Value]) -> Vec<u64> {
    frames.iter().filter_map(|frame| frame["payload"]["offset"].as_u64()).collect()
}

fn live(table: &mut TopicTable, topic: &str, policy: TopicPolicy, peer: &Peer) {
    table.begin_create(topic, "r", policy, peer.clone());
    table.finish_create(topic);
}

#[tokio::test]
async fn reference_counts_per_connection() {
    let mut table = TopicTable::default();
    let (a, _ca) = peer(1).await;
    let (b, _cb) = peer(2).await;
    live(&mut table, "t", CONFLATE, &a);
    assert!(!table.join("t", &a, None, 10), "a double subscribe counts once");
    assert!(table.join("t", &b, None, 10));
    assert_eq!(table.info()[0].subscribers, 2);
    assert_eq!(table.remove_subscriber("t", 1), Removal::Remaining);
    assert_eq!(table.remove_subscriber("t", 1), Removal::NotSubscribed);
    assert_eq!(table.remove_subscriber("t", 2), Removal::LastGone);
    assert!(table.is_empty());
}

#[tokio::test]
async fn disconnect_releases_every_topic_of_the_connection() {
    let mut table = TopicTable::default();
    let (a, _ca) = peer(1).await;
    let (b, _cb) = peer(2).await;
    for topic in ["x", "y"] {
        live(&mut table, topic, CONFLATE, &a);
    }
    table.join("y", &b, None, 10);
    let mut gone = table.disconnect(1);
    gone.sort();
    assert_eq!(gone, ["x"]);
    assert_eq!(table.topics(), ["y"]);
    assert_eq!(table.subscriptions_of(1), 0);
}

#[tokio::test]
async fn updates_are_numbered_framed_once_and_held_back_during_creation() {
    let mut table = TopicTable::default();
    let (a, mut client) = peer(1).await;
    table.begin_create("bars:{}", "bars", CONFLATE, a.clone());
    assert_eq!(table.publish("bars:{}", r#"{"close":1}"#, MAX), Ok(0));
    a.send(crate::hub::frame::text(&[b"response"]));
    table.finish_create("bars:{}");
    assert_eq!(read_text(&mut client).await, "response");
    let epoch = table.position("bars:{}").unwrap().epoch;
    assert_eq!(
        read_text(&mut client).await,
        format!(
            r#"{{"type":"bars.update","payload":{{"topic":"bars:{{}}","payload":{{"close":1}},"offset":1,"epoch":"{epoch}"}}}}"#
        )
    );
    assert_eq!(table.publish("bars:{}", "[]", MAX), Ok(1));
    assert_eq!(table.position("bars:{}").map(|position| position.offset), Some(2));
}

#[tokio::test]
async fn held_writes_leave_on_release_in_order_for_conflated_and_reliable_topics() {
    let mut table = TopicTable::default();
    let (a, mut client) = peer(1).await;
    live(&mut table, "state", CONFLATE, &a);
    live(&mut table, "events", RELIABLE, &a);
    assert_eq!(table.first_subscriber("state"), Some(1));
    table.hold_writes();
    assert_eq!(table.publish("state", "1", MAX), Ok(1));
    assert_eq!(table.publish("events", "2", MAX), Ok(1));
    assert!(a.outbox().len() == 2, "held, not written");
    table.release_writes();
    assert!(a.outbox().is_empty());
    let frames = parsed(&sent(&mut client, Duration::from_millis(200)).await);
    let topics: Vec<_> = frames.iter().map(|frame| frame["payload"]["topic"].clone()).collect();
    assert_eq!(topics, [json!("state"), json!("events")]);
    assert_eq!(table.publish("state", "3", MAX), Ok(1));
    assert!(a.outbox().is_empty(), "released: written straight away again");
}

#[tokio::test]
async fn a_new_instance_does_not_repeat_the_last_update_and_the_sequence_goes_on() {
    let mut table = TopicTable::default();
    let (a, mut client) = peer(1).await;
    live(&mut table, "t", CONFLATE, &a);
    let epoch = table.position("t").unwrap().epoch;
    assert_eq!(table.publish("t", r#"{"v":1}"#, MAX), Ok(1));
    table.resume_all();
    assert_eq!(table.publish("t", r#"{"v":1}"#, MAX), Ok(0), "the handover repeat is dropped");
    assert_eq!(table.publish("t", r#"{"v":1}"#, MAX), Ok(1), "later equal updates are the module's own");
    table.resume_all();
    assert_eq!(table.publish("t", r#"{"v":2}"#, MAX), Ok(1));
    let frames = parsed(&sent(&mut client, Duration::from_millis(200)).await);
    assert_eq!(offsets(&frames), [1, 2, 3], "no offset skipped by the dropped repeat");
    assert_eq!(table.position("t").unwrap().epoch, epoch, "the same sequence");
}

#[tokio::test]
async fn a_joiner_of_a_conflated_topic_gets_its_latest_update_and_of_a_reliable_one_none() {
    let mut table = TopicTable::default();
    let (first, _c1) = peer(1).await;
    let (joiner, mut client) = peer(2).await;
    for (topic, policy) in [("state", CONFLATE), ("events", RELIABLE)] {
        live(&mut table, topic, policy, &first);
        assert_eq!(table.publish(topic, r#"{"v":1}"#, MAX), Ok(1));
        assert_eq!(table.publish(topic, r#"{"v":2}"#, MAX), Ok(1));
        assert!(table.join(topic, &joiner, None, 10));
    }
    let frames = parsed(&sent(&mut client, Duration::from_millis(200)).await);
    assert_eq!(frames.len(), 3, "{frames:?}");
    assert_eq!(frames[0]["payload"]["offset"], 1, "the response: updates continue after 1");
    assert_eq!((&frames[1]["payload"]["payload"], &frames[1]["payload"]["offset"]), (&json!({"v":2}), &json!(2)));
    assert_eq!(frames[2]["payload"]["offset"], 2, "a reliable joiner continues after the latest");
    assert!(frames[2]["payload"].get("recovered").is_none());
}

#[tokio::test]
async fn a_recovery_replays_exactly_the_missed_updates_or_says_it_cannot() {
    let mut table = TopicTable::default();
    let (first, _c1) = peer(1).await;
    live(&mut table, "t", KEPT, &first);
    for n in 1..=6 {
        table.publish("t", &n.to_string(), MAX).unwrap();
    }
    let epoch = table.position("t").unwrap().epoch;
    let cases = [
        (epoch.clone(), 4, Some(vec![5, 6])),
        (epoch.clone(), 6, Some(vec![])),
        (epoch.clone(), 2, Some(vec![3, 4, 5, 6])),
        (epoch.clone(), 1, None),
        (epoch.clone(), 7, None),
        ("other".into(), 4, None),
    ];
    for (id, (epoch, offset, expected)) in (10..).zip(cases) {
        let (joiner, mut client) = peer(id).await;
        let since = Position { epoch, offset };
        assert!(table.join("t", &joiner, Some(&since), 4));
        let frames = parsed(&sent(&mut client, Duration::from_millis(200)).await);
        let response = &frames[0]["payload"];
        match expected {
            Some(replayed) => {
                assert_eq!((&response["recovered"], &response["offset"]), (&json!(true), &json!(offset)), "{since:?}");
                assert_eq!(offsets(&frames[1..]), replayed, "{since:?}");
            }
            None => {
                assert_eq!((&response["recovered"], &response["offset"]), (&json!(false), &json!(6)), "{since:?}");
                assert_eq!(frames.len(), 1, "nothing replayed: {since:?}");
            }
        }
    }
    let (joiner, mut client) = peer(99).await;
    assert!(table.join("t", &joiner, Some(&Position { epoch: epoch.clone(), offset: 2 }), 3));
    let frames = parsed(&sent(&mut client, Duration::from_millis(200)).await);
    assert_eq!((frames.len(), &frames[0]["payload"]["recovered"]), (1, &json!(false)), "over the replay bound");
    assert_eq!(table.recoveries(), Recoveries { recovered: 3, not_recovered: 4, replayed: 6 });
}

#[tokio::test(start_paused = true)]
async fn a_topic_with_history_lingers_for_its_ttl_after_its_last_subscriber() {
    let mut table = TopicTable::default();
    let (a, _ca) = peer(1).await;
    let (b, _cb) = peer(2).await;
    live(&mut table, "kept", KEPT, &a);
    live(&mut table, "plain", CONFLATE, &a);
    assert_eq!(table.disconnect(1), ["plain"], "only the topic without history goes");
    assert_eq!(table.publish("kept", "1", MAX), Ok(0), "still live: the module keeps publishing");
    let lapse = table.next_lapse().unwrap();
    tokio::time::advance(Duration::from_secs(30)).await;
    assert!(table.join("kept", &b, None, 10), "a client came back");
    assert_eq!(table.next_lapse(), None);
    assert_eq!(table.remove_subscriber("kept", 2), Removal::Remaining, "it lingers again");
    assert!(table.lapse(lapse).is_empty(), "the first clock was stopped");
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(table.lapse(Instant::now()), ["kept"]);
    assert!(table.is_empty() && table.next_lapse().is_none());
}

#[tokio::test]
async fn a_mirror_delivers_only_whole_update_frames_of_its_topic_and_takes_their_positions() {
    let mut table = TopicTable::default();
    let (a, mut client) = peer(1).await;
    table.mirror("t", "r", KEPT, a);
    assert_eq!(table.position("t").map(|position| position.is_known()), Some(false), "unknown until a frame");
    let prefix = messages::update_prefix("r", "t");
    let update = messages::update_frame(&prefix, "{}", 7, "e1");
    assert_eq!(table.deliver_frame("t", update.clone()), Mirrored::Delivered(1));
    assert_eq!(table.position("t"), Some(Position { epoch: "e1".into(), offset: 7 }));
    assert_eq!(table.deliver_frame("t", update.clone()), Mirrored::Dropped, "already delivered");
    let other = messages::update_frame(&messages::update_prefix("r", "u"), "{}", 8, "e1");
    assert_eq!(table.deliver_frame("t", other), Mirrored::Dropped, "another topic's");
    let mut two = update.to_vec();
    two.extend_from_slice(&update);
    assert_eq!(table.deliver_frame("t", Bytes::from(two)), Mirrored::Dropped, "two frames in one");
    assert_eq!(table.deliver_frame("t", crate::hub::frame::close(1000, "bye")), Mirrored::Dropped, "a close frame");
    assert_eq!(table.deliver_frame("t", update.slice(..update.len() - 1)), Mirrored::Dropped, "cut short");
    let unnumbered = crate::hub::frame::text(&[prefix.as_bytes(), b"{}}}"]);
    assert_eq!(table.deliver_frame("t", unnumbered), Mirrored::Dropped, "without a position");
    assert_eq!(table.deliver_frame("t", messages::update_frame(&prefix, "{}", 8, "e1")), Mirrored::Delivered(1));
    assert_eq!(sent(&mut client, Duration::from_millis(200)).await.len(), 2);
    let (joiner, _c) = peer(2).await;
    assert!(table.join("t", &joiner, Some(&Position { epoch: "e1".into(), offset: 7 }), 10));
    assert_eq!(table.recoveries().recovered, 1, "a mirror recovers from what it kept");
}

#[tokio::test]
async fn a_mirrors_hole_is_filled_before_what_follows_it_or_never_papered_over() {
    let mut table = TopicTable::default();
    let (a, mut client) = peer(1).await;
    table.mirror("t", "r", KEPT, a);
    let frame = |n: u64| messages::update_frame(&messages::update_prefix("r", "t"), &n.to_string(), n, "e1");
    table.deliver_frame("t", frame(1));
    let hole = table.deliver_frame("t", frame(4));
    assert_eq!(hole, Mirrored::Hole { after: Position { epoch: "e1".into(), offset: 1 } });
    assert_eq!(table.deliver_frame("t", frame(5)), Mirrored::Waiting);
    table.fill("t", vec![frame(2), frame(3)]);
    let frames = parsed(&sent(&mut client, Duration::from_millis(200)).await);
    assert_eq!(offsets(&frames), [1, 2, 3, 4, 5], "in order, none missing");
    let (joiner, _c) = peer(2).await;
    assert!(table.join("t", &joiner, Some(&Position { epoch: "e1".into(), offset: 1 }), 10));
    assert_eq!(table.recoveries().recovered, 1, "the history is whole");

    assert!(matches!(table.deliver_frame("t", frame(9)), Mirrored::Hole { .. }));
    table.fill("t", Vec::new());
    assert_eq!(
        offsets(&parsed(&sent(&mut client, Duration::from_millis(200)).await)),
        [9],
        "delivered once the fill failed"
    );
    let (late, _c) = peer(3).await;
    assert!(table.join("t", &late, Some(&Position { epoch: "e1".into(), offset: 5 }), 10));
    assert_eq!(table.recoveries().not_recovered, 1, "never across the hole");
}

#[tokio::test]
async fn while_durable_an_update_reaches_nobody_before_it_is_stored() {
    let mut table = TopicTable::default();
    let (a, mut client) = peer(1).await;
    live(&mut table, "kept", KEPT, &a);
    live(&mut table, "plain", CONFLATE, &a);
    let (stream, mut stored) = tokio::sync::mpsc::channel(16);
    table.set_stream(Some(stream));
    assert_eq!(table.publish("kept", "1", MAX), Ok(0), "held until stored");
    assert_eq!(table.publish("kept", "2", MAX), Ok(0));
    assert_eq!(table.publish("plain", "3", MAX), Ok(1), "a route without history is not stored");
    let barrier = table.barrier().expect("updates wait to be stored");
    assert!(table.barrier().is_none(), "nothing more since");
    let mut frames = Vec::new();
    while let Ok(item) = stored.try_recv() {
        match item {
            Durable::Frame(topic, frame) => frames.push((topic, frame)),
            Durable::Barrier(done) => done.send(()).unwrap(),
            Durable::Removed(_) => panic!("nothing was removed"),
        }
    }
    barrier.await.unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(
        offsets(&parsed(&sent(&mut client, Duration::from_millis(100)).await)),
        [1],
        "only the plain update so far"
    );
    for (topic, frame) in frames {
        assert_eq!(table.deliver_durable(&topic, frame), 1);
    }
    assert_eq!(offsets(&parsed(&sent(&mut client, Duration::from_millis(200)).await)), [1, 2]);
    assert_eq!(table.position("kept").map(|position| position.offset), Some(2));

    let epoch = table.position("kept").unwrap().epoch;
    let taken = Position { epoch: epoch.clone(), offset: 9 };
    table.continue_sequence("kept", Continuation { position: taken.clone(), missed: Vec::new() });
    assert_eq!(table.position("kept"), Some(taken), "the sequence goes on from what is stored");
    table.restart_sequence("kept");
    assert_ne!(table.position("kept").unwrap().epoch, epoch);
}

#[tokio::test]
async fn bad_updates_are_rejected_and_take_no_offset() {
    let mut table = TopicTable::default();
    let (a, _client) = peer(1).await;
    live(&mut table, "t", CONFLATE, &a);
    assert_eq!(table.publish("other", "{}", MAX), Err(Rejected::NotLive));
    assert_eq!(table.publish("t", "{nope", MAX), Err(Rejected::InvalidJson));
    assert_eq!(table.publish("t", &"1".repeat(MAX + 1), MAX), Err(Rejected::TooLarge));
    assert_eq!(table.position("t").map(|position| position.offset), Some(0));
}

#[tokio::test]
async fn a_topic_is_reached_by_its_id_while_live_and_never_by_an_old_one() {
    let mut table = TopicTable::default();
    let (a, mut client) = peer(1).await;
    live(&mut table, "t", CONFLATE, &a);
    let first = table.id_of("t").unwrap();
    assert_eq!(table.shared_name_of(first).as_deref(), Some("t"));
    assert_eq!(table.publish_to(first, "1", MAX), Ok(1));
    assert_eq!(table.drop_topic("t").len(), 1);
    assert_eq!(table.publish_to(first, "2", MAX), Err(Rejected::NotLive), "gone with its topic");
    live(&mut table, "t", CONFLATE, &a);
    let second = table.id_of("t").unwrap();
    assert_ne!(first, second, "live again under a new id");
    assert_eq!(table.publish_to(first, "3", MAX), Err(Rejected::NotLive));
    assert_eq!(table.shared_name_of(first), None);
    assert_eq!(table.publish("t", "4", MAX), Ok(1), "by name, to the same topic as its id");
    assert_eq!(table.publish_to(second, "5", MAX), Ok(1));
    let mut data = Vec::new();
    for _ in 0..3 {
        let frame: Value = serde_json::from_str(&read_text(&mut client).await).unwrap();
        data.push(frame["payload"]["payload"].clone());
    }
    assert_eq!(data, [json!(1), json!(4), json!(5)], "what went to an old id reached no topic");
    assert_eq!((table.len(), table.topics()), (1, vec!["t".to_owned()]));
}

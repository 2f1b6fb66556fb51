//! Bad input is answered and never closes the connection.

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use topicwire_tests::Host;

#[tokio::test]
async fn every_kind_of_bad_input_is_answered_and_the_connection_stays_usable() {
    let host = Host::datafeed().await;
    let mut client = host.client("datafeed").await;

    client.send_text("{not json").await;
    let reply = client.recv().await;
    assert_eq!(reply["type"], "error");
    assert_eq!(reply["payload"]["status"], "error");
    assert!(reply["payload"]["message"].as_str().unwrap().starts_with("malformed JSON"), "{reply}");

    client.send_text("[1, 2, 3]").await;
    assert!(client.recv().await["payload"]["message"].as_str().unwrap().starts_with("malformed message"));

    client.send_text(r#"{"type":"bars.publish","payload":{}}"#).await;
    let reply = client.recv().await;
    assert_eq!(reply["type"], "error");
    assert!(reply["payload"]["message"].as_str().unwrap().contains("unknown message type `bars.publish`"), "{reply}");

    client.send_text(r#"{"payload":{}}"#).await;
    assert!(client.recv().await["payload"]["message"].as_str().unwrap().starts_with("missing `type`"));

    let reply = client.subscribe("candles", json!({"symbol": "AAPL"})).await;
    assert_eq!(reply["status"], "error");
    assert_eq!(reply["message"], "unknown route `candles`; this module serves: bars, quotes");

    let reply = client.subscribe("bars", json!({"symbol": "AAPL"})).await;
    assert_eq!(reply, json!({"status": "error", "message": "invalid request: missing field `resolution`"}));

    let reply = client.subscribe("bars", json!({"symbol": 5, "resolution": "1"})).await;
    assert_eq!(reply["message"], "invalid request: symbol: invalid type: integer `5`, expected a string");

    let reply = client.subscribe("bars", json!({"symbol": "NOPE", "resolution": "1"})).await;
    assert!(
        reply["message"].as_str().unwrap().starts_with("invalid request: symbol: unknown symbol `NOPE`"),
        "{reply}"
    );

    let reply = client.subscribe("bars", json!({"symbol": "AAPL", "resolution": "7X"})).await;
    assert!(reply["message"].as_str().unwrap().starts_with("invalid request: resolution:"), "{reply}");

    let reply = client.subscribe("quotes", json!({"symbols": []})).await;
    assert!(reply["message"].as_str().unwrap().contains("both empty"), "{reply}");

    // serde would read a struct positionally from an array; the payload must be an object.
    let not_an_object = json!({"status": "error", "message": "invalid request: the payload must be a JSON object"});
    assert_eq!(client.subscribe("bars", json!(["AAPL", "1"])).await, not_an_object);
    assert_eq!(client.subscribe("bars", json!("AAPL")).await, not_an_object);
    assert_eq!(client.unsubscribe("bars", json!(["AAPL", "1"])).await, not_an_object);

    client.send_message(Message::binary(vec![1, 2, 3])).await;
    let reply = client.recv().await;
    assert_eq!(reply["type"], "error");
    assert!(reply["payload"]["message"].as_str().unwrap().contains("binary frames are not supported"));

    // Nothing was created by the refusals, and the same connection still works.
    assert!(host.topics("datafeed").await.is_empty());
    let reply = client.subscribe("bars", json!({"symbol": "AAPL", "resolution": "1"})).await;
    assert_eq!(reply["status"], "ok");
    client.next_update("bars").await;
    host.stop().await;
}

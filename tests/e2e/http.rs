//! The HTTP surface: modules, AsyncAPI, health, unknown modules.

use topicwire_tests::{Client, Host};

#[tokio::test]
async fn an_unknown_module_is_404() {
    let host = Host::datafeed().await;
    let (status, body) = host.get("/api/v1/nope/ws").await;
    assert_eq!(status, 404);
    assert_eq!(body["message"], "no module `nope` is loaded");
    let refused = tokio_tungstenite::connect_async(host.ws_url("nope")).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = refused else {
        panic!("expected an HTTP error, got {refused:?}")
    };
    assert_eq!(response.status(), 404);
    assert_eq!(host.get("/api/v1/nope/ws/asyncapi.json").await.0, 404);
    host.stop().await;
}

#[tokio::test]
async fn modules_lists_version_routes_and_topics() {
    let host = Host::datafeed().await;
    let mut client = Client::connect(&host.ws_url("datafeed")).await;
    client.subscribe("bars", serde_json::json!({"symbol": "MSFT", "resolution": "5"})).await;
    let modules = host.modules().await;
    let datafeed = &modules["modules"][0];
    assert_eq!(datafeed["module"], "datafeed");
    assert_eq!(datafeed["state"], "serving");
    assert_eq!(datafeed["version"].as_str().unwrap().len(), 64, "a SHA-256 content hash");
    let routes: Vec<&str> =
        datafeed["routes"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(routes, ["bars", "quotes"]);
    assert_eq!(datafeed["topics"][0]["topic"], r#"bars:{"resolution":"5","symbol":"MSFT"}"#);
    assert_eq!(datafeed["topics"][0]["subscribers"], 1);
    assert_eq!(host.get("/healthz").await.1["status"], "ok");
    let (status, metrics) = host.get("/metrics").await;
    let metrics = metrics.as_str().unwrap().to_owned();
    assert_eq!(status, 200);
    assert!(metrics.contains("topicwire_connections 1\n"), "{metrics}");
    assert!(metrics.contains("topicwire_module_topics{module=\"datafeed\"} 1\n"), "{metrics}");
    assert!(metrics.contains("# TYPE topicwire_module_refused_total counter"), "{metrics}");
    host.stop().await;
}

#[tokio::test]
async fn asyncapi_documents_describe_the_routes_with_schemas() {
    let host = Host::datafeed().await;
    let (status, doc) = host.get("/api/v1/datafeed/ws/asyncapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["asyncapi"], "3.0.0");
    assert_eq!(doc["channels"]["datafeed"]["address"], "/api/v1/datafeed/ws");
    let messages = &doc["components"]["messages"];
    for name in ["bars.subscribe", "bars.unsubscribe", "bars.update", "quotes.subscribe", "quotes.update"] {
        assert!(messages[name].is_object(), "missing {name}");
    }
    let request = &messages["bars.subscribe"]["payload"]["properties"]["payload"];
    assert_eq!(request["required"], serde_json::json!(["symbol", "resolution"]));
    let bar = &messages["bars.update"]["payload"]["properties"]["payload"]["properties"]["payload"];
    assert_eq!(bar["properties"]["close"]["type"], "number");
    // Nested definitions are hoisted and their references resolve.
    let quote = &messages["quotes.update"]["payload"]["properties"]["payload"]["properties"]["payload"];
    let reference = quote["properties"]["v"]["$ref"].as_str().unwrap();
    let name = reference.strip_prefix("#/components/schemas/").unwrap();
    assert!(doc["components"]["schemas"][name].is_object(), "{reference} does not resolve");

    let (status, merged) = host.get("/api/v1/ws/asyncapi.json").await;
    assert_eq!(status, 200);
    assert!(merged["channels"]["datafeed"].is_object());
    assert!(merged["components"]["messages"]["quotes.update"].is_object());
    host.stop().await;
}

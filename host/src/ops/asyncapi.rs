//! AsyncAPI 3.0 documents built from the routes components declare, so a
//! dropped-in `.wasm` documents its own API.
//!
//! Per route: `<route>.subscribe` and `<route>.unsubscribe` (received, payload
//! = the request schema), their `.response`s and `<route>.update` (sent,
//! `payload.payload` = the data schema). Each schema's `$defs` move to
//! `components/schemas` and their `$ref`s are rewritten to point there.
//!
//! The route's delivery policy is on its `.update` message and operation as
//! the extension `x-topicwire-delivery` (`conflate` or `reliable`) and in the
//! message's description, in words.

use crate::runtime::module::{Delivery, ModuleStatus, RouteInfo};
use serde_json::{Map, Value, json};

/// The document of one module.
pub fn module_document(status: &ModuleStatus) -> Value {
    document(&format!("Topicwire module `{}`", status.module), &status.version, std::slice::from_ref(status))
}

/// One document for every module.
pub fn merged_document(statuses: &[ModuleStatus]) -> Value {
    document("Topicwire", "merged", statuses)
}

fn document(title: &str, version: &str, statuses: &[ModuleStatus]) -> Value {
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();
    for status in statuses {
        let channel = status.module.clone();
        let mut channel_messages = Map::new();
        for route in &status.routes {
            let update = format!("{}.update", route.name);
            for (name, action, payload) in route_messages(route, &mut schemas) {
                channel_messages.insert(name.clone(), json!({"$ref": format!("#/components/messages/{name}")}));
                let mut message = json!({"name": name, "payload": payload});
                let mut operation = json!({
                    "action": action,
                    "channel": {"$ref": format!("#/channels/{channel}")},
                    "messages": [{"$ref": format!("#/channels/{channel}/messages/{name}")}],
                    "summary": route.description,
                });
                if name == update {
                    message["description"] = delivery_text(route.delivery).into();
                    message[DELIVERY_EXTENSION] = json!(route.delivery);
                    operation[DELIVERY_EXTENSION] = json!(route.delivery);
                }
                messages.insert(name.clone(), message);
                operations.insert(format!("{channel}/{name}"), operation);
            }
        }
        channels
            .insert(channel.clone(), json!({"address": format!("/api/v1/{channel}/ws"), "messages": channel_messages}));
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": version},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    })
}

/// The specification extension carrying a route's delivery policy.
pub const DELIVERY_EXTENSION: &str = "x-topicwire-delivery";

/// What a route's delivery policy means for a client, in words.
fn delivery_text(delivery: Delivery) -> &'static str {
    match delivery {
        Delivery::Conflate => {
            "Delivery: conflate. A client that reads slower than updates arrive gets only the latest update of \
             each topic until it catches up."
        }
        Delivery::Reliable => {
            "Delivery: reliable. Updates are never conflated and keep their order across the route's topics; a \
             client whose queue cannot take one is closed with 1008 \"slow consumer\" (reconnect and re-read the \
             state)."
        }
    }
}

/// `(message name, action, payload schema)` of each message of a route.
/// "receive" is what the server receives from clients, "send" what it sends.
fn route_messages(route: &RouteInfo, schemas: &mut Map<String, Value>) -> Vec<(String, &'static str, Value)> {
    let name = &route.name;
    let request = hoist(&route.request_schema, schemas);
    let data = hoist(&route.data_schema, schemas);
    let envelope = |kind: String, payload: Value| json!({"type": "object", "required": ["type", "payload"], "properties": {"type": {"const": kind}, "payload": payload}});
    let response = json!({
        "type": "object",
        "required": ["status", "message"],
        "properties": {
            "status": {"enum": ["ok", "error"]},
            "message": {"type": "string"},
            "topic": {"type": "string"},
        },
    });
    let update = json!({
        "type": "object",
        "required": ["topic", "payload"],
        "properties": {"topic": {"type": "string"}, "payload": data},
    });
    vec![
        (format!("{name}.subscribe"), "receive", envelope(format!("{name}.subscribe"), request.clone())),
        (format!("{name}.unsubscribe"), "receive", envelope(format!("{name}.unsubscribe"), request)),
        (
            format!("{name}.subscribe.response"),
            "send",
            envelope(format!("{name}.subscribe.response"), response.clone()),
        ),
        (format!("{name}.unsubscribe.response"), "send", envelope(format!("{name}.unsubscribe.response"), response)),
        (format!("{name}.update"), "send", envelope(format!("{name}.update"), update)),
    ]
}

/// Moves `$defs` of `schema` into `schemas` and rewrites refs to them.
fn hoist(schema: &Value, schemas: &mut Map<String, Value>) -> Value {
    let mut schema = schema.clone();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        if let Some(Value::Object(defs)) = object.remove("$defs") {
            for (name, mut def) in defs {
                rewrite_refs(&mut def);
                schemas.insert(name, def);
            }
        }
    }
    rewrite_refs(&mut schema);
    schema
}

fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, item) in object.iter_mut() {
                match item {
                    Value::String(target) if key == "$ref" => {
                        if let Some(name) = target.strip_prefix("#/$defs/") {
                            *target = format!("#/components/schemas/{name}");
                        }
                    }
                    _ => rewrite_refs(item),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hoists_defs_and_rewrites_refs() {
        let mut schemas = Map::new();
        let schema = json!({"$schema": "x", "properties": {"v": {"$ref": "#/$defs/V"}}, "$defs": {"V": {"anyOf": [{"$ref": "#/$defs/W"}]}}});
        let hoisted = hoist(&schema, &mut schemas);
        assert_eq!(hoisted, json!({"properties": {"v": {"$ref": "#/components/schemas/V"}}}));
        assert_eq!(schemas["V"], json!({"anyOf": [{"$ref": "#/components/schemas/W"}]}));
    }
}

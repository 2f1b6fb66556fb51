//! AsyncAPI 3.0 documents built from the routes components declare, so a
//! dropped-in `.wasm` documents its own API.
//!
//! Per route: `<route>.subscribe` and `<route>.unsubscribe` (received, payload
//! = the request schema), their `.response`s and `<route>.update` (sent,
//! `payload.payload` = the data schema). Each schema's `$defs` move to
//! `components/schemas` and their `$ref`s are rewritten to point there.
//!
//! The route's delivery policy is on its `.update` message and operation as
//! the extension `x-topicwire-delivery` (`conflate` or `reliable`), its
//! history as `x-topicwire-history` (`{size, ttl_secs}`), both in the
//! message's description in words. Updates and subscribe responses carry
//! the topic's position (`offset`, `epoch`); a subscribe may carry `since`
//! to recover from one (see the README's "Positions and recovery").

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
                    message["description"] =
                        format!("{} {}", delivery_text(route.delivery), history_text(route)).into();
                    message[DELIVERY_EXTENSION] = json!(route.delivery);
                    operation[DELIVERY_EXTENSION] = json!(route.delivery);
                    message[HISTORY_EXTENSION] = json!(route.history);
                    operation[HISTORY_EXTENSION] = json!(route.history);
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

/// The specification extension carrying a route's history.
pub const HISTORY_EXTENSION: &str = "x-topicwire-history";

/// What a route keeps for recovery, in words.
fn history_text(route: &RouteInfo) -> String {
    if route.history.size == 0 || route.history.ttl_secs == 0 {
        return "History: none; updates are still numbered, so a client sees what it skipped.".into();
    }
    format!(
        "History: the last {} updates of each topic, for {} s: a subscribe with `since` (the last position seen) \
         gets exactly the missed updates (`recovered: true`) or none (`recovered: false`: re-read the state).",
        route.history.size, route.history.ttl_secs
    )
}

/// What a route's delivery policy means for a client, in words.
fn delivery_text(delivery: Delivery) -> &'static str {
    match delivery {
        Delivery::Conflate => {
            "Delivery: conflate. A client that reads slower than updates arrive gets only the latest update of \
             each topic until it catches up."
        }
        Delivery::Reliable => {
            "Delivery: reliable. Updates are never conflated and keep their order across the route's topics; a \
             client whose queue cannot take one is closed with 1008 \"slow consumer\" (reconnect with the last \
             position seen to recover)."
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
    let epoch = json!({"type": "string", "pattern": "^[0-9a-z]{1,32}$", "description": "The topic's sequence."});
    let offset = json!({"type": "integer", "minimum": 0, "maximum": 9_007_199_254_740_991_u64});
    let response = json!({
        "type": "object",
        "required": ["status", "message"],
        "properties": {
            "status": {"enum": ["ok", "error"]},
            "message": {"type": "string"},
            "topic": {"type": "string"},
            "epoch": epoch,
            "offset": {"type": "integer", "minimum": 0, "description": "Updates that follow continue from here: the first is offset + 1."},
            "recovered": {"type": "boolean", "description": "When the subscribe gave `since`: whether every missed update follows."},
        },
    });
    let update = json!({
        "type": "object",
        "required": ["topic", "payload", "offset", "epoch"],
        "properties": {"topic": {"type": "string"}, "payload": data, "offset": offset, "epoch": epoch},
    });
    let mut subscribe = envelope(format!("{name}.subscribe"), request.clone());
    subscribe["properties"]["since"] = json!({
        "type": "object",
        "description": "The last position seen, to recover from (routes with a history only).",
        "required": ["epoch", "offset"],
        "additionalProperties": false,
        "properties": {"epoch": epoch, "offset": offset},
    });
    vec![
        (format!("{name}.subscribe"), "receive", subscribe),
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

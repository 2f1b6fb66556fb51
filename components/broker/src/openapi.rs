//! The OpenAPI 3.1 document of the REST API (`GET /api/v1/broker/openapi.json`),
//! built from the same models the API parses and answers with, so it cannot
//! drift from them. The Python system's frontend generates its REST client
//! from this document.

use crate::models::{
    AccountInfo, ActionResult, Brackets, Execution, LeverageInfo, LeveragePreviewResult, LeverageSetParams,
    LeverageSetResult, Order, OrderPreview, OrderType, PlaceOrderResult, Position, PreOrder, Side,
};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

/// The whole document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
        })
        .into_generator();
    let mut paths = Map::new();
    let mut add = |path: &str, method: &str, operation: Value| {
        let entry = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        entry[method] = operation;
    };
    let pre_order = schema::<PreOrder>(&mut generator);
    let action = schema::<ActionResult>(&mut generator);
    let order_id = path_param("orderId", "Order id");
    let position_id = path_param("positionId", "Position id: its symbol");

    add("/orders", "get", operation("List orders", &[], None, schema::<Vec<Order>>(&mut generator), &[]));
    add(
        "/orders",
        "post",
        operation("Place an order", &[], Some(pre_order.clone()), schema::<PlaceOrderResult>(&mut generator), &[400]),
    );
    add(
        "/orders/preview",
        "post",
        operation("Preview an order", &[], Some(pre_order.clone()), schema::<OrderPreview>(&mut generator), &[]),
    );
    add(
        "/orders/{orderId}",
        "put",
        operation("Modify an order", std::slice::from_ref(&order_id), Some(pre_order), action.clone(), &[400, 404]),
    );
    add("/orders/{orderId}", "delete", operation("Cancel an order", &[order_id], None, action.clone(), &[400, 404]));
    add("/positions", "get", operation("List positions", &[], None, schema::<Vec<Position>>(&mut generator), &[]));
    let amount =
        query_param("amount", "Quantity to close (the whole position when absent)", json!({"type": "number"}), false);
    add(
        "/positions/{positionId}",
        "delete",
        operation("Close a position", &[position_id.clone(), amount], None, action.clone(), &[400, 404]),
    );
    add(
        "/positions/{positionId}/brackets",
        "put",
        operation(
            "Set a position's brackets",
            &[position_id],
            Some(schema::<Brackets>(&mut generator)),
            action.clone(),
            &[400, 404],
        ),
    );
    add(
        "/executions/{symbol}",
        "get",
        operation(
            "List executions of a symbol",
            &[path_param("symbol", "Symbol")],
            None,
            schema::<Vec<Execution>>(&mut generator),
            &[],
        ),
    );
    add("/account", "get", operation("The account", &[], None, schema::<AccountInfo>(&mut generator), &[]));
    let leverage_query = [
        query_param("symbol", "Symbol", json!({"type": "string"}), true),
        query_param("orderType", "Order type", schema::<OrderType>(&mut generator), true),
        query_param("side", "Side", schema::<Side>(&mut generator), true),
    ];
    add(
        "/leverage/info",
        "get",
        operation("Leverage in force", &leverage_query, None, schema::<LeverageInfo>(&mut generator), &[]),
    );
    let leverage_params = schema::<LeverageSetParams>(&mut generator);
    add(
        "/leverage/set",
        "put",
        operation(
            "Set the leverage",
            &[],
            Some(leverage_params.clone()),
            schema::<LeverageSetResult>(&mut generator),
            &[400],
        ),
    );
    add(
        "/leverage/preview",
        "post",
        operation(
            "Preview a leverage change",
            &[],
            Some(leverage_params),
            schema::<LeveragePreviewResult>(&mut generator),
            &[],
        ),
    );

    let mut schemas = generator.take_definitions(true);
    schemas.insert(
        "HTTPError".into(),
        json!({"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}),
    );
    schemas.insert(
        "HTTPValidationError".into(),
        json!({
            "type": "object",
            "properties": {"detail": {"type": "array", "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            }}},
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Topicwire broker",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Paper trading. The account is the X-Account-Id header, else the accountId query \
                            parameter, else the module's default account (DEMO-ACCOUNT).",
        },
        "servers": [{"url": "/api/v1/broker"}],
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

fn schema<T: schemars::JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}})
}

fn query_param(name: &str, description: &str, schema: Value, required: bool) -> Value {
    json!({"name": name, "in": "query", "required": required, "description": description, "schema": schema})
}

/// One operation: its parameters, JSON body, 200 answer and error statuses
/// (400/404 as `HTTPError`; 422 wherever there is input).
fn operation(summary: &str, parameters: &[Value], body: Option<Value>, answer: Value, errors: &[u16]) -> Value {
    let account = json!({
        "name": "X-Account-Id",
        "in": "header",
        "required": false,
        "description": "The account (default: the module's default account)",
        "schema": {"type": "string"},
    });
    let mut all_parameters = parameters.to_vec();
    all_parameters.push(account);
    let mut responses = Map::new();
    responses
        .insert("200".into(), json!({"description": "Success", "content": {"application/json": {"schema": answer}}}));
    for status in errors {
        responses.insert(
            status.to_string(),
            json!({"description": "Refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}}}),
        );
    }
    responses.insert(
        "422".into(),
        json!({"description": "Validation error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}),
    );
    let mut operation = json!({"summary": summary, "parameters": all_parameters, "responses": responses});
    if let Some(body) = body {
        operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": body}}});
    }
    operation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_resolves() {
        let document = document();
        let text = document.to_string();
        let schemas = document["components"]["schemas"].as_object().unwrap();
        for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "unresolved $ref {name}");
        }
        assert!(document["paths"]["/orders"]["post"]["requestBody"].is_object());
        assert_eq!(schemas["OrderType"]["enum"], json!([1, 2, 3, 4]));
    }
}

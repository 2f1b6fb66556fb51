//! The OpenAPI 3.1 document of the REST API (`GET /api/v1/broker/openapi.json`),
//! built from the same models the API parses and answers with, so it cannot
//! drift from them. The Python system's frontend generates its REST client
//! from this document.

use crate::api::MAX_ACCOUNT_ID_LEN;
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
    let mut add = |path: &str, method: &str, operation: Operation| {
        let entry = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        entry[method] = operation.into_value();
    };
    // Previews take any order or leverage and answer what is wrong with it;
    // placing and changing refuse what `trading::check` refuses, stated here.
    let pre_order = schema::<PreOrder>(&mut generator);
    let order_request = json!({"$ref": "#/components/schemas/OrderRequest"});
    let action = schema::<ActionResult>(&mut generator);
    let order_id = path_param("orderId", "Order id");
    let position_id = path_param("positionId", "Position id: its symbol");
    let amount = query_param(
        "amount",
        "Quantity to close, at most the position's (the whole position when absent)",
        json!({"type": "number", "exclusiveMinimum": 0}),
        false,
    );
    let leverage_query = [
        query_param("symbol", "Symbol", json!({"type": "string"}), true),
        query_param("orderType", "Order type", schema::<OrderType>(&mut generator), true),
        query_param("side", "Side", schema::<Side>(&mut generator), true),
    ];
    let leverage_params = schema::<LeverageSetParams>(&mut generator);

    add("/orders", "get", Operation::new("listOrders", "List orders", schema::<Vec<Order>>(&mut generator)));
    add(
        "/orders",
        "post",
        Operation::new("placeOrder", "Place an order", schema::<PlaceOrderResult>(&mut generator))
            .body(&order_request)
            .conflicts()
            .links(&[
                ("ModifyOrder", "modifyOrder", "path.orderId", "$response.body#/orderId"),
                ("CancelOrder", "cancelOrder", "path.orderId", "$response.body#/orderId"),
            ]),
    );
    add(
        "/orders/preview",
        "post",
        Operation::new("previewOrder", "Preview an order", schema::<OrderPreview>(&mut generator)).body(&pre_order),
    );
    add(
        "/orders/{orderId}",
        "put",
        Operation::new("modifyOrder", "Modify an order", action.clone())
            .path(&order_id)
            .body(&order_request)
            .conflicts(),
    );
    add(
        "/orders/{orderId}",
        "delete",
        Operation::new("cancelOrder", "Cancel an order", action.clone()).path(&order_id).conflicts(),
    );
    add(
        "/positions",
        "get",
        Operation::new("listPositions", "List positions", schema::<Vec<Position>>(&mut generator)),
    );
    add(
        "/positions/{positionId}",
        "delete",
        Operation::new("closePosition", "Close a position", action.clone())
            .path(&position_id)
            .query(&[amount])
            .conflicts(),
    );
    add(
        "/positions/{positionId}/brackets",
        "put",
        Operation::new("setBrackets", "Set a position's brackets", action.clone())
            .path(&position_id)
            .body(&positive(schema::<Brackets>(&mut generator), &BRACKET_PRICES)),
    );
    // An unknown symbol has no executions: an empty list, not 404.
    add(
        "/executions/{symbol}",
        "get",
        Operation::new("listExecutions", "List executions of a symbol", schema::<Vec<Execution>>(&mut generator))
            .parameter(path_param("symbol", "Symbol")),
    );
    add("/account", "get", Operation::new("getAccount", "The account", schema::<AccountInfo>(&mut generator)));
    add(
        "/leverage/info",
        "get",
        Operation::new("getLeverage", "Leverage in force", schema::<LeverageInfo>(&mut generator))
            .query(&leverage_query),
    );
    add(
        "/leverage/set",
        "put",
        Operation::new("setLeverage", "Set the leverage", schema::<LeverageSetResult>(&mut generator))
            .body(&leverage_change(&leverage_params)),
    );
    add(
        "/leverage/preview",
        "post",
        Operation::new("previewLeverage", "Preview a leverage change", schema::<LeveragePreviewResult>(&mut generator))
            .body(&leverage_params),
    );

    let mut schemas = generator.take_definitions(true);
    schemas.insert("OrderRequest".into(), order_request_schema(pre_order));
    schemas.insert(
        "HTTPError".into(),
        json!({"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}),
    );
    schemas.insert(
        "HostError".into(),
        json!({
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"const": "error"},
                "message": {"type": "string"},
                "reason": {"type": "string", "description": "Why a token was refused (401)"},
            },
        }),
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
        "components": {"schemas": schemas, "responses": responses()},
    })
}

/// The optional prices of brackets and orders: positive when given.
const BRACKET_PRICES: [&str; 4] = ["stopLoss", "guaranteedStop", "takeProfit", "trailingStopPips"];

/// `schema` (a `$ref` or an object) with `fields` stated positive amounts.
fn positive(schema: Value, fields: &[&str]) -> Value {
    json!({"allOf": [schema, {"properties": positive_properties(fields)}]})
}

fn positive_properties(fields: &[&str]) -> Map<String, Value> {
    fields.iter().map(|field| ((*field).to_owned(), positive_amount())).collect()
}

/// A quantity or price: positive, at most `trading::MAX_AMOUNT`.
fn positive_amount() -> Value {
    json!({"exclusiveMinimum": 0, "maximum": crate::trading::MAX_AMOUNT})
}

/// A PreOrder as placing or changing an order accepts it: what
/// `trading::check` refuses with 400, as schema. A symbol the market
/// trades takes any order type; another only a market order that says the
/// price it saw (`seenPrice` or `currentQuotes`).
fn order_request_schema(pre_order: Value) -> Value {
    let known: Vec<&str> = market_sim::SYMBOLS.iter().map(|info| info.symbol).collect();
    let needs = |types: Value, field: &str| {
        json!({
            "if": {"properties": {"type": {"enum": types}}},
            "then": {"required": [field], "properties": {field: {"type": "number"}}},
        })
    };
    let mut properties = positive_properties(&["limitPrice", "stopPrice", "seenPrice"]);
    properties.extend(positive_properties(&BRACKET_PRICES));
    properties.insert("symbol".into(), json!({"minLength": 1, "maxLength": crate::trading::MAX_SYMBOL_LEN}));
    properties.insert("qty".into(), positive_amount());
    properties
        .insert("currentQuotes".into(), json!({"properties": {"ask": positive_amount(), "bid": positive_amount()}}));
    json!({
        "description": "An order to place or change to: quantity and prices positive, limit orders with a \
                        limitPrice, stop orders with a stopPrice; a symbol the market does not trade only in a \
                        market order that gives the price the client saw.",
        "allOf": [
            pre_order,
            {"properties": properties},
            needs(json!([1, 4]), "limitPrice"),
            needs(json!([3, 4]), "stopPrice"),
            {
                "if": {"not": {"properties": {"symbol": {"enum": known}}}},
                "then": {
                    "properties": {"type": {"const": 2}},
                    "anyOf": [
                        {"required": ["seenPrice"], "properties": {"seenPrice": {"type": "number"}}},
                        {"required": ["currentQuotes"], "properties": {"currentQuotes": {"type": "object"}}},
                    ],
                },
            },
        ],
    })
}

/// `PUT /leverage/set`'s body: a whole leverage from 1 to 100 (the preview
/// takes any and says what is wrong).
fn leverage_change(params: &Value) -> Value {
    let (min, max) = (crate::preview::MIN_LEVERAGE, crate::preview::MAX_LEVERAGE);
    json!({"allOf": [params, {"properties": {"leverage": {"minimum": min, "maximum": max, "multipleOf": 1}}}]})
}

fn schema<T: schemars::JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string", "minLength": 1}})
}

fn query_param(name: &str, description: &str, schema: Value, required: bool) -> Value {
    json!({"name": name, "in": "query", "required": required, "description": description, "schema": schema})
}

/// An account id as `check_account_id` accepts it and a header can carry it:
/// 1 to 64 visible ASCII characters, spaces inside only (HTTP trims a
/// header's outer spaces).
fn account_id_schema() -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_ACCOUNT_ID_LEN,
        "pattern": "^[!-~]([ -~]*[!-~])?$",
    })
}

/// The account parameters every operation takes: the header, else the query.
fn account_parameters() -> [Value; 2] {
    [
        json!({
            "name": "X-Account-Id",
            "in": "header",
            "required": false,
            "description": "The account (default: the `accountId` query parameter, else the caller's first \
                            account, else the module's default account)",
            "schema": account_id_schema(),
        }),
        json!({
            "name": "accountId",
            "in": "query",
            "required": false,
            "description": "The account, when the X-Account-Id header is absent",
            "schema": account_id_schema(),
        }),
    ]
}

/// One operation: its parameters, JSON body, 200 answer and the statuses it
/// may be refused with. Every operation may get 400 (a malformed account
/// id; the host: header values not visible ASCII, a bad URL), 401 (the
/// host, when it requires a token), 403 (an account not the caller's; the
/// host: a disallowed origin), 502 (the module failed to answer) and 503 (a
/// store write refused, or the module's queue full). A path parameter adds
/// 404 (no such order or position), a body or query 422 (it does not
/// validate), a body 408, 413 and 415 (the host's conditions on it), a
/// change the account's state may refuse 409.
struct Operation {
    id: &'static str,
    summary: &'static str,
    links: Option<Value>,
    answer: Value,
    parameters: Vec<Value>,
    body: Option<Value>,
    not_found: bool,
    validated: bool,
    conflicts: bool,
}

impl Operation {
    fn new(id: &'static str, summary: &'static str, answer: Value) -> Self {
        Self {
            id,
            summary,
            links: None,
            answer,
            parameters: Vec::new(),
            body: None,
            not_found: false,
            validated: false,
            conflicts: false,
        }
    }

    /// Operations its answer leads to: `(name, operationId, parameter, value)`.
    /// (The account cannot be linked: a request may name it in the header, the
    /// query or not at all, and a link's expression has no fallback.)
    fn links(mut self, links: &[(&str, &str, &str, &str)]) -> Self {
        let links: Map<String, Value> = links
            .iter()
            .map(|(name, operation, parameter, value)| {
                ((*name).to_owned(), json!({"operationId": operation, "parameters": {*parameter: value}}))
            })
            .collect();
        self.links = Some(Value::Object(links));
        self
    }

    /// The account's state may refuse it (409).
    fn conflicts(mut self) -> Self {
        self.conflicts = true;
        self
    }

    /// A path parameter naming an object that may not exist (404).
    fn path(mut self, parameter: &Value) -> Self {
        self.not_found = true;
        self.parameter(parameter.clone())
    }

    /// Query parameters, validated (422).
    fn query(mut self, parameters: &[Value]) -> Self {
        self.validated = true;
        self.parameters.extend_from_slice(parameters);
        self
    }

    /// Any other parameter.
    fn parameter(mut self, parameter: Value) -> Self {
        self.parameters.push(parameter);
        self
    }

    /// A JSON body, validated (422).
    fn body(mut self, schema: &Value) -> Self {
        self.validated = true;
        self.body = Some(schema.clone());
        self
    }

    fn into_value(self) -> Value {
        let mut parameters = self.parameters;
        parameters.extend(account_parameters());
        let mut responses = Map::new();
        let mut answer = json!({"description": "Success", "content": {"application/json": {"schema": self.answer}}});
        if let Some(links) = self.links {
            answer["links"] = links;
        }
        responses.insert("200".into(), answer);
        let mut refusals = vec!["400", "401", "403"];
        if self.not_found {
            refusals.push("404");
        }
        if self.body.is_some() {
            refusals.extend(["408", "413", "415"]);
        }
        if self.conflicts {
            refusals.push("409");
        }
        if self.validated {
            refusals.push("422");
        }
        refusals.extend(["502", "503"]);
        for status in refusals {
            responses.insert(status.into(), json!({"$ref": format!("#/components/responses/{status}")}));
        }
        let mut operation = json!({
            "operationId": self.id,
            "summary": self.summary,
            "parameters": parameters,
            "responses": responses,
        });
        if let Some(body) = self.body {
            operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": body}}});
        }
        operation
    }
}

/// The refusals, shared by every operation: the broker's own are
/// `HTTPError` (`{"detail"}`, FastAPI's), the host's `HostError`
/// (`{"status": "error", "message"}`).
fn responses() -> Value {
    let broker = json!({"$ref": "#/components/schemas/HTTPError"});
    let host = json!({"$ref": "#/components/schemas/HostError"});
    let either = json!({"anyOf": [broker, host]});
    let answer = |description: &str, schema: &Value| json!({"description": description, "content": {"application/json": {"schema": schema}}});
    json!({
        "400": answer("Refused: a malformed account id, or a body or query its schema refuses (a non-positive \
                       quantity or price, a limit order without a limitPrice, ...); or, by the host, header values \
                       that are not visible ASCII, a header block too large, a bad URL", &either),
        "401": answer("The host requires a token and got none that verifies (`reason` says why)", &host),
        "403": answer("The account is not one of the caller's; or, by the host, a disallowed Origin", &either),
        "404": answer("No such order or position", &broker),
        "409": answer("The account's state refuses it: the order is no longer working, the account holds the most \
                       working orders it may, the change would alter the order's symbol or side, or the amount is \
                       more than the position holds", &broker),
        "408": answer("The host did not receive the whole body in time", &host),
        "413": answer("The body is larger than the host accepts", &host),
        "415": answer("The body is not declared `Content-Type: application/json`", &host),
        "422": answer("The body or query does not validate; `loc` names the field", &json!({"$ref": "#/components/schemas/HTTPValidationError"})),
        "502": answer("The module failed to answer (the host restarts it)", &host),
        "503": {
            "description": "The store refused the change (nothing was changed), or the module is busy or unavailable",
            "headers": {"Retry-After": {"description": "Seconds to wait, when the module is busy", "schema": {"type": "integer"}}},
            "content": {"application/json": {"schema": either}},
        },
    })
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
        let responses = document["components"]["responses"].as_object().unwrap();
        for reference in text.split("\"$ref\":\"#/components/responses/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(responses.contains_key(name), "unresolved response $ref {name}");
        }
    }

    #[test]
    fn the_document_lists_what_the_api_routes() {
        let document = document();
        let mut documented = std::collections::BTreeSet::new();
        for (path, operations) in document["paths"].as_object().unwrap() {
            let pattern: Vec<&str> =
                path.split('/').skip(1).map(|segment| if segment.starts_with('{') { "*" } else { segment }).collect();
            for method in operations.as_object().unwrap().keys() {
                documented.insert((pattern.join("/"), method.to_uppercase()));
            }
        }
        let routed: std::collections::BTreeSet<_> = crate::api::ENDPOINTS
            .iter()
            .filter(|(pattern, _)| *pattern != ["openapi.json"])
            .flat_map(|(pattern, methods)| methods.iter().map(|method| (pattern.join("/"), (*method).to_owned())))
            .collect();
        assert_eq!(documented, routed);
    }
}

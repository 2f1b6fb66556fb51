//! The REST API, as in the Python system, under `/api/v1/broker/`:
//!
//! | request | answer |
//! |---|---|
//! | `POST /orders` (`{symbol, type, side, qty, limitPrice?, stopPrice?, takeProfit?, stopLoss?}`) | 201 `{"orderId": "..."}` |
//! | `PUT /orders/{id}` (`{qty?, limitPrice?, stopPrice?, takeProfit?, stopLoss?}`) | 200 the order |
//! | `DELETE /orders/{id}` | 200 the cancelled order |
//! | `GET /orders` | 200 every order |
//! | `GET /positions` | 200 open positions |
//! | `DELETE /positions/{id}` | 200 `{"orderId": "..."}` (a market order closing it) |
//! | `GET /account` | 200 balance, equity, P/L |
//!
//! The account is the `X-Account-Id` header (or the `accountId` query
//! parameter). Errors are 4xx with `{"error": "..."}` naming the problem; a
//! refused request changes nothing. Before answering, the account catches up
//! with the market (fills due since its last tick).

use crate::models::{ModifyOrder, Order, PlaceOrder};
use crate::state::{self, State, now_ms};
use crate::trading::{Event, Refusal};
use serde_json::json;
use topicwire_guest::http::{HttpService, Request, Response};

/// The broker's REST API.
pub struct BrokerApi;

impl HttpService for BrokerApi {
    fn handle(request: Request) -> Response {
        let Some(account) = request.header("x-account-id").or_else(|| request.query_param("accountId")) else {
            return Response::error(
                400,
                "missing account: send an X-Account-Id header or an accountId query parameter",
            );
        };
        let account = account.to_owned();
        state::with(|state| state.step(&account));
        match route(&request, &account) {
            Ok(response) => response,
            Err(refusal) => Response::error(refusal.status, refusal.message),
        }
    }
}

fn route(request: &Request, account: &str) -> Result<Response, Refusal> {
    let now = now_ms();
    match (request.method.as_str(), request.segments().as_slice()) {
        ("POST", ["orders"]) => {
            let order: PlaceOrder = body(request)?;
            let order = apply(account, |state| {
                let known = state.knows(&order.symbol);
                state.account(account).place(order, |_| known, now)
            })?;
            Ok(Response::json(201, &json!({"orderId": order.id})))
        }
        ("GET", ["orders"]) => Ok(Response::json(200, &state::with(|state| state.account(account).orders()))),
        ("PUT", ["orders", id]) => {
            let change: ModifyOrder = body(request)?;
            let order = apply(account, |state| state.account(account).modify(id, change, now))?;
            Ok(Response::json(200, &order))
        }
        ("DELETE", ["orders", id]) => {
            let order = apply(account, |state| state.account(account).cancel(id, now))?;
            Ok(Response::json(200, &order))
        }
        ("GET", ["positions"]) => Ok(Response::json(200, &state::with(|state| state.account(account).positions()))),
        ("DELETE", ["positions", id]) => {
            let order = apply(account, |state| state.account(account).close_position(id, now))?;
            Ok(Response::json(200, &json!({"orderId": order.id})))
        }
        ("GET", ["account"]) => {
            let summary = state::with(|state| {
                let equity = state.equity(account);
                json!({
                    "accountId": account,
                    "balance": equity.balance,
                    "equity": equity.equity,
                    "unrealizedPL": equity.unrealized_pl,
                    "realizedPL": equity.realized_pl,
                })
            });
            Ok(Response::json(200, &summary))
        }
        (method, _) => Err(Refusal { status: 404, message: format!("no such endpoint: {method} {}", request.path) }),
    }
}

/// Makes a change to the state and streams the events it produced to
/// `account`'s topics; returns the order it concerns.
fn apply(
    account: &str,
    change: impl FnOnce(&mut State) -> Result<(Order, Vec<Event>), Refusal>,
) -> Result<Order, Refusal> {
    state::with(|state| {
        let (order, events) = change(state)?;
        state.publish(account, events);
        Ok(order)
    })
}

/// The JSON body as `T`; the error names the field.
fn body<T: serde::de::DeserializeOwned>(request: &Request) -> Result<T, Refusal> {
    let text = std::str::from_utf8(&request.body)
        .map_err(|_| Refusal { status: 400, message: "the body is not UTF-8".into() })?;
    topicwire_guest::topic::parse_request(text).map_err(|error| Refusal {
        status: 400,
        message: match error {
            topicwire_guest::ServiceError::InvalidRequest(reason) => format!("invalid body: {reason}"),
            other => other.to_string(),
        },
    })
}

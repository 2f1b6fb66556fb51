//! The REST API under `/api/v1/broker/`, as the Python system's, so its
//! trading frontend (a client generated from `openapi.json`) works unchanged:
//!
//! | request | answer |
//! |---|---|
//! | `POST /orders` (PreOrder) | `{"orderId"}` |
//! | `POST /orders/preview` (PreOrder) | `{"sections":[{"header","rows":[{"title","value"}]}],"warnings"?,"errors"?}` |
//! | `PUT /orders/{id}` (PreOrder), `DELETE /orders/{id}` | `{"success":true,"message"}` |
//! | `GET /orders`, `GET /positions`, `GET /executions/{symbol}` | lists |
//! | `DELETE /positions/{id}[?amount=]`, `PUT /positions/{id}/brackets` | `{"success":true,"message"}` |
//! | `GET /account` | `{"id","name",...}` |
//! | `GET /leverage/info?symbol=&orderType=&side=` | `{"title","leverage","min","max","step"}` |
//! | `PUT /leverage/set`, `POST /leverage/preview` | `{"leverage"}`, `{"infos"?,"warnings"?,"errors"?}` |
//! | `POST /debug/reset`, `POST /debug/execute-orders`, `POST /debug/crash` | only with the module setting `DEBUG_ENDPOINTS` |
//! | `GET /openapi.json` | this API's OpenAPI document |
//!
//! The account is the `X-Account-Id` header, else the `accountId` query
//! parameter, else the caller's first account (see [`crate::access`]), else
//! the module setting `DEFAULT_ACCOUNT` (`DEMO-ACCOUNT`). An account that is
//! not the caller's is 403 `forbidden: ...`, and nothing about it is read or
//! changed.
//! Errors are as in [`crate::rest`]; a refused request changes nothing.
//! Before answering, the account catches up with the market.

use crate::access;
use crate::ledger::StoreError;
use crate::models::{
    AccountInfo, ActionResult, Brackets, LeverageQuery, LeverageSetParams, LeverageSetResult, PlaceOrderResult,
    PreOrder,
};
use crate::preview::{leverage_error, leverage_info, leverage_preview, order_preview};
use crate::rest::{Rejection, detail, from_json, object_body, unprocessable};
use crate::state::{self, AccountView, State, now_ms};
use crate::trading::Event;
use serde_json::json;
use topicwire_guest::http::{HttpService, Request, Response, percent_decode};

/// Longest account id accepted, bytes (an account is a bucket of the module's state).
pub const MAX_ACCOUNT_ID_LEN: usize = 64;

/// The broker's REST API.
pub struct BrokerApi;

/// Every path of the API (`*`: one segment of any value) and the methods it
/// serves. A request is routed by this table before anything else is
/// checked: a path it lacks is 404, a method its path does not serve 405.
/// The OpenAPI document lists the same (a test holds them together).
pub const ENDPOINTS: &[(&[&str], &[&str])] = &[
    (&["orders"], &["GET", "POST"]),
    (&["orders", "preview"], &["POST"]),
    (&["orders", "*"], &["PUT", "DELETE"]),
    (&["positions"], &["GET"]),
    (&["positions", "*"], &["DELETE"]),
    (&["positions", "*", "brackets"], &["PUT"]),
    (&["executions", "*"], &["GET"]),
    (&["account"], &["GET"]),
    (&["leverage", "info"], &["GET"]),
    (&["leverage", "set"], &["PUT"]),
    (&["leverage", "preview"], &["POST"]),
    (&["openapi.json"], &["GET"]),
];

/// The endpoints served only with the module setting `DEBUG_ENDPOINTS`.
const DEBUG_ENDPOINTS: &[(&[&str], &[&str])] = &[(&["debug", "*"], &["POST"])];

impl HttpService for BrokerApi {
    fn handle(request: Request) -> Response {
        let debug = state::with(|state| state.debug_endpoints);
        if let Err(refused) = check_method(&request.method, &request.segments(), debug) {
            return refused;
        }
        if request.method == "GET" && request.path == "/openapi.json" {
            return Response::json(200, &crate::openapi::document());
        }
        let account = match account_of(&request) {
            Ok(account) => account,
            Err(Rejection(response)) => return response,
        };
        if let Err(error) = state::with(|state| state.step(&account)) {
            return Rejection::from(error).0;
        }
        match route(&request, &account) {
            Ok(response) | Err(Rejection(response)) => response,
        }
    }
}

/// The account a request acts on, if its caller may use it. Both the
/// header and the query are checked when both are given, though the header
/// wins: a malformed account id is refused wherever it is.
fn account_of(request: &Request) -> Result<String, Rejection> {
    let caller = request.caller();
    let header = request.header("x-account-id").map(str::to_owned);
    // Not UTF-8 once decoded: no account id either.
    let query = request.query_param("accountId").map(|raw| percent_decode(raw).unwrap_or_default());
    for named in header.iter().chain(&query) {
        check_account_id(named).map_err(|reason| Rejection(detail(400, reason)))?;
    }
    let account = match header.or(query).or_else(|| access::default_account(&caller)) {
        Some(account) => account,
        None if caller.is_anonymous() => state::with(|state| state.default_account.clone()),
        None => return Err(Rejection(detail(403, "forbidden: your token names no account (`accounts` or `sub`)"))),
    };
    if let Err(reason) = check_account_id(&account) {
        return Err(Rejection(detail(400, reason)));
    }
    if let Err(reason) = access::check(&caller, &account) {
        return Err(Rejection(detail(403, format!("forbidden: {reason}"))));
    }
    Ok(account)
}

fn route(request: &Request, account: &str) -> Result<Response, Rejection> {
    let now = now_ms();
    match (request.method.as_str(), request.segments().as_slice()) {
        ("POST", ["orders"]) => {
            let order: PreOrder = object_body(request)?;
            let placed = apply(account, |state| {
                let AccountView { account, ids, prices } = state.account(account)?;
                Ok(account.place(ids.take(), order, |symbol| prices.of(symbol), now)?)
            })?;
            ok(&PlaceOrderResult { order_id: placed })
        }
        ("POST", ["orders", "preview"]) => {
            let order: PreOrder = object_body(request)?;
            ok(&state::with(|state| order_preview(&order, state.price(&order.symbol))))
        }
        ("GET", ["orders"]) => ok(&state::with(|state| Ok::<_, StoreError>(state.account(account)?.account.orders()))?),
        ("PUT", ["orders", id]) => {
            let order: PreOrder = object_body(request)?;
            apply(account, |state| {
                let AccountView { account, prices, .. } = state.account(account)?;
                Ok(account.modify(id, order, |symbol| prices.of(symbol), now)?)
            })?;
            ok(&ActionResult::done(format!("Order {id} modified")))
        }
        ("DELETE", ["orders", id]) => {
            apply(account, |state| Ok(state.account(account)?.account.cancel(id, now)?))?;
            ok(&ActionResult::done(format!("Order {id} cancelled")))
        }
        ("GET", ["positions"]) => {
            ok(&state::with(|state| Ok::<_, StoreError>(state.account(account)?.account.positions()))?)
        }
        ("DELETE", ["positions", id]) => {
            let amount = match request.query_value("amount") {
                None => None,
                // A JSON number: finite (Rust also reads `inf` and `NaN`).
                Some(text) => Some(text.parse::<f64>().ok().filter(|amount| amount.is_finite()).ok_or_else(|| {
                    unprocessable(vec![json!("query"), json!("amount")], "float_parsing", "Input should be a number")
                })?),
            };
            let closing = apply(account, |state| {
                let AccountView { account, ids, .. } = state.account(account)?;
                Ok(account.close_position(ids.take(), id, amount, now)?)
            })?;
            ok(&ActionResult::done(format!("Position {id} closing with order {closing}")))
        }
        ("PUT", ["positions", id, "brackets"]) => {
            let brackets: Brackets = object_body(request)?;
            state::with(|state| {
                let events = state.account(account)?.account.set_brackets(id, brackets)?;
                state.commit(account, events)?;
                Ok::<_, Rejection>(())
            })?;
            ok(&ActionResult::done(format!("Brackets of position {id} updated")))
        }
        ("GET", ["executions", symbol]) => {
            ok(&state::with(|state| Ok::<_, StoreError>(state.account(account)?.account.executions(symbol)))?)
        }
        ("GET", ["account"]) => ok(&state::with(|state| {
            let equity = state.equity(account)?;
            Ok::<_, StoreError>(AccountInfo {
                id: account.to_owned(),
                name: account.to_owned(),
                account_id: account.to_owned(),
                balance: equity.balance,
                equity: equity.equity,
                unrealized_pl: equity.unrealized_pl,
                realized_pl: equity.realized_pl,
            })
        })?),
        ("GET", ["leverage", "info"]) => {
            let query: LeverageQuery = leverage_query(request)?;
            let key = leverage_key(&query.symbol, query.order_type as i8, query.side as i8);
            let set = state::with(|state| Ok::<_, StoreError>(state.account(account)?.account.leverage(&key)))?;
            ok(&leverage_info(&query.symbol, set))
        }
        ("PUT", ["leverage", "set"]) => {
            let params: LeverageSetParams = object_body(request)?;
            if let Some(error) = leverage_error(params.leverage) {
                return Err(Rejection(detail(400, error)));
            }
            let key = leverage_key(&params.symbol, params.order_type as i8, params.side as i8);
            state::with(|state| {
                state.account(account)?.account.set_leverage(key, params.leverage);
                state.commit(account, Vec::new())
            })?;
            ok(&LeverageSetResult { leverage: params.leverage })
        }
        ("POST", ["leverage", "preview"]) => {
            let params: LeverageSetParams = object_body(request)?;
            ok(&leverage_preview(&params.symbol, params.leverage))
        }
        ("POST", ["debug", action]) if state::with(|state| state.debug_endpoints) => debug(action, account, now),
        // Unreachable once `check_method` passed, unless ENDPOINTS and this match disagree.
        _ => Err(Rejection(detail(404, "Not Found"))),
    }
}

/// `POST /debug/reset`, `POST /debug/execute-orders` and `POST /debug/crash`
/// (a deliberate trap: the host restarts the instance, which resumes from the store).
fn debug(action: &str, account: &str, now: i64) -> Result<Response, Rejection> {
    match action {
        "reset" => {
            state::with(|state| state.reset(account))?;
            Ok(Response::json(200, &ActionResult::done(format!("Account {account} reset"))))
        }
        "execute-orders" => {
            let filled = state::with(|state| {
                let AccountView { account: account_state, prices, .. } = state.account(account)?;
                let events = account_state.execute_all(|symbol| prices.of(symbol), now);
                let filled = events.iter().filter(|event| matches!(event, Event::Execution(_))).count();
                state.commit(account, events)?;
                Ok::<_, StoreError>(filled)
            })?;
            Ok(Response::json(200, &ActionResult::done(format!("Executed working orders: {filled}"))))
        }
        "crash" => panic!("POST /debug/crash: trapping on request"),
        _ => Err(Rejection(detail(404, "Not Found"))),
    }
}

/// The methods the path `segments` serves: those of the endpoint matching
/// it, the one with the most literal segments where several match (as
/// routers do: `/orders/preview` is not the order `preview`); empty when the
/// API has no such path.
pub fn allowed_methods(segments: &[&str], debug: bool) -> Vec<&'static str> {
    let debug_endpoints = if debug { DEBUG_ENDPOINTS } else { &[] };
    let literals = |pattern: &[&str]| pattern.iter().filter(|segment| **segment != "*").count();
    let matching: Vec<_> = ENDPOINTS
        .iter()
        .chain(debug_endpoints)
        .filter(|(pattern, _)| {
            pattern.len() == segments.len()
                && pattern.iter().zip(segments).all(|(expected, segment)| *expected == "*" || expected == segment)
        })
        .collect();
    let most_literal = matching.iter().map(|(pattern, _)| literals(pattern)).max();
    let mut methods = Vec::new();
    for (pattern, served) in matching {
        if Some(literals(pattern)) == most_literal {
            for method in *served {
                if !methods.contains(method) {
                    methods.push(*method);
                }
            }
        }
    }
    methods
}

/// Routing before any other check: 404 for a path the API does not have,
/// 405 with `Allow` for a method its path does not serve, and for `OPTIONS`
/// 204 with `Allow` (no CORS headers: the host grants no preflight).
fn check_method(method: &str, segments: &[&str], debug: bool) -> Result<(), Response> {
    let methods = allowed_methods(segments, debug);
    if methods.is_empty() {
        return Err(detail(404, "Not Found"));
    }
    if methods.contains(&method) {
        return Ok(());
    }
    let allow = methods.join(", ");
    let mut response = if method == "OPTIONS" {
        Response { status: 204, headers: Vec::new(), body: Vec::new() }
    } else {
        detail(405, "Method Not Allowed")
    };
    response.headers.push(("allow".into(), allow));
    Err(response)
}

/// The query of `GET /leverage/info`; a missing or malformed parameter is 422.
fn leverage_query(request: &Request) -> Result<LeverageQuery, Rejection> {
    let param = |name: &str| {
        request
            .query_value(name)
            .ok_or_else(|| unprocessable(vec![json!("query"), json!(name)], "missing", "Field required"))
    };
    let integer = |name: &str| {
        let text = param(name)?;
        text.parse::<i64>().map_err(|_| {
            unprocessable(vec![json!("query"), json!(name)], "int_parsing", "Input should be a valid integer")
        })
    };
    let query = json!({"symbol": param("symbol")?, "orderType": integer("orderType")?, "side": integer("side")?});
    from_json(&query.to_string(), "query")
}

/// Why `account` is not an account id, if it is not: 1 to 64 visible ASCII
/// characters, spaces allowed inside. An account must be nameable in every
/// way the API offers, and an HTTP header carries visible ASCII only (and
/// loses outer spaces).
pub fn check_account_id(account: &str) -> Result<(), String> {
    let visible = |byte: &u8| byte.is_ascii_graphic();
    let bytes = account.as_bytes();
    let valid = (1..=MAX_ACCOUNT_ID_LEN).contains(&bytes.len())
        && bytes.iter().all(|byte| visible(byte) || *byte == b' ')
        && bytes.first().is_some_and(visible)
        && bytes.last().is_some_and(visible);
    if !valid {
        return Err(format!(
            "accountId: must be 1 to {MAX_ACCOUNT_ID_LEN} visible ASCII characters (spaces only inside)"
        ));
    }
    Ok(())
}

/// Leverage is kept per symbol, order type and side.
fn leverage_key(symbol: &str, order_type: i8, side: i8) -> String {
    format!("{symbol}:{order_type}:{side}")
}

/// Makes a change to the state, stores it and streams the events it
/// produced to `account`'s topics; returns the id of the order it concerns.
fn apply(
    account: &str,
    change: impl FnOnce(&mut State) -> Result<(crate::models::Order, Vec<Event>), Rejection>,
) -> Result<String, Rejection> {
    state::with(|state| {
        let (order, events) = change(state)?;
        state.commit(account, events)?;
        Ok(order.id)
    })
}

/// 200 with `value` as JSON.
fn ok<T: serde::Serialize>(value: &T) -> Result<Response, Rejection> {
    Ok(Response::json(200, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, query: Option<&str>, headers: &[(&str, &str)]) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            query: query.map(str::to_owned),
            headers: headers.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn the_account_is_the_header_then_the_query_then_the_default() {
        let header = request("GET", "/account", Some("accountId=Q"), &[("x-account-id", "H")]);
        assert_eq!(account_of(&header).unwrap(), "H");
        assert_eq!(account_of(&request("GET", "/account", Some("accountId=Q%201"), &[])).unwrap(), "Q 1");
        assert_eq!(account_of(&request("GET", "/account", None, &[])).unwrap(), "DEMO-ACCOUNT");
        let long = "x".repeat(MAX_ACCOUNT_ID_LEN + 1);
        assert_eq!(
            account_of(&request("GET", "/account", None, &[("x-account-id", &long)])).unwrap_err().0.status,
            400
        );
        let good_header_bad_query = request("GET", "/account", Some("accountId=%C3%97"), &[("x-account-id", "H")]);
        assert_eq!(account_of(&good_header_bad_query).unwrap_err().0.status, 400);
        for bad in ["", " a", "a ", "a\tb", "é", "\u{7f}"] {
            assert!(check_account_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_account_id(&"y".repeat(MAX_ACCOUNT_ID_LEN)).is_ok());
    }

    #[test]
    fn leverage_queries_are_validated_like_the_python_system() {
        let good = request("GET", "/leverage/info", Some("symbol=AAPL&orderType=2&side=-1"), &[]);
        assert_eq!(leverage_query(&good).unwrap().symbol, "AAPL");
        let bad = request("GET", "/leverage/info", Some("symbol=AAPL&orderType=x&side=1"), &[]);
        assert_eq!(leverage_query(&bad).unwrap_err().0.status, 422);
        let missing = request("GET", "/leverage/info", Some("symbol=AAPL"), &[]);
        assert_eq!(leverage_query(&missing).unwrap_err().0.status, 422);
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405_with_allow() {
        let refused = check_method("PATCH", &["orders"], false).unwrap_err();
        assert_eq!(refused.status, 405);
        assert_eq!(refused.headers.last(), Some(&("allow".to_owned(), "GET, POST".to_owned())));
        assert_eq!(check_method("GET", &["nope"], false).unwrap_err().status, 404);
        assert_eq!(check_method("TRACE", &["orders", "7"], false).unwrap_err().status, 405);
        assert_eq!(check_method("OPTIONS", &["account"], false).unwrap_err().status, 204);
        let preview = check_method("PUT", &["orders", "preview"], false).unwrap_err();
        assert_eq!((preview.status, &preview.headers[1].1), (405, &"POST".to_owned()), "a path, not an order");
        assert!(check_method("PUT", &["orders", "7"], false).is_ok());
        assert_eq!(check_method("POST", &["debug", "reset"], false).unwrap_err().status, 404);
        assert!(check_method("POST", &["debug", "reset"], true).is_ok());
    }

    #[test]
    fn a_wrong_method_is_405_whatever_the_account() {
        let trace = request("TRACE", "/positions/0", None, &[("x-account-id", "")]);
        assert_eq!(BrokerApi::handle(trace).status, 405);
    }
}

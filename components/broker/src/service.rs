//! The topic handlers: a topic going live may start its account's ticks; the
//! ticking topic's timer fills orders and refreshes equity.

use crate::access;
use crate::api::check_account_id;
use crate::models::AccountRequest;
use crate::state::{self, State};
use crate::ws_generated::{
    BrokerConnectionWsTopic, Caller, EquityWsTopic, ExecutionWsTopic, OrderWsTopic, PositionWsTopic, ServiceError,
    WsRouteService,
};

/// The broker service.
pub struct Broker;

/// Sets the tick timer on `topic`, whatever its route.
fn set_timer_on(topic: &str, period_ms: u32) {
    match topicwire_guest::topic::route_of(topic) {
        OrderWsTopic::ROUTE => OrderWsTopic::parse(topic).map(|t| t.set_timer(period_ms)),
        PositionWsTopic::ROUTE => PositionWsTopic::parse(topic).map(|t| t.set_timer(period_ms)),
        ExecutionWsTopic::ROUTE => ExecutionWsTopic::parse(topic).map(|t| t.set_timer(period_ms)),
        EquityWsTopic::ROUTE => EquityWsTopic::parse(topic).map(|t| t.set_timer(period_ms)),
        _ => BrokerConnectionWsTopic::parse(topic).map(|t| t.set_timer(period_ms)),
    }
    .unwrap_or_default();
}

/// Makes `topic` live for its account; refuses an account id the REST API would refuse.
fn created(state: &mut State, request: &AccountRequest, topic: &str) -> Result<(), ServiceError> {
    check_account_id(&request.account_id).map_err(ServiceError::invalid_request)?;
    if state.went_live(&request.account_id, topic) {
        set_timer_on(topic, state.tick_ms);
    }
    Ok(())
}

fn removed(request: &AccountRequest, topic: &str) {
    state::with(|state| {
        if let Some(successor) = state.went_away(&request.account_id, topic) {
            set_timer_on(&successor, state.tick_ms);
        }
    });
}

/// Every route's subscribe check: the caller may use the account (see [`access`]).
fn authorized(caller: &Caller, request: &AccountRequest) -> Result<(), ServiceError> {
    access::check(caller, &request.account_id).map_err(ServiceError::forbidden)
}

fn ticked(request: &AccountRequest) {
    if let Err(error) = state::with(|state| state.step(&request.account_id)) {
        // Retried at the next tick; the account is read again from the store.
        eprintln!("account {}: {error}", request.account_id);
    }
}

impl WsRouteService for Broker {
    fn authorize_orders(caller: &Caller, request: &AccountRequest) -> Result<(), ServiceError> {
        authorized(caller, request)
    }

    fn create_orders(topic: &OrderWsTopic) -> Result<(), ServiceError> {
        state::with(|state| created(state, topic.request(), topic.as_str()))
    }

    fn remove_orders(topic: &OrderWsTopic) {
        removed(topic.request(), topic.as_str());
    }

    fn on_timer_orders(topic: &OrderWsTopic) {
        ticked(topic.request());
    }

    fn authorize_positions(caller: &Caller, request: &AccountRequest) -> Result<(), ServiceError> {
        authorized(caller, request)
    }

    fn create_positions(topic: &PositionWsTopic) -> Result<(), ServiceError> {
        state::with(|state| created(state, topic.request(), topic.as_str()))
    }

    fn remove_positions(topic: &PositionWsTopic) {
        removed(topic.request(), topic.as_str());
    }

    fn on_timer_positions(topic: &PositionWsTopic) {
        ticked(topic.request());
    }

    fn authorize_executions(caller: &Caller, request: &AccountRequest) -> Result<(), ServiceError> {
        authorized(caller, request)
    }

    fn create_executions(topic: &ExecutionWsTopic) -> Result<(), ServiceError> {
        state::with(|state| created(state, topic.request(), topic.as_str()))
    }

    fn remove_executions(topic: &ExecutionWsTopic) {
        removed(topic.request(), topic.as_str());
    }

    fn on_timer_executions(topic: &ExecutionWsTopic) {
        ticked(topic.request());
    }

    fn authorize_equity(caller: &Caller, request: &AccountRequest) -> Result<(), ServiceError> {
        authorized(caller, request)
    }

    fn create_equity(topic: &EquityWsTopic) -> Result<(), ServiceError> {
        state::with(|state| {
            created(state, topic.request(), topic.as_str())?;
            let equity =
                state.equity_event(&topic.request().account_id).map_err(|e| ServiceError::failed(e.to_string()))?;
            state.publish(&topic.request().account_id, vec![equity]);
            Ok(())
        })
    }

    fn remove_equity(topic: &EquityWsTopic) {
        removed(topic.request(), topic.as_str());
    }

    fn on_timer_equity(topic: &EquityWsTopic) {
        ticked(topic.request());
    }

    fn authorize_broker_connection(caller: &Caller, request: &AccountRequest) -> Result<(), ServiceError> {
        authorized(caller, request)
    }

    fn create_broker_connection(topic: &BrokerConnectionWsTopic) -> Result<(), ServiceError> {
        state::with(|state| {
            created(state, topic.request(), topic.as_str())?;
            topic.update(&state.connection());
            Ok(())
        })
    }

    fn remove_broker_connection(topic: &BrokerConnectionWsTopic) {
        removed(topic.request(), topic.as_str());
    }

    fn on_timer_broker_connection(topic: &BrokerConnectionWsTopic) {
        ticked(topic.request());
    }
}

//! The topic handlers: a topic going live may start its account's ticks; the
//! ticking topic's timer fills orders and refreshes equity.
//!
//! Every route serves one account's topic and is handled alike, so one
//! generic implementation serves them all ([`AccountRoute`]); a route that
//! sends something when it goes live says what in its own `went_live`.

use crate::access;
use crate::api::check_account_id;
use crate::models::AccountRequest;
use crate::state::{self, State};
use crate::ws_generated::{
    BrokerConnectionWsRoute, Caller, EquityWsRoute, ExecutionWsRoute, Imports, OrderWsRoute, PositionWsRoute,
    ServiceError, WsRouteService,
};
use topicwire_guest::{Host, WsRoute, WsTopic};

/// The broker service.
pub struct Broker;

/// A route of the broker: its topics are those of one account (`{"accountId": ...}`).
pub trait AccountRoute: WsRoute<Request = AccountRequest> {
    /// What a topic of this route sends when it goes live: nothing, unless the route says.
    fn went_live(state: &mut State, topic: &WsTopic<Self>) -> Result<(), ServiceError> {
        let _ = (state, topic);
        Ok(())
    }
}

impl AccountRoute for OrderWsRoute {}
impl AccountRoute for PositionWsRoute {}
impl AccountRoute for ExecutionWsRoute {}

impl AccountRoute for EquityWsRoute {
    fn went_live(state: &mut State, topic: &WsTopic<Self>) -> Result<(), ServiceError> {
        let account = &topic.request().account_id;
        let equity = state.equity_event(account).map_err(|e| ServiceError::failed(e.to_string()))?;
        state.publish(account, vec![equity]);
        Ok(())
    }
}

impl AccountRoute for BrokerConnectionWsRoute {
    fn went_live(state: &mut State, topic: &WsTopic<Self>) -> Result<(), ServiceError> {
        topic.update(&state.connection());
        Ok(())
    }
}

impl<R: AccountRoute> WsRouteService<R> for Broker {
    /// Every route's subscribe check: the caller may use the account (see [`access`]).
    fn authorize(caller: &Caller, request: &AccountRequest) -> Result<(), ServiceError> {
        access::check(caller, &request.account_id).map_err(ServiceError::forbidden)
    }

    /// Makes the topic live for its account; refuses an account id the REST API would refuse.
    fn create(topic: &WsTopic<R>) -> Result<(), ServiceError> {
        let request = topic.request();
        check_account_id(&request.account_id).map_err(ServiceError::invalid_request)?;
        state::with(|state| {
            if state.went_live(&request.account_id, topic.as_str()) {
                topic.set_timer(state.tick_ms);
            }
            R::went_live(state, topic)
        })
    }

    fn remove(topic: &WsTopic<R>) {
        state::with(|state| {
            if let Some(successor) = state.went_away(&topic.request().account_id, topic.as_str()) {
                // The successor is another live topic of the account, of any route.
                Imports::set_timer(&successor, state.tick_ms);
            }
        });
    }

    fn on_timer(topic: &WsTopic<R>) {
        let account = &topic.request().account_id;
        if let Err(error) = state::with(|state| state.step(account)) {
            // Retried at the next tick; the account is read again from the store.
            eprintln!("account {account}: {error}");
        }
    }
}

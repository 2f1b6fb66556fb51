//! The broker's state (the market, the accounts, which topics are live),
//! keeping it in the store, and streaming events to an account's live
//! topics only.
//!
//! One instance serves both the topics and the REST API, one call at a time,
//! so the state lives in a thread-local `RefCell`. Accounts are loaded from
//! the store on first use (a request never touches another account's data)
//! and every change is [committed](State::commit) — stored durably, then
//! streamed — before it is answered.

use crate::ledger::{self, Store, StoreError};
use crate::models::{AccountRequest, BrokerConnection};
use crate::trading::{Account, Event, OrderIds};
use crate::ws_generated::{EquityWsRoute, ExecutionWsRoute, OrderWsRoute, PositionWsRoute};
use market_sim::Market;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};
use topicwire_guest::{WsRoute, WsTopic};

/// Sends `data` to the account's topic of route `R`, if it is one of the `live` ones.
fn send<R: WsRoute<Request = AccountRequest>>(
    live: Option<&BTreeSet<String>>,
    request: &AccountRequest,
    data: &R::Data,
) {
    if let Ok(topic) = WsTopic::<R>::new(request.clone())
        && live.is_some_and(|topics| topics.contains(topic.as_str()))
    {
        topic.update(data);
    }
}

/// How often equity is re-sent while nothing fills.
const EQUITY_REFRESH_MS: i64 = 1_000;

/// Everything the broker holds.
pub struct State {
    market: Market,
    /// Tick period (module setting `TICK_MS`, default 200).
    pub tick_ms: u32,
    /// Where the state is kept.
    store: Box<dyn Store>,
    /// Order ids, unique across accounts; read from the store on first use.
    ids: Option<OrderIds>,
    /// The account of requests that name none (module setting `DEFAULT_ACCOUNT`).
    pub default_account: String,
    /// Whether `POST /debug/*` is served (module setting `DEBUG_ENDPOINTS`, default off).
    pub debug_endpoints: bool,
    /// Accounts loaded from the store.
    accounts: HashMap<String, Account>,
    /// Live topics per account.
    live: HashMap<String, BTreeSet<String>>,
    /// Per account, the live topic whose timer ticks the account.
    ticking: HashMap<String, String>,
    last_equity: HashMap<String, i64>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State {
        market: Market::at(setting("SEED").unwrap_or(42), setting("TICK_MS").unwrap_or(200), now_ms().max(0) as u64),
        tick_ms: setting("TICK_MS").unwrap_or(200),
        store: crate::storage::open_store(),
        ids: None,
        default_account: std::env::var("DEFAULT_ACCOUNT").unwrap_or_else(|_| "DEMO-ACCOUNT".to_owned()),
        debug_endpoints: setting("DEBUG_ENDPOINTS").unwrap_or(false),
        accounts: HashMap::new(),
        live: HashMap::new(),
        ticking: HashMap::new(),
        last_equity: HashMap::new(),
    });
}

fn setting<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok()?.parse().ok()
}

/// Runs `f` on the state.
pub fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with_borrow_mut(f)
}

/// An account borrowed from the state, with what changing it needs.
pub struct AccountView<'a> {
    /// The account.
    pub account: &'a mut Account,
    /// Order ids.
    pub ids: &'a mut OrderIds,
    /// Market prices.
    pub prices: Prices<'a>,
}

/// The market's current prices.
#[derive(Clone, Copy)]
pub struct Prices<'a>(&'a Market);

impl Prices<'_> {
    /// The current price of `symbol`, if it trades.
    pub fn of(self, symbol: &str) -> Option<f64> {
        self.0.get(symbol).map(|state| state.price)
    }
}

/// Wall-clock time, epoch ms.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as i64)
}

impl State {
    /// The current price of `symbol`.
    pub fn price(&self, symbol: &str) -> Option<f64> {
        self.market.get(symbol).map(|state| state.price)
    }

    /// The account `id` (loaded from the store on first use), with the
    /// market's prices and the order ids.
    pub fn account(&mut self, id: &str) -> Result<AccountView<'_>, StoreError> {
        if self.ids.is_none() {
            self.ids = Some(ledger::open(self.store.as_mut())?);
        }
        if !self.accounts.contains_key(id) {
            let account = ledger::load(self.store.as_mut(), id)?;
            self.accounts.insert(id.to_owned(), account);
        }
        let (Some(account), Some(ids)) = (self.accounts.get_mut(id), self.ids.as_mut()) else {
            return Err(StoreError("the account was not loaded".into()));
        };
        Ok(AccountView { account, ids, prices: Prices(&self.market) })
    }

    /// Stores account `id`'s change (`events` and its summary) durably, then
    /// streams the events. If storing fails, the account is forgotten in
    /// memory (it is read again from the store on next use, as it was before
    /// the change) and nothing is streamed.
    pub fn commit(&mut self, id: &str, events: Vec<Event>) -> Result<(), StoreError> {
        let stored = match (self.accounts.get(id), self.ids.as_mut()) {
            (Some(account), Some(ids)) => ledger::reserve_ids(self.store.as_mut(), ids)
                .and_then(|()| ledger::save(self.store.as_mut(), id, account, &events)),
            _ => Err(StoreError("the account was not loaded".into())),
        };
        if let Err(error) = stored {
            self.accounts.remove(id);
            return Err(error);
        }
        self.publish(id, events);
        Ok(())
    }

    /// Forgets account `id` (`POST /debug/reset`); order ids are not reused.
    pub fn reset(&mut self, id: &str) -> Result<(), StoreError> {
        self.accounts.remove(id);
        ledger::erase(self.store.as_mut(), id)
    }

    /// Advances the market to now, fills what can fill in account `id` and
    /// streams the result; re-sends equity when it is due and nothing filled.
    pub fn step(&mut self, id: &str) -> Result<(), StoreError> {
        let now = now_ms();
        self.market.advance_to(now.max(0) as u64);
        let AccountView { account, ids, prices } = self.account(id)?;
        let events = account.tick(|symbol| prices.of(symbol), ids, now);
        if !events.is_empty() {
            return self.commit(id, events);
        }
        let due = self.last_equity.get(id).is_none_or(|last| now - last >= EQUITY_REFRESH_MS);
        if due {
            let equity = self.equity_event(id)?;
            self.publish(id, vec![equity]);
        }
        Ok(())
    }

    /// The account's equity at current prices.
    pub fn equity(&mut self, id: &str) -> Result<crate::models::Equity, StoreError> {
        let AccountView { account, prices, .. } = self.account(id)?;
        Ok(account.equity(|symbol| prices.of(symbol)))
    }

    /// The account's equity at current prices, as an event.
    pub fn equity_event(&mut self, id: &str) -> Result<Event, StoreError> {
        Ok(Event::Equity(self.equity(id)?))
    }

    /// Streams `events` to account `id`'s live topics (others are not published).
    pub fn publish(&mut self, id: &str, events: Vec<Event>) {
        let request = AccountRequest { account_id: id.to_owned() };
        let live = self.live.get(id);
        for event in events {
            match event {
                Event::Order(order) => send::<OrderWsRoute>(live, &request, &order),
                Event::Execution(execution) => send::<ExecutionWsRoute>(live, &request, &execution),
                Event::Position(position) => send::<PositionWsRoute>(live, &request, &position),
                Event::Equity(equity) => {
                    self.last_equity.insert(id.to_owned(), now_ms());
                    send::<EquityWsRoute>(live, &request, &equity);
                }
            }
        }
    }

    /// Records that `topic` of account `id` is live; the first live topic of
    /// an account drives its ticks. Returns whether `topic` should set its timer.
    pub fn went_live(&mut self, id: &str, topic: &str) -> bool {
        self.live.entry(id.to_owned()).or_default().insert(topic.to_owned());
        if self.ticking.contains_key(id) {
            return false;
        }
        self.ticking.insert(id.to_owned(), topic.to_owned());
        true
    }

    /// Records that `topic` of account `id` is gone. Returns the live topic
    /// that must take over the account's ticks, if `topic` was driving them.
    pub fn went_away(&mut self, id: &str, topic: &str) -> Option<String> {
        let topics = self.live.entry(id.to_owned()).or_default();
        topics.remove(topic);
        let successor = topics.iter().next().cloned();
        if topics.is_empty() {
            self.live.remove(id);
        }
        if self.ticking.get(id).map(String::as_str) != Some(topic) {
            return None;
        }
        self.ticking.remove(id);
        let successor = successor?;
        self.ticking.insert(id.to_owned(), successor.clone());
        Some(successor)
    }

    /// The broker's connection status (always connected: it is simulated).
    pub fn connection(&self) -> BrokerConnection {
        BrokerConnection { status: 1, message: "Connected".into(), disconnect_type: 0, timestamp: now_ms() }
    }
}

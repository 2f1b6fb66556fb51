//! A paper-trading account: orders, fills against simulated prices,
//! positions netted per symbol with an average price and brackets, and equity.
//!
//! Pure: prices come in as a lookup, time as a number, order ids from the
//! caller's [`OrderIds`], and every change comes out as [`Event`]s for the
//! service to stream, in the order clients expect (a fill: execution, order,
//! equity, position). Catching up with the market costs time proportional to
//! the account's working orders and bracketed positions, not to its history.

use crate::models::{Brackets, Equity, Execution, Order, OrderStatus, OrderType, Position, PreOrder, Side, StopType};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Starting cash of every account.
pub const STARTING_BALANCE: f64 = 100_000.0;
/// Working orders one account may hold at once.
pub const MAX_WORKING_ORDERS: usize = 1_000;
/// Executions one account keeps for `GET /executions/{symbol}` (the oldest go first).
pub const MAX_EXECUTIONS: usize = 10_000;
/// Longest symbol accepted, characters.
pub const MAX_SYMBOL_LEN: usize = 32;
/// Largest quantity and price accepted: far beyond any real order, and
/// small enough that sums of their products stay finite (an infinite or
/// NaN balance would be written as `null`).
pub const MAX_AMOUNT: f64 = 1e9;

/// Something to stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An order changed.
    Order(Order),
    /// An order filled.
    Execution(Execution),
    /// Equity changed.
    Equity(Equity),
    /// A position changed.
    Position(Position),
}

/// A refused API call: the HTTP status and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 400 (the request itself is refused: what the OpenAPI document's
    /// schemas state), 404 (unknown order or position), 409 (the account's
    /// state refuses it: an order no longer working, too many working
    /// orders, an order's symbol or side changed, more closed than held).
    pub status: u16,
    /// What is wrong.
    pub message: String,
}

fn refuse<T>(status: u16, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal { status, message: message.into() })
}

/// Order ids, unique across every account and never reused: handed out
/// from a block reserved durably ahead of use (see [`crate::ledger`]), so a
/// restart continues after the last reserved block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderIds {
    next: u64,
    /// Ids below this are durably reserved.
    reserved: u64,
}

impl Default for OrderIds {
    fn default() -> Self {
        Self::starting_at(1)
    }
}

impl OrderIds {
    /// Ids continue from `next`, which is durably reserved up to itself.
    pub fn starting_at(next: u64) -> Self {
        Self { next: next.max(1), reserved: next.max(1) }
    }

    /// Takes the next id. Ids past the reserved block must be reserved
    /// (see [`unreserved`](Self::unreserved)) before anything using them is stored.
    pub fn take(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        id
    }

    /// The bound the reservation must reach to cover every id taken, if it does not yet.
    pub fn unreserved(&self) -> Option<u64> {
        (self.next > self.reserved).then_some(self.next)
    }

    /// Records that ids below `bound` are durably reserved.
    pub fn reserved_to(&mut self, bound: u64) {
        self.reserved = self.reserved.max(bound);
    }
}

/// A net position: signed quantity (long > 0) and average entry price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
struct Net {
    qty: f64,
    avg: f64,
}

/// A position and its brackets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Holding {
    net: Net,
    brackets: Brackets,
}

/// One account.
#[derive(Debug, Clone)]
pub struct Account {
    balance: f64,
    realized_pl: f64,
    orders: BTreeMap<u64, Order>,
    /// The working orders' ids, each with the price it fills at when its
    /// symbol has no market price (a market order given `seenPrice` or `currentQuotes`).
    working: BTreeMap<u64, Option<f64>>,
    positions: BTreeMap<String, Holding>,
    executions: VecDeque<Execution>,
    /// Executions ever made: the sequence number of the latest.
    executions_made: u64,
    /// Leverage per `symbol:type:side`; absent is the default.
    leverage: BTreeMap<String, f64>,
}

/// What of an account is stored apart from its orders and executions:
/// small, rewritten with every change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    balance: f64,
    realized_pl: f64,
    working: BTreeMap<u64, Option<f64>>,
    positions: BTreeMap<String, Holding>,
    executions_made: u64,
    leverage: BTreeMap<String, f64>,
}

impl Summary {
    /// How many executions the account ever made.
    pub fn executions_made(&self) -> u64 {
        self.executions_made
    }
}

impl Default for Account {
    fn default() -> Self {
        Self {
            balance: STARTING_BALANCE,
            realized_pl: 0.0,
            orders: BTreeMap::new(),
            working: BTreeMap::new(),
            positions: BTreeMap::new(),
            executions: VecDeque::new(),
            executions_made: 0,
            leverage: BTreeMap::new(),
        }
    }
}

impl Account {
    /// The account from what was stored: its summary, every order, and its latest executions.
    pub fn restore(summary: Summary, orders: Vec<Order>, executions: Vec<Execution>) -> Self {
        let Summary { balance, realized_pl, working, positions, executions_made, leverage } = summary;
        let orders = orders.into_iter().filter_map(|order| Some((order.id.parse().ok()?, order))).collect();
        let mut executions: VecDeque<Execution> = executions.into();
        while executions.len() > MAX_EXECUTIONS {
            executions.pop_front();
        }
        Self { balance, realized_pl, orders, working, positions, executions, executions_made, leverage }
    }

    /// What is stored apart from orders and executions.
    pub fn summary(&self) -> Summary {
        Summary {
            balance: self.balance,
            realized_pl: self.realized_pl,
            working: self.working.clone(),
            positions: self.positions.clone(),
            executions_made: self.executions_made,
            leverage: self.leverage.clone(),
        }
    }

    /// The latest `count` executions with their sequence numbers (1 = the first ever).
    pub fn latest_executions(&self, count: usize) -> Vec<(u64, Execution)> {
        let count = count.min(self.executions.len());
        let first = self.executions_made + 1 - count as u64;
        self.executions.iter().skip(self.executions.len() - count).cloned().zip(first..).map(|(e, n)| (n, e)).collect()
    }

    /// Every order, oldest first.
    pub fn orders(&self) -> Vec<Order> {
        self.orders.values().cloned().collect()
    }

    /// Open positions.
    pub fn positions(&self) -> Vec<Position> {
        self.positions.iter().filter(|(_, holding)| holding.net.qty != 0.0).map(|(s, h)| position(s, h)).collect()
    }

    /// The account's executions of `symbol`, oldest first.
    pub fn executions(&self, symbol: &str) -> Vec<Execution> {
        self.executions.iter().filter(|execution| execution.symbol == symbol).cloned().collect()
    }

    /// Equity at `price`s.
    pub fn equity(&self, price: impl Fn(&str) -> Option<f64>) -> Equity {
        let unrealized: f64 = self
            .positions
            .iter()
            .map(|(symbol, holding)| price(symbol).map_or(0.0, |price| holding.net.qty * (price - holding.net.avg)))
            .sum();
        Equity {
            equity: cents(self.balance + unrealized),
            balance: cents(self.balance),
            unrealized_pl: cents(unrealized),
            realized_pl: cents(self.realized_pl),
        }
    }

    /// Places an order (WORKING) with id `id`; `price` tells a symbol's market price, if it trades.
    pub fn place(
        &mut self,
        id: u64,
        request: PreOrder,
        price: impl Fn(&str) -> Option<f64>,
        now: i64,
    ) -> Result<(Order, Vec<Event>), Refusal> {
        let fallback = check(&request, price(&request.symbol).is_some())?;
        if self.working.len() >= MAX_WORKING_ORDERS {
            return refuse(409, format!("too many working orders: an account holds at most {MAX_WORKING_ORDERS}"));
        }
        let order = new_order(id, request, now);
        self.orders.insert(id, order.clone());
        self.working.insert(id, fallback);
        Ok((order.clone(), vec![Event::Order(order)]))
    }

    /// Changes working order `id` to `request` (validated as [`place`](Self::place) does);
    /// its symbol and side stay.
    pub fn modify(
        &mut self,
        id: &str,
        request: PreOrder,
        price: impl Fn(&str) -> Option<f64>,
        now: i64,
    ) -> Result<(Order, Vec<Event>), Refusal> {
        let key = self.working_key(id)?;
        let order = &self.orders[&key];
        if request.symbol != order.symbol {
            return refuse(409, format!("symbol: order `{id}` is for {}; place a new order instead", order.symbol));
        }
        if request.side != order.side {
            return refuse(409, format!("side: order `{id}` cannot change side; place a new order instead"));
        }
        let fallback = check(&request, price(&request.symbol).is_some())?;
        let order = new_order(key, request, now);
        self.orders.insert(key, order.clone());
        self.working.insert(key, fallback);
        Ok((order.clone(), vec![Event::Order(order)]))
    }

    /// Cancels working order `id`.
    pub fn cancel(&mut self, id: &str, now: i64) -> Result<(Order, Vec<Event>), Refusal> {
        let key = self.working_key(id)?;
        self.working.remove(&key);
        let Some(order) = self.orders.get_mut(&key) else { return refuse(404, format!("no order `{id}`")) };
        order.status = OrderStatus::Canceled;
        order.update_time = Some(now);
        let order = order.clone();
        Ok((order.clone(), vec![Event::Order(order)]))
    }

    /// Closes `amount` (all when `None`) of the position in `symbol` with a
    /// market order of id `id`, which fills at the next tick.
    pub fn close_position(
        &mut self,
        id: u64,
        symbol: &str,
        amount: Option<f64>,
        now: i64,
    ) -> Result<(Order, Vec<Event>), Refusal> {
        let Some(net) = self.open_net(symbol) else { return refuse(404, format!("no open position `{symbol}`")) };
        let qty = match amount {
            None => net.qty.abs(),
            Some(amount) if !(amount.is_finite() && amount > 0.0) => {
                return refuse(400, "amount: must be a positive number");
            }
            Some(amount) if amount <= net.qty.abs() => amount,
            Some(_) => return refuse(409, format!("amount: the position holds only {}", net.qty.abs())),
        };
        let request = PreOrder { qty, ..market_order(symbol, if net.qty > 0.0 { Side::Sell } else { Side::Buy }) };
        self.place(id, request, |_| Some(net.avg), now)
    }

    /// Replaces the brackets of the position in `symbol`.
    pub fn set_brackets(&mut self, symbol: &str, brackets: Brackets) -> Result<Vec<Event>, Refusal> {
        for (field, value) in [
            ("stopLoss", brackets.stop_loss),
            ("guaranteedStop", brackets.guaranteed_stop),
            ("takeProfit", brackets.take_profit),
            ("trailingStopPips", brackets.trailing_stop_pips),
        ] {
            check_positive(field, value)?;
        }
        if self.open_net(symbol).is_none() {
            return refuse(404, format!("no open position `{symbol}`"));
        }
        let Some(holding) = self.positions.get_mut(symbol) else {
            return refuse(404, format!("no position `{symbol}`"));
        };
        holding.brackets = brackets;
        Ok(vec![Event::Position(position(symbol, holding))])
    }

    /// The leverage set for `key` (`symbol:type:side`), if any.
    pub fn leverage(&self, key: &str) -> Option<f64> {
        self.leverage.get(key).copied()
    }

    /// Sets the leverage of `key` (`symbol:type:side`), already validated.
    pub fn set_leverage(&mut self, key: String, leverage: f64) {
        self.leverage.insert(key, leverage);
    }

    /// Fills every working order whose condition holds at current prices and
    /// closes positions whose brackets were reached (with new orders from `ids`).
    pub fn tick(&mut self, price: impl Fn(&str) -> Option<f64>, ids: &mut OrderIds, now: i64) -> Vec<Event> {
        let mut events = Vec::new();
        let due: Vec<(u64, f64)> = self
            .working_at(&price)
            .filter_map(|(id, order, market)| fill_price(order, market).map(|fill| (id, fill)))
            .collect();
        for (id, fill) in due {
            events.extend(self.fill(id, fill, now, &price));
        }
        let reached: Vec<(String, f64)> = self
            .positions
            .iter()
            .filter_map(|(symbol, holding)| {
                let market = price(symbol)?;
                bracket_reached(holding, market).then(|| (symbol.clone(), market))
            })
            .collect();
        for (symbol, market) in reached {
            let Some(net) = self.open_net(&symbol) else { continue };
            let id = ids.take();
            let side = if net.qty > 0.0 { Side::Sell } else { Side::Buy };
            let order = new_order(id, PreOrder { qty: net.qty.abs(), ..market_order(&symbol, side) }, now);
            self.orders.insert(id, order);
            events.extend(self.fill(id, market, now, &price));
        }
        events
    }

    /// Fills every working order now, whatever its conditions (`POST /debug/execute-orders`).
    pub fn execute_all(&mut self, price: impl Fn(&str) -> Option<f64>, now: i64) -> Vec<Event> {
        let due: Vec<(u64, f64)> = self.working_at(&price).map(|(id, _, market)| (id, market)).collect();
        due.into_iter().flat_map(|(id, fill)| self.fill(id, fill, now, &price)).collect()
    }

    /// Working orders with the price each would fill at now: its symbol's
    /// market price, or the price its client saw when the symbol has none.
    fn working_at<'a>(
        &'a self,
        price: &'a impl Fn(&str) -> Option<f64>,
    ) -> impl Iterator<Item = (u64, &'a Order, f64)> + 'a {
        self.working.iter().filter_map(move |(id, fallback)| {
            let order = self.orders.get(id)?;
            Some((*id, order, price(&order.symbol).or(*fallback)?))
        })
    }

    fn fill(&mut self, id: u64, price: f64, now: i64, prices: &impl Fn(&str) -> Option<f64>) -> Vec<Event> {
        self.working.remove(&id);
        let Some(order) = self.orders.get_mut(&id) else { return Vec::new() };
        order.status = OrderStatus::Filled;
        order.filled_qty = Some(order.qty);
        order.avg_price = Some(price);
        order.update_time = Some(now);
        let order = order.clone();
        let signed = order.qty * order.side.sign();
        let holding = self.positions.entry(order.symbol.clone()).or_default();
        let opening = holding.net.qty == 0.0 || holding.net.qty.signum() == signed.signum();
        let realized = apply_fill(&mut holding.net, signed, price);
        if opening && has_brackets(&order) {
            holding.brackets = Brackets {
                stop_loss: order.stop_loss,
                guaranteed_stop: order.guaranteed_stop,
                take_profit: order.take_profit,
                trailing_stop_pips: order.trailing_stop_pips,
            };
        }
        if holding.net.qty == 0.0 {
            holding.brackets = Brackets::default();
        }
        let position = position(&order.symbol, holding);
        if holding.net.qty == 0.0 {
            self.positions.remove(&order.symbol);
        }
        self.realized_pl += realized;
        self.balance += realized;
        let execution = Execution { symbol: order.symbol.clone(), price, qty: order.qty, side: order.side, time: now };
        if self.executions.len() >= MAX_EXECUTIONS {
            self.executions.pop_front();
        }
        self.executions.push_back(execution.clone());
        self.executions_made += 1;
        vec![
            Event::Execution(execution),
            Event::Order(order),
            Event::Equity(self.equity(prices)),
            Event::Position(position),
        ]
    }

    fn open_net(&self, symbol: &str) -> Option<Net> {
        self.positions.get(symbol).map(|holding| holding.net).filter(|net| net.qty != 0.0)
    }

    fn working_key(&self, id: &str) -> Result<u64, Refusal> {
        let Some((key, order)) = id.parse::<u64>().ok().and_then(|key| Some((key, self.orders.get(&key)?))) else {
            return refuse(404, format!("no order `{id}`"));
        };
        if !self.working.contains_key(&key) {
            return refuse(409, format!("order `{id}` is no longer working (status {})", order.status as i8));
        }
        Ok(key)
    }
}

/// Validates an order as placed or modified; returns the price a market
/// order of a symbol without a market price fills at.
pub fn check(request: &PreOrder, priced: bool) -> Result<Option<f64>, Refusal> {
    if request.symbol.is_empty() || request.symbol.chars().count() > MAX_SYMBOL_LEN {
        return refuse(400, format!("symbol: must be 1 to {MAX_SYMBOL_LEN} characters"));
    }
    check_positive("qty", Some(request.qty))?;
    let needs_limit = matches!(request.order_type, OrderType::Limit | OrderType::StopLimit);
    let needs_stop = matches!(request.order_type, OrderType::Stop | OrderType::StopLimit);
    if needs_limit && request.limit_price.is_none() {
        return refuse(400, "limitPrice: a positive limit price is required for this order type");
    }
    if needs_stop && request.stop_price.is_none() {
        return refuse(400, "stopPrice: a positive stop price is required for this order type");
    }
    for (field, value) in [
        ("limitPrice", request.limit_price),
        ("stopPrice", request.stop_price),
        ("takeProfit", request.take_profit),
        ("stopLoss", request.stop_loss),
        ("guaranteedStop", request.guaranteed_stop),
        ("trailingStopPips", request.trailing_stop_pips),
        ("seenPrice", request.seen_price),
        ("currentQuotes.ask", request.current_quotes.map(|quotes| quotes.ask)),
        ("currentQuotes.bid", request.current_quotes.map(|quotes| quotes.bid)),
    ] {
        check_positive(field, value)?;
    }
    if priced {
        return Ok(None);
    }
    let seen = request.seen_price.or(request.current_quotes.map(|quotes| match request.side {
        Side::Buy => quotes.ask,
        Side::Sell => quotes.bid,
    }));
    match (request.order_type, seen) {
        (OrderType::Market, Some(price)) => Ok(Some(price)),
        (OrderType::Market, None) => refuse(
            400,
            format!(
                "symbol: no market price for `{}`; a market order of it needs seenPrice or currentQuotes",
                request.symbol
            ),
        ),
        _ => refuse(400, format!("symbol: unknown symbol `{}`", request.symbol)),
    }
}

/// A quantity or price, when given, must be positive and at most [`MAX_AMOUNT`].
fn check_positive(field: &str, value: Option<f64>) -> Result<(), Refusal> {
    match value {
        Some(value) if !(value > 0.0 && value <= MAX_AMOUNT) => {
            refuse(400, format!("{field}: must be a positive number, at most {MAX_AMOUNT:e}"))
        }
        _ => Ok(()),
    }
}

fn new_order(id: u64, request: PreOrder, now: i64) -> Order {
    let needs_limit = matches!(request.order_type, OrderType::Limit | OrderType::StopLimit);
    let needs_stop = matches!(request.order_type, OrderType::Stop | OrderType::StopLimit);
    Order {
        id: id.to_string(),
        symbol: request.symbol,
        order_type: request.order_type,
        side: request.side,
        qty: request.qty,
        status: OrderStatus::Working,
        limit_price: request.limit_price.filter(|_| needs_limit),
        stop_price: request.stop_price.filter(|_| needs_stop),
        take_profit: request.take_profit,
        stop_loss: request.stop_loss,
        guaranteed_stop: request.guaranteed_stop,
        trailing_stop_pips: request.trailing_stop_pips,
        stop_type: request.stop_type.or_else(|| stop_type_of(&request.guaranteed_stop, &request.stop_loss)),
        filled_qty: None,
        avg_price: None,
        update_time: Some(now),
    }
}

fn stop_type_of(guaranteed: &Option<f64>, stop_loss: &Option<f64>) -> Option<StopType> {
    if guaranteed.is_some() { Some(StopType::GuaranteedStop) } else { stop_loss.map(|_| StopType::StopLoss) }
}

/// A market order of `symbol` with no extras.
pub fn market_order(symbol: &str, side: Side) -> PreOrder {
    PreOrder {
        symbol: symbol.to_owned(),
        order_type: OrderType::Market,
        side,
        qty: 0.0,
        limit_price: None,
        stop_price: None,
        take_profit: None,
        stop_loss: None,
        guaranteed_stop: None,
        trailing_stop_pips: None,
        stop_type: None,
        seen_price: None,
        current_quotes: None,
    }
}

fn has_brackets(order: &Order) -> bool {
    order.take_profit.is_some()
        || order.stop_loss.is_some()
        || order.guaranteed_stop.is_some()
        || order.trailing_stop_pips.is_some()
}

/// The price a working order fills at, if its condition holds at `market`.
fn fill_price(order: &Order, market: f64) -> Option<f64> {
    let buy = order.side == Side::Buy;
    let stop_hit = || order.stop_price.is_some_and(|stop| if buy { market >= stop } else { market <= stop });
    let limit_ok = || order.limit_price.is_some_and(|limit| if buy { market <= limit } else { market >= limit });
    match order.order_type {
        OrderType::Market => Some(market),
        OrderType::Limit => limit_ok().then_some(market),
        OrderType::Stop => stop_hit().then_some(market),
        OrderType::StopLimit => (stop_hit() && limit_ok()).then_some(market),
    }
}

/// Whether `market` reached a take-profit or stop of `holding`.
fn bracket_reached(holding: &Holding, market: f64) -> bool {
    let long = holding.net.qty > 0.0;
    if holding.net.qty == 0.0 {
        return false;
    }
    let brackets = &holding.brackets;
    let profit = brackets.take_profit.is_some_and(|tp| if long { market >= tp } else { market <= tp });
    let stop = [brackets.stop_loss, brackets.guaranteed_stop]
        .into_iter()
        .flatten()
        .any(|stop| if long { market <= stop } else { market >= stop });
    profit || stop
}

/// Applies a signed fill to a net position; returns the realized P/L.
fn apply_fill(net: &mut Net, signed: f64, price: f64) -> f64 {
    if net.qty == 0.0 || net.qty.signum() == signed.signum() {
        let qty = net.qty + signed;
        net.avg = (net.qty.abs() * net.avg + signed.abs() * price) / qty.abs();
        net.qty = qty;
        return 0.0;
    }
    let closed = signed.abs().min(net.qty.abs());
    let realized = closed * (price - net.avg) * net.qty.signum();
    let remaining = net.qty + signed;
    if remaining == 0.0 {
        *net = Net::default();
    } else if remaining.signum() == net.qty.signum() {
        net.qty = remaining;
    } else {
        *net = Net { qty: remaining, avg: price };
    }
    realized
}

fn position(symbol: &str, holding: &Holding) -> Position {
    let Holding { net, brackets } = holding;
    Position {
        id: symbol.to_owned(),
        symbol: symbol.to_owned(),
        qty: net.qty.abs(),
        side: if net.qty < 0.0 { Side::Sell } else { Side::Buy },
        avg_price: cents(net.avg),
        take_profit: brackets.take_profit,
        stop_loss: brackets.stop_loss,
        guaranteed_stop: brackets.guaranteed_stop,
        trailing_stop_pips: brackets.trailing_stop_pips,
    }
}

fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::CurrentQuotes;

    fn market(side: Side, qty: f64) -> PreOrder {
        PreOrder { qty, ..market_order("AAPL", side) }
    }

    fn priced(_: &str) -> Option<f64> {
        Some(100.0)
    }

    #[test]
    fn a_market_round_trip_realizes_the_price_difference() {
        let (mut account, mut ids) = (Account::default(), OrderIds::default());
        account.place(ids.take(), market(Side::Buy, 10.0), priced, 1).unwrap();
        let events = account.tick(|_| Some(100.0), &mut ids, 2);
        assert!(matches!(
            events.as_slice(),
            [Event::Execution(_), Event::Order(o), Event::Equity(_), Event::Position(p)]
                if o.status == OrderStatus::Filled && o.avg_price == Some(100.0) && p.qty == 10.0 && p.avg_price == 100.0
        ));
        assert_eq!(account.equity(|_| Some(105.0)).unrealized_pl, 50.0);
        account.place(ids.take(), market(Side::Sell, 10.0), priced, 3).unwrap();
        let events = account.tick(|_| Some(105.0), &mut ids, 4);
        let Event::Position(closed) = &events[3] else { panic!("{events:?}") };
        assert_eq!(closed.qty, 0.0);
        let equity = account.equity(|_| Some(105.0));
        assert_eq!((equity.realized_pl, equity.balance, equity.unrealized_pl), (50.0, 100_050.0, 0.0));
        assert!(account.positions().is_empty());
        assert_eq!(account.executions("AAPL").len(), 2);
        assert!(account.executions("MSFT").is_empty());
    }

    #[test]
    fn averaging_flipping_and_partial_closes() {
        let mut net = Net::default();
        assert_eq!(apply_fill(&mut net, 10.0, 100.0), 0.0);
        assert_eq!(apply_fill(&mut net, 10.0, 110.0), 0.0);
        assert_eq!(net, Net { qty: 20.0, avg: 105.0 });
        assert_eq!(apply_fill(&mut net, -5.0, 115.0), 50.0);
        assert_eq!(net, Net { qty: 15.0, avg: 105.0 });
        assert_eq!(apply_fill(&mut net, -20.0, 95.0), -150.0);
        assert_eq!(net, Net { qty: -5.0, avg: 95.0 });
    }

    #[test]
    fn limit_and_stop_orders_wait_for_their_price() {
        let (mut account, mut ids) = (Account::default(), OrderIds::default());
        let limit = PreOrder { order_type: OrderType::Limit, limit_price: Some(90.0), ..market(Side::Buy, 1.0) };
        let stop = PreOrder { order_type: OrderType::Stop, stop_price: Some(110.0), ..market(Side::Buy, 1.0) };
        account.place(ids.take(), limit, priced, 1).unwrap();
        account.place(ids.take(), stop, priced, 1).unwrap();
        assert!(account.tick(|_| Some(100.0), &mut ids, 2).is_empty());
        assert_eq!(account.tick(|_| Some(89.0), &mut ids, 3).len(), 4, "the limit fills");
        assert_eq!(account.tick(|_| Some(111.0), &mut ids, 4).len(), 4, "the stop fills");
    }

    #[test]
    fn an_unpriced_symbol_fills_a_market_order_at_the_price_the_client_saw() {
        let (mut account, mut ids) = (Account::default(), OrderIds::default());
        let unpriced = |_: &str| None;
        let order = PreOrder { seen_price: Some(12.5), ..market_order("XYZ", Side::Buy) };
        assert_eq!(account.place(ids.take(), PreOrder { qty: 2.0, ..order }, unpriced, 1).unwrap().0.id, "1");
        let quoted = PreOrder {
            qty: 1.0,
            current_quotes: Some(CurrentQuotes { ask: 13.0, bid: 12.0 }),
            ..market_order("XYZ", Side::Sell)
        };
        account.place(ids.take(), quoted, unpriced, 1).unwrap();
        let fills: Vec<f64> = account
            .tick(unpriced, &mut ids, 2)
            .into_iter()
            .filter_map(|event| if let Event::Execution(e) = event { Some(e.price) } else { None })
            .collect();
        assert_eq!(fills, [12.5, 12.0]);
        let blind = PreOrder { qty: 1.0, ..market_order("XYZ", Side::Buy) };
        assert!(account.place(ids.take(), blind, unpriced, 3).unwrap_err().message.contains("seenPrice"));
    }

    #[test]
    fn brackets_close_the_position_when_reached() {
        let (mut account, mut ids) = (Account::default(), OrderIds::default());
        let order = PreOrder { take_profit: Some(110.0), stop_loss: Some(95.0), ..market(Side::Buy, 3.0) };
        account.place(ids.take(), order, priced, 1).unwrap();
        account.tick(|_| Some(100.0), &mut ids, 2);
        assert_eq!(account.positions()[0].take_profit, Some(110.0));
        assert!(account.tick(|_| Some(105.0), &mut ids, 3).is_empty());
        let events = account.tick(|_| Some(94.0), &mut ids, 4);
        let Event::Order(closing) = &events[1] else { panic!("{events:?}") };
        assert_eq!((closing.id.as_str(), closing.side, closing.qty), ("2", Side::Sell, 3.0));
        assert!(account.positions().is_empty());
        assert_eq!(account.equity(|_| Some(94.0)).realized_pl, -18.0);
    }

    #[test]
    fn partial_closes_and_bracket_changes() {
        let (mut account, mut ids) = (Account::default(), OrderIds::default());
        account.place(ids.take(), market(Side::Buy, 10.0), priced, 1).unwrap();
        account.tick(priced, &mut ids, 2);
        assert_eq!(account.close_position(ids.take(), "AAPL", Some(11.0), 3).unwrap_err().status, 409);
        assert_eq!(account.close_position(ids.take(), "AAPL", Some(0.0), 3).unwrap_err().status, 400);
        assert_eq!(account.close_position(ids.take(), "MSFT", None, 3).unwrap_err().status, 404);
        let (closing, _) = account.close_position(ids.take(), "AAPL", Some(4.0), 3).unwrap();
        assert_eq!((closing.qty, closing.side), (4.0, Side::Sell));
        account.tick(priced, &mut ids, 4);
        assert_eq!(account.positions()[0].qty, 6.0);
        let brackets = Brackets { stop_loss: Some(-1.0), ..Brackets::default() };
        assert_eq!(account.set_brackets("AAPL", brackets).unwrap_err().status, 400);
        let brackets = Brackets { take_profit: Some(120.0), ..Brackets::default() };
        account.set_brackets("AAPL", brackets).unwrap();
        assert_eq!(account.positions()[0].take_profit, Some(120.0));
    }

    #[test]
    fn bad_requests_are_refused_without_changes() {
        let (mut account, mut ids) = (Account::default(), OrderIds::default());
        assert_eq!(account.place(ids.take(), market(Side::Buy, 0.0), priced, 1).unwrap_err().status, 400);
        // Found by Schemathesis: 9e307 shares made the balance infinite, answered as `null`.
        assert_eq!(account.place(ids.take(), market(Side::Buy, 9e307), priced, 1).unwrap_err().status, 400);
        assert_eq!(account.place(ids.take(), market(Side::Buy, 1.0), |_| None, 1).unwrap_err().status, 400);
        let limit = PreOrder { order_type: OrderType::Limit, ..market(Side::Buy, 1.0) };
        assert!(account.place(ids.take(), limit, priced, 1).unwrap_err().message.starts_with("limitPrice"));
        let negative = PreOrder { order_type: OrderType::Limit, limit_price: Some(-5.0), ..market(Side::Buy, 1.0) };
        assert!(account.place(ids.take(), negative, priced, 1).unwrap_err().message.starts_with("limitPrice"));
        assert_eq!(account.cancel("9", 1).unwrap_err().status, 404);
        assert!(account.orders().is_empty());
        let id = ids.take();
        account.place(id, market(Side::Buy, 1.0), priced, 1).unwrap();
        account.tick(|_| Some(10.0), &mut ids, 2);
        let change = market(Side::Buy, 2.0);
        assert_eq!(account.modify(&id.to_string(), change, priced, 3).unwrap_err().status, 409);
        assert_eq!(account.orders()[0].qty, 1.0);
    }

    #[test]
    fn a_modification_is_validated_as_a_placement() {
        let (mut account, mut ids) = (Account::default(), OrderIds::default());
        let limit = PreOrder { order_type: OrderType::Limit, limit_price: Some(90.0), ..market(Side::Buy, 1.0) };
        account.place(ids.take(), limit.clone(), priced, 1).unwrap();
        let negative = PreOrder { limit_price: Some(-5.0), ..limit.clone() };
        assert!(account.modify("1", negative, priced, 2).unwrap_err().message.starts_with("limitPrice"));
        let other_side = PreOrder { side: Side::Sell, ..limit.clone() };
        assert!(account.modify("1", other_side, priced, 2).unwrap_err().message.starts_with("side"));
        let (order, _) =
            account.modify("1", PreOrder { qty: 3.0, limit_price: Some(95.0), ..limit }, priced, 2).unwrap();
        assert_eq!((order.qty, order.limit_price, order.status), (3.0, Some(95.0), OrderStatus::Working));
    }

    #[test]
    fn working_orders_are_bounded() {
        let (mut account, mut ids) = (Account::default(), OrderIds::default());
        let limit = PreOrder { order_type: OrderType::Limit, limit_price: Some(1.0), ..market(Side::Buy, 1.0) };
        for _ in 0..MAX_WORKING_ORDERS {
            account.place(ids.take(), limit.clone(), priced, 1).unwrap();
        }
        assert!(account.place(ids.take(), limit, priced, 1).unwrap_err().message.starts_with("too many"));
        account.cancel("1", 2).unwrap();
        assert_eq!(account.working.len(), MAX_WORKING_ORDERS - 1);
    }
}

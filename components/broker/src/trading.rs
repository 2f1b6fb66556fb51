//! A paper-trading account: orders, fills against simulated prices,
//! positions netted per symbol with an average price, and equity.
//!
//! Pure: prices come in as a lookup, time as a number, and every change comes
//! out as [`Event`]s for the service to stream, in the order clients expect
//! (a fill: execution, order, equity, position).

use crate::models::{Equity, Execution, ModifyOrder, Order, OrderStatus, OrderType, PlaceOrder, Position, Side};
use std::collections::BTreeMap;

/// Starting cash of every account.
pub const STARTING_BALANCE: f64 = 100_000.0;

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
    /// 400, 404, 409, ...
    pub status: u16,
    /// What is wrong.
    pub message: String,
}

fn refuse<T>(status: u16, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal { status, message: message.into() })
}

/// A net position: signed quantity (long > 0) and average entry price.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Net {
    qty: f64,
    avg: f64,
}

/// One account.
#[derive(Debug, Clone)]
pub struct Account {
    balance: f64,
    realized_pl: f64,
    orders: BTreeMap<u64, Order>,
    positions: BTreeMap<String, Net>,
    next_id: u64,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            balance: STARTING_BALANCE,
            realized_pl: 0.0,
            orders: BTreeMap::new(),
            positions: BTreeMap::new(),
            next_id: 1,
        }
    }
}

impl Account {
    /// Every order, oldest first.
    pub fn orders(&self) -> Vec<Order> {
        self.orders.values().cloned().collect()
    }

    /// Open positions.
    pub fn positions(&self) -> Vec<Position> {
        self.positions.iter().filter(|(_, net)| net.qty != 0.0).map(|(symbol, net)| position(symbol, *net)).collect()
    }

    /// Equity at `price`s.
    pub fn equity(&self, price: impl Fn(&str) -> Option<f64>) -> Equity {
        let unrealized: f64 = self
            .positions
            .iter()
            .map(|(symbol, net)| price(symbol).map_or(0.0, |price| net.qty * (price - net.avg)))
            .sum();
        Equity {
            equity: cents(self.balance + unrealized),
            balance: cents(self.balance),
            unrealized_pl: cents(unrealized),
            realized_pl: cents(self.realized_pl),
        }
    }

    /// Places an order (WORKING); `known` tells whether a symbol trades.
    pub fn place(
        &mut self,
        request: PlaceOrder,
        known: impl Fn(&str) -> bool,
        now: i64,
    ) -> Result<(Order, Vec<Event>), Refusal> {
        if !known(&request.symbol) {
            return refuse(400, format!("symbol: unknown symbol `{}`", request.symbol));
        }
        check_qty(request.qty)?;
        let needs_limit = matches!(request.order_type, OrderType::Limit | OrderType::StopLimit);
        let needs_stop = matches!(request.order_type, OrderType::Stop | OrderType::StopLimit);
        if needs_limit && !request.limit_price.is_some_and(|price| price > 0.0) {
            return refuse(400, "limitPrice: a positive limit price is required for this order type");
        }
        if needs_stop && !request.stop_price.is_some_and(|price| price > 0.0) {
            return refuse(400, "stopPrice: a positive stop price is required for this order type");
        }
        let id = self.next_id;
        self.next_id += 1;
        let order = Order {
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
            guaranteed_stop: None,
            trailing_stop_pips: None,
            stop_type: None,
            filled_qty: None,
            avg_price: None,
            update_time: Some(now),
        };
        self.orders.insert(id, order.clone());
        Ok((order.clone(), vec![Event::Order(order)]))
    }

    /// Changes a working order.
    pub fn modify(&mut self, id: &str, change: ModifyOrder, now: i64) -> Result<(Order, Vec<Event>), Refusal> {
        if let Some(qty) = change.qty {
            check_qty(qty)?;
        }
        let order = self.working_order(id)?;
        if let Some(qty) = change.qty {
            order.qty = qty;
        }
        if change.limit_price.is_some() && order.limit_price.is_some() {
            order.limit_price = change.limit_price;
        }
        if change.stop_price.is_some() && order.stop_price.is_some() {
            order.stop_price = change.stop_price;
        }
        order.take_profit = change.take_profit.or(order.take_profit);
        order.stop_loss = change.stop_loss.or(order.stop_loss);
        order.update_time = Some(now);
        let order = order.clone();
        Ok((order.clone(), vec![Event::Order(order)]))
    }

    /// Cancels a working order.
    pub fn cancel(&mut self, id: &str, now: i64) -> Result<(Order, Vec<Event>), Refusal> {
        let order = self.working_order(id)?;
        order.status = OrderStatus::Canceled;
        order.update_time = Some(now);
        let order = order.clone();
        Ok((order.clone(), vec![Event::Order(order)]))
    }

    /// Closes the position in `symbol` with a market order.
    pub fn close_position(&mut self, symbol: &str, now: i64) -> Result<(Order, Vec<Event>), Refusal> {
        let net = self.positions.get(symbol).copied().filter(|net| net.qty != 0.0);
        let Some(net) = net else { return refuse(404, format!("no open position `{symbol}`")) };
        let side = if net.qty > 0.0 { Side::Sell } else { Side::Buy };
        let request = PlaceOrder {
            symbol: symbol.to_owned(),
            order_type: OrderType::Market,
            side,
            qty: net.qty.abs(),
            limit_price: None,
            stop_price: None,
            take_profit: None,
            stop_loss: None,
        };
        self.place(request, |_| true, now)
    }

    /// Fills every working order whose condition holds at current prices.
    pub fn tick(&mut self, price: impl Fn(&str) -> Option<f64>, now: i64) -> Vec<Event> {
        let mut events = Vec::new();
        let ids: Vec<u64> =
            self.orders.iter().filter(|(_, o)| o.status == OrderStatus::Working).map(|(id, _)| *id).collect();
        for id in ids {
            let Some(order) = self.orders.get(&id) else { continue };
            let Some(market) = price(&order.symbol) else { continue };
            let Some(fill) = fill_price(order, market) else { continue };
            events.extend(self.fill(id, fill, now, &price));
        }
        events
    }

    fn fill(&mut self, id: u64, price: f64, now: i64, prices: &impl Fn(&str) -> Option<f64>) -> Vec<Event> {
        let Some(order) = self.orders.get_mut(&id) else { return Vec::new() };
        order.status = OrderStatus::Filled;
        order.filled_qty = Some(order.qty);
        order.avg_price = Some(price);
        order.update_time = Some(now);
        let order = order.clone();
        let signed = order.qty * order.side.sign();
        let net = self.positions.entry(order.symbol.clone()).or_default();
        let realized = apply_fill(net, signed, price);
        let net = *net;
        self.realized_pl += realized;
        self.balance += realized;
        let execution = Execution { symbol: order.symbol.clone(), price, qty: order.qty, side: order.side, time: now };
        let position = position(&order.symbol, net);
        if net.qty == 0.0 {
            self.positions.remove(&order.symbol);
        }
        vec![
            Event::Execution(execution),
            Event::Order(order),
            Event::Equity(self.equity(prices)),
            Event::Position(position),
        ]
    }

    fn working_order(&mut self, id: &str) -> Result<&mut Order, Refusal> {
        let Some(order) = id.parse::<u64>().ok().and_then(|key| self.orders.get_mut(&key)) else {
            return refuse(404, format!("no order `{id}`"));
        };
        if order.status != OrderStatus::Working {
            return refuse(409, format!("order `{id}` is no longer working (status {})", order.status as i8));
        }
        Ok(order)
    }
}

fn check_qty(qty: f64) -> Result<(), Refusal> {
    if qty.is_finite() && qty > 0.0 { Ok(()) } else { refuse(400, "qty: must be a positive number") }
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

fn position(symbol: &str, net: Net) -> Position {
    Position {
        id: symbol.to_owned(),
        symbol: symbol.to_owned(),
        qty: net.qty.abs(),
        side: if net.qty < 0.0 { Side::Sell } else { Side::Buy },
        avg_price: cents(net.avg),
    }
}

fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market(side: Side, qty: f64) -> PlaceOrder {
        PlaceOrder {
            symbol: "AAPL".into(),
            order_type: OrderType::Market,
            side,
            qty,
            limit_price: None,
            stop_price: None,
            take_profit: None,
            stop_loss: None,
        }
    }

    #[test]
    fn a_market_round_trip_realizes_the_price_difference() {
        let mut account = Account::default();
        account.place(market(Side::Buy, 10.0), |_| true, 1).unwrap();
        let events = account.tick(|_| Some(100.0), 2);
        assert!(matches!(
            events.as_slice(),
            [Event::Execution(_), Event::Order(o), Event::Equity(_), Event::Position(p)]
                if o.status == OrderStatus::Filled && o.avg_price == Some(100.0) && p.qty == 10.0 && p.avg_price == 100.0
        ));
        assert_eq!(account.equity(|_| Some(105.0)).unrealized_pl, 50.0);
        account.place(market(Side::Sell, 10.0), |_| true, 3).unwrap();
        let events = account.tick(|_| Some(105.0), 4);
        let Event::Position(closed) = &events[3] else { panic!("{events:?}") };
        assert_eq!(closed.qty, 0.0);
        let equity = account.equity(|_| Some(105.0));
        assert_eq!((equity.realized_pl, equity.balance, equity.unrealized_pl), (50.0, 100_050.0, 0.0));
        assert!(account.positions().is_empty());
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
        let mut account = Account::default();
        let limit = PlaceOrder { order_type: OrderType::Limit, limit_price: Some(90.0), ..market(Side::Buy, 1.0) };
        let stop = PlaceOrder { order_type: OrderType::Stop, stop_price: Some(110.0), ..market(Side::Buy, 1.0) };
        account.place(limit, |_| true, 1).unwrap();
        account.place(stop, |_| true, 1).unwrap();
        assert!(account.tick(|_| Some(100.0), 2).is_empty());
        assert_eq!(account.tick(|_| Some(89.0), 3).len(), 4, "the limit fills");
        assert_eq!(account.tick(|_| Some(111.0), 4).len(), 4, "the stop fills");
    }

    #[test]
    fn bad_requests_are_refused_without_changes() {
        let mut account = Account::default();
        assert_eq!(account.place(market(Side::Buy, 0.0), |_| true, 1).unwrap_err().status, 400);
        assert_eq!(account.place(market(Side::Buy, 1.0), |_| false, 1).unwrap_err().status, 400);
        let limit = PlaceOrder { order_type: OrderType::Limit, ..market(Side::Buy, 1.0) };
        assert!(account.place(limit, |_| true, 1).unwrap_err().message.starts_with("limitPrice"));
        assert_eq!(account.cancel("9", 1).unwrap_err().status, 404);
        assert!(account.orders().is_empty());
        account.place(market(Side::Buy, 1.0), |_| true, 1).unwrap();
        account.tick(|_| Some(10.0), 2);
        assert_eq!(
            account.modify("1", ModifyOrder { qty: Some(2.0), ..ModifyOrder::default() }, 3).unwrap_err().status,
            409
        );
        assert_eq!(account.orders()[0].qty, 1.0);
    }
}

//! The datafeed handlers: one shared market, a bar builder per `bars` topic,
//! a symbol list per `quotes` topic, all advanced on host timers.
//!
//! A component instance is single-threaded and the host calls it one request
//! at a time, so the state lives in a thread-local `RefCell`.

use crate::bars::BarBuilder;
use crate::quotes::{quote, symbols_of};
use crate::settings;
use crate::ws_generated::{BarWsTopic, QuoteWsTopic, ServiceError, WsRouteService};
use market_sim::Market;
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// The datafeed service.
pub struct Datafeed;

struct State {
    market: Market,
    tick_ms: u32,
    bars: HashMap<String, BarBuilder>,
    quotes: HashMap<String, Vec<String>>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State {
        market: Market::new(settings::seed(), u64::from(settings::tick_ms())),
        tick_ms: settings::tick_ms(),
        bars: HashMap::new(),
        quotes: HashMap::new(),
    });
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64)
}

impl Datafeed {
    fn publish_bar(state: &mut State, topic: &BarWsTopic) {
        let now = now_ms();
        state.market.advance_to(now);
        let symbol = &topic.request().symbol;
        let (Some(builder), Some(sim)) = (state.bars.get_mut(topic.as_str()), state.market.get(symbol)) else {
            return;
        };
        topic.update(&builder.update(now, sim.price, sim.volume));
    }

    fn publish_quotes(state: &mut State, topic: &QuoteWsTopic) {
        state.market.advance_to(now_ms());
        let Some(symbols) = state.quotes.get(topic.as_str()) else { return };
        for symbol in symbols {
            if let Some(sim) = state.market.get(symbol) {
                topic.update(&quote(sim));
            }
        }
    }
}

impl WsRouteService for Datafeed {
    fn create_bars(topic: &BarWsTopic) -> Result<(), ServiceError> {
        let request = topic.request();
        let period = request.resolution.period_ms();
        STATE.with_borrow_mut(|state| {
            let Some(sim) = state.market.get(&request.symbol) else {
                return Err(ServiceError::invalid_request(format!(
                    "symbol: unknown symbol `{}`; known symbols: {}",
                    request.symbol,
                    state.market.known_symbols()
                )));
            };
            state.bars.insert(topic.as_str().to_owned(), BarBuilder::new(period, sim.volume));
            topic.set_timer(state.tick_ms);
            Self::publish_bar(state, topic);
            Ok(())
        })
    }

    fn remove_bars(topic: &BarWsTopic) {
        STATE.with_borrow_mut(|state| state.bars.remove(topic.as_str()));
    }

    fn on_timer_bars(topic: &BarWsTopic) {
        STATE.with_borrow_mut(|state| Self::publish_bar(state, topic));
    }

    fn create_quotes(topic: &QuoteWsTopic) -> Result<(), ServiceError> {
        STATE.with_borrow_mut(|state| {
            let symbols = symbols_of(topic.request(), &state.market)?;
            state.quotes.insert(topic.as_str().to_owned(), symbols);
            topic.set_timer(state.tick_ms);
            Self::publish_quotes(state, topic);
            Ok(())
        })
    }

    fn remove_quotes(topic: &QuoteWsTopic) {
        STATE.with_borrow_mut(|state| state.quotes.remove(topic.as_str()));
    }

    fn on_timer_quotes(topic: &QuoteWsTopic) {
        STATE.with_borrow_mut(|state| Self::publish_quotes(state, topic));
    }
}

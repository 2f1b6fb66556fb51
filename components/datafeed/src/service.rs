//! The datafeed handlers: one shared market, a bar builder per `bars` topic,
//! a symbol list per `quotes` topic, all advanced on host timers.
//!
//! A component instance is single-threaded and the host calls it one request
//! at a time, so the state lives in a thread-local `RefCell`.

use crate::bars::BarBuilder;
use crate::quotes::{quote, symbols_of};
use crate::settings;
use crate::ws_generated::{BarWsRoute, BarWsTopic, QuoteWsRoute, QuoteWsTopic, ServiceError, WsRouteService};
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
    /// Per `quotes` topic: its symbols and the market position last quoted.
    quotes: HashMap<String, (Vec<String>, Option<u64>)>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State {
        market: Market::at(settings::seed(), u64::from(settings::tick_ms()), now_ms()),
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
        let Some(builder) = state.bars.get_mut(topic.as_str()) else { return };
        if let Some(bar) = builder.update(&state.market, &topic.request().symbol, now) {
            topic.update(&bar);
        }
    }

    fn publish_quotes(state: &mut State, topic: &QuoteWsTopic) {
        let now = now_ms();
        state.market.advance_to(now);
        let Some((symbols, quoted)) = state.quotes.get_mut(topic.as_str()) else { return };
        // A timer firing twice within one step of the path has nothing new to quote.
        let position = state.market.position();
        if quoted.replace(position) == Some(position) {
            return;
        }
        for symbol in symbols.iter() {
            if let Some(sim) = state.market.get(symbol) {
                topic.update(&quote(sim));
            }
        }
    }
}

impl WsRouteService<BarWsRoute> for Datafeed {
    fn create(topic: &BarWsTopic) -> Result<(), ServiceError> {
        let request = topic.request();
        let period = request.resolution.period_ms();
        STATE.with_borrow_mut(|state| {
            if !state.market.knows(&request.symbol) {
                return Err(ServiceError::invalid_request(format!(
                    "symbol: unknown symbol `{}`; known symbols: {}",
                    request.symbol,
                    state.market.known_symbols()
                )));
            }
            state.bars.insert(topic.as_str().to_owned(), BarBuilder::new(period));
            topic.set_timer(state.tick_ms);
            Self::publish_bar(state, topic);
            Ok(())
        })
    }

    fn remove(topic: &BarWsTopic) {
        STATE.with_borrow_mut(|state| state.bars.remove(topic.as_str()));
    }

    fn on_timer(topic: &BarWsTopic) {
        STATE.with_borrow_mut(|state| Self::publish_bar(state, topic));
    }
}

impl WsRouteService<QuoteWsRoute> for Datafeed {
    fn create(topic: &QuoteWsTopic) -> Result<(), ServiceError> {
        STATE.with_borrow_mut(|state| {
            let symbols = symbols_of(topic.request(), &state.market)?;
            state.quotes.insert(topic.as_str().to_owned(), (symbols, None));
            topic.set_timer(state.tick_ms);
            Self::publish_quotes(state, topic);
            Ok(())
        })
    }

    fn remove(topic: &QuoteWsTopic) {
        STATE.with_borrow_mut(|state| state.quotes.remove(topic.as_str()));
    }

    fn on_timer(topic: &QuoteWsTopic) {
        STATE.with_borrow_mut(|state| Self::publish_quotes(state, topic));
    }
}

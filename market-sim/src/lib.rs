//! A seeded random-walk market, shared by the `datafeed` and `broker`
//! components so both see the same prices for the same seed.
//!
//! Prices move in discrete steps of a fixed length (the module's tick). The
//! market is advanced to a wall-clock time, so the walk's speed does not
//! depend on how many topics or timers ask for prices, and the same seed and
//! number of steps always give the same prices.

mod rng;
mod symbols;

pub use rng::SplitMix64;
pub use symbols::{SYMBOLS, SymbolInfo};

/// The simulated state of one symbol.
#[derive(Debug, Clone)]
pub struct SymbolState {
    /// Static description of the symbol.
    pub info: &'static SymbolInfo,
    /// Last traded price.
    pub price: f64,
    /// Price at the start of the simulation (the session open).
    pub open: f64,
    /// Highest price of the session.
    pub high: f64,
    /// Lowest price of the session.
    pub low: f64,
    /// Previous session's close: the base price.
    pub prev_close: f64,
    /// Shares traded in the session.
    pub volume: u64,
    rng: SplitMix64,
}

impl SymbolState {
    fn new(info: &'static SymbolInfo, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed ^ symbols::fnv1a(info.symbol));
        // The session opens a little away from the previous close.
        let open = round_to_cents(info.base_price * (1.0 + 0.01 * rng.next_signed()));
        Self { info, price: open, open, high: open, low: open, prev_close: info.base_price, volume: 0, rng }
    }

    /// One step of the walk: a small relative move and some traded volume.
    fn step(&mut self) {
        // The sum of three uniforms approximates a normal move of ~0.05%.
        let noise = (self.rng.next_signed() + self.rng.next_signed() + self.rng.next_signed()) / 3.0;
        let next = round_to_cents((self.price * (1.0 + 0.001 * noise)).max(0.01));
        self.price = next;
        self.high = self.high.max(next);
        self.low = self.low.min(next);
        self.volume += 100 * (1 + self.rng.next_u64() % 50);
    }

    /// Half the bid/ask spread: one cent or 0.01% of the price, whichever is larger.
    pub fn half_spread(&self) -> f64 {
        round_to_cents((self.price * 0.0001).max(0.01))
    }
}

/// All simulated symbols, advanced in steps of `step_ms` milliseconds.
#[derive(Debug, Clone)]
pub struct Market {
    symbols: Vec<SymbolState>,
    step_ms: u64,
    /// Wall-clock time (epoch ms) the walk has been advanced to.
    now_ms: Option<u64>,
}

/// The largest number of steps one `advance_to` takes, so a long pause (a
/// suspended host) does not stall the component replaying it.
const MAX_STEPS_PER_ADVANCE: u64 = 1_000;

impl Market {
    /// A market over [`SYMBOLS`] whose walk is fixed by `seed`.
    pub fn new(seed: u64, step_ms: u64) -> Self {
        let symbols = SYMBOLS.iter().map(|info| SymbolState::new(info, seed)).collect();
        Self { symbols, step_ms: step_ms.max(1), now_ms: None }
    }

    /// The state of `symbol`, if it is simulated.
    pub fn get(&self, symbol: &str) -> Option<&SymbolState> {
        self.symbols.iter().find(|state| state.info.symbol == symbol)
    }

    /// Whether `symbol` is simulated.
    pub fn knows(&self, symbol: &str) -> bool {
        self.get(symbol).is_some()
    }

    /// The simulated symbols, comma-separated, for error messages.
    pub fn known_symbols(&self) -> String {
        self.symbols.iter().map(|state| state.info.symbol).collect::<Vec<_>>().join(", ")
    }

    /// Advances every symbol by the whole steps elapsed until `now_ms`.
    /// Returns the number of steps taken.
    pub fn advance_to(&mut self, now_ms: u64) -> u64 {
        let Some(then) = self.now_ms else {
            self.now_ms = Some(now_ms);
            return 0;
        };
        let steps = now_ms.saturating_sub(then) / self.step_ms;
        if steps == 0 {
            return 0;
        }
        self.now_ms = Some(then + steps * self.step_ms);
        self.step(steps.min(MAX_STEPS_PER_ADVANCE));
        steps
    }

    /// Advances every symbol by `steps` steps, whatever the clock says.
    pub fn step(&mut self, steps: u64) {
        for state in &mut self.symbols {
            for _ in 0..steps {
                state.step();
            }
        }
    }
}

/// Rounds a price to whole cents, as quoted prices are.
pub fn round_to_cents(price: f64) -> f64 {
    (price * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_walk() {
        let mut a = Market::new(7, 200);
        let mut b = Market::new(7, 200);
        a.step(500);
        b.step(500);
        assert_eq!(a.get("AAPL").unwrap().price, b.get("AAPL").unwrap().price);
        let mut c = Market::new(8, 200);
        c.step(500);
        assert_ne!(a.get("AAPL").unwrap().price, c.get("AAPL").unwrap().price);
    }

    #[test]
    fn prices_stay_positive_and_within_the_session_range() {
        let mut market = Market::new(1, 200);
        market.step(10_000);
        for symbol in SYMBOLS {
            let state = market.get(symbol.symbol).unwrap();
            assert!(state.price > 0.0);
            assert!(state.low <= state.price && state.price <= state.high);
            assert!(state.volume > 0);
        }
    }

    #[test]
    fn advances_by_whole_steps_of_wall_clock_time() {
        let mut market = Market::new(1, 200);
        assert_eq!(market.advance_to(10_000), 0);
        assert_eq!(market.advance_to(10_199), 0);
        assert_eq!(market.advance_to(10_450), 2);
        assert_eq!(market.advance_to(10_600), 1);
        assert_eq!(market.advance_to(10_500), 0, "time going backwards is ignored");
    }

    #[test]
    fn unknown_symbols_are_not_simulated() {
        let market = Market::new(1, 200);
        assert!(market.knows("AAPL"));
        assert!(!market.knows("NOPE"));
        assert!(market.known_symbols().starts_with("AAPL, "));
    }
}

//! A seeded market simulation shared by the `datafeed` and `broker`
//! components, so both see the same prices for the same seed.
//!
//! Prices move in discrete steps of a fixed length (the module's tick) along
//! a path that is a pure function of the seed, the symbol and the step
//! number ([`walk`]): the market is *positioned* at a wall-clock time rather
//! than replayed from a start, so a restarted instance, a new version of a
//! component and another module all continue the same path, and a session
//! (a UTC day) has one open, high, low and volume whoever asks.

mod rng;
mod symbols;
pub mod walk;

pub use rng::SplitMix64;
pub use symbols::{SYMBOLS, SymbolInfo};

/// One session: a UTC day, in milliseconds.
pub const SESSION_MS: u64 = 24 * 60 * 60 * 1000;
/// The path's own resolution: it has one price per 50 ms of wall-clock time,
/// whatever step a module samples it at, so modules with different ticks
/// (the datafeed's, the broker's) agree on every price.
pub const WALK_STEP_MS: u64 = 50;
/// Largest number of steps scanned for a high or a low; longer ranges are sampled.
const RANGE_SAMPLES: u64 = 2_048;

/// The simulated state of one symbol at the market's current step.
#[derive(Debug, Clone)]
pub struct SymbolState {
    /// Static description of the symbol.
    pub info: &'static SymbolInfo,
    /// Last traded price.
    pub price: f64,
    /// The session's first price.
    pub open: f64,
    /// Highest price of the session.
    pub high: f64,
    /// Lowest price of the session.
    pub low: f64,
    /// Previous session's close.
    pub prev_close: f64,
    /// Shares traded in the session.
    pub volume: u64,
    key: u64,
}

impl SymbolState {
    /// Half the bid/ask spread: one cent or 0.01% of the price, whichever is larger.
    pub fn half_spread(&self) -> f64 {
        round_to_cents((self.price * 0.0001).max(0.01))
    }
}

/// The price, range and volume of a symbol between two steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Price at the first step.
    pub open: f64,
    /// Highest price (sampled for ranges over 2 048 steps).
    pub high: f64,
    /// Lowest price (sampled likewise).
    pub low: f64,
    /// Price at the last step.
    pub close: f64,
    /// Shares traded from the first step to the last.
    pub volume: u64,
}

/// All simulated symbols, positioned at one step of `step_ms` milliseconds.
#[derive(Debug, Clone)]
pub struct Market {
    symbols: Vec<SymbolState>,
    step_ms: u64,
    /// The current step: wall-clock time divided by `step_ms`.
    step: u64,
}

impl Market {
    /// A market over [`SYMBOLS`] whose path is fixed by `seed`, positioned at
    /// the epoch (move it with [`advance_to`](Self::advance_to)).
    pub fn new(seed: u64, step_ms: u64) -> Self {
        Self::at(seed, step_ms, 0)
    }

    /// The market of `seed` positioned at wall-clock time `now_ms`.
    pub fn at(seed: u64, step_ms: u64, now_ms: u64) -> Self {
        let step_ms = step_ms.max(1);
        let symbols = SYMBOLS
            .iter()
            .map(|info| SymbolState {
                info,
                price: info.base_price,
                open: info.base_price,
                high: info.base_price,
                low: info.base_price,
                prev_close: info.base_price,
                volume: 0,
                key: seed ^ symbols::fnv1a(info.symbol),
            })
            .collect();
        let mut market = Self { symbols, step_ms, step: now_ms / step_ms };
        market.start_session();
        market
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

    /// The length of a step, milliseconds.
    pub fn step_ms(&self) -> u64 {
        self.step_ms
    }

    /// Where on the path the market is: prices change only when this does
    /// (steps shorter than [`WALK_STEP_MS`] can leave it in place).
    pub fn position(&self) -> u64 {
        self.walk_index(self.step)
    }

    /// Moves to wall-clock time `now_ms`. Returns the number of steps taken
    /// (time going backwards is ignored).
    pub fn advance_to(&mut self, now_ms: u64) -> u64 {
        let target = now_ms / self.step_ms;
        let steps = target.saturating_sub(self.step);
        self.step(steps);
        steps
    }

    /// Moves `steps` steps forward, whatever the clock says.
    pub fn step(&mut self, steps: u64) {
        if steps == 0 {
            return;
        }
        let from = self.step;
        self.step = from.saturating_add(steps);
        if self.session_of(self.step) != self.session_of(from) {
            return self.start_session();
        }
        let (from, to) = (self.walk_index(from), self.walk_index(self.step));
        for state in &mut self.symbols {
            let range = range_of(state.key, state.info.base_price, from, to);
            state.price = range.close;
            state.high = state.high.max(range.high);
            state.low = state.low.min(range.low);
            state.volume += range.volume;
        }
    }

    /// The price, range and volume of `symbol` from wall-clock `from_ms` to the current step.
    pub fn range_since(&self, symbol: &str, from_ms: u64) -> Option<Range> {
        let state = self.get(symbol)?;
        let from = self.walk_index((from_ms / self.step_ms).min(self.step));
        Some(range_of(state.key, state.info.base_price, from, self.walk_index(self.step)))
    }

    fn session_of(&self, step: u64) -> u64 {
        step.saturating_mul(self.step_ms) / SESSION_MS
    }

    /// The path's index at module step `step`.
    fn walk_index(&self, step: u64) -> u64 {
        step.saturating_mul(self.step_ms) / WALK_STEP_MS
    }

    /// Recomputes every symbol's session figures at the current step.
    fn start_session(&mut self) {
        let first = (self.session_of(self.step) * SESSION_MS).div_ceil(WALK_STEP_MS);
        let now = self.walk_index(self.step).max(first);
        for state in &mut self.symbols {
            let range = range_of(state.key, state.info.base_price, first, now);
            state.prev_close = price_at(state.key, state.info.base_price, first.saturating_sub(1));
            state.open = range.open;
            state.high = range.high;
            state.low = range.low;
            state.price = range.close;
            state.volume = range.volume;
        }
    }
}

/// The price of the walk `key` around `base` at path index `n`, in cents.
fn price_at(key: u64, base: f64, n: u64) -> f64 {
    round_to_cents((base * walk::deviation(key, n).exp()).max(0.01))
}

/// Open, high, low, close and volume from path index `from` to `to`; the
/// high and low are sampled when the range is long.
fn range_of(key: u64, base: f64, from: u64, to: u64) -> Range {
    let (open, close) = (price_at(key, base, from), price_at(key, base, to));
    let stride = ((to - from) / RANGE_SAMPLES).max(1);
    let (mut high, mut low) = (open.max(close), open.min(close));
    let mut n = from + stride;
    while n < to {
        let price = price_at(key, base, n);
        high = high.max(price);
        low = low.min(price);
        n += stride;
    }
    Range { open, high, low, close, volume: walk::volume_between(key, from, to) }
}

/// Rounds a price to whole cents, as quoted prices are.
pub fn round_to_cents(price: f64) -> f64 {
    (price * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-01 12:00 UTC.
    const NOON: u64 = 1_796_126_400_000;

    #[test]
    fn the_same_seed_and_time_give_the_same_market() {
        let a = Market::at(7, 200, NOON);
        let mut b = Market::at(7, 200, NOON - 100_000);
        b.advance_to(NOON);
        for symbol in ["AAPL", "MSFT"] {
            let (a, b) = (a.get(symbol).unwrap(), b.get(symbol).unwrap());
            assert_eq!((a.price, a.open, a.prev_close, a.volume), (b.price, b.open, b.prev_close, b.volume));
        }
        assert_ne!(Market::at(8, 200, NOON).get("AAPL").unwrap().price, a.get("AAPL").unwrap().price);
    }

    #[test]
    fn prices_stay_positive_and_within_the_session_range() {
        let mut market = Market::at(1, 200, NOON);
        market.step(10_000);
        for symbol in SYMBOLS {
            let state = market.get(symbol.symbol).unwrap();
            assert!(state.price > 0.0);
            assert!(state.low <= state.price && state.price <= state.high, "{state:?}");
            assert!(state.low <= state.open && state.open <= state.high, "{state:?}");
            assert!(state.volume > 0);
        }
    }

    #[test]
    fn advances_by_whole_steps_of_wall_clock_time() {
        let mut market = Market::at(1, 200, 10_000);
        assert_eq!(market.advance_to(10_199), 0);
        assert_eq!(market.advance_to(10_450), 2);
        assert_eq!(market.advance_to(10_600), 1);
        assert_eq!(market.advance_to(10_500), 0, "time going backwards is ignored");
    }

    #[test]
    fn a_new_session_starts_at_midnight() {
        let mut market = Market::at(1, 200, NOON);
        let before = market.get("AAPL").unwrap().clone();
        market.advance_to(NOON + SESSION_MS / 2 + 1_000);
        let after = market.get("AAPL").unwrap();
        assert!(after.volume < before.volume, "the volume restarts");
        assert_ne!(after.open, before.open);
    }

    #[test]
    fn ranges_agree_with_the_market() {
        let market = Market::at(1, 200, NOON);
        let range = market.range_since("AAPL", NOON - 60_000).unwrap();
        assert_eq!(range.close, market.get("AAPL").unwrap().price);
        assert!(range.low <= range.open.min(range.close) && range.high >= range.open.max(range.close));
        assert_eq!(
            range.volume,
            walk::volume_between(market.get("AAPL").unwrap().key, (NOON - 60_000) / WALK_STEP_MS, NOON / WALK_STEP_MS)
        );
    }

    #[test]
    fn modules_sampling_at_different_steps_see_the_same_prices() {
        let broker = Market::at(42, 200, NOON);
        let datafeed = Market::at(42, 50, NOON);
        assert_eq!(broker.get("MSFT").unwrap().price, datafeed.get("MSFT").unwrap().price);
        assert_eq!(broker.get("MSFT").unwrap().open, datafeed.get("MSFT").unwrap().open);
    }

    #[test]
    fn unknown_symbols_are_not_simulated() {
        let market = Market::new(1, 200);
        assert!(market.knows("AAPL"));
        assert!(!market.knows("NOPE"));
        assert!(market.known_symbols().starts_with("AAPL, "));
    }
}

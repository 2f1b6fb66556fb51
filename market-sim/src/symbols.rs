//! The simulated symbols and their reference prices.

/// A tradable symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolInfo {
    /// Ticker, e.g. `AAPL`.
    pub symbol: &'static str,
    /// Company name.
    pub description: &'static str,
    /// Listing exchange.
    pub exchange: &'static str,
    /// Previous close the walk starts from.
    pub base_price: f64,
}

const fn symbol(
    symbol: &'static str,
    description: &'static str,
    exchange: &'static str,
    base_price: f64,
) -> SymbolInfo {
    SymbolInfo { symbol, description, exchange, base_price }
}

/// Every simulated symbol.
pub static SYMBOLS: &[SymbolInfo] = &[
    symbol("AAPL", "Apple Inc.", "NASDAQ", 228.50),
    symbol("GOOGL", "Alphabet Inc. Class A", "NASDAQ", 172.30),
    symbol("MSFT", "Microsoft Corporation", "NASDAQ", 415.20),
    symbol("AMZN", "Amazon.com, Inc.", "NASDAQ", 186.40),
    symbol("TSLA", "Tesla, Inc.", "NASDAQ", 251.10),
    symbol("NVDA", "NVIDIA Corporation", "NASDAQ", 121.40),
    symbol("META", "Meta Platforms, Inc.", "NASDAQ", 512.80),
    symbol("NFLX", "Netflix, Inc.", "NASDAQ", 648.00),
    symbol("AMD", "Advanced Micro Devices, Inc.", "NASDAQ", 158.90),
    symbol("INTC", "Intel Corporation", "NASDAQ", 31.20),
    symbol("JPM", "JPMorgan Chase & Co.", "NYSE", 205.60),
    symbol("V", "Visa Inc.", "NYSE", 271.30),
];

/// FNV-1a: mixes a symbol into the seed so every symbol walks differently.
pub(crate) fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3))
}

//! The market's values for fixed seeds and times, written to `golden.json`
//! beside this file, which the Python port (`market-sim/python`) is checked
//! against value for value: a Python module's prices are the Rust modules'.
//!
//! `BLESS=1 cargo test -p market-sim --test golden` rewrites the file after a
//! deliberate change of the walk (then the Python port must follow).

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use market_sim::{Market, SYMBOLS, SplitMix64, walk};
use serde_json::{Value, json};

/// 2026-12-01 12:00 UTC, and 30 s into that day's session.
const NOON: u64 = 1_796_126_400_000;
const DAY_START: u64 = NOON - 12 * 60 * 60 * 1000 + 30_000;

fn splitmix() -> Vec<Value> {
    [0u64, 42, u64::MAX]
        .into_iter()
        .map(|seed| {
            let mut rng = SplitMix64::new(seed);
            let outputs: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
            let signed: Vec<f64> = (0..4).map(|_| rng.next_signed()).collect();
            json!({"seed": seed, "next_u64": outputs, "then_next_signed": signed})
        })
        .collect()
}

fn markets() -> Vec<Value> {
    let all: Vec<&str> = SYMBOLS.iter().map(|info| info.symbol).collect();
    let cases: [(u64, u64, u64, Vec<&str>); 4] = [
        (42, 200, DAY_START, all),
        (42, 50, DAY_START + 1_234, vec!["AAPL", "V"]),
        (7, 200, NOON, vec!["AAPL", "MSFT"]),
        (42, 1_000, NOON + 777, vec!["TSLA"]),
    ];
    cases
        .into_iter()
        .map(|(seed, step_ms, now_ms, symbols)| {
            let market = Market::at(seed, step_ms, now_ms);
            let states: serde_json::Map<String, Value> = symbols
                .iter()
                .map(|symbol| {
                    let state = market.get(symbol).unwrap();
                    let value = json!({
                        "price": state.price, "open": state.open, "high": state.high, "low": state.low,
                        "prev_close": state.prev_close, "volume": state.volume, "half_spread": state.half_spread(),
                    });
                    ((*symbol).to_owned(), value)
                })
                .collect();
            json!({"seed": seed, "step_ms": step_ms, "now_ms": now_ms, "symbols": states})
        })
        .collect()
}

fn golden() -> Value {
    let deviation: Vec<Value> = [(7u64, 123_456_789u64), (42, 0), (u64::MAX, 35_922_528_000), (1, 65_535), (1, 65_536)]
        .into_iter()
        .map(|(key, n)| json!({"key": key, "n": n, "value": walk::deviation(key, n)}))
        .collect();
    let volume: Vec<Value> = [(3u64, 10u64, 20u64), (3, 1_000, 1_001), (42, 35_922_528_000, 35_922_529_200)]
        .into_iter()
        .map(
            |(key, from, to)| json!({"key": key, "from": from, "to": to, "value": walk::volume_between(key, from, to)}),
        )
        .collect();
    // Prices along a live path, as a module advancing its market on its ticks sees them.
    let mut live = Market::at(42, 200, NOON);
    let mut prices = Vec::new();
    for tick in 0..20u64 {
        let now_ms = NOON + tick * 200 + 13;
        live.advance_to(now_ms);
        let (aapl, nvda) = (live.get("AAPL").unwrap().price, live.get("NVDA").unwrap().price);
        prices.push(json!({"now_ms": now_ms, "AAPL": aapl, "NVDA": nvda}));
    }
    json!({
        "splitmix": splitmix(), "deviation": deviation, "volume": volume, "markets": markets(),
        "live": {"seed": 42, "step_ms": 200, "prices": prices},
    })
}

#[test]
fn the_checked_in_golden_values_are_the_markets() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden.json");
    let now = golden();
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&now).unwrap() + "\n").unwrap();
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(stored, now, "market-sim changed: run with BLESS=1, then bring market-sim/python along");
}

//! Quotes: validating symbol lists and building quote snapshots.

use crate::models::{QuoteData, QuoteStatus, QuoteValue, QuoteValues, QuotesSubscriptionRequest};
use market_sim::{Market, SymbolState, round_to_cents};
use topicwire_guest::ServiceError;

/// The symbols of a quotes request, `symbols` then `fast_symbols`, each once.
/// Empty lists and unknown symbols are errors naming the field.
pub fn symbols_of(request: &QuotesSubscriptionRequest, market: &Market) -> Result<Vec<String>, ServiceError> {
    let mut symbols: Vec<String> = Vec::new();
    for (field, list) in [("symbols", &request.symbols), ("fast_symbols", &request.fast_symbols)] {
        for symbol in list {
            if !market.knows(symbol) {
                return Err(ServiceError::invalid_request(format!(
                    "{field}: unknown symbol `{symbol}`; known symbols: {}",
                    market.known_symbols()
                )));
            }
            if !symbols.contains(symbol) {
                symbols.push(symbol.clone());
            }
        }
    }
    if symbols.is_empty() {
        return Err(ServiceError::invalid_request(
            "symbols: `symbols` and `fast_symbols` are both empty; list at least one symbol",
        ));
    }
    Ok(symbols)
}

/// The current quote of one symbol.
pub fn quote(state: &SymbolState) -> QuoteData {
    let half_spread = state.half_spread();
    let change = round_to_cents(state.price - state.prev_close);
    let info = state.info;
    QuoteData {
        s: QuoteStatus::Ok,
        n: info.symbol.to_owned(),
        v: QuoteValue::Values(QuoteValues {
            lp: state.price,
            ask: round_to_cents(state.price + half_spread),
            bid: round_to_cents(state.price - half_spread),
            spread: round_to_cents(2.0 * half_spread),
            open_price: state.open,
            high_price: state.high,
            low_price: state.low,
            prev_close_price: state.prev_close,
            volume: state.volume as i64,
            ch: change,
            chp: (change / state.prev_close * 10_000.0).round() / 100.0,
            short_name: info.symbol.to_owned(),
            exchange: info.exchange.to_owned(),
            description: info.description.to_owned(),
            original_name: format!("{}:{}", info.exchange, info.symbol),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(symbols: &[&str], fast: &[&str]) -> QuotesSubscriptionRequest {
        QuotesSubscriptionRequest {
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
            fast_symbols: fast.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn merges_lists_once_each() {
        let market = Market::new(1, 200);
        let symbols = symbols_of(&request(&["AAPL", "MSFT"], &["MSFT", "GOOGL"]), &market).unwrap();
        assert_eq!(symbols, ["AAPL", "MSFT", "GOOGL"]);
    }

    #[test]
    fn refuses_unknown_and_empty() {
        let market = Market::new(1, 200);
        let unknown = symbols_of(&request(&["AAPL"], &["NOPE"]), &market).unwrap_err().to_string();
        assert!(unknown.contains("fast_symbols: unknown symbol `NOPE`"), "{unknown}");
        let empty = symbols_of(&request(&[], &[]), &market).unwrap_err().to_string();
        assert!(empty.contains("both empty"), "{empty}");
    }

    #[test]
    fn quotes_are_consistent() {
        let mut market = Market::new(1, 200);
        market.step(100);
        let QuoteData { s, n, v: QuoteValue::Values(v) } = quote(market.get("AAPL").unwrap()) else {
            panic!("expected values");
        };
        assert_eq!((s, n.as_str()), (QuoteStatus::Ok, "AAPL"));
        assert!(v.bid < v.lp && v.lp < v.ask);
        assert!((v.ch - (v.lp - v.prev_close_price)).abs() < 0.011);
        assert_eq!(v.original_name, "NASDAQ:AAPL");
    }

    #[test]
    fn quote_json_matches_the_python_shape() {
        let market = Market::new(1, 200);
        let json = serde_json::to_value(quote(market.get("MSFT").unwrap())).unwrap();
        assert_eq!(json["s"], "ok");
        for field in [
            "lp",
            "ask",
            "bid",
            "spread",
            "open_price",
            "high_price",
            "low_price",
            "prev_close_price",
            "volume",
            "ch",
            "chp",
            "short_name",
            "exchange",
            "description",
            "original_name",
        ] {
            assert!(json["v"].get(field).is_some(), "missing {field}");
        }
    }
}

//! What an order or a leverage change would do, before it is made: the
//! answers of `POST /orders/preview`, `GET /leverage/info` and
//! `POST /leverage/preview`, in the Python system's shapes.
//!
//! Its figures: commission 0.1 % and margin 50 % of the estimated value;
//! leverage 10 by default, from 1 to 100 in steps of 1.

use crate::models::{
    LeverageInfo, LeveragePreviewResult, OrderPreview, OrderType, PreOrder, PreviewRow, PreviewSection, Side,
};
use crate::trading::{Refusal, check};

/// Commission, as a fraction of the estimated value.
pub const COMMISSION: f64 = 0.001;
/// Margin, as a fraction of the estimated value.
pub const MARGIN: f64 = 0.5;
/// Leverage of a symbol, order type and side nobody set.
pub const DEFAULT_LEVERAGE: f64 = 10.0;
/// Smallest leverage.
pub const MIN_LEVERAGE: f64 = 1.0;
/// Largest leverage.
pub const MAX_LEVERAGE: f64 = 100.0;
/// Leverage steps.
pub const LEVERAGE_STEP: f64 = 1.0;

/// The preview of `order` at market price `market` (if the symbol trades).
pub fn order_preview(order: &PreOrder, market: Option<f64>) -> OrderPreview {
    let fallback = match check(order, market.is_some()) {
        Ok(fallback) => fallback,
        Err(Refusal { message, .. }) => {
            return OrderPreview {
                sections: Vec::new(),
                confirm_id: None,
                warnings: None,
                errors: Some(vec![message]),
            };
        }
    };
    let price = match order.order_type {
        OrderType::Market => market.or(fallback),
        OrderType::Limit | OrderType::StopLimit => order.limit_price,
        OrderType::Stop => order.stop_price,
    }
    .unwrap_or_default();
    let value = price * order.qty;
    let row = |title: &str, value: String| PreviewRow { title: title.to_owned(), value };
    let mut details = vec![
        row("Symbol", order.symbol.clone()),
        row("Side", if order.side == Side::Buy { "Buy" } else { "Sell" }.to_owned()),
        row("Type", type_name(order.order_type).to_owned()),
        row("Quantity", trim(order.qty)),
        row("Price", money(price)),
    ];
    for (title, value) in [("Take profit", order.take_profit), ("Stop loss", order.stop_loss)] {
        if let Some(value) = value {
            details.push(row(title, money(value)));
        }
    }
    let cost = vec![
        row("Estimated value", money(value)),
        row("Commission", money(value * COMMISSION)),
        row("Margin", money(value * MARGIN)),
    ];
    let warnings = (order.order_type == OrderType::Market && market.is_none())
        .then(|| vec![format!("no market price for {}: the order fills at the price you saw", order.symbol)]);
    OrderPreview {
        sections: vec![
            PreviewSection { header: Some("Order".into()), rows: details },
            PreviewSection { header: Some("Cost".into()), rows: cost },
        ],
        confirm_id: None,
        warnings,
        errors: None,
    }
}

/// `GET /leverage/info` for `symbol`, given the leverage set (if any).
pub fn leverage_info(symbol: &str, set: Option<f64>) -> LeverageInfo {
    LeverageInfo {
        title: format!("Leverage for {symbol}"),
        leverage: set.unwrap_or(DEFAULT_LEVERAGE),
        min: MIN_LEVERAGE,
        max: MAX_LEVERAGE,
        step: LEVERAGE_STEP,
    }
}

/// Why `leverage` cannot be set, if it cannot.
pub fn leverage_error(leverage: f64) -> Option<String> {
    let valid = leverage.is_finite() && (MIN_LEVERAGE..=MAX_LEVERAGE).contains(&leverage) && leverage.fract() == 0.0;
    (!valid).then(|| format!("leverage: must be a whole number from {MIN_LEVERAGE} to {MAX_LEVERAGE}"))
}

/// `POST /leverage/preview`.
pub fn leverage_preview(symbol: &str, leverage: f64) -> LeveragePreviewResult {
    if let Some(error) = leverage_error(leverage) {
        return LeveragePreviewResult { errors: Some(vec![error]), ..LeveragePreviewResult::default() };
    }
    let warnings = (leverage > 50.0).then(|| vec!["high leverage: small price moves make large losses".to_owned()]);
    LeveragePreviewResult {
        infos: Some(vec![format!("{symbol} will trade at {}:1 leverage", trim(leverage))]),
        warnings,
        errors: None,
    }
}

fn type_name(order_type: OrderType) -> &'static str {
    match order_type {
        OrderType::Limit => "Limit",
        OrderType::Market => "Market",
        OrderType::Stop => "Stop",
        OrderType::StopLimit => "Stop limit",
    }
}

fn money(value: f64) -> String {
    format!("{value:.2}")
}

fn trim(value: f64) -> String {
    if value.fract() == 0.0 { format!("{value:.0}") } else { value.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trading::market_order;

    #[test]
    fn a_preview_estimates_value_commission_and_margin() {
        let order = PreOrder { qty: 10.0, ..market_order("AAPL", Side::Buy) };
        let preview = order_preview(&order, Some(200.0));
        let cost = &preview.sections[1].rows;
        let values: Vec<(&str, &str)> = cost.iter().map(|row| (row.title.as_str(), row.value.as_str())).collect();
        assert_eq!(values, [("Estimated value", "2000.00"), ("Commission", "2.00"), ("Margin", "1000.00")]);
        assert_eq!(preview.errors, None);
    }

    #[test]
    fn a_preview_of_an_invalid_order_lists_the_errors() {
        let preview = order_preview(&market_order("AAPL", Side::Buy), Some(200.0));
        assert_eq!(preview.errors, Some(vec!["qty: must be a positive number, at most 1e9".to_owned()]));
        assert!(preview.sections.is_empty());
    }

    #[test]
    fn leverage_is_a_whole_number_from_1_to_100() {
        assert_eq!(leverage_info("AAPL", None).leverage, 10.0);
        assert!(leverage_error(20.0).is_none());
        for bad in [0.0, 101.0, 2.5, f64::NAN] {
            assert!(leverage_error(bad).is_some(), "{bad}");
        }
        assert!(leverage_preview("AAPL", 0.0).errors.is_some());
        assert!(leverage_preview("AAPL", 80.0).warnings.is_some());
    }
}

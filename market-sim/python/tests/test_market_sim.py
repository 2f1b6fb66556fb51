"""The Python market against the Rust crate's golden values (``market-sim/tests/golden.json``), value for value."""

from __future__ import annotations

import json
import unittest
from pathlib import Path

import market_sim
from market_sim import Market, SplitMix64, deviation, round_to_cents, volume_between

GOLDEN = json.loads((Path(__file__).resolve().parents[2] / "tests" / "golden.json").read_text())


class GoldenValues(unittest.TestCase):
    def test_splitmix_matches_the_rust_sequence(self) -> None:
        for case in GOLDEN["splitmix"]:
            rng = SplitMix64(case["seed"])
            self.assertEqual([rng.next_u64() for _ in range(4)], case["next_u64"])
            self.assertEqual([rng.next_signed() for _ in range(4)], case["then_next_signed"])

    def test_the_walk_and_volumes_match(self) -> None:
        for case in GOLDEN["deviation"]:
            self.assertEqual(deviation(case["key"], case["n"]), case["value"], case)
        for case in GOLDEN["volume"]:
            self.assertEqual(volume_between(case["key"], case["from"], case["to"]), case["value"], case)

    def test_session_figures_match_market_at(self) -> None:
        for case in GOLDEN["markets"]:
            market = Market(case["seed"], case["step_ms"])
            for symbol, expected in case["symbols"].items():
                state = market.state(symbol, case["now_ms"])
                assert state is not None
                got = {
                    "price": state.price,
                    "open": state.open,
                    "high": state.high,
                    "low": state.low,
                    "prev_close": state.prev_close,
                    "volume": state.volume,
                    "half_spread": state.half_spread(),
                }
                self.assertEqual(got, expected, f"{symbol} at {case}")
                self.assertEqual(market.price(symbol, case["now_ms"]), expected["price"])

    def test_prices_along_a_live_path_match(self) -> None:
        live = GOLDEN["live"]
        market = Market(live["seed"], live["step_ms"])
        for point in live["prices"]:
            for symbol in ("AAPL", "NVDA"):
                self.assertEqual(market.price(symbol, point["now_ms"]), point[symbol], point)


class Rounding(unittest.TestCase):
    def test_halves_round_away_from_zero_as_rust_does(self) -> None:
        self.assertEqual(round_to_cents(0.125), 0.13)  # Python's round(12.5) would give 12
        self.assertEqual(round_to_cents(-0.125), -0.13)
        self.assertEqual(round_to_cents(0.49999999999999994 / 100), 0.0)
        self.assertEqual(round_to_cents(227.544999), 227.54)

    def test_unknown_symbols_are_not_simulated(self) -> None:
        market = Market(1, 200)
        self.assertTrue(market.knows("AAPL"))
        self.assertFalse(market.knows("NOPE"))
        self.assertIsNone(market.state("NOPE", 0))
        self.assertTrue(market.known_symbols().startswith("AAPL, "))
        self.assertEqual(len(market_sim.SYMBOLS), 12)


if __name__ == "__main__":
    unittest.main()

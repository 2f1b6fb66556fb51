"""The trading module natively, on topicwire.testing's in-memory host: topics, trades, durable ids, REST."""

from __future__ import annotations

import json
import os
import unittest
from unittest import mock

from market_sim import Market
from topicwire import Caller, Request, ServiceError
from topicwire.testing import TestHost
from trading import service
from trading.tape import ID_BLOCK, RESERVED_KEY
from trading.ws_generated import app

#: 2026-12-01 12:00 UTC.
NOON = 1_796_126_400_000


class Trading(unittest.TestCase):
    def setUp(self) -> None:
        self.host = TestHost().__enter__()
        self.addCleanup(self.host.__exit__)
        self.now = NOON
        clock = mock.patch.object(service, "now_ms", lambda: self.now)
        clock.start()
        self.addCleanup(clock.stop)
        env = mock.patch.dict(os.environ, {"SEED": "7", "TICK_MS": "200", "DEBUG_ENDPOINTS": "true"})
        env.start()
        self.addCleanup(env.stop)
        app.module._service = None  # a fresh instance: the service is created on the first call
        app.module._http = None

    def subscribe(self, request: str) -> str:
        topic = app.module.build_topic("trades", request, Caller.anonymous())
        app.module.create_topic(topic)
        return topic

    def test_a_topic_trades_each_symbol_every_tick_at_the_markets_price(self) -> None:
        topic = self.subscribe('{"symbols": ["AAPL", "MSFT", "AAPL"], "junk": 1}')
        self.assertEqual(topic, 'trades:{"symbols":["AAPL","MSFT","AAPL"]}')
        self.assertEqual(self.host.timers[topic], 200)
        self.now += 200
        app.module.on_timer(topic)
        app.module.on_timers([topic])  # the same step: nothing new
        trades = self.host.updates_of(topic)
        self.assertEqual([trade["symbol"] for trade in trades], ["AAPL", "MSFT", "AAPL", "MSFT"])
        self.assertEqual([trade["id"] for trade in trades], [1, 2, 3, 4])
        market = Market(7, 200)
        self.assertEqual(trades[2]["price"], market.price("AAPL", NOON + 200))
        self.assertEqual(trades[2]["time"], NOON + 200)
        self.assertIn(trades[2]["side"], (1, -1))
        self.assertEqual(trades[2]["quantity"], market.volume_between("AAPL", NOON, NOON + 200))

    def test_topics_sharing_a_symbol_publish_the_same_trade(self) -> None:
        one, two = self.subscribe('{"symbols": ["NVDA"]}'), self.subscribe('{"symbols": ["NVDA", "V"]}')
        self.assertEqual(self.host.updates_of(one)[0], self.host.updates_of(two)[0])

    def test_unknown_symbols_and_bad_requests_are_refused_naming_the_field(self) -> None:
        with self.assertRaises(ServiceError) as refused:
            self.subscribe('{"symbols": ["AAPL", "NOPE"]}')
        self.assertEqual(refused.exception.kind, "invalid-request")
        self.assertTrue(refused.exception.reason.startswith("symbols.1: unknown symbol `NOPE`; known symbols: AAPL,"))
        for request, reason in [
            ('{"symbols": []}', "symbols: List should have at least 1 item after validation, not 0"),
            ('{"symbols": [1]}', "symbols.0: Input should be a valid string"),
            ("{}", "symbols: Field required"),
            ("[1]", "expected a JSON object, got list"),
        ]:
            with self.assertRaises(ServiceError) as refused:
                app.module.build_topic("trades", request, None)
            self.assertEqual(refused.exception.reason, reason)
        with self.assertRaises(ServiceError) as unknown:
            app.module.build_topic("bars", "{}", None)
        self.assertEqual(unknown.exception.kind, "unknown-route")

    def test_ids_are_reserved_durably_so_a_new_instance_never_repeats_one(self) -> None:
        topic = self.subscribe('{"symbols": ["AAPL"]}')
        first = self.host.updates_of(topic)[0]["id"]
        self.assertEqual(int(self.host.buckets[""][RESERVED_KEY]), ID_BLOCK)
        app.module._service = None  # the instance restarts; the bucket survives
        app.module.create_topic(topic)
        self.assertEqual(self.host.updates_of(topic)[-1]["id"], ID_BLOCK + 1)
        self.assertGreater(ID_BLOCK + 1, first)

    def test_a_store_failure_refuses_the_topic(self) -> None:
        self.host.fail_writes = "max_state_bytes"
        with self.assertRaises(ServiceError) as refused:
            self.subscribe('{"symbols": ["AAPL"]}')
        self.assertEqual((refused.exception.kind, refused.exception.reason), ("failed", "state: max_state_bytes"))

    def test_the_rest_api(self) -> None:
        self.assertEqual(app.module.handle_http(Request("GET", "/trades/AAPL/last")).status, 404)
        topic = self.subscribe('{"symbols": ["AAPL"]}')
        last = app.module.handle_http(Request("GET", "/trades/AAPL/last"))
        self.assertEqual(last.status, 200)
        self.assertEqual(json.loads(last.body), self.host.updates_of(topic)[-1])
        unknown = app.module.handle_http(Request("GET", "/trades/NOPE/last"))
        self.assertEqual(unknown.status, 404)
        self.assertIn("unknown symbol `NOPE`", json.loads(unknown.body)["detail"])
        symbols = json.loads(app.module.handle_http(Request("GET", "/symbols")).body)
        self.assertEqual(symbols[0], {"symbol": "AAPL", "description": "Apple Inc.", "exchange": "NASDAQ"})
        self.assertEqual(app.module.handle_http(Request("POST", "/symbols")).status, 405)
        with self.assertRaises(RuntimeError):
            app.module.handle_http(Request("POST", "/debug/crash"))

    def test_routes_describe_themselves(self) -> None:
        [(name, description, request_schema, data_schema, delivery, history)] = app.module.routes()
        self.assertEqual((name, delivery.value, history), ("trades", "conflate", None))
        self.assertIn("shared market", description)
        self.assertEqual(json.loads(request_schema)["required"], ["symbols"])
        self.assertEqual(
            list(json.loads(data_schema)["properties"]), ["id", "symbol", "price", "quantity", "time", "side"]
        )


if __name__ == "__main__":
    unittest.main()

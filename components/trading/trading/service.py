"""The `trades` handlers: a topic's timer publishes one trade per symbol every tick."""

from __future__ import annotations

import time

from market_sim import Market
from topicwire import Bucket, invalid_request

from . import settings
from .tape import Tape, TradeIds
from .ws_generated import TradeWsTopic, WsRouteService


def now_ms() -> int:
    """Wall-clock epoch milliseconds."""
    return time.time_ns() // 1_000_000


class Trading(WsRouteService):
    """The trading service: one per instance, created on its first call (so settings come from the host)."""

    def __init__(self) -> None:
        self.market = Market(settings.seed(), settings.tick_ms())
        self.tick_ms = settings.tick_ms()
        self.tape = Tape(self.market, TradeIds(Bucket.open()), self.tick_ms)
        #: Per live topic: its symbols (each once) and the market step it last traded at.
        self.topics: dict[str, tuple[list[str], int | None]] = {}

    def create_trades(self, topic: TradeWsTopic) -> None:
        symbols = list(dict.fromkeys(topic.request().symbols))
        for index, symbol in enumerate(topic.request().symbols):
            if not self.market.knows(symbol):
                known = self.market.known_symbols()
                raise invalid_request(f"symbols.{index}: unknown symbol `{symbol}`; known symbols: {known}")
        self.topics[topic.topic] = (symbols, None)
        topic.set_timer(self.tick_ms)
        self.publish(topic)

    def remove_trades(self, topic: TradeWsTopic) -> None:
        self.topics.pop(topic.topic, None)

    def on_timer_trades(self, topic: TradeWsTopic) -> None:
        self.publish(topic)

    def publish(self, topic: TradeWsTopic) -> None:
        """One trade per symbol, unless the market has not moved a step since the topic's last trades."""
        entry = self.topics.get(topic.topic)
        if entry is None:
            return
        symbols, traded_at = entry
        now = now_ms()
        position = self.market.position(now)
        if position == traded_at:
            return
        self.topics[topic.topic] = (symbols, position)
        for symbol in symbols:
            topic.update(self.tape.trade(symbol, now))

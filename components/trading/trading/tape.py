"""The trades: one per symbol and step of the shared market, numbered by ids that never repeat.

A symbol's trade at a step is the market's price then, the shares traded
since its previous trade and the side of the tick; every topic holding the
symbol publishes that same trade. Ids are reserved durably in blocks
(`wasi:keyvalue` `increment`, one write per 100 trades), so a restart, a
hot reload or `kill -9` of the host can leave a gap, never a repeat.
"""

from __future__ import annotations

from dataclasses import dataclass

from market_sim import Market
from topicwire import Bucket

from .models import Side, Trade

#: The counter of reserved ids, in the module's default bucket.
RESERVED_KEY = "trade-ids-reserved"
#: Ids reserved per write.
ID_BLOCK = 100


class TradeIds:
    """Trade ids: unique for the life of the module's data."""

    def __init__(self, bucket: Bucket) -> None:
        self._bucket = bucket
        self._next = 0
        self._limit = 0

    def take(self) -> int:
        """The next id; reserves a new block first when the current one is used up."""
        if self._next >= self._limit:
            self._limit = self._bucket.increment(RESERVED_KEY, ID_BLOCK)
            self._next = self._limit - ID_BLOCK
        self._next += 1
        return self._next


@dataclass
class _Last:
    position: int
    trade: Trade


class Tape:
    """The last trade of each symbol, made on demand from the market."""

    def __init__(self, market: Market, ids: TradeIds, tick_ms: int) -> None:
        self.market = market
        self.ids = ids
        self.tick_ms = tick_ms
        self._last: dict[str, _Last] = {}

    def trade(self, symbol: str, now_ms: int) -> Trade:
        """``symbol``'s trade at the market step of ``now_ms`` (the same one for every topic asking in that step)."""
        position = self.market.position(now_ms)
        last = self._last.get(symbol)
        if last is not None and last.position == position:
            return last.trade
        price = self.market.price(symbol, now_ms)
        since = last.trade.time if last is not None else now_ms - self.tick_ms
        quantity = max(self.market.volume_between(symbol, since, now_ms), 1)
        if last is None or price == last.trade.price:
            side = last.trade.side if last is not None else Side.BUY
        else:
            side = Side.BUY if price > last.trade.price else Side.SELL
        trade = Trade(id=self.ids.take(), symbol=symbol, price=price, quantity=quantity, time=now_ms, side=side)
        self._last[symbol] = _Last(position, trade)
        return trade

    def last(self, symbol: str) -> Trade | None:
        """``symbol``'s last trade, if it traded since the instance started."""
        last = self._last.get(symbol)
        return last.trade if last is not None else None

"""The trading module's REST API, under `/api/v1/trading`:

| request | answer |
|---|---|
| `GET /trades/{symbol}/last` | 200 the symbol's last trade; 404 `{"detail"}` before its first trade, or unknown |
| `GET /symbols` | 200 the tradable symbols |
| `POST /debug/crash` | only with `DEBUG_ENDPOINTS = true`: raises, which traps the instance (the host restarts it) |
"""

from __future__ import annotations

from market_sim import SYMBOLS
from topicwire import HttpService, Request, Response

from . import settings
from .models import SymbolInfo


class TradingApi(HttpService):
    """The REST API; `self.service` is the instance's `Trading` service."""

    def handle(self, request: Request) -> Response:
        route = (request.method, *request.segments())
        match route:
            case ("GET", "trades", symbol, "last"):
                return self.last_trade(symbol)
            case ("GET", "symbols"):
                infos = [SymbolInfo(symbol=s.symbol, description=s.description, exchange=s.exchange) for s in SYMBOLS]
                return Response.json(200, [info.model_dump() for info in infos])
            case ("POST", "debug", "crash") if settings.debug_endpoints():
                raise RuntimeError("crash requested over REST")
            case (_, "trades", _, "last") | (_, "symbols"):
                return Response.error(405, "Method Not Allowed")
        return Response.error(404, "Not Found")

    def last_trade(self, symbol: str) -> Response:
        market = self.service.market
        if not market.knows(symbol):
            return Response.error(404, f"unknown symbol `{symbol}`; known symbols: {market.known_symbols()}")
        trade = self.service.tape.last(symbol)
        if trade is None:
            return Response.error(404, f"no trade of `{symbol}` yet: subscribe to `trades` with it first")
        return Response.json(200, trade)

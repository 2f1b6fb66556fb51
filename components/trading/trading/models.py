"""Requests and updates of the `trades` route, as the Python system's trading guide declares them."""

from __future__ import annotations

import enum

from topicwire import BaseModel, Field


class Side(enum.IntEnum):
    """Which side took the trade: travels as an integer, as every enum of the Python system."""

    BUY = 1
    SELL = -1


class TradeSubscriptionRequest(BaseModel):
    """The symbols whose trades to stream."""

    symbols: list[str] = Field(min_length=1, max_length=12, description='Tickers, e.g. ["AAPL", "MSFT"]')


class Trade(BaseModel):
    """One trade of a symbol at the shared market's price."""

    id: int = Field(description="The trade's number: never repeats, across restarts too")
    symbol: str
    price: float
    quantity: int = Field(description="Shares traded since the symbol's previous trade")
    time: int = Field(description="Epoch milliseconds")
    side: Side = Field(description="1 when the price ticked up (a buyer took the offer), -1 when it ticked down")


class SymbolInfo(BaseModel):
    """A tradable symbol (`GET /symbols`)."""

    symbol: str
    description: str
    exchange: str

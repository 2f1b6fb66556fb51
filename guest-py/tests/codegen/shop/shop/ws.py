"""Declarations of the snapshot module, in the Python system's syntax."""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING

from topicwire import WsRouter, route

from .models import Order, OrdersRequest, PriceRequest
from .models import Price as Quote

if typing.TYPE_CHECKING:
    from .api import ShopApi
    from .service import Shop

    route("orders", delivery="reliable", history=500, history_ttl_secs=120)
    OrderWsRouter: typing.TypeAlias = WsRouter[OrdersRequest, Order]
    """Every change of the account's orders.

    Never conflated: a slow client is closed and re-reads over REST, or
    reconnects with its last position within two minutes and gets what it
    missed (the last 500 of each account).
    """

    route("price-ticks")
    PriceWsRouter: typing.TypeAlias = WsRouter[
        PriceRequest,
        Quote,
    ]
    """Prices of one symbol, "quoted" every tick."""

if TYPE_CHECKING:
    Service: typing.TypeAlias = Shop
    Http: typing.TypeAlias = ShopApi

"""Handlers of the snapshot module."""

from __future__ import annotations

from .ws_generated import OrderWsTopic, PriceWsTopic, WsRouteService


class Shop(WsRouteService):
    def create_orders(self, topic: OrderWsTopic) -> None:
        pass

    def create_price_ticks(self, topic: PriceWsTopic) -> None:
        topic.set_timer(100)

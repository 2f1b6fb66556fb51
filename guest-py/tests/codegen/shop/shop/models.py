"""Models of the snapshot module."""

from __future__ import annotations

from topicwire import BaseModel


class Base(BaseModel):
    account: str


class OrdersRequest(Base):
    """Orders of one account."""


class Order(BaseModel):
    id: str
    qty: float


class PriceRequest(BaseModel):
    symbol: str


class Price(BaseModel):
    symbol: str
    price: float

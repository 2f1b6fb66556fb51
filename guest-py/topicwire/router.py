"""Route declarations: the Python system's ``WsRouter[Request, Data]``.

A module's ``ws.py`` declares its routes for the generator, as the Python
system's did, inside ``if TYPE_CHECKING:``::

    if TYPE_CHECKING:
        route("trades")
        TradeWsRouter: TypeAlias = WsRouter[TradeSubscriptionRequest, Trade]
        \"\"\"Trades of the symbols asked for, as they happen.\"\"\"

``route(name, delivery=...)`` names the route of the alias below it (the
Rust ``#[route("trades")]``); the string after the alias is the route's
description. Nothing of it runs: ``python -m topicwire.codegen`` reads it
with ``ast`` and writes ``ws_generated/``, whose classes the rest of the
module imports.
"""

from __future__ import annotations

import enum
from typing import Any, Generic, TypeVar

Request = TypeVar("Request")
Data = TypeVar("Data")


class Delivery(enum.Enum):
    """What a slow client gets of a route's updates (the WIT ``delivery``)."""

    #: Market data: a client whose queue is full gets only each topic's latest update. The default.
    CONFLATE = "conflate"
    #: Account events: never conflated; a client that cannot keep up is closed with 1008.
    RELIABLE = "reliable"


class WsRouter(Generic[Request, Data]):
    """A route whose subscriptions are ``Request``s and whose updates carry ``Data``.

    Only ever written as a type, ``WsRouter[Request, Data]``, in ``ws.py``.
    """


def route(name: str, *, delivery: str = "conflate") -> None:
    """Names the route declared by the alias below it, in ``ws.py`` (read by the generator, never run)."""


def check_delivery(value: Any) -> Delivery:
    """``"conflate"`` or ``"reliable"`` as a :class:`Delivery`."""
    return value if isinstance(value, Delivery) else Delivery(value)

"""Route declarations: the Python system's ``WsRouter[Request, Data]``.

A module's ``ws.py`` declares its routes for the generator, as the Python
system's did, inside ``if TYPE_CHECKING:``::

    if TYPE_CHECKING:
        route("trades")
        TradeWsRouter: TypeAlias = WsRouter[TradeSubscriptionRequest, Trade]
        \"\"\"Trades of the symbols asked for, as they happen.\"\"\"

``route(name, delivery=..., history=..., history_ttl_secs=...)`` names
the route of the alias below it (the Rust ``#[route("trades")]``); the
string after the alias is the route's description. Nothing of it runs: ``python -m topicwire.codegen`` reads it
with ``ast`` and writes ``ws_generated/``, whose classes the rest of the
module imports.
"""

from __future__ import annotations

import enum
from typing import Any, Generic, NamedTuple, TypeVar

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


class History(NamedTuple):
    """What a route's topics keep of their updates for clients that recover (the WIT ``history``).

    ``size`` updates per topic, each kept ``ttl_secs`` seconds; ``History(0, 0)`` keeps none.
    """

    size: int
    ttl_secs: int


#: The most updates a route may keep per topic, and the longest in seconds: the host's bounds.
MAX_HISTORY = 10_000
MAX_HISTORY_TTL_SECS = 3_600
#: What ``history=N`` alone keeps its updates for, and ``history_ttl_secs=S`` alone keeps (a reliable route's default).
DEFAULT_HISTORY = 1_000
DEFAULT_HISTORY_TTL_SECS = 300


def route(
    name: str,
    *,
    delivery: str = "conflate",
    history: int | None = None,
    history_ttl_secs: int | None = None,
) -> None:
    """Names the route declared by the alias below it, in ``ws.py`` (read by the generator, never run).

    ``history=N`` keeps the last ``N`` updates of each topic (at most 10000; 0 keeps none) for
    ``history_ttl_secs`` seconds (at most 3600; 300 by default), so a client that reconnects with
    the last position it saw gets what it missed. Without either, the route keeps its delivery's
    default: none for ``conflate``, 1000 updates for 300 s for ``reliable``.
    """


def check_history(size: int | None, ttl_secs: int | None) -> History | None:
    """The history ``route(history=size, history_ttl_secs=ttl_secs)`` declares, as the host will check it.

    ``None`` when neither is given (the delivery's default). Raises ``ValueError`` naming the bound
    when the host would refuse to load the component.
    """
    for key, value, bound in (("history", size, MAX_HISTORY), ("history_ttl_secs", ttl_secs, MAX_HISTORY_TTL_SECS)):
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"`{key}` must be a whole number from 0 to {bound}, found {value!r}")
        if value > bound:
            raise ValueError(f"`{key}={value}` is out of bounds: at most {bound}")
    if size is None and ttl_secs is None:
        return None
    if ttl_secs is None:
        return History(0, 0) if size == 0 else History(size, DEFAULT_HISTORY_TTL_SECS)  # type: ignore[arg-type]
    if size is None:
        size = DEFAULT_HISTORY
    if (size == 0) != (ttl_secs == 0):
        raise ValueError(
            f"`history={size}` with `history_ttl_secs={ttl_secs}` keeps nothing: "
            "give both a value above 0, or write `history=0` alone for none"
        )
    return History(size, ttl_secs)


def check_delivery(value: Any) -> Delivery:
    """``"conflate"`` or ``"reliable"`` as a :class:`Delivery`."""
    return value if isinstance(value, Delivery) else Delivery(value)

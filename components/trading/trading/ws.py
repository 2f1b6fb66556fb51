"""Route declarations of the trading module, as the Python system wrote them.

`python -m topicwire.codegen components/trading` (`just codegen`) reads the
`if TYPE_CHECKING:` block with `ast` and writes `ws_generated/`; at run time
the names come from there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from topicwire import WsRouter, route

from .models import Trade, TradeSubscriptionRequest

if TYPE_CHECKING:
    from .api import TradingApi
    from .service import Trading

    route("trades")
    TradeWsRouter: TypeAlias = WsRouter[TradeSubscriptionRequest, Trade]
    """Trades of the symbols asked for, one per symbol every tick, at the shared market's prices."""

    Service: TypeAlias = Trading
    Http: TypeAlias = TradingApi
else:
    from .ws_generated import TradeWsRouter, TradeWsTopic  # noqa: F401 - what the declarations became

"""Module settings, from the WASI environment the host builds from `[modules.trading]`.

Read when the service starts (an instance's first call), never at import:
componentize-py runs the imports when it builds the component.
"""

from __future__ import annotations

import os

#: Default tick: one trade per symbol every 200 ms (the datafeed's default too).
DEFAULT_TICK_MS = 200
#: Default seed of the market: the datafeed's, so both modules see the same prices.
DEFAULT_SEED = 42


def _number(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "").strip())
    except ValueError:
        return default


def tick_ms() -> int:
    """Milliseconds between trades: `TICK_MS`, at least 1."""
    return max(_number("TICK_MS", DEFAULT_TICK_MS), 1)


def seed() -> int:
    """Seed of the market: `SEED`."""
    return _number("SEED", DEFAULT_SEED)


def debug_endpoints() -> bool:
    """Whether `POST /debug/crash` is served: `DEBUG_ENDPOINTS = true`."""
    return os.environ.get("DEBUG_ENDPOINTS", "").strip().lower() in ("1", "true", "yes")

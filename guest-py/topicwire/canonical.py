"""Canonical JSON: the request part of a topic.

Exactly the Python system's ``json.dumps(value, sort_keys=True,
separators=(",", ":"))``: keys sorted at every level, no whitespace, list
order kept, every character outside printable ASCII escaped as ``\\uXXXX``
(surrogate pairs beyond the BMP). The Rust guest (``guest/src/canonical.rs``)
writes the same bytes for strings, integers, booleans, null and ordinary
decimals; ``guest-py/tests/canonical_cases.json`` holds the cases both check.
Floats that Python prints with an exponent (``1e+20``) are the one
difference: Rust prints ``1e20``. NaN and infinities are not JSON and are
refused.
"""

from __future__ import annotations

import json
from typing import Any

_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False, check_circular=False
)


def to_canonical_json(value: Any) -> str:
    """``value`` (JSON-compatible: dict, list, str, int, float, bool, None) as canonical JSON text.

    Raises ``ValueError`` for NaN or an infinity, ``TypeError`` for a value
    that is not JSON.
    """
    return _ENCODER.encode(value)


def route_of(topic: str) -> str:
    """The route part of a topic: everything before the first ``:``."""
    route, _, _ = topic.partition(":")
    return route

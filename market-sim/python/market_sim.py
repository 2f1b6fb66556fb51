"""The seeded market of ``market-sim`` (the Rust crate beside this file), in Python.

Prices are a pure function of the seed, the symbol and the time, so a
Python module and the Rust ones agree on every price: the same integer
arithmetic (SplitMix64, FNV-1a, on 64-bit words), the same floating-point
operations in the same order, and rounding to cents half away from zero, as
Rust's ``f64::round``. ``tests/test_market_sim.py`` checks it value for
value against ``market-sim/tests/golden.json``, which the Rust crate's own
test writes and checks (``market-sim/tests/golden.rs``).

Unlike the Rust ``Market``, which keeps every symbol's session figures up to
date as it advances, :class:`Market` computes what is asked: a price is 32
hashes and one ``exp``, cheap enough for CPython inside a component;
:meth:`Market.state` (a session's open, high, low and volume, as
``Market::at(seed, step_ms, now).get(symbol)``) scans up to 2 048 steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MASK = (1 << 64) - 1
#: One session: a UTC day, in milliseconds.
SESSION_MS = 24 * 60 * 60 * 1000
#: The path's own resolution: one price per 50 ms, whatever step a module samples it at.
WALK_STEP_MS = 50
#: Largest number of steps scanned for a high or a low; longer ranges are sampled.
RANGE_SAMPLES = 2_048
#: Octaves of the value noise: the walk's memory is about 2^16 steps.
OCTAVES = 16
#: Amplitude of the finest octave, in log-price.
FINEST_AMPLITUDE = 0.0003
_SQRT_2 = math.sqrt(2.0)


class SplitMix64:
    """SplitMix64 (Steele, Lea, Flood 2014), as ``market_sim::SplitMix64``."""

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        self.state = seed & MASK

    def next_u64(self) -> int:
        """The next 64 random bits."""
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def next_unit(self) -> float:
        """A uniform float in [0, 1): the top 53 bits over 2^53 (exact)."""
        return (self.next_u64() >> 11) / float(1 << 53)

    def next_signed(self) -> float:
        """A uniform float in [-1, 1)."""
        return self.next_unit() * 2.0 - 1.0


def fnv1a(text: str) -> int:
    """FNV-1a of the symbol's UTF-8 bytes: mixes a symbol into the seed."""
    hash_ = 0xCBF29CE484222325
    for byte in text.encode():
        hash_ = ((hash_ ^ byte) * 0x00000100000001B3) & MASK
    return hash_


def _lattice(key: int, octave: int, index: int) -> float:
    mixed = key ^ ((octave << 58) & MASK) ^ ((index * 0xD1342543DE82EF95) & MASK)
    return SplitMix64(mixed).next_signed()


def _smoothstep(t: float) -> float:
    return t * t * (3.0 - 2.0 * t)


def deviation(key: int, n: int) -> float:
    """Log-price deviation from the symbol's base at path index ``n``, for the walk keyed by ``key``."""
    total = 0.0
    amplitude = FINEST_AMPLITUDE
    for octave in range(OCTAVES):
        index = n >> octave
        fraction = (n & ((1 << octave) - 1)) / float(1 << octave)
        a, b = _lattice(key, octave, index), _lattice(key, octave, (index + 1) & MASK)
        total += amplitude * (a + (b - a) * _smoothstep(fraction))
        amplitude *= _SQRT_2
    return total


def _cumulative_volume(key: int, n: int) -> int:
    jitter = SplitMix64(key ^ 0x766F6C756D65 ^ ((n * 0x9E3779B97F4A7C15) & MASK)).next_u64() % 2_400
    return min(min(n * 2_500, MASK) + jitter, MASK)


def volume_between(key: int, start: int, end: int) -> int:
    """Shares traded from path index ``start`` to ``end`` (``start <= end``)."""
    return max(_cumulative_volume(key, end) - _cumulative_volume(key, start), 0)


def round_to_cents(price: float) -> float:
    """Rounds to whole cents, halves away from zero (Rust's ``f64::round``, not Python's ``round``)."""
    scaled = price * 100.0
    magnitude = abs(scaled)
    whole = math.floor(magnitude)
    if magnitude - whole >= 0.5:  # exact: both are floats of the same binade or finer
        whole += 1
    return math.copysign(whole, scaled) / 100.0


def price_at(key: int, base: float, n: int) -> float:
    """The price of the walk ``key`` around ``base`` at path index ``n``, in cents."""
    return round_to_cents(max(base * math.exp(deviation(key, n)), 0.01))


@dataclass(frozen=True)
class Range:
    """Open, high, low, close and volume between two path indices."""

    open: float
    high: float
    low: float
    close: float
    volume: int


def range_of(key: int, base: float, start: int, end: int) -> Range:
    """The range from path index ``start`` to ``end``; the high and low are sampled when it is long."""
    open_, close = price_at(key, base, start), price_at(key, base, end)
    stride = max((end - start) // RANGE_SAMPLES, 1)
    high, low = max(open_, close), min(open_, close)
    n = start + stride
    while n < end:
        price = price_at(key, base, n)
        high, low = max(high, price), min(low, price)
        n += stride
    return Range(open_, high, low, close, volume_between(key, start, end))


@dataclass(frozen=True)
class SymbolInfo:
    """A tradable symbol."""

    symbol: str
    description: str
    exchange: str
    base_price: float


SYMBOLS = (
    SymbolInfo("AAPL", "Apple Inc.", "NASDAQ", 228.50),
    SymbolInfo("GOOGL", "Alphabet Inc. Class A", "NASDAQ", 172.30),
    SymbolInfo("MSFT", "Microsoft Corporation", "NASDAQ", 415.20),
    SymbolInfo("AMZN", "Amazon.com, Inc.", "NASDAQ", 186.40),
    SymbolInfo("TSLA", "Tesla, Inc.", "NASDAQ", 251.10),
    SymbolInfo("NVDA", "NVIDIA Corporation", "NASDAQ", 121.40),
    SymbolInfo("META", "Meta Platforms, Inc.", "NASDAQ", 512.80),
    SymbolInfo("NFLX", "Netflix, Inc.", "NASDAQ", 648.00),
    SymbolInfo("AMD", "Advanced Micro Devices, Inc.", "NASDAQ", 158.90),
    SymbolInfo("INTC", "Intel Corporation", "NASDAQ", 31.20),
    SymbolInfo("JPM", "JPMorgan Chase & Co.", "NYSE", 205.60),
    SymbolInfo("V", "Visa Inc.", "NYSE", 271.30),
)
_BY_SYMBOL = {info.symbol: info for info in SYMBOLS}


@dataclass(frozen=True)
class SymbolState:
    """A symbol at one step, as ``market_sim::SymbolState``."""

    info: SymbolInfo
    price: float
    open: float
    high: float
    low: float
    prev_close: float
    volume: int

    def half_spread(self) -> float:
        """Half the bid/ask spread: one cent or 0.01 % of the price, whichever is larger."""
        return round_to_cents(max(self.price * 0.0001, 0.01))


class Market:
    """The simulated symbols, sampled at steps of ``step_ms`` milliseconds, for ``seed``."""

    def __init__(self, seed: int, step_ms: int) -> None:
        self.seed = seed & MASK
        self.step_ms = max(int(step_ms), 1)

    def knows(self, symbol: str) -> bool:
        """Whether ``symbol`` is simulated."""
        return symbol in _BY_SYMBOL

    def known_symbols(self) -> str:
        """The simulated symbols, comma-separated, for error messages."""
        return ", ".join(info.symbol for info in SYMBOLS)

    def info(self, symbol: str) -> SymbolInfo | None:
        """The symbol's description, if simulated."""
        return _BY_SYMBOL.get(symbol)

    def key(self, symbol: str) -> int:
        """The walk's key of ``symbol``."""
        return self.seed ^ fnv1a(symbol)

    def position(self, now_ms: int) -> int:
        """The path index at wall-clock ``now_ms``: prices change only when it does."""
        return min((now_ms // self.step_ms) * self.step_ms, MASK) // WALK_STEP_MS

    def price(self, symbol: str, now_ms: int) -> float:
        """The last price of ``symbol`` at ``now_ms`` (``KeyError`` when not simulated)."""
        info = _BY_SYMBOL[symbol]
        return price_at(self.key(symbol), info.base_price, self.position(now_ms))

    def volume_between(self, symbol: str, from_ms: int, to_ms: int) -> int:
        """Shares of ``symbol`` traded from ``from_ms`` to ``to_ms``."""
        return volume_between(self.key(symbol), self.position(from_ms), self.position(max(from_ms, to_ms)))

    def state(self, symbol: str, now_ms: int) -> SymbolState | None:
        """The symbol's session figures at ``now_ms``: ``Market::at(seed, step_ms, now_ms).get(symbol)``."""
        info = _BY_SYMBOL.get(symbol)
        if info is None:
            return None
        key = self.key(symbol)
        step = now_ms // self.step_ms
        session = min(step * self.step_ms, MASK) // SESSION_MS
        first = -(-(session * SESSION_MS) // WALK_STEP_MS)
        now = max(self.position(now_ms), first)
        day = range_of(key, info.base_price, first, now)
        prev_close = price_at(key, info.base_price, max(first - 1, 0))
        return SymbolState(info, day.close, day.open, day.high, day.low, prev_close, day.volume)

"""Models declared once, built twice: with topicwire.models and (where installed) with Pydantic itself."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal, Optional, Union


class Side(enum.IntEnum):
    BUY = 1
    SELL = -1


class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


def build(lib: Any) -> dict[str, Any]:
    """The models, on ``lib``'s ``BaseModel`` and ``Field`` (``topicwire`` or ``pydantic``)."""
    BaseModel, Field = lib.BaseModel, lib.Field  # noqa: N806 - the libraries' names
    namespace: dict[str, Any] = {"Side": Side, "Color": Color, "Optional": Optional}

    class Inner(BaseModel):
        """An inner model."""

        a: int
        b: Optional[str] = None

    namespace["Inner"] = Inner

    class Everything(BaseModel):
        """Every supported annotation.

        With a second paragraph."""

        s: str
        i: int = Field(3, ge=0, description="an int")
        f: float = 1.5
        b: bool = False
        items: list[str] = Field(default_factory=list, min_length=0, max_length=3)
        o: Optional[int] = None
        u: int | None = None
        lit: Literal["a", "b"] = "a"
        side: Side = Side.BUY
        color: Color = Color.RED
        inner: Optional[Inner] = None
        inners: list[Inner] = []
        d: dict[str, int] = {}
        acct: str = Field("x", alias="accountId")
        ann: Annotated[int, Field(gt=0, le=10)] = 1
        anything: Any = None
        un: Union[int, str] = 0
        name: str = Field("n", min_length=1, max_length=5, title="Custom", examples=["ab"])
        ratio: float = Field(0.5, lt=1.0)

    class Trade(BaseModel):
        symbol: str = Field(description="Ticker, e.g. AAPL")
        price: float
        quantity: int = Field(gt=0)
        time: int
        side: Side

    class Strict(BaseModel):
        model_config = lib.ConfigDict(extra="forbid")
        x: int

    class Checked(BaseModel):
        symbols: list[str] = Field(min_length=1)

        @lib.field_validator("symbols")
        @classmethod
        def upper(cls, symbols: list[str]) -> list[str]:
            if any(not symbol for symbol in symbols):
                raise ValueError("symbols must not be empty")
            return [symbol.upper() for symbol in symbols]

        @lib.field_validator("symbols", mode="before")
        @classmethod
        def split(cls, value: Any) -> Any:
            return value.split(",") if isinstance(value, str) else value

    namespace.update(Everything=Everything, Trade=Trade, Strict=Strict, Checked=Checked)
    return namespace


CASES: list[tuple[str, Any]] = [
    ("Everything", {}),
    ("Everything", {"s": 1}),
    ("Everything", {"s": "x", "i": True}),
    ("Everything", {"s": "x", "i": "3"}),
    ("Everything", {"s": "x", "i": 1.0}),
    ("Everything", {"s": "x", "i": 1.5}),
    ("Everything", {"s": "x", "i": "a"}),
    ("Everything", {"s": "x", "i": -1}),
    ("Everything", {"s": "x", "i": None}),
    ("Everything", {"s": "x", "i": " 4 "}),
    ("Everything", {"s": "x", "f": "2"}),
    ("Everything", {"s": "x", "f": True}),
    ("Everything", {"s": "x", "f": "a"}),
    ("Everything", {"s": "x", "f": " 2.5"}),
    ("Everything", {"s": "x", "b": 1}),
    ("Everything", {"s": "x", "b": "yes"}),
    ("Everything", {"s": "x", "b": 2}),
    ("Everything", {"s": "x", "b": "maybe"}),
    ("Everything", {"s": "x", "b": 1.0}),
    ("Everything", {"s": "x", "items": "ab"}),
    ("Everything", {"s": "x", "items": [1]}),
    ("Everything", {"s": "x", "items": ["a"] * 4}),
    ("Everything", {"s": "x", "lit": "c"}),
    ("Everything", {"s": "x", "side": 2}),
    ("Everything", {"s": "x", "side": "1"}),
    ("Everything", {"s": "x", "color": "green"}),
    ("Everything", {"s": "x", "inner": 3}),
    ("Everything", {"s": "x", "inner": {}}),
    ("Everything", {"s": "x", "inners": [{"a": "x"}]}),
    ("Everything", {"s": "x", "d": {"a": "x"}}),
    ("Everything", {"s": "x", "d": []}),
    ("Everything", {"s": "x", "ann": 0}),
    ("Everything", {"s": "x", "ann": 11}),
    ("Everything", {"s": "x", "un": 1.5}),
    ("Everything", {"s": "x", "un": None}),
    ("Everything", {"s": "x", "un": "1"}),
    ("Everything", {"s": "x", "name": ""}),
    ("Everything", {"s": "x", "name": "abcdef"}),
    ("Everything", {"s": "x", "accountId": 3}),
    ("Everything", {"s": "x", "acct": "q"}),
    ("Everything", {"s": "x", "o": "5"}),
    ("Everything", {"s": "x", "ratio": 1.0}),
    ("Everything", {"s": "x", "inner": {"a": 1, "b": "z"}, "side": -1, "color": "blue", "lit": "b", "extra": 1}),
    ("Everything", 5),
    ("Everything", []),
    ("Trade", {"symbol": "AAPL", "price": 1, "quantity": 0, "time": 1, "side": 3}),
    ("Trade", {"symbol": "AAPL", "price": 227.5, "quantity": 10, "time": 1732240000000, "side": -1}),
    ("Strict", {"x": 1, "y": 2}),
    ("Strict", {"x": 1}),
    ("Checked", {"symbols": "aapl,msft"}),
    ("Checked", {"symbols": ["aapl", ""]}),
    ("Checked", {"symbols": []}),
    ("Checked", {"symbols": 3}),
]

"""A component's REST API as plain values.

The generated code turns a ``wasi:http/incoming-handler`` call into a
:class:`Request` for the class ``ws.py`` names ``Http`` and writes the
:class:`Response` it returns. The host strips the module's prefix:
``GET /api/v1/trading/trades/AAPL/last`` arrives as ``GET /trades/AAPL/last``,
path and query as the client sent them (not percent-decoded).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from topicwire.caller import CLAIMS_HEADER, SUBJECT_HEADER, Caller


class Request:
    """An HTTP request, its body read."""

    __slots__ = ("method", "path", "query", "headers", "body")

    def __init__(
        self,
        method: str,
        path: str,
        query: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> None:
        #: ``GET``, ``POST``, ...
        self.method = method
        #: The path below the module, e.g. ``/trades/AAPL/last``, as sent.
        self.path = path
        #: The query string without ``?``, if any, as sent.
        self.query = query
        #: Header names (lowercase) and values.
        self.headers = list(headers or [])
        #: The body.
        self.body = body

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive)."""
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)

    def query_value(self, name: str) -> str | None:
        """Query parameter ``name``, percent-decoded (``+`` is a space); ``None`` when absent or not UTF-8."""
        for pair in (self.query or "").split("&"):
            key, equals, value = pair.partition("=")
            if equals and _decode(key) == name:
                return _decode(value)
        return None

    def segments(self) -> list[str]:
        """The path's segments: ``/trades/AAPL/last`` gives ``["trades", "AAPL", "last"]``."""
        return [segment for segment in self.path.split("/") if segment]

    def json(self) -> Any:
        """The body as JSON (raises ``ValueError`` when it is not)."""
        return json.loads(self.body)

    def caller(self) -> Caller:
        """Who is asking, as the host verified it (anonymous without ``[auth]``)."""
        try:
            claims = json.loads(self.header(CLAIMS_HEADER) or "{}")
        except ValueError:
            claims = {}
        if not isinstance(claims, dict):
            claims = {}
        subject = claims.get("sub") if isinstance(claims.get("sub"), str) else self.header(SUBJECT_HEADER)
        return Caller(subject, claims)

    def __repr__(self) -> str:
        return f"Request({self.method!r}, {self.path!r}, query={self.query!r})"


def _decode(text: str) -> str | None:
    try:
        return unquote_to_bytes(text.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


class Response:
    """An HTTP response."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: list[tuple[str, str]] | None = None, body: bytes = b"") -> None:
        self.status = status
        self.headers = list(headers or [])
        self.body = body

    @classmethod
    def json(cls, status: int, value: Any) -> Response:
        """``value`` as a JSON body (a model is dumped by alias, as FastAPI does)."""
        from topicwire.models import BaseModel

        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json", by_alias=True)
        body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        return cls(status, [("content-type", "application/json")], body)

    @classmethod
    def error(cls, status: int, detail: str) -> Response:
        """``{"detail": detail}`` with ``status``, as FastAPI answers an ``HTTPException``."""
        return cls.json(status, {"detail": detail})

    def __repr__(self) -> str:
        return f"Response({self.status}, body={self.body[:80]!r})"


class HttpService:
    """A component's REST API: ``ws.py`` names a subclass ``Http``; one instance serves every request.

    It is created with the module's service (``self.service``), on the same
    instance as the topics, so both share state.
    """

    def __init__(self, service: Any) -> None:
        self.service = service

    def handle(self, request: Request) -> Response:
        """Answers one request (the default: 404)."""
        return Response.error(404, f"no such endpoint: {request.method} {request.path}")

"""Topicwire's Python guest SDK: modules written in Python, compiled to components with componentize-py.

The counterpart of the Rust ``topicwire-guest`` crate. A module author writes
models (:class:`BaseModel`, Pydantic's syntax), route declarations in
``ws.py`` (``TradeWsRouter: TypeAlias = WsRouter[TradeSubscriptionRequest,
Trade]``) and a service; ``python -m topicwire.codegen`` writes the rest.

Layout:

- :mod:`topicwire.models`: ``BaseModel``, ``Field``, ``ValidationError``.
- :mod:`topicwire.router`: ``WsRouter[Request, Data]``, ``route(...)``, ``Delivery``.
- :mod:`topicwire.topic`: typed topics (``new``, ``parse``, ``request()``, ``update``).
- :mod:`topicwire.canonical`: canonical JSON, the form of topics.
- :mod:`topicwire.errors`: ``ServiceError`` and ``invalid_request``, ``forbidden``, ``failed``.
- :mod:`topicwire.caller`: ``Caller``, the verified identity.
- :mod:`topicwire.store`: ``Bucket``, ``Batch`` over ``wasi:keyvalue``.
- :mod:`topicwire.http`: ``Request``, ``Response``, ``HttpService`` (``wasi:http``).
- :mod:`topicwire.module`: dispatch of the world's exports, used by generated code.
- :mod:`topicwire.codegen`: the ``ws.py`` → ``ws_generated/`` generator.
- :mod:`topicwire.testing`: an in-memory host for unit tests.
- :mod:`topicwire._wit`: the WIT glue, the only file that knows the bindings.
"""

from topicwire.caller import Caller
from topicwire.errors import ServiceError, failed, forbidden, invalid_request
from topicwire.http import HttpService, Request, Response
from topicwire.models import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from topicwire.router import Delivery, WsRouter, route
from topicwire.store import Batch, Bucket, StoreError

__all__ = [
    "Batch",
    "BaseModel",
    "Bucket",
    "Caller",
    "ConfigDict",
    "Delivery",
    "Field",
    "HttpService",
    "Request",
    "Response",
    "ServiceError",
    "StoreError",
    "ValidationError",
    "WsRouter",
    "failed",
    "field_validator",
    "forbidden",
    "invalid_request",
    "model_validator",
    "route",
]

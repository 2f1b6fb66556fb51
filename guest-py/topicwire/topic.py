"""Topics: ``route + ":" + canonical JSON of the validated request``.

Building a topic validates the request with the route's model and dumps it
back canonically (by alias, defaults filled in, unknown fields dropped), so
equivalent requests give the same topic. The generated ``<Name>WsTopic``
classes set the route and the models::

    topic = TradeWsTopic.new(TradeSubscriptionRequest(symbols=["AAPL"]))
    str(topic)              # 'trades:{"symbols":["AAPL"]}'
    topic.request().symbols # ['AAPL']
    topic.update(Trade(...))
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Generic, TypeVar

from topicwire import _wit
from topicwire.canonical import to_canonical_json
from topicwire.errors import ServiceError
from topicwire.models import BaseModel, ValidationError

Request = TypeVar("Request", bound=BaseModel)
Data = TypeVar("Data", bound=BaseModel)

_UNPARSED: Any = object()


def parse_request(model: type[Request], text: str) -> Request:
    """Request JSON text validated into ``model``; the error names the field."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ServiceError.invalid_request(f"malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise ServiceError.invalid_request(f"expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ServiceError.invalid_request(error.describe()) from None


def canonical_request(request: BaseModel) -> str:
    """The canonical JSON of a validated request."""
    try:
        return to_canonical_json(request.model_dump(mode="json", by_alias=True))
    except (TypeError, ValueError) as error:
        raise ServiceError.invalid_request(f"the request is not canonical JSON: {error}") from None


def data_json(data: Any) -> str:
    """An update's data as JSON text (a model by alias)."""
    if isinstance(data, BaseModel):
        return data.model_dump_json(by_alias=True)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class TypedTopic(Generic[Request, Data]):
    """A canonical topic of one route with its typed request, parsed at most once and only when read."""

    #: The route's name (set by the generated subclass).
    route: ClassVar[str] = ""
    #: The route's request model.
    request_model: ClassVar[type[BaseModel]]
    #: The route's update model.
    data_model: ClassVar[type[BaseModel]]

    __slots__ = ("topic", "_request")

    def __init__(self, topic: str, request: Any = _UNPARSED) -> None:
        #: The canonical topic string.
        self.topic = topic
        self._request = request

    @classmethod
    def new(cls, request: Request) -> Any:
        """The topic of ``request`` (a model instance, or a dict validated into one)."""
        if not isinstance(request, cls.request_model):
            try:
                request = cls.request_model.model_validate(request)
            except ValidationError as error:
                raise ServiceError.invalid_request(error.describe()) from None
        return cls(f"{cls.route}:{canonical_request(request)}", request)

    @classmethod
    def parse(cls, topic: str) -> Any:
        """Validates ``topic`` as a topic of this route and parses its request."""
        route, colon, rest = topic.partition(":")
        if route != cls.route or not colon:
            raise ServiceError.invalid_request(f"topic `{topic}` is not of route `{cls.route}`")
        return cls(topic, parse_request(cls.request_model, rest))

    @classmethod
    def accepted(cls, topic: str) -> Any:
        """A topic this component accepted before (``create-topic`` parsed it); parsed on first use."""
        return cls(topic)

    def request(self) -> Request:
        """The typed request (parsed on first call)."""
        if self._request is _UNPARSED:
            try:
                self._request = parse_request(self.request_model, self.topic.partition(":")[2])
            except ServiceError as error:
                raise RuntimeError(f"the host handed back a topic this component never accepted: {error}") from None
        return self._request

    def update(self, data: Data) -> None:
        """Publishes ``data`` (the route's model) to every subscriber of this topic."""
        _wit.host.topic_update(self.topic, data_json(data))

    def update_json(self, text: str) -> None:
        """Publishes JSON text as it is."""
        _wit.host.topic_update(self.topic, text)

    def set_timer(self, period_ms: int) -> None:
        """Has the host call this route's ``on_timer_<route>`` every ``period_ms`` milliseconds."""
        _wit.host.set_timer(self.topic, int(period_ms))

    def clear_timer(self) -> None:
        """Stops this topic's timer."""
        _wit.host.clear_timer(self.topic)

    def __str__(self) -> str:
        return self.topic

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.topic!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TypedTopic) and other.topic == self.topic

    def __hash__(self) -> int:
        return hash(self.topic)

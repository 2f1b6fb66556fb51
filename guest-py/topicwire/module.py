"""Dispatch of the world's exports by route: what a module's generated
``ws_generated/app.py`` instantiates with its routes, service and REST API.

The service (and the REST API) is created on the first call into the
instance, not when the component is built: componentize-py runs the
imports at build time and snapshots the result, so module-level code must
not read settings (``os.environ``) or the clock; ``__init__`` may.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from topicwire.caller import Caller
from topicwire.canonical import route_of
from topicwire.errors import ServiceError
from topicwire.http import HttpService, Request, Response
from topicwire.router import Delivery, History, check_delivery
from topicwire.topic import TypedTopic, canonical_request, parse_request


class Route:
    """One route: its name, description, delivery policy, history, typed topic and the service's handlers of it.

    ``history`` is what the route's topics keep for clients that recover (``None``: its delivery's
    default); out of the host's bounds it is refused here, when the component is built.
    """

    def __init__(
        self,
        name: str,
        *,
        description: str,
        topic: type[TypedTopic[Any, Any]],
        delivery: str | Delivery = Delivery.CONFLATE,
        history: History | tuple[int, int] | None = None,
    ) -> None:
        self.name = name
        self.description = description
        self.topic = topic
        self.delivery = check_delivery(delivery)
        self.history = None if history is None else _checked_history(name, *history)
        self.create = f"create_{_python_name(name)}"
        self.remove = f"remove_{_python_name(name)}"
        self.on_timer = f"on_timer_{_python_name(name)}"
        self.authorize = f"authorize_{_python_name(name)}"
        self.request_schema = json.dumps(topic.request_model.model_json_schema(), separators=(",", ":"))
        self.data_schema = json.dumps(topic.data_model.model_json_schema(), separators=(",", ":"))


def _checked_history(route: str, size: int, ttl_secs: int) -> History:
    from topicwire.router import check_history

    try:
        checked = check_history(size, ttl_secs)
    except ValueError as error:
        raise ValueError(f"route `{route}`: {error}") from None
    assert checked is not None
    return checked


def _python_name(route: str) -> str:
    """A route's name in handler names: ``broker-connection`` gives ``broker_connection``."""
    return route.replace("-", "_")


class Module:
    """A module's routes, service and optional REST API, answering the world's exports."""

    def __init__(self, routes: list[Route], service: type, http: type[HttpService] | None = None) -> None:
        self._routes = {route.name: route for route in routes}
        self._route_list = [
            (route.name, route.description, route.request_schema, route.data_schema, route.delivery, route.history)
            for route in routes
        ]
        missing = [
            f"{route.create}(self, topic: {route.topic.__name__})"
            for route in routes
            if not callable(getattr(service, route.create, None))
        ]
        if missing:
            raise TypeError(f"{service.__qualname__} must define {', '.join(missing)}: it creates the route's topics")
        self._service_class = service
        self._http_class = http
        self._service: Any = None
        self._http: Any = None

    @property
    def service(self) -> Any:
        """The service instance, created on first use (at run time, with the instance's settings)."""
        if self._service is None:
            self._service = self._service_class()
        return self._service

    def _handler(self, name: str) -> Callable[..., Any] | None:
        return getattr(self.service, name, None)

    def _route(self, name: str) -> Route:
        route = self._routes.get(name)
        if route is None:
            raise ServiceError.unknown_route(name)
        return route

    def routes(self) -> list[tuple[str, str, str, str, Delivery, History | None]]:
        """``(name, description, request schema, data schema, delivery, history)`` per route, in declaration order."""
        return list(self._route_list)

    def build_topic(self, route_name: str, request: str, caller: Caller | None) -> str:
        """Validates ``request`` with the route's model into its canonical topic; a subscriber is authorized first."""
        route = self._route(route_name)
        parsed = parse_request(route.topic.request_model, request)
        if caller is not None:
            authorize = self._handler(route.authorize)
            if authorize is not None:
                authorize(caller, parsed)
        return f"{route.name}:{canonical_request(parsed)}"

    def create_topic(self, topic: str) -> None:
        """The first subscriber came: the service's ``create_<route>`` (a ServiceError refuses it)."""
        route = self._route(route_of(topic))
        self.service  # noqa: B018 - created before the topic parses, so its __init__ runs first either way
        getattr(self.service, route.create)(route.topic.parse(topic))

    def remove_topic(self, topic: str) -> None:
        """The last subscriber left: the service's ``remove_<route>``, if it has one."""
        route = self._routes.get(route_of(topic))
        if route is None:
            return
        remove = self._handler(route.remove)
        if remove is not None:
            remove(route.topic.accepted(topic))

    def on_timer(self, topic: str) -> None:
        """A timer fired: the service's ``on_timer_<route>``."""
        route = self._routes.get(route_of(topic))
        if route is None:
            return
        on_timer = self._handler(route.on_timer)
        if on_timer is not None:
            on_timer(route.topic.accepted(topic))

    def on_timers(self, topics: list[str]) -> None:
        """Several timers fired: each, in order, as ``on_timer`` would."""
        for topic in topics:
            self.on_timer(topic)

    def handle_http(self, request: Request) -> Response:
        """A REST request: the ``Http`` class's ``handle`` (404 without one)."""
        if self._http_class is None:
            return Response.error(404, "this module has no REST API")
        if self._http is None:
            self._http = self._http_class(self.service)
        return self._http.handle(request)

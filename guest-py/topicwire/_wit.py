"""The one file that knows the WIT world (``topicwire:ws@0.3.0``) and the
bindings componentize-py generates for it (``wit_world``).

Everything else in the SDK talks to :data:`host` (the world's imports:
``topic-update``, timers, ``wasi:keyvalue``) and hands a dispatcher to
:func:`exports` (the world's exports, and ``wasi:http/incoming-handler``).
A new version of the world changes this file only: 0.3.0 names live topics
by number on the per-update path (``create-topic`` gives each its id, and
``on-timers`` hands the ids of the due timers with the turn's time), so
the exports here keep the live topics by id and hand the SDK their names,
as before. Updates still go one by one, by topic (``topic-update``).

Outside a component (unit tests, the generator) there are no bindings:
:data:`host` then refuses every call until ``topicwire.testing`` installs
its in-memory host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from topicwire.caller import Caller
    from topicwire.http import Request, Response
    from topicwire.router import Delivery, History

try:
    import wit_world as _world
    from componentize_py_types import Err as _Err
    from componentize_py_types import Ok as _Ok
    from wit_world.imports import atomics as _atomics
    from wit_world.imports import batch as _batch
    from wit_world.imports import store as _store

    try:  # the world with wasi:http names the package's types apart from wasi:http's
        from wit_world.imports import topicwire_ws_types as _types
    except ImportError:
        from wit_world.imports import types as _types  # type: ignore[no-redef]
    IN_COMPONENT = True
except ImportError:
    IN_COMPONENT = False


class KeyValueError(Exception):
    """A ``wasi:keyvalue`` error: ``kind`` is ``no-such-store``, ``access-denied`` or ``other``."""

    def __init__(self, kind: str, reason: str = "") -> None:
        super().__init__(reason or kind)
        self.kind = kind
        self.reason = reason


class Host(Protocol):
    """The world's imports, as the SDK uses them."""

    def topic_update(self, topic: str, data: str) -> None: ...
    def set_timer(self, topic: str, period_ms: int) -> None: ...
    def clear_timer(self, topic: str) -> None: ...
    def kv_open(self, identifier: str) -> Any: ...
    def kv_get(self, bucket: Any, key: str) -> bytes | None: ...
    def kv_set(self, bucket: Any, key: str, value: bytes) -> None: ...
    def kv_delete(self, bucket: Any, key: str) -> None: ...
    def kv_exists(self, bucket: Any, key: str) -> bool: ...
    def kv_list_keys(self, bucket: Any, cursor: int | None) -> tuple[list[str], int | None]: ...
    def kv_increment(self, bucket: Any, key: str, delta: int) -> int: ...
    def kv_get_many(self, bucket: Any, keys: list[str]) -> list[tuple[str, bytes] | None]: ...
    def kv_set_many(self, bucket: Any, items: list[tuple[str, bytes]]) -> None: ...
    def kv_delete_many(self, bucket: Any, keys: list[str]) -> None: ...


def _keyvalue_error(error: Any) -> KeyValueError:
    value = getattr(error, "value", error)
    name = type(value).__name__
    if name.endswith("NoSuchStore"):
        return KeyValueError("no-such-store")
    if name.endswith("AccessDenied"):
        return KeyValueError("access-denied")
    return KeyValueError("other", str(getattr(value, "value", value)))


class ComponentHost:
    """The imports of the running component."""

    def topic_update(self, topic: str, data: str) -> None:
        _world.topic_update(topic, data)

    def set_timer(self, topic: str, period_ms: int) -> None:
        _world.set_timer(topic, period_ms)

    def clear_timer(self, topic: str) -> None:
        _world.clear_timer(topic)

    def kv_open(self, identifier: str) -> Any:
        try:
            return _store.open(identifier)
        except _Err as error:
            raise _keyvalue_error(error) from None

    def _call(self, function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except _Err as error:
            raise _keyvalue_error(error) from None

    def kv_get(self, bucket: Any, key: str) -> bytes | None:
        return self._call(bucket.get, key)

    def kv_set(self, bucket: Any, key: str, value: bytes) -> None:
        self._call(bucket.set, key, value)

    def kv_delete(self, bucket: Any, key: str) -> None:
        self._call(bucket.delete, key)

    def kv_exists(self, bucket: Any, key: str) -> bool:
        return self._call(bucket.exists, key)

    def kv_list_keys(self, bucket: Any, cursor: int | None) -> tuple[list[str], int | None]:
        response = self._call(bucket.list_keys, cursor)
        return list(response.keys), response.cursor

    def kv_increment(self, bucket: Any, key: str, delta: int) -> int:
        return self._call(_atomics.increment, bucket, key, delta)

    def kv_get_many(self, bucket: Any, keys: list[str]) -> list[tuple[str, bytes] | None]:
        return self._call(_batch.get_many, bucket, keys)

    def kv_set_many(self, bucket: Any, items: list[tuple[str, bytes]]) -> None:
        self._call(_batch.set_many, bucket, items)

    def kv_delete_many(self, bucket: Any, keys: list[str]) -> None:
        self._call(_batch.delete_many, bucket, keys)


class NoHost:
    """Outside a component: every import refuses, naming the way out."""

    def __getattr__(self, name: str) -> Any:
        def refuse(*args: Any) -> Any:
            raise RuntimeError(
                f"{name}: not running inside a component; unit tests install a host with topicwire.testing.TestHost"
            )

        return refuse


#: The imports every SDK call goes through: the component's, or a test's.
host: Any = ComponentHost() if IN_COMPONENT else NoHost()


class Dispatcher(Protocol):
    """What a module answers: the generated code's :class:`topicwire.module.Module`."""

    def routes(self) -> list[tuple[str, str, str, str, Delivery, History | None]]: ...
    def build_topic(self, route: str, request: str, caller: Caller | None) -> str: ...
    def create_topic(self, topic: str) -> None: ...
    def remove_topic(self, topic: str) -> None: ...
    def on_timer(self, topic: str) -> None: ...
    def on_timers(self, topics: list[str]) -> None: ...
    def handle_http(self, request: Request) -> Response: ...


def _wire_error(error: Any) -> Any:
    from topicwire.errors import FORBIDDEN, INVALID_REQUEST, UNKNOWN_ROUTE

    kinds = {
        UNKNOWN_ROUTE: _types.Error_UnknownRoute,
        INVALID_REQUEST: _types.Error_InvalidRequest,
        FORBIDDEN: _types.Error_Forbidden,
    }
    return _Err(kinds.get(error.kind, _types.Error_Failed)(error.reason))


class LiveTopics:
    """The live topics by the ids the host gave them in ``create-topic``."""

    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self.by_name: dict[str, int] = {}

    def add(self, topic: str, id: int) -> None:
        old = self.by_name.pop(topic, None)
        if old is not None:
            self.by_id.pop(old, None)
        self.by_id[id] = topic
        self.by_name[topic] = id

    def remove(self, topic: str) -> None:
        id = self.by_name.pop(topic, None)
        if id is not None:
            self.by_id.pop(id, None)


def exports(module: Dispatcher) -> dict[str, type]:
    """The classes componentize-py exports from the app module: ``WitWorld`` (and ``IncomingHandler``)."""
    from topicwire.caller import Caller
    from topicwire.errors import ServiceError
    from topicwire.router import Delivery

    live = LiveTopics()

    class WitWorld:
        def routes(self) -> list[Any]:
            deliveries = {Delivery.CONFLATE: _types.Delivery.CONFLATE, Delivery.RELIABLE: _types.Delivery.RELIABLE}
            # `history` none: the default of the route's delivery (world 0.2.0 and later).
            return [
                _types.Route(
                    name,
                    description,
                    request_schema,
                    data_schema,
                    deliveries[delivery],
                    None if history is None else _types.History(history.size, history.ttl_secs),
                )
                for name, description, request_schema, data_schema, delivery, history in module.routes()
            ]

        # A ServiceError is the client's: an error reply. Any other exception is
        # a bug: componentize-py logs its traceback and traps the instance,
        # which the host restarts with its live topics, as a Rust panic.

        def build_topic(self, route: str, request: str, caller: Any) -> str:
            identity = None if caller is None else Caller.from_json(caller.subject, caller.claims)
            try:
                return module.build_topic(route, request, identity)
            except ServiceError as error:
                raise _wire_error(error) from None

        def create_topic(self, topic: str, id: int) -> None:
            try:
                module.create_topic(topic)
            except ServiceError as error:
                raise _wire_error(error) from None
            live.add(topic, id)

        def remove_topic(self, topic: str) -> None:
            live.remove(topic)
            module.remove_topic(topic)

        def on_timers(self, now_us: int, topics: list[int]) -> None:
            # An id no longer live (its topic removed meanwhile) ticks nothing.
            module.on_timers([topic for topic in map(live.by_id.get, topics) if topic is not None])

    classes: dict[str, type] = {"WitWorld": WitWorld}
    if IN_COMPONENT and _has_http():
        classes["IncomingHandler"] = _incoming_handler(module)
    return classes


def _has_http() -> bool:
    try:
        from wit_world.exports import incoming_handler  # noqa: F401
    except ImportError:
        return False
    return True


def _incoming_handler(module: Dispatcher) -> type:
    from wit_world.imports import streams
    from wit_world.imports import wasi_http_types as http

    from topicwire.http import Request

    methods = {
        http.Method_Get: "GET",
        http.Method_Head: "HEAD",
        http.Method_Post: "POST",
        http.Method_Put: "PUT",
        http.Method_Delete: "DELETE",
        http.Method_Connect: "CONNECT",
        http.Method_Options: "OPTIONS",
        http.Method_Trace: "TRACE",
        http.Method_Patch: "PATCH",
    }

    def read_request(incoming: Any) -> Request:
        method = incoming.method()
        name = method.value if isinstance(method, http.Method_Other) else methods[type(method)]
        target = incoming.path_with_query() or "/"
        path, _, query = target.partition("?")
        with incoming.headers() as fields:
            headers = [(key.lower(), value.decode("latin-1")) for key, value in fields.entries()]
        chunks: list[bytes] = []
        body = incoming.consume()
        with body.stream() as stream:
            while True:
                try:
                    chunks.append(stream.blocking_read(65536))
                except _Err as error:
                    if isinstance(error.value, streams.StreamError_Closed):
                        break
                    raise
        body.__exit__(None, None, None)
        return Request(name, path, query if "?" in target else None, headers, b"".join(chunks))

    def write_response(response_out: Any, response: Response) -> None:
        fields = http.Fields.from_list([(name, value.encode("latin-1")) for name, value in response.headers])
        outgoing = http.OutgoingResponse(fields)
        outgoing.set_status_code(response.status)
        body = outgoing.body()
        http.ResponseOutparam.set(response_out, _Ok(outgoing))
        with body.write() as stream:
            data = memoryview(response.body)
            for start in range(0, len(data), 4096):
                stream.blocking_write_and_flush(bytes(data[start : start + 4096]))
        http.OutgoingBody.finish(body, None)

    class IncomingHandler:
        def handle(self, incoming: Any, response_out: Any) -> None:
            request = read_request(incoming)
            response = module.handle_http(request)
            write_response(response_out, response)

    return IncomingHandler

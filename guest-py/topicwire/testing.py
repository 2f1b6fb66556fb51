"""An in-memory host for unit tests of a module, outside any component.

::

    with TestHost() as host:
        module = trading.ws_generated.app.module
        topic = module.build_topic("trades", '{"symbols": ["AAPL"]}', Caller.anonymous())
        module.create_topic(topic)
        module.on_timer(topic)
        assert host.updates_of(topic)

It records what the module publishes and the timers it sets, keeps
``wasi:keyvalue`` buckets in dictionaries (``fail_writes`` makes writes fail
as a host limit would), and only accepts updates to topics the module
created, as the real host does.
"""

from __future__ import annotations

import json
from typing import Any

from topicwire import _wit


class TestHost:
    """The world's imports, in memory; installed for the duration of a ``with`` block."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self) -> None:
        #: Every update published, in order: ``(topic, data JSON text)``.
        self.updates: list[tuple[str, str]] = []
        #: Live timers: topic -> period in milliseconds.
        self.timers: dict[str, int] = {}
        #: Buckets: identifier -> key -> bytes.
        self.buckets: dict[str, dict[str, bytes]] = {}
        #: When set, every write fails with this ``wasi:keyvalue`` ``other`` error.
        self.fail_writes: str | None = None
        self._previous: Any = None

    def __enter__(self) -> TestHost:
        self._previous = _wit.host
        _wit.host = self
        return self

    def __exit__(self, *exc: object) -> None:
        _wit.host = self._previous

    def updates_of(self, topic: str) -> list[Any]:
        """The data (parsed JSON) published to ``topic``, in order."""
        return [json.loads(data) for published, data in self.updates if published == topic]

    # The world's imports.

    def topic_update(self, topic: str, data: str) -> None:
        json.loads(data)  # the real host drops invalid JSON; a test should hear of it
        self.updates.append((topic, data))

    def set_timer(self, topic: str, period_ms: int) -> None:
        self.timers[topic] = period_ms

    def clear_timer(self, topic: str) -> None:
        self.timers.pop(topic, None)

    def kv_open(self, identifier: str) -> Any:
        if len(identifier.encode()) > 128 or any(ord(c) < 32 for c in identifier):
            raise _wit.KeyValueError("no-such-store")
        return self.buckets.setdefault(identifier, {})

    def _write(self) -> None:
        if self.fail_writes is not None:
            raise _wit.KeyValueError("other", self.fail_writes)

    def kv_get(self, bucket: dict[str, bytes], key: str) -> bytes | None:
        return bucket.get(key)

    def kv_set(self, bucket: dict[str, bytes], key: str, value: bytes) -> None:
        self._write()
        bucket[key] = bytes(value)

    def kv_delete(self, bucket: dict[str, bytes], key: str) -> None:
        self._write()
        bucket.pop(key, None)

    def kv_exists(self, bucket: dict[str, bytes], key: str) -> bool:
        return key in bucket

    def kv_list_keys(self, bucket: dict[str, bytes], cursor: int | None) -> tuple[list[str], int | None]:
        keys = sorted(bucket)
        start = cursor or 0
        page = keys[start : start + 100]
        return page, (start + 100 if start + 100 < len(keys) else None)

    def kv_increment(self, bucket: dict[str, bytes], key: str, delta: int) -> int:
        self._write()
        value = int(bucket.get(key, b"0")) + delta
        bucket[key] = str(value).encode()
        return value

    def kv_get_many(self, bucket: dict[str, bytes], keys: list[str]) -> list[tuple[str, bytes] | None]:
        return [(key, bucket[key]) if key in bucket else None for key in keys]

    def kv_set_many(self, bucket: dict[str, bytes], items: list[tuple[str, bytes]]) -> None:
        self._write()
        bucket.update(items)

    def kv_delete_many(self, bucket: dict[str, bytes], keys: list[str]) -> None:
        self._write()
        for key in keys:
            bucket.pop(key, None)

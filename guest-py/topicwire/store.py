"""Durable state over the host's standard ``wasi:keyvalue`` interfaces.

Each module has its own namespace; :meth:`Bucket.open` opens its default
bucket (or a named one). Every write is durable when it returns, and a
:class:`Batch` written with :meth:`Bucket.set_many` is one transaction::

    bucket = Bucket.open()
    account = bucket.get_model("account/A1", Account)     # or get_json for plain JSON
    bucket.set_json("account/A1", account)                # models are stored by alias
    next_id = bucket.increment("next-trade-id", 1)
    bucket.set_many(Batch().set_json("a", 1).set_json("b", [2]))
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from topicwire import _wit
from topicwire.errors import ServiceError
from topicwire.models import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class StoreError(ServiceError):
    """A state operation failed; as a ``ServiceError`` it refuses the request (``failed``).

    ``store_kind`` is ``no-such-store`` (a bucket name the host refuses),
    ``access-denied`` (the host keeps no state), ``other`` (a limit it names,
    or a storage failure), ``decode`` or ``encode`` (a value that is not the
    JSON asked for).
    """

    def __init__(self, store_kind: str, reason: str) -> None:
        super().__init__("failed", f"state: {reason}")
        self.store_kind = store_kind

    @classmethod
    def _from(cls, error: _wit.KeyValueError) -> StoreError:
        reasons = {"no-such-store": "no such bucket", "access-denied": "this host keeps no state for the module"}
        return cls(error.kind, reasons.get(error.kind, error.reason))


def _encode(key: str, value: Any) -> bytes:
    if isinstance(value, BaseModel):
        return value.model_dump_json(by_alias=True).encode()
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError) as error:
        raise StoreError("encode", f"the value for `{key}` does not encode: {error}") from None


class Bucket:
    """An open bucket of the module's namespace."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    @classmethod
    def open(cls, identifier: str = "") -> Bucket:
        """The bucket ``identifier`` (``""``, the default bucket); created by its first write."""
        try:
            return cls(_wit.host.kv_open(identifier))
        except _wit.KeyValueError as error:
            raise StoreError._from(error) from None

    def _call(self, name: str, *args: Any) -> Any:
        try:
            return getattr(_wit.host, name)(self._handle, *args)
        except _wit.KeyValueError as error:
            raise StoreError._from(error) from None

    def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``."""
        return self._call("kv_get", key)

    def set(self, key: str, value: bytes) -> None:
        """Stores ``value`` under ``key``, durably."""
        self._call("kv_set", key, bytes(value))

    def delete(self, key: str) -> None:
        """Deletes ``key`` (nothing if absent)."""
        self._call("kv_delete", key)

    def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""
        return bool(self._call("kv_exists", key))

    def keys(self) -> list[str]:
        """Every key of the bucket, in key order (all pages)."""
        keys: list[str] = []
        cursor = None
        while True:
            page, cursor = self._call("kv_list_keys", cursor)
            keys.extend(page)
            if cursor is None:
                return keys

    def increment(self, key: str, delta: int) -> int:
        """Adds ``delta`` to the counter ``key`` (absent: 0) atomically; returns the new value."""
        return int(self._call("kv_increment", key, delta))

    def get_json(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under ``key``, or ``default``."""
        raw = self.get(key)
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError as error:
            raise StoreError("decode", f"the value of `{key}` does not decode: {error}") from None

    def get_model(self, key: str, model: type[Model]) -> Model | None:
        """The ``model`` stored under ``key`` (``None`` if absent); a value that does not validate is an error."""
        raw = self.get(key)
        if raw is None:
            return None
        try:
            return model.model_validate_json(raw)
        except ValidationError as error:
            raise StoreError("decode", f"the value of `{key}` does not decode: {error.describe()}") from None

    def set_json(self, key: str, value: Any) -> None:
        """Stores ``value`` (JSON-compatible, or a model) under ``key`` as JSON."""
        self.set(key, _encode(key, value))

    def get_many(self, keys: list[str]) -> dict[str, bytes]:
        """The stored values of ``keys`` (absent keys are left out)."""
        found = self._call("kv_get_many", list(keys))
        return {key: value for key, value in (entry for entry in found if entry is not None)}

    def set_many(self, batch: Batch) -> None:
        """Every key of ``batch``, in one transaction: all are stored, or none."""
        self._call("kv_set_many", list(batch.items))

    def delete_many(self, keys: list[str]) -> None:
        """Deletes ``keys`` in one transaction."""
        self._call("kv_delete_many", list(keys))


class Batch:
    """Keys and values to write together with :meth:`Bucket.set_many`."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []

    def set(self, key: str, value: bytes) -> Batch:
        """Adds ``key`` with raw bytes."""
        self.items.append((key, bytes(value)))
        return self

    def set_json(self, key: str, value: Any) -> Batch:
        """Adds ``key`` with ``value`` as JSON."""
        self.items.append((key, _encode(key, value)))
        return self

    def __len__(self) -> int:
        return len(self.items)

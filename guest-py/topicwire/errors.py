"""What a handler raises to refuse a request.

The generated code turns a :class:`ServiceError` into the WIT ``error``
variant, so a client's mistake is an error reply, never a trap. Any other
exception escaping a handler is a bug in the module: its traceback goes to
the host's log and the instance traps (the host restarts it with its live
topics), as a Rust panic does.
"""

from __future__ import annotations

#: The kinds of the WIT ``error`` variant, as the host names them.
UNKNOWN_ROUTE = "unknown-route"
INVALID_REQUEST = "invalid-request"
FORBIDDEN = "forbidden"
FAILED = "failed"


class ServiceError(Exception):
    """Why a component refused a request: ``kind`` is one of the WIT variant's cases."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason

    @classmethod
    def invalid_request(cls, reason: str) -> ServiceError:
        """The request is not valid; ``reason`` names the field, e.g. ``symbols.1: unknown symbol `NOPE```."""
        return cls(INVALID_REQUEST, reason)

    @classmethod
    def forbidden(cls, reason: str) -> ServiceError:
        """The caller may not see the topic (the client reads ``forbidden: <reason>``)."""
        return cls(FORBIDDEN, reason)

    @classmethod
    def failed(cls, reason: str) -> ServiceError:
        """A valid request the component could not serve."""
        return cls(FAILED, reason)

    @classmethod
    def unknown_route(cls, route: str) -> ServiceError:
        """No route of this name."""
        return cls(UNKNOWN_ROUTE, route)

    def __str__(self) -> str:
        prefix = {
            UNKNOWN_ROUTE: "unknown route",
            INVALID_REQUEST: "invalid request",
            FORBIDDEN: "forbidden",
            FAILED: "failed",
        }.get(self.kind, self.kind)
        return f"{prefix}: {self.reason}"

    def __repr__(self) -> str:
        return f"ServiceError({self.kind!r}, {self.reason!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ServiceError) and (self.kind, self.reason) == (other.kind, other.reason)

    def __hash__(self) -> int:
        return hash((self.kind, self.reason))


def invalid_request(reason: str) -> ServiceError:
    """``raise invalid_request("symbols.0: unknown symbol `NOPE`")``."""
    return ServiceError.invalid_request(reason)


def forbidden(reason: str) -> ServiceError:
    """``raise forbidden("account `B7` is not one of yours")``."""
    return ServiceError.forbidden(reason)


def failed(reason: str) -> ServiceError:
    """``raise failed("the market is closed")``."""
    return ServiceError.failed(reason)

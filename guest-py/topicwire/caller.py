"""Who is asking: the identity the host verified before a request reached the component.

``authorize_<route>(self, caller, request)`` hooks get it on every
subscribe; a REST handler reads it with :meth:`topicwire.http.Request.caller`
(from the reserved ``x-topicwire-*`` headers, which the host sets after
removing any the client sent).
"""

from __future__ import annotations

import json
from typing import Any

from topicwire.errors import ServiceError

#: Every header whose name starts with this is the host's.
RESERVED_HEADER_PREFIX = "x-topicwire-"
#: The verified ``sub`` claim when it is visible ASCII; absent for an anonymous caller.
SUBJECT_HEADER = "x-topicwire-sub"
#: Every verified claim as a JSON object (non-ASCII escaped); ``{}`` for an anonymous caller.
CLAIMS_HEADER = "x-topicwire-claims"


class Caller:
    """A verified caller, or an anonymous one (no ``[auth]`` on the host, or an optional token not sent)."""

    __slots__ = ("subject", "claims")

    def __init__(self, subject: str | None = None, claims: dict[str, Any] | None = None) -> None:
        #: The token's ``sub`` claim.
        self.subject = subject
        #: Every claim of the token.
        self.claims: dict[str, Any] = dict(claims or {})

    @classmethod
    def anonymous(cls) -> Caller:
        """No subject, no claims."""
        return cls()

    @classmethod
    def from_json(cls, subject: str | None, claims: str) -> Caller:
        """The caller as the host passes it across the WIT boundary: claims as JSON object text."""
        try:
            parsed = json.loads(claims)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise ServiceError.failed("the host passed caller claims that are not a JSON object")
        return cls(subject, parsed)

    def is_anonymous(self) -> bool:
        """Whether nobody was verified."""
        return self.subject is None and not self.claims

    def claim(self, name: str) -> Any:
        """The claim ``name``, or ``None``."""
        return self.claims.get(name)

    def strings(self, name: str) -> list[str]:
        """The strings of claim ``name`` when it is a list (others skipped), e.g. ``{"accounts": ["A1"]}``."""
        value = self.claims.get(name)
        return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Caller) and (self.subject, self.claims) == (other.subject, other.claims)

    def __repr__(self) -> str:
        return f"Caller(subject={self.subject!r}, claims={self.claims!r})"

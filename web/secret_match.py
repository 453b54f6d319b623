"""Which shared secret a request presented: compared in constant time with every accepted one, never stopping early."""

import hmac
from collections.abc import Iterable
from typing import TypeVar

MAX_SECRET_LENGTH = 512
Name = TypeVar("Name")


def matching(provided: str | None, accepted: Iterable[tuple[Name, bytes]]) -> Name | None:
    """The name of the accepted secret `provided` is, or None (nothing, too long, or no match)."""
    if not provided or len(provided) > MAX_SECRET_LENGTH:
        return None
    candidate = provided.encode("latin-1", errors="replace")  # WSGI headers are latin-1 strings
    found = None
    for name, secret in accepted:
        if hmac.compare_digest(candidate, secret):
            found = name  # no early exit: the time taken does not say which secret matched, or how soon
    return found

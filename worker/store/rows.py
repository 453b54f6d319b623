"""Rows as Redis stores them and as the notifier reads them: text, times, and hashes written field by field."""

import time
from collections.abc import Mapping
from typing import Any


def now() -> float:
    """Seconds since the epoch, as stored in every record."""
    return round(time.time(), 3)


def decode_row(row: Mapping[Any, Any]) -> dict[str, str]:
    """A Redis hash as text."""
    return {as_text(k): as_text(v) for k, v in row.items()}


def as_text(value: Any) -> str:
    """Redis answers bytes; the record is text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def flat_pairs(**fields: Any) -> list[str]:
    """Field/value pairs flattened for a Lua script, skipping None."""
    return [item for k, v in fields.items() if v is not None for item in (k, str(v))]


def write_fields(client: Any, key: str, **fields: Any) -> None:
    """HSET the non-empty values and HDEL the empty ones (None: leave as is), on a client or a pipeline."""
    values = {k: str(v) for k, v in fields.items() if v not in (None, "")}
    cleared = [k for k, v in fields.items() if v == ""]
    if values:
        client.hset(key, mapping=values)
    if cleared:
        client.hdel(key, *cleared)

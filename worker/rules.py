"""Which statuses notify the recipient, on which channels: built-in defaults, overridable by a TOML file."""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from worker import statuses

CHANNELS = ("sms", "email")

DEFAULT_RULES: dict[str, tuple[str, ...]] = {
    "going_to_dropoff": ("sms", "email"),
    "at_dropoff": ("sms",),
    "hold_by_courier": ("sms", "email"),
    "completed": ("email",),
    "canceled": ("email",),
    "returned": ("email",),
}

# What a support resend sends when the delivery's own status has no rule.
MAIN_STATUS = "going_to_dropoff"


class RulesError(ValueError):
    """The rules file cannot be used as it is; the message says what to fix."""


@dataclass(frozen=True)
class Rules:
    """A status → channels table."""

    table: Mapping[str, tuple[str, ...]]

    def channels_for(self, status: str | None) -> tuple[str, ...]:
        """Channels to notify on for `status`; empty when the status has no rule."""
        return self.table.get(status or "", ())

    def uses(self, channel: str) -> bool:
        """Whether any rule sends on `channel` (its provider settings are then required)."""
        return any(channel in channels for channels in self.table.values())


def load(path: str | None) -> Rules:
    """The rules from `path` (NOTIFY_RULES), or the defaults when no path is given."""
    if not path:
        return Rules(dict(DEFAULT_RULES))
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"NOTIFY_RULES: cannot read {path}: {exc}") from None
    return Rules(parse(data, path))


def parse(data: Mapping[str, object], source: str = "rules") -> dict[str, tuple[str, ...]]:
    """Validate a `[status] channels = [...]` table; every problem is reported at once."""
    table: dict[str, tuple[str, ...]] = {}
    problems: list[str] = []
    for status, rule in data.items():
        if status not in statuses.KNOWN:
            problems.append(f"[{status}] is not a Shippify status")
            continue
        channels = rule.get("channels") if isinstance(rule, dict) else None
        if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
            problems.append(f'[{status}] needs channels = a list of "sms" and/or "email"')
            continue
        table[status] = tuple(dict.fromkeys(channels))
    if problems:
        raise RulesError(f"NOTIFY_RULES ({source}): " + "; ".join(problems))
    return table

"""Which statuses notify the recipient, on which channels: built-in defaults, overridable by a TOML file."""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from worker import channels, statuses

CHANNELS = channels.names()

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


QUIET_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class QuietHours:
    """A daily window, in the recipient's local time, in which a rule's messages wait (e.g. 21:00-08:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> "QuietHours":
        """`HH:MM-HH:MM`; the window may cross midnight."""
        found = QUIET_PATTERN.match(text.strip())
        if not found:
            raise ValueError(text)
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, moment: time) -> bool:
        """Whether a local time falls inside the window."""
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def ends_after(self, local: datetime) -> datetime:
        """The first end of the window after `local` (an aware datetime in the recipient's zone)."""
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)


@dataclass(frozen=True)
class Rules:
    """A status → channels table, and the quiet hours of the rules that have them."""

    table: Mapping[str, tuple[str, ...]]
    quiet: Mapping[str, QuietHours] = field(default_factory=dict)

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
    return Rules(parse(data, path), parse_quiet(data, path))


def parse_quiet(data: Mapping[str, object], source: str = "rules") -> dict[str, QuietHours]:
    """The optional `quiet_hours = "21:00-08:00"` of each rule."""
    quiet: dict[str, QuietHours] = {}
    for status, rule in data.items():
        window = rule.get("quiet_hours") if isinstance(rule, dict) else None
        if window is None:
            continue
        try:
            quiet[status] = QuietHours.parse(str(window))
        except ValueError:
            raise RulesError(f'NOTIFY_RULES ({source}): [{status}] quiet_hours must look like "21:00-08:00"') from None
    return quiet


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

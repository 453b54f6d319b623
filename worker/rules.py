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
class Fallback:
    """Where a message goes instead when its channel cannot reach the recipient, and how long to wait for a
    delivered or read report before deciding it did not (None: only a failure report decides)."""

    channel: str
    after_seconds: float | None = None


@dataclass(frozen=True)
class Rules:
    """A status → channels table, the quiet hours and the fallbacks of the rules that have them."""

    table: Mapping[str, tuple[str, ...]]
    quiet: Mapping[str, QuietHours] = field(default_factory=dict)
    fallbacks: Mapping[str, Mapping[str, Fallback]] = field(default_factory=dict)  # status → channel → fallback

    def channels_for(self, status: str | None) -> tuple[str, ...]:
        """Channels to notify on for `status`; empty when the status has no rule."""
        return self.table.get(status or "", ())

    def uses(self, channel: str) -> bool:
        """Whether any rule sends on `channel`, first or as a fallback (its provider settings are then required)."""
        instead = (f.channel for by_channel in self.fallbacks.values() for f in by_channel.values())
        return any(channel in channels for channels in self.table.values()) or channel in instead

    def statuses_using(self, channel: str) -> tuple[str, ...]:
        """The statuses whose rule sends on `channel` first (its templates must exist for them)."""
        return tuple(status for status, channels in self.table.items() if channel in channels)

    def fallback_for(self, status: str, channel: str) -> Fallback | None:
        """The status rule's fallback for messages on `channel`, if it has one."""
        return self.fallbacks.get(status, {}).get(channel)


def load(path: str | None) -> Rules:
    """The rules from `path` (NOTIFY_RULES), or the defaults when no path is given."""
    if not path:
        return Rules(dict(DEFAULT_RULES))
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"NOTIFY_RULES: cannot read {path}: {exc}") from None
    table = parse(data, path)
    return Rules(table, parse_quiet(data, path), parse_fallbacks(data, table, path))


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
            problems.append(f"[{status}] needs channels = a list of {_choices()}")
            continue
        table[status] = tuple(dict.fromkeys(channels))
    if problems:
        raise RulesError(f"NOTIFY_RULES ({source}): " + "; ".join(problems))
    return table


def _choices() -> str:
    """The channel names as a rules file writes them: "sms", "email" or "whatsapp"."""
    quoted = [f'"{name}"' for name in CHANNELS]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


DURATION = re.compile(r"^(\d+)\s*(s|m|h)$")
SECONDS = {"s": 1, "m": 60, "h": 3600}


def parse_duration(text: str) -> float:
    """ "10m", "2h" or "30s" in seconds (ValueError otherwise, or when zero)."""
    found = DURATION.match(text.strip())
    if not found or int(found.group(1)) == 0:
        raise ValueError(text)
    return float(int(found.group(1)) * SECONDS[found.group(2)])


def parse_fallbacks(
    data: Mapping[str, object], table: Mapping[str, tuple[str, ...]], source: str = "rules"
) -> dict[str, dict[str, Fallback]]:
    """The optional `fallback = { whatsapp = "sms" }` and `fallback_after = "10m"` of each rule."""
    found: dict[str, dict[str, Fallback]] = {}
    problems: list[str] = []
    for status, rule in data.items():
        if not isinstance(rule, dict) or status not in table:
            continue
        fallback = _fallback(status, rule, table[status], problems)
        if fallback:
            found[status] = fallback
    if problems:
        raise RulesError(f"NOTIFY_RULES ({source}): " + "; ".join(problems))
    return found


def _fallback(status: str, rule: Mapping[str, object], sends: tuple[str, ...], problems: list[str]) -> dict:
    """One rule's fallbacks, or its problems added to `problems`."""
    raw, after_raw = rule.get("fallback"), rule.get("fallback_after")
    if raw is None:
        if after_raw is not None:
            problems.append(f'[{status}] fallback_after needs fallback = {{ whatsapp = "sms" }}')
        return {}
    after = _after(status, after_raw, problems)
    if not isinstance(raw, dict) or not raw:
        problems.append(f'[{status}] fallback must be a table such as {{ whatsapp = "sms" }}')
        return {}
    found = {}
    for first, instead in raw.items():
        problem = _fallback_problem(first, instead, sends)
        if problem:
            problems.append(f"[{status}] fallback: {problem}")
        else:
            found[first] = Fallback(str(instead), after)
    return found


def _fallback_problem(first: str, instead: object, sends: tuple[str, ...]) -> str | None:
    """Why `first = instead` cannot be a fallback of a rule sending on `sends` (None when it can)."""
    if first not in sends:
        return f"{first!r} is not among the rule's channels ({', '.join(sends)})"
    if not channels.channel(first).falls_back:
        able = ", ".join(name for name in CHANNELS if channels.channel(name).falls_back)
        return f"{first} cannot tell when it did not reach the recipient; only {able} may fall back"
    if instead not in CHANNELS or instead == first:
        return f"{first} = {instead!r} must name another channel: {_choices()}"
    if instead in sends:
        return f"{instead} is already among the rule's channels: remove it there, or the recipient gets both"
    return None


def _after(status: str, raw: object, problems: list[str]) -> float | None:
    """fallback_after in seconds (None when not given)."""
    if raw is None:
        return None
    try:
        return parse_duration(str(raw))
    except ValueError:
        problems.append(f'[{status}] fallback_after must be a duration such as "10m", "1h" or "30s" (got {raw!r})')
        return None

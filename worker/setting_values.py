"""How one setting of each kind is read from the environment and checked; a problem is collected, not raised, so
that worker/settings.py can name every problem of a start-up at once."""

from collections.abc import Mapping
from urllib.parse import urlsplit

from limits import parse

from worker.locales import LOCALES


class ValueReader:
    """Typed reads of environment variables; each bad value adds a problem naming the variable and the fix."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.env = environ
        self.problems: list[str] = []

    def text(self, name: str, default: str = "") -> str:
        """A stripped string setting."""
        return (self.env.get(name) or default).strip()

    def number(self, name: str, default: float, minimum: float, kind: type = int) -> float:
        """A numeric setting at least `minimum`."""
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or value < minimum:
            self.problems.append(f"{name}={raw!r} must be a {kind.__name__} of at least {minimum}")
            return default
        return value

    def url(self, name: str, default: str, schemes: tuple[str, ...]) -> str:
        """A URL setting whose scheme is one of `schemes`, without a trailing slash."""
        value = self.text(name, default).rstrip("/")
        if value and (urlsplit(value).scheme not in schemes or not urlsplit(value).hostname):
            self.problems.append(f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        """true/false (also 1/0, yes/no, on/off); anything else is named as a problem."""
        raw = self.text(name).lower()
        if not raw:
            return default
        if raw in ("true", "1", "yes", "on"):
            return True
        if raw in ("false", "0", "no", "off"):
            return False
        self.problems.append(f"{name}={raw!r} must be true or false")
        return default

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        """A setting limited to `allowed` values."""
        value = self.text(name, default)
        value = value.upper() if allowed[0].isupper() else value.lower()
        if value not in allowed:
            self.problems.append(f"{name}={value!r} must be one of {', '.join(allowed)}")
            return default
        return value

    def locales(self, name: str, default: str) -> frozenset[str]:
        """A comma-separated subset of our locales (may be empty)."""
        raw = self.env.get(name)
        values = {v.strip().lower() for v in (default if raw is None else raw).split(",") if v.strip()}
        unknown = values - set(LOCALES)
        if unknown:
            self.problems.append(f"{name} may only list {', '.join(LOCALES)} (not {', '.join(sorted(unknown))})")
        return frozenset(values & set(LOCALES))

    def rate(self, name: str, default: str) -> str:
        """A rate in the `limits` library's notation, such as 20/hour or 100 per day."""
        value = self.text(name, default)
        try:
            parse(value)
        except ValueError:
            self.problems.append(f"{name}={value!r} must be a rate such as 20/hour, 5/minute or 100/day")
            return default
        return value


def required(values: Mapping[str, object], hints: Mapping[str, str]) -> list[str]:
    """A problem for each empty value, by variable name, saying how to obtain it (its hint, if it has one)."""
    return [f"{name} is required{hints.get(name, '')}" for name, value in values.items() if not value]

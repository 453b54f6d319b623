"""The dashboard's figures: per UTC day and per channel, what went out, what became of it and what it cost, with the
webhook → provider time; read from the per-day counters only (worker/store/daily.py), never from the records."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import redis

from worker import channels
from worker.prices import PriceTable
from worker.store import daily

DAYS = 14
FIGURES = daily.FIGURES


@dataclass
class ChannelDay:
    """One channel's figures on one day (or over the whole period): counts of FIGURES, messages the provider took and
    their segments, the units it is billed in, their cost by currency and the units no price covers."""

    channel: str
    figures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    messages: int = 0
    segments: int = 0
    unit: str = "messages"
    cost: dict[str, Decimal] = field(default_factory=dict)
    unpriced: int = 0

    @property
    def billed(self) -> int:
        """Units billed: segments on a channel billed in segments, messages on the others."""
        return self.segments if self.unit == "segments" else self.messages

    def add(self, other: "ChannelDay") -> None:
        """Add another day's figures of the same channel (the period's total)."""
        for name in FIGURES:
            self.figures[name] += other.figures[name]
        self.messages, self.segments = self.messages + other.messages, self.segments + other.segments
        for currency, amount in other.cost.items():
            self.cost[currency] = self.cost.get(currency, Decimal(0)) + amount
        self.unpriced += other.unpriced


@dataclass(frozen=True)
class Day:
    """One UTC day: each channel's figures and the median and p95 of webhook → provider (seconds; None: none)."""

    date: str
    channels: list[ChannelDay]
    median: float | None
    p95: float | None


def report(client: redis.Redis, prices: PriceTable, days: int = DAYS) -> list[Day]:
    """The last `days` UTC days, oldest first: `days` hash reads in one round trip."""
    dates = daily.last_days(days)
    rows = daily.read(client, dates)
    names = channel_names(rows)
    return [
        Day(
            date,
            [channel_day(name, row, prices) for name in names],
            daily.quantile(row, 0.5),
            daily.quantile(row, 0.95),
        )
        for date, row in zip(dates, rows, strict=True)
    ]


def totals(days: list[Day]) -> list[ChannelDay]:
    """Each channel's figures over the whole period."""
    if not days:
        return []
    summed = [ChannelDay(c.channel, unit=c.unit) for c in days[0].channels]
    for day in days:
        for total, one in zip(summed, day.channels, strict=True):
            total.add(one)
    return summed


def channel_names(rows: Iterable[Mapping[str, int]]) -> list[str]:
    """The registered channels in display order, then any other the counters name (one since removed)."""
    seen = {key.partition(":")[0] for row in rows for key in row if not key.startswith("latency:")}
    return [*channels.names(), *sorted(seen - set(channels.names()))]


def channel_day(name: str, row: Mapping[str, int], prices: PriceTable) -> ChannelDay:
    """One channel's figures and cost from one day's counters."""
    registered = channels.CHANNELS.get(name)
    one = ChannelDay(name, unit="segments" if registered and registered.billed_in_segments else "messages")
    by_country: dict[str, dict[str, int]] = defaultdict(dict)
    for key, value in row.items():
        owner, _, rest = key.partition(":")
        if owner != name:
            continue
        if rest in one.figures:
            one.figures[rest] = value
        else:
            kind, _, country = rest.partition(":")
            by_country[country][kind] = value
    for country, counts in by_country.items():
        _cost(one, name, country, counts, prices)
    return one


def _cost(one: ChannelDay, name: str, country: str, counts: Mapping[str, int], prices: PriceTable) -> None:
    """Add one country's messages and segments to a channel's day, priced when the table has a price."""
    one.messages += counts.get("messages", 0)
    one.segments += counts.get("segments", 0)
    units = counts.get(one.unit, 0)
    price = prices.price(country, name)
    if price is None:
        one.unpriced += units
    elif units:
        one.cost[price.currency] = one.cost.get(price.currency, Decimal(0)) + price.amount * units


def as_json(days: list[Day]) -> dict[str, Any]:
    """The dashboard's data as JSON (money as decimal strings, so nothing is rounded on the way)."""
    return {
        "days": [
            {
                "date": day.date,
                "latency_seconds": {"median": _finite(day.median), "p95": _finite(day.p95)},
                "channels": {c.channel: channel_json(c) for c in day.channels},
            }
            for day in days
        ],
        "totals": {c.channel: channel_json(c) for c in totals(days)},
    }


def channel_json(one: ChannelDay) -> dict[str, Any]:
    """One channel's figures as JSON."""
    cost = {currency: str(amount) for currency, amount in sorted(one.cost.items())}
    billing = {"unit": one.unit, "billed": one.billed, "cost": cost, "unpriced": one.unpriced}
    return {**one.figures, "messages": one.messages, "segments": one.segments, **billing}


def _finite(seconds: float | None) -> float | str | None:
    """A latency bound for JSON: past the last bucket is the string "+Inf"."""
    return "+Inf" if seconds == float("inf") else seconds

"""PRICE_TABLE: what a message costs, per destination country and channel, so the dashboard can say what a day cost.

    [EC]
    sms = 0.0452        # per segment on a channel billed in segments (SMS), per message on the others
    email = 0
    currency = "USD"

A bad file stops the process at start, naming its file and line (worker/settings.py)."""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import phonenumbers

from worker.toml_lines import line_of, loads, located, read

CURRENCY = re.compile(r"^[A-Z]{3}$")


class PriceTableError(ValueError):
    """The price table cannot be used; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Price:
    """The price of one unit (a segment or a message) in a currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class PriceTable:
    """Prices by (country, channel); empty when PRICE_TABLE is not set."""

    prices: Mapping[tuple[str, str], Price] = field(default_factory=dict)

    def price(self, country: str, channel: str) -> Price | None:
        """The unit price of a channel's messages to a country, None when the table has none."""
        return self.prices.get((country, channel))


def load(path: str, channels: Collection[str]) -> PriceTable:
    """Read and check a PRICE_TABLE file; raises PriceTableError listing every problem."""
    return parse(read(path, "PRICE_TABLE", PriceTableError), path, channels)


def parse(text: str, path: str, channels: Collection[str]) -> PriceTable:
    """Check a PRICE_TABLE text against the channels the service has."""
    data = loads(text, path, PriceTableError)
    problems: list[tuple[int, str]] = []
    prices: dict[tuple[str, str], Price] = {}
    for country, table in data.items():
        found, wrong = _country(text, country, table, channels)
        prices.update(found)
        problems += wrong
    if problems:
        raise PriceTableError("PRICE_TABLE has problems:\n" + located(path, problems))
    return PriceTable(prices)


def _country(
    text: str, country: str, table: object, channels: Collection[str]
) -> tuple[dict[tuple[str, str], Price], list[tuple[int, str]]]:
    """One [CC] table's prices, or what is wrong with it."""
    line = line_of(text, (country,)) or 0
    if country not in phonenumbers.SUPPORTED_REGIONS or not isinstance(table, dict):
        return {}, [(line, f"[{country}] must be a table named by a two-letter country code such as [EC] or [BR]")]
    currency = table.get("currency")
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        where = line_of(text, (country, "currency")) or line
        return {}, [(where, f'[{country}] needs currency = "USD" (a three-letter ISO 4217 code)')]
    prices, problems = {}, []
    for name, value in table.items():
        where = line_of(text, (country, name)) or line
        if name == "currency":
            continue
        if name not in channels:
            problems.append((where, f"[{country}] {name}: unknown channel; use one of {', '.join(channels)}"))
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            problems.append((where, f"[{country}] {name} must be a price of zero or more, such as 0.0452"))
        else:
            prices[(country, name)] = Price(Decimal(str(value)), currency)
    return prices, problems

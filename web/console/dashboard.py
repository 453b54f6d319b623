"""The dashboard: the last 14 UTC days per channel (what went out, what became of it, what it cost, how long a
webhook took to reach the provider), as charts and as a table, and the same figures as JSON."""

from decimal import Decimal

from flask import jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.console import charts
from web.console.base import bp, services
from worker import dashboard

FIGURES = {
    "sent": _l("sent"),
    "delivered": _l("delivered"),
    "read": _l("read"),
    "clicked": _l("clicked"),
    "failed": _l("failed"),
    "fallbacks": _l("fallbacks"),
    "suppressed": _l("suppressed"),
}
CHARTED = ("sent", "delivered", "read", "clicked", "failed")


@bp.get("/dashboard")
def dashboard_page() -> ResponseReturnValue:
    """Charts to look at, the exact figures in a table under them."""
    days = dashboard.report(services().redis, services().settings.price_table)
    dates = [day.date for day in days]
    per_channel = [
        (total, _channel_chart(dates, [day.channels[i] for day in days]), [(d.date, d.channels[i]) for d in days])
        for i, total in enumerate(dashboard.totals(days))
    ]
    spans = [(d.median, d.p95) if d.median is not None and d.p95 is not None else None for d in days]
    latency = charts.ranges(dates, spans, _latency_title)
    context = {"days": days, "per_channel": per_channel, "latency": latency, "figures": FIGURES}
    return render_template("console/dashboard.html", **context, priced=bool(services().settings.price_table.prices))


@bp.get("/dashboard.json")
def dashboard_data() -> ResponseReturnValue:
    """The dashboard's figures as JSON, for a script or a spreadsheet."""
    return jsonify(dashboard.as_json(dashboard.report(services().redis, services().settings.price_table)))


def _channel_chart(dates: list[str], ones: list[dashboard.ChannelDay]) -> charts.Chart:
    """One channel's charted figures, a group of bars per day."""
    series = [(name, [one.figures[name] for one in ones]) for name in CHARTED]
    return charts.bars(dates, series, lambda date, name, value: f"{date} · {FIGURES[name]}: {value}")


def _latency_title(date: str, median: float, p95: float) -> str:
    """The hover text of one day's latency range."""
    return f"{date} · {_('median')} ≤ {charts.seconds(median)} · p95 ≤ {charts.seconds(p95)}"


@bp.app_template_filter("money")
def money(cost: dict[str, Decimal]) -> str:
    """Amounts by currency, exact to the hundredth of a cent: "0.1356 USD"; "–" for none."""
    return (
        " + ".join(f"{amount.quantize(Decimal('0.0001'))} {currency}" for currency, amount in sorted(cost.items()))
        or "–"
    )


@bp.app_template_filter("seconds")
def seconds(value: float | None) -> str:
    """A latency bound, "–" on a day without one."""
    return "–" if value is None else charts.seconds(value)

"""The dashboard's charts as geometry for server-side SVG (templates/console/_charts.html): no script and no inline
style, so they draw under the console's CSP; colours come from classes in static/console.css."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from worker.store import daily

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 28  # room for the value axis and the day labels
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Shape:
    """A rectangle (a bar, or a latency range when narrow) with its class and its hover text."""

    x: float
    y: float
    width: float
    height: float
    kind: str
    title: str


@dataclass(frozen=True)
class Tick:
    """A value on the vertical axis, at height y."""

    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Everything the SVG template draws: shapes, value ticks and the day labels under each group (x, text)."""

    shapes: list[Shape]
    ticks: list[Tick]
    days: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = TOP + PLOT_HEIGHT


def bars(
    dates: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], title: Callable[[str, str, int], str]
) -> Chart:
    """Grouped bars: for each day, one bar per (kind, values) series; title(date, kind, value) is its hover text."""
    top = nice_top(max((v for _, values in series for v in values), default=0))
    group = (WIDTH - LEFT - RIGHT) / max(len(dates), 1)
    width = group * 0.8 / max(len(series), 1)
    shapes = []
    for i, date in enumerate(dates):
        for j, (kind, values) in enumerate(series):
            height = PLOT_HEIGHT * values[i] / top
            x = LEFT + i * group + group * 0.1 + j * width
            shapes.append(Shape(x, TOP + PLOT_HEIGHT - height, width, height, kind, title(date, kind, values[i])))
    return Chart(shapes, ticks(top, lambda value: f"{value:g}"), _day_labels(dates, group))


def ranges(
    dates: Sequence[str], spans: Sequence[tuple[float, float] | None], title: Callable[[str, float, float], str]
) -> Chart:
    """For each day with a (median, p95) span: a thin bar from the median to the p95 and a mark at the median; a
    bound past the last bucket (infinite) is drawn at the top."""
    finite = [v for span in spans if span for v in span if v != math.inf]
    top = nice_top(max(finite, default=0.0), minimum=1.0)
    group = (WIDTH - LEFT - RIGHT) / max(len(dates), 1)
    shapes = []
    for i, (date, span) in enumerate(zip(dates, spans, strict=True)):
        if span is None:
            continue
        low, high = (TOP + PLOT_HEIGHT * (1 - min(v, top) / top) for v in span)
        middle = LEFT + (i + 0.5) * group
        text = title(date, *span)
        shapes.append(Shape(middle - 3, high, 6, max(low - high, 1), "p95", text))
        shapes.append(Shape(middle - group * 0.3, low - 1.5, group * 0.6, 3, "median", text))
    return Chart(shapes, ticks(top, seconds), _day_labels(dates, group))


def nice_top(value: float, minimum: float = 1) -> float:
    """The axis top: the smallest 1, 2 or 5 × 10ⁿ at or above the value."""
    value = max(value, minimum)
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def ticks(top: float, text: Callable[[float], str]) -> list[Tick]:
    """Zero, half and the top of the axis."""
    return [Tick(TOP + PLOT_HEIGHT * (1 - share), text(top * share)) for share in (0, 0.5, 1)]


def seconds(value: float) -> str:
    """A duration for an axis or a cell: 0.3 s, 2 s, 450 s, > 3600 s."""
    return f"> {daily.LATENCY_BUCKETS[-1]:g} s" if value == math.inf else f"{value:g} s"


def _day_labels(dates: Sequence[str], group: float) -> list[tuple[float, str]]:
    """Each day as its day of the month, under its group."""
    return [(LEFT + (i + 0.5) * group, date[-2:]) for i, date in enumerate(dates)]

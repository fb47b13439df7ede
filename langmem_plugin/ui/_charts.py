"""Small server-rendered SVG charts for the inspector: line and bar charts, no script.

The pages' Content-Security-Policy allows no script and no inline style, so a chart is
plain SVG markup put in the page: geometry in attributes, colours by class in
``static/style.css`` (``.chart .s0`` ... ``.s5``). Every text (title, labels, values) is
escaped here, so a topic or user named ``<script>`` shows as text. Each chart is an
``role="img"`` with a ``<title>`` and a ``<desc>`` that says what it shows in words (the
last value of each series), and every point or bar has its own ``<title>`` (its label and
value, shown as a tooltip), so a screen reader and a hover both get the numbers.

Example:
    ```python
    from langmem_plugin.ui._charts import Series, bar_chart, line_chart

    svg = line_chart("Mood", [Series("sentiment", [("05-01", 0.4), ("05-08", -0.2)])])
    bars = bar_chart("Calls per day", [("2026-05-01", 3), ("2026-05-02", 5)])
    ```
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Series", "bar_chart", "line_chart", "nice_ticks"]

#: Series classes the stylesheet colours (a seventh series reuses the first colour).
PALETTE = 6
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 52, 24, 44, 30
_MAX_X_LABELS = 8
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    """One line of a line chart: ``(x label, y value)`` points in x order.

    A ``None`` value is a gap: no point, and the line breaks there (a day without recalls).
    """

    name: str
    points: Sequence[tuple[str, float | None]]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]`` (steps of 1, 2 or 5 times a power of 10)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"chart range must be finite, got {low!r}..{high!r}")
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step / 2:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _number(value: float) -> str:
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")


class _Frame:
    """The plot area: maps x indexes and y values to pixels, draws the axes."""

    def __init__(
        self,
        width: int,
        height: int,
        n: int,
        y_range: tuple[float, float],
        fmt: Callable[[float], str],
    ) -> None:
        self.left, self.top = _MARGIN_LEFT, _MARGIN_TOP
        self.right, self.bottom = width - _MARGIN_RIGHT, height - _MARGIN_BOTTOM
        self.n = max(n, 1)
        self.ticks = nice_ticks(*y_range)
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.fmt = fmt

    def x(self, index: int, slots: bool = False) -> float:
        span = self.right - self.left
        if slots:  # bars: the middle of slot `index`
            return self.left + span * (index + 0.5) / self.n
        return self.left + (span * index / (self.n - 1) if self.n > 1 else span / 2)

    def y(self, value: float) -> float:
        share = (value - self.low) / ((self.high - self.low) or 1.0)
        return self.bottom - share * (self.bottom - self.top)

    def axes(self, labels: Sequence[str], y_label: str, slots: bool) -> list[str]:
        parts = []
        for tick in self.ticks:
            y = self.y(tick)
            parts.append(
                f'<line class="grid" x1="{self.left}" x2="{self.right}" y1="{y:.1f}" '
                f'y2="{y:.1f}"/><text class="tick" x="{self.left - 6}" y="{y + 4:.1f}" '
                f'text-anchor="end">{escape(self.fmt(tick))}</text>'
            )
        every = max(1, math.ceil(len(labels) / _MAX_X_LABELS))
        shown = list(range(0, len(labels), every))
        if shown and shown[-1] != len(labels) - 1:  # the last label always, never crowded
            shown[-1 if len(labels) - 1 - shown[-1] < every / 2 else len(shown) :] = [
                len(labels) - 1
            ]
        for index in shown:
            anchor = "middle"
            if not slots and len(labels) > 1:
                anchor = "start" if index == 0 else "end" if index == len(labels) - 1 else anchor
            parts.append(
                f'<text class="tick" x="{self.x(index, slots):.1f}" y="{self.bottom + 16}" '
                f'text-anchor="{anchor}">{escape(labels[index])}</text>'
            )
        parts.append(
            f'<line class="axis" x1="{self.left}" x2="{self.left}" y1="{self.top}" '
            f'y2="{self.bottom}"/><line class="axis" x1="{self.left}" x2="{self.right}" '
            f'y1="{self.bottom}" y2="{self.bottom}"/>'
        )
        if y_label:
            parts.append(
                f'<text class="axis-label" x="{self.left}" y="{self.top - 8}">'
                f"{escape(y_label)}</text>"
            )
        return parts

    def heading(self, title: str) -> str:
        return f'<text class="chart-title" x="8" y="16">{escape(title)}</text>'


def _svg(title: str, desc: str, width: int, height: int, body: list[str], cls: str) -> Markup:
    n = next(_ids)
    return Markup(
        f'<svg class="chart {cls}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="chart-{n}-t chart-{n}-d" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="chart-{n}-t">{escape(title)}</title>'
        f'<desc id="chart-{n}-d">{escape(desc)}</desc>{"".join(body)}</svg>'
    )


def _empty(title: str, width: int, height: int, cls: str) -> Markup:
    body = [
        f'<text class="chart-title" x="8" y="16">{escape(title)}</text>',
        f'<text class="nodata" x="{width / 2:.0f}" y="{height / 2:.0f}" '
        'text-anchor="middle">No data yet</text>',
    ]
    return _svg(title, "No data yet.", width, height, body, cls)


def _range(values: Sequence[float], y_range: tuple[float, float] | None) -> tuple[float, float]:
    if y_range is not None:
        return y_range
    low, high = min(values), max(values)
    return (min(low, 0.0), high if high > low else low + 1.0)


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    y_label: str = "",
    y_range: tuple[float, float] | None = None,
    width: int = 640,
    height: int = 220,
    fmt: Callable[[float], str] = _number,
) -> Markup:
    """A line chart of one or more series over shared x labels, as SVG markup.

    Args:
        title: The chart's accessible title, also drawn at its top left.
        series: The lines; x labels are the union of their points' labels, in first-seen
            order (give the series the same labels, e.g. dates, for aligned points).
        y_label: Unit shown above the y axis.
        y_range: Fixed y range (e.g. ``(-1, 1)`` for sentiment); default from the data,
            with 0 included.
        width: Pixels.
        height: Pixels.
        fmt: Formats y values for ticks and tooltips.

    Returns:
        ``Markup`` (safe to put in a template as is); "No data yet" without any point.
    """
    labels = list(dict.fromkeys(label for s in series for label, _ in s.points))
    values = [float(v) for s in series for _, v in s.points if v is not None]
    if not values:
        return _empty(title, width, height, "line")
    frame = _Frame(width, height, len(labels), _range(values, y_range), fmt)
    where = {label: i for i, label in enumerate(labels)}
    body = [frame.heading(title), *frame.axes(labels, y_label, slots=False)]
    last = []
    for n, s in enumerate(series):
        known = [(label, float(v)) for label, v in s.points if v is not None]
        if not known:
            continue
        body.append(f'<g class="series s{n % PALETTE}" data-series="{escape(s.name)}">')
        runs: list[list[str]] = [[]]
        for label, v in s.points:
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{frame.x(where[label]):.1f},{frame.y(float(v)):.1f}")
        body += [f'<polyline class="line" points="{" ".join(r)}"/>' for r in runs if len(r) > 1]
        for label, value in known:
            tip = f"{s.name} {label}: {fmt(value)}"
            body.append(
                f'<circle class="point" cx="{frame.x(where[label]):.1f}" '
                f'cy="{frame.y(value):.1f}" r="3"><title>{escape(tip)}</title></circle>'
            )
        body.append("</g>")
        last.append(f"{s.name} {fmt(known[-1][1])} at {known[-1][0]}")
    if len(series) > 1:
        body += _legend(series, frame, width)
    desc = f"{title}: {len(labels)} points from {labels[0]} to {labels[-1]}; last: "
    return _svg(title, desc + "; ".join(last) + ".", width, height, body, "line")


def _legend(series: Sequence[Series], frame: _Frame, width: int) -> list[str]:
    """Series names right-aligned on the axis-label row."""
    names = [re.sub(r"\s+", " ", s.name)[:24] for s in series]
    x = width - _MARGIN_RIGHT - sum(24 + 6.5 * len(name) for name in names)
    parts = []
    for n, name in enumerate(names):
        parts.append(
            f'<g class="legend s{n % PALETTE}"><rect x="{x:.0f}" y="{frame.top - 18}" '
            f'width="10" height="10"/><text x="{x + 14:.0f}" y="{frame.top - 9}">'
            f"{escape(name)}</text></g>"
        )
        x += 24 + 6.5 * len(name)
    return parts


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float]],
    *,
    y_label: str = "",
    width: int = 640,
    height: int = 220,
    fmt: Callable[[float], str] = _number,
) -> Markup:
    """A bar chart, one bar per ``(label, value)``, as SVG markup.

    Args:
        title: The chart's accessible title.
        bars: Labels (e.g. days) and values, in x order.
        y_label: Unit shown above the y axis.
        width: Pixels.
        height: Pixels.
        fmt: Formats values for ticks and tooltips.

    Returns:
        ``Markup``; "No data yet" without any bar.
    """
    if not bars:
        return _empty(title, width, height, "bar")
    values = [float(v) for _, v in bars]
    frame = _Frame(width, height, len(bars), _range(values, None), fmt)
    body = [frame.heading(title), *frame.axes([label for label, _ in bars], y_label, slots=True)]
    slot = (frame.right - frame.left) / len(bars)
    bar_width = max(min(slot * 0.7, 40.0), 1.0)
    zero = frame.y(max(frame.low, 0.0))
    body.append('<g class="series s0">')
    for index, (label, value) in enumerate(bars):
        y = frame.y(float(value))
        top, size = min(y, zero), abs(zero - y)
        body.append(
            f'<rect class="bar" x="{frame.x(index, True) - bar_width / 2:.1f}" y="{top:.1f}" '
            f'width="{bar_width:.1f}" height="{size:.1f}"><title>'
            f"{escape(f'{label}: {fmt(float(value))}')}</title></rect>"
        )
    body.append("</g>")
    total = fmt(sum(values))
    desc = (
        f"{title}: {len(bars)} bars from {bars[0][0]} to {bars[-1][0]}; total {total}, "
        f"last {fmt(values[-1])}."
    )
    return _svg(title, desc, width, height, body, "bar")

"""Time handling: when a memory happened, and which times a query talks about.

Convention: a memory's value may carry ``"occurred_at"``, the time the remembered thing
happened or was said, as an ISO 8601 string (``"2023-05-08"`` or ``"2023-05-08T13:56:00"``, a
missing offset meaning UTC), a ``datetime`` or a ``date``. Without it the item's
``created_at`` (when it was stored) stands in.

Queries may name dates (``"on 8 May, 2023"``, ``"October 25, 2022"``, ``"in August 2023"``,
``"in 2023"``, ``"2023-05-08"``). :func:`query_periods` turns them into periods; a memory that
happened inside one is a better candidate (see ``MemoryRetriever.time_weight``).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = ["Period", "parse_time", "query_periods"]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name} | {
    name.lower(): i for i, name in enumerate(calendar.month_abbr) if name
}
_MONTH = r"(?P<{g}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<{g}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{g}>(?:19|20)\d\d)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")),
    (
        "dmy",
        re.compile(
            r"\b"
            + _DAY.format(g="d")
            + r"\s+(?:of\s+)?"
            + _MONTH.format(g="m")
            + r",?\s*"
            + _YEAR.format(g="y")
            + r"\b",
            re.I,
        ),
    ),
    (
        "mdy",
        re.compile(
            r"\b"
            + _MONTH.format(g="m")
            + r"\s+"
            + _DAY.format(g="d")
            + r"\b,?\s*"
            + _YEAR.format(g="y")
            + r"\b",
            re.I,
        ),
    ),
    ("my", re.compile(r"\b" + _MONTH.format(g="m") + r",?\s+" + _YEAR.format(g="y") + r"\b", re.I)),
    ("y", re.compile(r"\b" + _YEAR.format(g="y") + r"\b")),
    (
        "m",
        re.compile(
            r"\b(?:in|during|of|since|until|by)\s+(?:early\s+|late\s+|mid-?\s*)?"
            + _MONTH.format(g="m")
            + r"\b",
            re.I,
        ),
    ),
]


@dataclass(frozen=True)
class Period:
    """A stretch of time a query refers to.

    Attributes:
        start: First instant (inclusive, UTC).
        end: Last instant (exclusive, UTC).
        specificity: 1.0 for a day, lower for wider periods (a month 0.7, a year 0.4, a
            month of an unknown year 0.3): a more precise date is stronger evidence.
        month_only: The period is a month of any year (``start``/``end`` hold one example).
    """

    start: datetime
    end: datetime
    specificity: float
    month_only: bool = False

    def contains(self, when: datetime, *, slack: timedelta = timedelta(0)) -> bool:
        """Whether ``when`` falls in the period, or up to ``slack`` after it."""
        if self.month_only:
            return when.month == self.start.month
        return self.start <= when < self.end + slack


def parse_time(value: object) -> datetime | None:
    """A timezone-aware UTC datetime from an ISO string, ``datetime``, ``date`` or epoch number.

    Returns:
        The datetime, or None when ``value`` is None.

    Raises:
        ValueError: The value is not a time in one of those forms.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        try:
            return parse_time(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        except ValueError:
            pass
    raise ValueError(f"not a time (expected ISO 8601 string, datetime, date or epoch): {value!r}")


def _day(y: int, m: int, d: int) -> Period | None:
    try:
        start = datetime(y, m, d, tzinfo=UTC)
    except ValueError:
        return None
    return Period(start, start + timedelta(days=1), 1.0)


def _month(y: int, m: int, specificity: float = 0.7, month_only: bool = False) -> Period:
    start = datetime(y, m, 1, tzinfo=UTC)
    end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
    return Period(start, end, specificity, month_only)


def query_periods(text: str) -> list[Period]:
    """The dates and periods a query names, most specific first.

    Each span of the text is read once, by the most specific pattern that matches it.

    Example:
        >>> [p.start.date().isoformat() for p in query_periods("What did she do on 8 May, 2023?")]
        ['2023-05-08']
    """
    taken: list[tuple[int, int]] = []
    found: list[Period] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            span = match.span()
            if any(span[0] < e and s < span[1] for s, e in taken):
                continue
            groups = match.groupdict()
            m = groups.get("m") or ""
            month = int(m) if m.isdigit() else _MONTHS.get(m.lower(), 0)
            year = int(groups["y"]) if groups.get("y") else 0
            period: Period | None
            if kind in ("iso", "dmy", "mdy"):
                period = _day(year, month, int(groups["d"]))
            elif kind == "my":
                period = _month(year, month)
            elif kind == "y":
                start = datetime(year, 1, 1, tzinfo=UTC)
                period = Period(start, datetime(year + 1, 1, 1, tzinfo=UTC), 0.4)
            else:
                period = _month(2000, month, 0.3, month_only=True)
            if period is not None:
                taken.append(span)
                found.append(period)
    return sorted(found, key=lambda p: -p.specificity)

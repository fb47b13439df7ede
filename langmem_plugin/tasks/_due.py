"""Due dates: ``"by Friday"``, ``"in two weeks"``, ``"on 5 June"`` resolved against a time.

A due date said in conversation is relative to *when it was said*, so every phrase is
resolved against the message time (the ``timestamp`` given to ``ingest``, or the time the
turn was processed), never against the time the rules happen to run.

Decisions, and why:

* **A day means its end.** "By Friday" leaves the whole of Friday: a day phrase resolves to
  23:59:59 of that day, in the time zone of the message time (UTC when it has none). A time
  named with it ("tomorrow at 3pm") is kept.
* **A bare weekday is the next one, never today.** "By Friday" said on a Friday means next
  week's; said on Wednesday, the coming Friday (1 to 7 days ahead). "Next Friday" is the
  Friday of next week (weeks start on Monday), which is how most people use it.
* **Week and month phrases mean their end.** "This week", "by the end of the week" and
  "this weekend" are the coming Sunday; "next week" is the Sunday of next week; "end of the
  month" is its last day, "next month" the last day of next month.
* **A date without a year is the next one.** "By 5 June" said in July is next June.
* **Slash dates are not read** (``5/6`` is May 6 or June 5 depending on the country).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

__all__ = ["DueMatch", "find_due", "parse_due"]

# Full names only: "sun", "sat" and "wed" are words too.
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name} | {
    name.lower(): i for i, name in enumerate(calendar.month_abbr) if name
}
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "a couple of": 2,
    "couple of": 2,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a few": 3,
    "few": 3,
}

_WEEKDAY = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_COUNT = r"\d{1,3}|" + "|".join(sorted(map(re.escape, _NUMBERS), key=len, reverse=True))
_LEAD = r"(?:(?:by|before|on|until|till|due|for|no later than)\s+)?"
_AT = (
    r"(?:\s+(?:at|by)\s+(?P<hour>\d{1,2})(?::(?P<minute>\d\d))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?)?"
)

_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(_LEAD + r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")),
    (
        "day_month",
        re.compile(
            _LEAD
            + r"\b(?:the\s+)?(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>"
            + _MONTH
            + r")\.?(?:,?\s+(?P<y>(?:19|20)\d\d))?\b",
            re.I,
        ),
    ),
    (
        "month_day",
        re.compile(
            _LEAD
            + r"\b(?P<mon>"
            + _MONTH
            + r")\.?\s+(?:the\s+)?(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>(?:19|20)\d\d))?",
            re.I,
        ),
    ),
    ("day_after", re.compile(_LEAD + r"\bthe\s+day\s+after\s+tomorrow\b" + _AT, re.I)),
    (
        "today",
        re.compile(_LEAD + r"\b(?:today|tonight|end\s+of\s+(?:the\s+)?day|eod)\b" + _AT, re.I),
    ),
    ("tomorrow", re.compile(_LEAD + r"\btomorrow\b(?:\s+(?:morning|evening|night))?" + _AT, re.I)),
    (
        "weekday",
        re.compile(
            _LEAD + r"\b(?P<rel>this\s+|next\s+|coming\s+)?(?P<wd>" + _WEEKDAY + r")\b\.?" + _AT,
            re.I,
        ),
    ),
    (
        "in",
        re.compile(
            r"\b(?:in|within)\s+(?:the\s+next\s+)?(?P<n>"
            + _COUNT
            + r")\s+(?P<unit>day|week|month|year)s?\b",
            re.I,
        ),
    ),
    (
        "end_of",
        re.compile(
            _LEAD
            + r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<unit>week|month|year)"
            + r"|this\s+(?P<this>week(?:end)?|month|year)|(?:the\s+)?weekend)\b",
            re.I,
        ),
    ),
    (
        "next",
        re.compile(_LEAD + r"\b(?:the\s+end\s+of\s+)?next\s+(?P<unit>week|month|year)\b", re.I),
    ),
    (
        "dom",
        re.compile(r"\b(?:by|before|on|until|due)\s+the\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)\b", re.I),
    ),
]


@dataclass(frozen=True)
class DueMatch:
    """A due date found in text.

    Attributes:
        due: The resolved time (timezone-aware).
        start: Index of the phrase in the text (with its "by"/"on"...).
        end: End index of the phrase.
    """

    due: datetime
    start: int
    end: int


def _end_of(day: date, tz: object) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz)  # type: ignore[arg-type]


def _with_time(day: date, match: re.Match[str], tz: object) -> datetime:
    hour = match.groupdict().get("hour")
    if hour is None:
        return _end_of(day, tz)
    h, minute = int(hour), int(match.group("minute") or 0)
    ampm = (match.group("ampm") or "").replace(".", "").lower()
    if ampm == "pm" and h < 12:
        h += 12
    elif ampm == "am" and h == 12:
        h = 0
    if not (0 <= h <= 23 and 0 <= minute <= 59):
        return _end_of(day, tz)
    return datetime.combine(day, time(h, minute), tzinfo=tz)  # type: ignore[arg-type]


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _last_of_month(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _next_date(today: date, month: int, day: int, year: int | None) -> date | None:
    try:
        if year is not None:
            return date(year, month, day)
        found = date(today.year, month, day)
        return found if found >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def _resolve(  # noqa: PLR0911, PLR0912 -- one branch per date phrase, tried in order
    kind: str, m: re.Match[str], now: datetime
) -> datetime | None:
    tz = now.tzinfo
    today = now.date()
    if kind == "iso":
        try:
            return _end_of(date(int(m["y"]), int(m["m"]), int(m["d"])), tz)
        except ValueError:
            return None
    if kind in ("day_month", "month_day"):
        year = int(m["y"]) if m["y"] else None
        found = _next_date(today, _MONTHS[m["mon"].lower().rstrip(".")], int(m["d"]), year)
        return _end_of(found, tz) if found else None
    if kind == "today":
        return _with_time(today, m, tz)
    if kind == "tomorrow":
        return _with_time(today + timedelta(days=1), m, tz)
    if kind == "day_after":
        return _with_time(today + timedelta(days=2), m, tz)
    if kind == "weekday":
        target = _WEEKDAYS[m["wd"].lower()]
        rel = (m["rel"] or "").strip().lower()
        if rel == "next":
            monday = today + timedelta(days=7 - today.weekday())
            return _with_time(monday + timedelta(days=target), m, tz)
        ahead = (target - today.weekday()) % 7 or 7
        return _with_time(today + timedelta(days=ahead), m, tz)
    if kind == "in":
        raw = m["n"].lower()
        n = int(raw) if raw.isdigit() else _NUMBERS[re.sub(r"\s+", " ", raw)]
        unit = m["unit"].lower()
        if unit == "day":
            return _end_of(today + timedelta(days=n), tz)
        if unit == "week":
            return _end_of(today + timedelta(weeks=n), tz)
        return _end_of(_add_months(today, n * (12 if unit == "year" else 1)), tz)
    if kind == "end_of":
        unit = (m["unit"] or m["this"] or "weekend").lower()
        if unit.startswith("week"):
            return _end_of(today + timedelta(days=6 - today.weekday()), tz)
        if unit == "month":
            return _end_of(_last_of_month(today), tz)
        return _end_of(date(today.year, 12, 31), tz)
    if kind == "next":
        unit = m["unit"].lower()
        if unit == "week":
            return _end_of(today + timedelta(days=13 - today.weekday()), tz)
        if unit == "month":
            return _end_of(_last_of_month(_add_months(today.replace(day=1), 1)), tz)
        return _end_of(date(today.year + 1, 12, 31), tz)
    if kind == "dom":
        day = int(m["d"])
        for months in range(3):  # the next month that has this day
            first = _add_months(today.replace(day=1), months)
            try:
                found = first.replace(day=day)
            except ValueError:
                continue
            if found >= today:
                return _end_of(found, tz)
        return None
    raise AssertionError(kind)  # pragma: no cover


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now


def find_due(text: str, now: datetime | None = None) -> DueMatch | None:
    """The first due-date phrase in ``text``, resolved against ``now``.

    Args:
        text: A sentence ("I need to file my taxes by next Friday").
        now: When it was said (default: now, UTC; a naive time is taken as UTC).

    Returns:
        The due date and where its phrase is, or None when the text names no due date.
    """
    ref = _aware(now)
    best: DueMatch | None = None
    for kind, pattern in _RULES:
        for m in pattern.finditer(text):
            if best is not None and m.start() >= best.start:
                break
            due = _resolve(kind, m, ref)
            if due is not None:
                best = DueMatch(due, m.start(), m.end())
                break
    return best


def parse_due(value: object, now: datetime | None = None) -> datetime | None:
    """A due date from a ``datetime``, a ``date``, an ISO string or a phrase.

    Args:
        value: ``None``, a ``datetime`` (a naive one is UTC), a ``date`` (its end), an ISO
            8601 string, or a phrase ``find_due`` understands ("next Friday").
        now: The time a phrase is relative to (default: now).

    Returns:
        The timezone-aware due time, or None for None.

    Raises:
        ValueError: If ``value`` is none of these.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return _end_of(value, UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            if len(text) == 10:  # a bare date: its end
                return _end_of(parsed.date(), _aware(now).tzinfo)
            return _aware(parsed)
        found = find_due(text, now)
        if found is not None:
            return found.due
    raise ValueError(
        f"due must be a datetime, a date, an ISO 8601 string or a phrase like 'next Friday', "
        f"got {value!r}"
    )

"""The inspector's trends page (a user's mood and topics over time) and health page.

Both are read-only views of the public API (``memory.mood``, ``memory.trends``,
``memory.health``) drawn with ``ui._charts``: no script, no data fetched by the page.
Kept apart from ``_data`` (the memory pages) because they share the charts and nothing
else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from markupsafe import Markup

from langmem_plugin._health import Health
from langmem_plugin.memory import Memory
from langmem_plugin.nodes.mood import Mood
from langmem_plugin.nodes.trends import TopicSession, Trends
from langmem_plugin.ui._charts import Series, bar_chart, line_chart

__all__ = ["HealthPage", "TrendsPage", "health_page", "trends_page"]

#: Topics charted on the trends page (rising and fading first, then the most frequent).
CHARTED_TOPICS = 5


@dataclass
class TrendsPage:
    """What the trends page shows for one user."""

    mood: Mood
    trends: Trends
    mood_chart: Markup
    topic_chart: Markup
    topic_counts: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class HealthPage:
    """What the health page shows."""

    health: Health
    charts: dict[str, Markup]


def _period(sessions: Sequence[TopicSession]) -> Callable[[str], str]:
    """Months (``2026-03``) for a long series, weeks (their Monday) for one under 120 days."""
    days = []
    for session in sessions:
        try:
            days.append(datetime.fromisoformat(session.date).date())
        except ValueError:
            continue
    if days and (max(days) - min(days)).days >= 120:
        return lambda date: date[:7] or "unknown"

    def week(date: str) -> str:
        try:
            day = datetime.fromisoformat(date).date()
        except ValueError:
            return "unknown"
        return (day - timedelta(days=day.weekday())).isoformat()

    return week


def trends_page(memory: Memory, user_id: str) -> TrendsPage:
    """Mood and topic charts of ``user_id`` (validated by the memory's API).

    The topic chart counts, per week (per month over 120 days or more), the sessions that
    had each charted topic: the
    rising and fading ones first, then the most frequent, ``CHARTED_TOPICS`` in all.
    """
    mood = memory.mood(user_id)
    trends = memory.trends(user_id)
    mood_chart = line_chart(
        "Mood per session",
        [Series("sentiment", [(p.date[:10], p.sentiment) for p in mood.points])],
        y_label="sentiment (-1 to +1)",
        y_range=(-1.0, 1.0),
        fmt=lambda v: f"{v:+.2f}",
    )
    frequency = Counter(t for s in trends.sessions for t in s.topics)
    charted = list(dict.fromkeys([t.topic for t in trends.topics]))[:CHARTED_TOPICS]
    for topic, _ in frequency.most_common():
        if len(charted) >= CHARTED_TOPICS:
            break
        if topic not in charted:
            charted.append(topic)
    period = _period(trends.sessions)
    months = list(dict.fromkeys(period(s.date) for s in trends.sessions))
    per_period = {
        topic: Counter(period(s.date) for s in trends.sessions if topic in s.topics)
        for topic in charted
    }
    unit = "month" if months and len(months[0]) == 7 else "week"
    topic_chart = line_chart(
        f"Sessions per {unit} with each topic",
        [Series(t, [(m, per_period[t][m]) for m in months]) for t in charted],
        y_label="sessions",
    )
    return TrendsPage(mood, trends, mood_chart, topic_chart, frequency.most_common(15))


def health_page(memory: Memory, days: int = 30) -> HealthPage:
    """The health charts of the last ``days`` days (``memory.health``)."""
    health = memory.health(days)
    label = [d.day[5:] for d in health.days]  # MM-DD: the period is under a year
    pairs = list(zip(label, health.days, strict=True))
    charts = {
        "size": line_chart(
            "Live items over time",
            [Series("items", [(x, d.items) for x, d in pairs])],
            y_label="items",
        ),
        "new": bar_chart(
            "Items created per day",
            [(x, sum(d.new_items.values())) for x, d in pairs],
            y_label="items",
        ),
        "recalls": bar_chart(
            "Recalls per day",
            [(x, d.recalls) for x, d in pairs],
            y_label="recalls",
        ),
        "latency": line_chart(
            "Recall latency per day",
            [
                Series("mean", [(x, d.recall_ms) for x, d in pairs]),
                Series("slowest", [(x, d.recall_peak_ms if d.recalls else None) for x, d in pairs]),
            ],
            y_label="milliseconds",
        ),
        "calls": bar_chart(
            "Model calls per day",
            [(x, d.llm_calls) for x, d in pairs],
            y_label="calls",
        ),
        "tokens": bar_chart(
            "Model tokens per day",
            [(x, d.llm_tokens) for x, d in pairs],
            y_label="tokens",
        ),
    }
    return HealthPage(health, charts)

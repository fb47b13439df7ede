"""Mood over time: the user's sentiment per session, its trend, and the line recall shows.

Read from the session episodes' ``sentiment`` (VADER over the user's turns, see
``nodes.episodes``), live and archived (``session_episodes``): no model call, one read of
the user's episodes. Episodes stored by
earlier versions carry no ``sentiment`` and are left out; so are episodes of turns folded
out of working memory (``kind="working_memory"``), which are not sessions.

The trend compares the last ``WINDOW`` sessions in which the user expressed some feeling
(``sentiment_turns > 0``) with the ``WINDOW`` before them (with fewer than ``2 * WINDOW``,
the newer half with the older half: three sessions compare the last two with the first).
Sessions of pure logistics ("book a table for 7pm") are points of the series but not of the
trend: they say nothing about how the user feels, and one of them between two sad sessions
would otherwise read as recovery.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from langgraph.store.base import BaseStore, Item

from langmem_plugin._namespaces import persona_namespace
from langmem_plugin._paging import search_all
from langmem_plugin._sentiment import sentiment_label
from langmem_plugin.errors import InvalidValueError

__all__ = [
    "Mood",
    "MoodPoint",
    "about_feelings",
    "mood_line",
    "mood_of",
    "read_mood",
    "session_episodes",
]

#: Sessions per side of the trend comparison (3: a week of daily chats, and few enough
#: that a change shows within days; one session alone is too noisy to call a mood).
WINDOW = 3
#: Mean sentiment at or below which the recent mood is "low" and recall mentions it unasked.
LOW = -0.3
#: Change of mean sentiment (recent minus previous) at which recall mentions it unasked.
CHANGED = 0.5

_FEELINGS = re.compile(
    r"\b(?:feel|feels|feeling|felt|mood|moods|emotion\w*|sad|sadness|unhappy|happy|happier|"
    r"depress\w*|anxious|anxiety|stress|stressed|stressful|worried|worry|lonely|upset|"
    r"overwhelm\w*|cope|coping|burn(?:ed|t)?[ -]?out|exhausted|miserable|mental health|"
    r"how (?:have|am|was) i (?:been|doing)|how i(?:'ve| have) been)\b",
    re.IGNORECASE,
)


_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|im|me|my|myself)\b", re.IGNORECASE)


def about_feelings(text: str) -> bool:
    """Whether a message is about the user's own feelings or mood (word lists, per recall).

    A feeling word and a first-person word ("I", "my", "me"...): "How did Melanie feel
    about the race?" asks about someone else, and the user's mood does not answer it (the
    LoCoMo dev questions hold 28 such, which the line would only take budget from).
    Words mostly not about feelings in chat are left out: "down" (write down), "low" (low
    battery), "cheers" (thanks), "tired of" (a complaint about a thing).
    """
    return bool(_FEELINGS.search(text) and _FIRST_PERSON.search(text))


@dataclass(frozen=True)
class MoodPoint:
    """One session's sentiment.

    Attributes:
        date: When the session ended (ISO time, as stored on the episode).
        sentiment: Mean VADER compound score of the user's felt turns, -1 to +1.
        label: ``"positive"``, ``"negative"`` or ``"neutral"`` (VADER's cut-offs, 0.05).
        spread: Standard deviation of the turns' scores.
        turns: How many user turns carried feeling (0: a session of pure logistics).
        thread_id: The session.
    """

    date: str
    sentiment: float
    label: str
    spread: float
    turns: int
    thread_id: str | None


@dataclass(frozen=True)
class Mood:
    """A user's mood over time, oldest session first.

    Attributes:
        points: One per session episode with a sentiment.
        recent: Mean sentiment of the last ``recent_sessions`` felt sessions (None without
            any).
        previous: Mean of as many felt sessions before those (None without any).
        change: ``recent - previous`` (None unless both exist).
        slope: Least-squares slope of sentiment per session over the last ``2 * WINDOW``
            felt sessions (None for fewer than two).
        trend: ``"falling"``, ``"rising"`` or ``"steady"`` (by ``change``, at 0.3), or
            ``"unknown"`` without two windows to compare.
    """

    points: list[MoodPoint] = field(default_factory=list)
    recent: float | None = None
    previous: float | None = None
    change: float | None = None
    slope: float | None = None
    trend: str = "unknown"

    @property
    def recent_sessions(self) -> int:
        """How many felt sessions ``recent`` averages."""
        return min(WINDOW, (sum(1 for p in self.points if p.turns) + 1) // 2)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _slope(values: list[float]) -> float | None:
    n = len(values)
    if n < 2:
        return None
    mx, my = (n - 1) / 2, sum(values) / n
    num = sum((i - mx) * (v - my) for i, v in enumerate(values))
    den = sum((i - mx) ** 2 for i in range(n))
    return round(num / den, 3)


def _after(value: dict[str, Any], since: datetime) -> bool:
    try:
        when = datetime.fromisoformat(str(value.get("ended_at") or value.get("occurred_at")))
    except ValueError:
        return False
    return (when if when.tzinfo else when.replace(tzinfo=UTC)) >= since


def read_mood(
    store: BaseStore,
    user_id: str,
    *,
    since: datetime | None = None,
    persona_id: str | None = None,
) -> Mood:
    """The user's mood from their session episodes (see the module docstring).

    Args:
        store: The memory store.
        user_id: Whose mood (already validated).
        since: Only sessions that ended at or after this time (naive means UTC).
        persona_id: The mood shown to this persona, from its own episodes (a persona
            does not learn from another's conversations how the user felt).

    Returns:
        The points, oldest first, and the trend.

    Raises:
        InvalidValueError: If ``since`` is not a datetime.
    """
    return mood_of(session_episodes(store, user_id, persona_id), since=since)


def session_episodes(store: BaseStore, user_id: str, persona_id: str | None = None) -> list[Item]:
    """The user's live and archived episodes (mood and trends read both), or a persona's.

    Consolidation moves an episode that decayed below its importance threshold, or that
    was merged into a similar one, to ``("episodes_archive", user)``: it was still a
    session, and the mood and topic series would lose their history after a few months
    without it.
    """
    return [
        *search_all(store, persona_namespace("episodes", user_id, persona_id)),
        *search_all(store, persona_namespace("episodes_archive", user_id, persona_id)),
    ]


def utc_since(since: datetime | None) -> datetime | None:
    """``since`` as an aware time (naive means UTC); mood and trends take the same bound.

    Raises:
        InvalidValueError: If ``since`` is neither a datetime nor None.
    """
    if since is not None and not isinstance(since, datetime):
        raise InvalidValueError(f"since must be a datetime or None, got {since!r}")
    if since is not None and since.tzinfo is None:
        return since.replace(tzinfo=UTC)
    return since


def mood_of(episodes: Iterable[Item], *, since: datetime | None = None) -> Mood:
    """The mood of these episode items (``read_mood`` on items already read).

    Recall reads the user's episodes once for the mood line and the topic trends
    (``nodes.trends``); this is the part after the read.

    Raises:
        InvalidValueError: If ``since`` is not a datetime.
    """
    since = utc_since(since)
    points = []
    for item in episodes:
        v = item.value
        if v.get("kind", "session") != "session" or v.get("sentiment") is None:
            continue
        if since is not None and not _after(v, since):
            continue
        score = float(v["sentiment"])
        points.append(
            MoodPoint(
                date=str(v.get("ended_at") or v.get("occurred_at") or ""),
                sentiment=score,
                label=sentiment_label(score),
                spread=float(v.get("sentiment_spread") or 0.0),
                turns=int(v.get("sentiment_turns") or 0),
                thread_id=v.get("thread_id"),
            )
        )
    points.sort(key=lambda p: p.date)
    felt = [p.sentiment for p in points if p.turns]
    k = min(WINDOW, (len(felt) + 1) // 2)  # fewer than 2 * WINDOW: the newer half is recent
    recent = _mean(felt[-k:]) if k else None
    previous = _mean(felt[-2 * k : -k]) if k else None
    change = None if recent is None or previous is None else round(recent - previous, 3)
    trend = (
        "unknown"
        if change is None
        else "falling"
        if change <= -0.3
        else "rising"
        if change >= 0.3
        else "steady"
    )
    return Mood(points, recent, previous, change, _slope(felt[-2 * WINDOW :]), trend)


def _describe(score: float) -> str:
    if score <= LOW:
        return "low"
    if score < -0.05:
        return "somewhat negative"
    if score < 0.05:
        return "neutral"
    return "somewhat positive" if score < 0.3 else "positive"


def mood_line(mood: Mood, query: str, *, opening: bool = True) -> str:
    """The recall line about the user's mood, or '' when it would not help.

    Shown when the message is about feelings (``about_feelings``) and some session
    expressed feeling; unasked, only on the ``opening`` message of a conversation, when the
    recent mood is low (mean ``<= LOW``) or changed by ``CHANGED`` or more, so the agent
    knows it from the start without hearing it again on every turn. Any other message gets
    no line: most recalls carry none.

    Args:
        mood: The user's mood (``read_mood``).
        query: The message recall is for.
        opening: Whether it is the first user message of the conversation.
    """
    if mood.recent is None:
        return ""
    notable = mood.recent <= LOW or (mood.change is not None and abs(mood.change) >= CHANGED)
    if not (notable and opening) and not about_feelings(query):
        return ""
    n = mood.recent_sessions
    sessions = "the last session" if n == 1 else f"the last {n} sessions"
    line = f"Mood (from the user's words): {_describe(mood.recent)} in {sessions}"
    line += f" ({mood.recent:+.2f}"
    if mood.previous is not None and _describe(mood.previous) != _describe(mood.recent):
        line += f"; was {_describe(mood.previous)} before, {mood.previous:+.2f}"
    return line + ")."

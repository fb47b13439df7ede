"""Patterns over time: how the user's preferences changed, which topics rise or fade.

Read from what memory already keeps, with no model call and no table of its own:

* **Preference changes** come from the profile history (``("profile_history", user)``,
  ``nodes.profile``): every version of every fact with its validity interval. A fact of a
  preference category (``likes``, ``dislikes``, ``preferences``, ``diet``, every
  ``favorite_<thing>``) that was closed is a *change* when the same version opened its
  successor (``favorite_drink`` coffee -> tea; one ``likes`` closed and one opened), a
  *reversal* when the successor is the opposite category with the same value (liked
  hiking, now dislikes it), and *dropped* when nothing replaced it (deleted). A current
  preference first stated after the user's first day is *new* (what they now like that they
  did not say before).
* **Topic trends** come from the session episodes' ``topics`` (``nodes.episodes``; offline,
  the session's most frequent content words), live and archived (a session that decayed
  or was merged into a similar one still happened). The last ``TOPIC_WINDOW`` sessions (fewer:
  the newer half) are compared with all before them: a topic is *rising* when it is in at
  least two recent sessions and its share of sessions grew by ``RISE`` or more, *fading*
  when it was in at least two earlier sessions, a share of ``FADE`` or more, and in none of
  the recent ones. Topics are compared by their Snowball stems ("painting" and "paint").

Recall shows them as one line each, only when they answer the message (``insight_lines``):
the same gating as the mood line (``nodes.mood``), a first-person message and words that
ask for it, so most recalls carry none and the one-model-call budget is untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from langgraph.store.base import BaseStore, Item

from langmem_plugin._namespaces import user_namespace
from langmem_plugin._paging import search_all
from langmem_plugin._text import analyze
from langmem_plugin.nodes.mood import mood_line, mood_of, session_episodes, utc_since
from langmem_plugin.nodes.profile import ProfileFact, is_single_valued, normalize

__all__ = [
    "PreferenceChange",
    "TopicSession",
    "TopicTrend",
    "Trends",
    "insight_lines",
    "preference_changes",
    "read_trends",
    "topic_trends",
]

#: Recent sessions compared with all earlier ones (5: about a week of daily chats).
TOPIC_WINDOW = 5
#: Growth of a topic's share of sessions (recent minus earlier) that makes it rising.
RISE = 0.4
#: Share of earlier sessions a topic absent from the recent ones needed, to be fading.
FADE = 0.25
#: At most this many changes or topics per recall line.
MAX_SHOWN = 3
#: Preference categories besides every ``favorite_<thing>``.
PREFERENCE_CATEGORIES = frozenset({"likes", "dislikes", "preferences", "diet"})
_OPPOSITE = {"likes": "dislikes", "dislikes": "likes"}

_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|im|me|my|myself|mine)\b", re.IGNORECASE)
_PREFERENCE_WORDS = re.compile(
    r"\b(?:prefer\w*|favou?rite\w*|like|likes|liked|love|loved|enjoy\w*|hate|hated|"
    r"dislike\w*|into|fan of|taste\w*|diet|usual\w*|recommend\w*|suggest\w*)\b",
    re.IGNORECASE,
)
_CHANGE_WORDS = re.compile(
    r"\b(?:any ?more|no longer|used to|these days|nowadays|lately|more and more|"
    r"less and less|changed my mind|(?:taste|preference)s? (?:have |has )?changed|trend\w*|"
    r"been (?:into|talking about|thinking about))\b",
    re.IGNORECASE,
)


def is_preference(category: str) -> bool:
    """Whether a profile category states a preference (see the module docstring)."""
    return category in PREFERENCE_CATEGORIES or category.startswith("favorite_")


@dataclass(frozen=True)
class PreferenceChange:
    """One change of the user's preferences, from the profile history.

    Attributes:
        kind: ``"changed"`` (a new value replaced the old one), ``"reversed"`` (liked,
            now dislikes, or the other way), ``"dropped"`` (closed, nothing replaced it)
            or ``"new"`` (first stated after the user's first day).
        category: The category now (the old one for ``dropped``).
        before: The earlier value (None for ``new``).
        now: The current value (None for ``dropped``).
        before_category: The earlier category (differs from ``category`` when reversed).
        at: When the change happened (ISO time: the new version's ``valid_from``, or the
            old one's ``valid_to`` when dropped).
        current: Whether the new value still holds (a later version may have replaced it).
    """

    kind: str
    category: str
    before: str | None
    now: str | None
    before_category: str | None
    at: str
    current: bool = True

    def describe(self) -> str:
        """One short phrase: ``favorite_drink: tea since 2023-05-08 (was coffee)``."""
        day = self.at[:10]
        if self.kind == "dropped":
            return f"no longer {self.before_category}: {self.before} (since {day})"
        if self.kind == "reversed":
            return f"now {self.category}: {self.now} since {day} (was {self.before_category})"
        if self.kind == "new":
            return f"{self.category}: {self.now} (new since {day})"
        return f"{self.category}: {self.now} since {day} (was {self.before})"


@dataclass(frozen=True)
class TopicTrend:
    """A topic rising or fading across sessions.

    Attributes:
        topic: The topic as stored (its most common spelling).
        direction: ``"rising"`` or ``"fading"``.
        recent: Recent sessions that had it.
        recent_sessions: How many sessions count as recent.
        earlier: Earlier sessions that had it.
        earlier_sessions: How many sessions came before the recent ones.
        last_seen: When it was last a topic (ISO time of the session's end).
    """

    topic: str
    direction: str
    recent: int
    recent_sessions: int
    earlier: int
    earlier_sessions: int
    last_seen: str

    @property
    def change(self) -> float:
        """Recent share of sessions minus earlier share (positive when rising)."""
        earlier = self.earlier / self.earlier_sessions if self.earlier_sessions else 0.0
        return round(self.recent / self.recent_sessions - earlier, 3)

    def describe(self) -> str:
        """One short phrase: ``painting (3 of the last 4 sessions, 0 of 9 before)``."""
        if self.direction == "fading":
            return (
                f"{self.topic} ({self.earlier} of {self.earlier_sessions} sessions before, "
                f"none of the last {self.recent_sessions}; last {self.last_seen[:10]})"
            )
        return (
            f"{self.topic} ({self.recent} of the last {self.recent_sessions} sessions, "
            f"{self.earlier} of {self.earlier_sessions} before)"
        )


@dataclass(frozen=True)
class TopicSession:
    """One session's topics (the series the inspector charts)."""

    date: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Trends:
    """A user's patterns over time.

    Attributes:
        preferences: Preference changes, newest first.
        topics: Rising topics (largest growth first), then fading ones.
        sessions: Every session with topics, oldest first.
    """

    preferences: list[PreferenceChange] = field(default_factory=list)
    topics: list[TopicTrend] = field(default_factory=list)
    sessions: list[TopicSession] = field(default_factory=list)

    @property
    def rising(self) -> list[TopicTrend]:
        """The rising topics."""
        return [t for t in self.topics if t.direction == "rising"]

    @property
    def fading(self) -> list[TopicTrend]:
        """The fading topics."""
        return [t for t in self.topics if t.direction == "fading"]


# ---------------------------------------------------------------------- preferences
def preference_changes(history: Sequence[ProfileFact]) -> list[PreferenceChange]:
    """The preference changes in a profile history (``ProfileStore.history``), newest first."""
    facts = [f for f in history if is_preference(f.category)]
    opened: dict[int, list[ProfileFact]] = {}
    for fact in facts:
        opened.setdefault(fact.version_from, []).append(fact)
    changes: list[PreferenceChange] = []
    successors: set[int] = set()
    for old in facts:
        if old.version_to is None:
            continue
        candidates = opened.get(old.version_to, [])
        # the same value respelled (same key) or rolled back to itself is no change
        if any(
            normalize(n.value) == normalize(old.value) and n.category == old.category
            for n in candidates
        ):
            successors.update(id(n) for n in candidates if n.category == old.category)
            continue
        opposite = [
            n
            for n in candidates
            if n.category == _OPPOSITE.get(old.category)
            and normalize(n.value) == normalize(old.value)
        ]
        same = [n for n in candidates if n.category == old.category]
        if opposite:
            new, kind = opposite[0], "reversed"
        elif same and (is_single_valued(old.category) or len(same) == 1):
            new, kind = same[0], "changed"
        else:
            changes.append(
                PreferenceChange(
                    "dropped", old.category, old.value, None, old.category, old.valid_to or ""
                )
            )
            continue
        successors.add(id(new))
        changes.append(
            PreferenceChange(
                kind,
                new.category,
                old.value,
                new.value,
                old.category,
                new.valid_from,
                current=new.valid_to is None,
            )
        )
    first_day = min((f.valid_from[:10] for f in history), default="")
    changes += [
        PreferenceChange("new", fact.category, None, fact.value, None, fact.valid_from)
        for fact in facts
        if fact.valid_to is None
        and id(fact) not in successors
        and fact.valid_from[:10] > first_day
        and not fact.source.startswith("rollback")
    ]
    changes.sort(key=lambda c: c.at, reverse=True)
    return changes


# ---------------------------------------------------------------------- topics
def _sessions(episodes: Iterable[Item], since: datetime | None) -> list[TopicSession]:
    sessions = []
    for item in episodes:
        value = item.value
        if value.get("kind", "session") != "session" or not value.get("topics"):
            continue
        date = str(value.get("ended_at") or value.get("occurred_at") or "")
        if since is not None and not _at_or_after(date, since):
            continue
        topics = tuple(dict.fromkeys(str(t).strip().lower() for t in value["topics"] if t))
        sessions.append(TopicSession(date, topics))
    sessions.sort(key=lambda s: s.date)
    return sessions


def _at_or_after(date: str, since: datetime) -> bool:
    try:
        when = datetime.fromisoformat(date)
    except ValueError:
        return False
    return (when if when.tzinfo else when.replace(tzinfo=UTC)) >= since


def _stem(topic: str) -> str:
    return " ".join(analyze(topic)) or topic


def topic_trends(sessions: Sequence[TopicSession]) -> list[TopicTrend]:
    """Rising then fading topics of these sessions (oldest first; see the module docstring)."""
    k = min(TOPIC_WINDOW, len(sessions) // 2)
    if k < 2:
        return []
    earlier, recent = sessions[:-k], sessions[-k:]
    spelling: dict[str, str] = {}
    counts: dict[str, list[int]] = {}
    last: dict[str, str] = {}
    for index, session in enumerate(sessions):
        stems = {_stem(t): t for t in reversed(session.topics)}  # the first spelling wins
        for stem, topic in stems.items():
            spelling.setdefault(stem, topic)
            counts.setdefault(stem, [0, 0])[1 if index >= len(earlier) else 0] += 1
            last[stem] = session.date
    rising, fading = [], []
    for stem, (before, lately) in counts.items():
        trend = TopicTrend(
            spelling[stem], "rising", lately, len(recent), before, len(earlier), last[stem]
        )
        if lately >= 2 and trend.change >= RISE:
            rising.append(trend)
        elif lately == 0 and before >= 2 and before / len(earlier) >= FADE:
            fading.append(TopicTrend(**{**trend.__dict__, "direction": "fading"}))
    rising.sort(key=lambda t: (-t.change, t.topic))
    fading.sort(key=lambda t: (t.change, t.topic))
    return rising + fading


def read_trends(store: BaseStore, user_id: str, *, since: datetime | None = None) -> Trends:
    """A user's preference changes and topic trends (see the module docstring).

    Args:
        store: The memory store.
        user_id: Whose trends (already validated).
        since: Only sessions and changes at or after this time (naive means UTC).

    Raises:
        InvalidValueError: If ``since`` is not a datetime.
    """
    since = utc_since(since)
    sessions = _sessions(session_episodes(store, user_id), since)
    changes = preference_changes(_history(store, user_id))
    if since is not None:
        changes = [c for c in changes if _at_or_after(c.at, since)]
    return Trends(changes, topic_trends(sessions), sessions)


def _history(store: BaseStore, user_id: str) -> list[ProfileFact]:
    items = search_all(store, user_namespace("profile_history", user_id))
    return [ProfileFact.model_validate(i.value) for i in items]


# ---------------------------------------------------------------------- recall
def _relevant(terms: set[str], *texts: str | None) -> bool:
    return any(terms & set(analyze(text.replace("_", " "))) for text in texts if text)


def preference_line(changes: Sequence[PreferenceChange], query: str) -> str:
    """The recall line of preference changes for ``query``, or '' (see ``insight_lines``)."""
    terms = set(analyze(query)) - {"favorit", "like", "prefer"}
    asked_change = bool(_CHANGE_WORDS.search(query))
    shown = [
        c
        for c in changes
        if c.current
        and (_relevant(terms, c.category, c.before, c.now) or (asked_change and c.kind != "new"))
    ][:MAX_SHOWN]
    if not shown:
        return ""
    return (
        "Preference changes (from the profile history): "
        + "; ".join(c.describe() for c in shown)
        + "."
    )


def topic_line(topics: Sequence[TopicTrend], query: str) -> str:
    """The recall line of topic trends for ``query``, or '' (see ``insight_lines``)."""
    terms = set(analyze(query))
    asked_trend = bool(_CHANGE_WORDS.search(query))
    named = [t for t in topics if set(_stem(t.topic).split()) <= terms]
    shown = named or (list(topics) if asked_trend else [])
    parts = []
    for direction in ("rising", "fading"):
        some = [t.describe() for t in shown if t.direction == direction][:MAX_SHOWN]
        if some:
            parts.append(f"{direction}: " + ", ".join(some))
    if not parts:
        return ""
    return "Topic trends (from session topics): " + "; ".join(parts) + "."


def insight_lines(
    store: BaseStore, user_id: str, query: str, *, opening: bool, persona_id: str | None = None
) -> list[str]:
    """The mood line and the trend lines recall leads with, each only when it helps.

    One read of the user's episodes (live and archived) serves the mood and the topic
    trends; the profile history is read only when the message asks about preferences or
    change. A trend line needs a first-person message (as the mood line: "What does
    Melanie like?" is not about the user, and the LoCoMo questions are of that kind) that
    names the topic or the changed preference, or asks about change ("lately", "these
    days", "any more", "no longer", "used to"...): e.g. "Can you recommend a drink for
    me?" after ``favorite_drink`` went from coffee to tea, or "I want to paint this
    weekend" while painting is a rising topic.

    Args:
        store: The memory store.
        user_id: Whose memory.
        query: The message recall is for.
        opening: Whether it is the conversation's first user message (the mood line).
        persona_id: Recall as this persona: its own sessions give the mood and the topics
            (the profile's preferences are the user's, shared).

    Returns:
        The lines to show, mood first; empty for most messages.
    """
    episodes = session_episodes(store, user_id, persona_id)
    lines = [mood_line(mood_of(episodes), query, opening=opening)]
    if _FIRST_PERSON.search(query):
        asked = bool(_CHANGE_WORDS.search(query))
        lines.append(topic_line(topic_trends(_sessions(episodes, None)), query))
        if asked or _PREFERENCE_WORDS.search(query):
            lines.append(preference_line(preference_changes(_history(store, user_id)), query))
    return [line for line in lines if line]

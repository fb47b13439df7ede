"""Trends: preference changes from the profile history, topic trends, and the recall lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from langgraph.store.memory import InMemoryStore

from langmem_plugin.errors import InvalidValueError
from langmem_plugin.nodes.profile import FactProposal, ProfileStore
from langmem_plugin.nodes.trends import (
    TopicSession,
    insight_lines,
    preference_changes,
    read_trends,
    topic_trends,
)

START = datetime(2026, 3, 1, tzinfo=UTC)
HIKING_THEN_PAINTING = [
    ["hiking", "weather"],
    ["hiking", "boots"],
    ["hiking", "club", "weather"],
    ["hiking", "work"],
    ["painting", "work"],
    ["painting", "harbour"],
    ["paint", "gallery"],  # the same stem as "painting"
]


def put_sessions(store: InMemoryStore, user: str, topics: list[list[str]]) -> None:
    for n, names in enumerate(topics):
        value: dict[str, Any] = {
            "content": f"session {n}",
            "kind": "session",
            "topics": names,
            "thread_id": f"t{n}",
            "ended_at": (START + timedelta(days=n)).isoformat(),
        }
        # decayed sessions live in the archive: they still count
        ns = ("episodes_archive" if n < 2 else "episodes", user)
        store.put(ns, f"e{n}", value)


def facts(store: InMemoryStore, user: str, day: int, *proposals: FactProposal) -> None:
    ProfileStore(store).apply(user, list(proposals), source="rules", at=START + timedelta(days=day))


def test_a_topic_in_the_recent_sessions_rises_and_one_gone_from_them_fades() -> None:
    sessions = [
        TopicSession((START + timedelta(days=n)).isoformat(), tuple(t))
        for n, t in enumerate(HIKING_THEN_PAINTING)
    ]
    trends = topic_trends(sessions)
    by_topic = {t.topic: t for t in trends}
    # 7 sessions: the last 3 are recent (the newer half), the first 4 earlier
    assert (by_topic["painting"].direction, by_topic["painting"].recent) == ("rising", 3)
    assert by_topic["painting"].earlier == 0
    assert by_topic["hiking"].direction == "fading"
    assert (by_topic["hiking"].earlier, by_topic["hiking"].recent) == (4, 0)
    assert by_topic["hiking"].last_seen.startswith("2026-03-04")
    # "work" is in one earlier and one recent session: neither rising nor fading
    assert "work" not in by_topic
    assert "weather" in by_topic
    assert [t.direction for t in trends] == ["rising", "fading", "fading"]


def test_too_few_sessions_have_no_trend() -> None:
    sessions = [TopicSession(f"2026-03-0{n}", ("painting",)) for n in range(1, 4)]
    assert topic_trends(sessions) == []


def test_preference_changes_from_the_profile_history() -> None:
    store = InMemoryStore()
    facts(
        store,
        "ada",
        0,
        FactProposal(category="favorite_drink", value="coffee"),
        FactProposal(category="likes", value="hiking"),
        FactProposal(category="likes", value="jazz"),
        FactProposal(category="location", value="Berlin"),
    )
    facts(store, "ada", 10, FactProposal(category="favorite_drink", value="green tea"))
    facts(store, "ada", 20, FactProposal(category="dislikes", value="hiking"))
    facts(store, "ada", 30, FactProposal(action="delete", category="likes", value="jazz"))
    facts(store, "ada", 31, FactProposal(category="likes", value="watercolours"))
    facts(store, "ada", 32, FactProposal(category="location", value="Lisbon"))  # no preference
    changes = preference_changes(ProfileStore(store).history("ada"))
    assert [(c.kind, c.category, c.before, c.now) for c in changes] == [
        ("new", "likes", None, "watercolours"),
        ("dropped", "likes", "jazz", None),
        ("reversed", "dislikes", "hiking", "hiking"),
        ("changed", "favorite_drink", "coffee", "green tea"),
    ]
    assert changes[2].before_category == "likes"
    assert changes[3].at.startswith("2026-03-11")
    assert changes[3].describe() == "favorite_drink: green tea since 2026-03-11 (was coffee)"
    assert changes[2].describe() == "now dislikes: hiking since 2026-03-21 (was likes)"


def test_a_change_later_replaced_is_not_current() -> None:
    store = InMemoryStore()
    facts(store, "ada", 0, FactProposal(category="favorite_color", value="green"))
    facts(store, "ada", 5, FactProposal(category="favorite_color", value="blue"))
    facts(store, "ada", 9, FactProposal(category="favorite_color", value="red"))
    changes = preference_changes(ProfileStore(store).history("ada"))
    assert [(c.before, c.now, c.current) for c in changes] == [
        ("blue", "red", True),
        ("green", "blue", False),
    ]


def test_read_trends_is_per_user_and_since_filters() -> None:
    store = InMemoryStore()
    put_sessions(store, "ada", HIKING_THEN_PAINTING)
    put_sessions(store, "ada2", [["sailing"]] * 7)
    facts(store, "ada", 0, FactProposal(category="favorite_drink", value="coffee"))
    facts(store, "ada", 10, FactProposal(category="favorite_drink", value="tea"))
    trends = read_trends(store, "ada")
    assert len(trends.sessions) == 7
    assert trends.sessions[0].topics == ("hiking", "weather")
    assert [t.topic for t in trends.rising] == ["painting"]
    assert "sailing" not in {t for s in trends.sessions for t in s.topics}
    assert [c.now for c in trends.preferences] == ["tea"]
    later = read_trends(store, "ada", since=datetime(2026, 3, 4))  # naive: UTC
    assert len(later.sessions) == 4
    assert [c.now for c in later.preferences] == ["tea"]  # changed on 03-11
    assert read_trends(store, "ada", since=START + timedelta(days=20)).preferences == []
    assert read_trends(store, "nobody") == type(trends)()
    with pytest.raises(InvalidValueError, match="since must be a datetime"):
        read_trends(store, "ada", since="2026-03-01")  # type: ignore[arg-type]


@pytest.fixture
def store() -> InMemoryStore:
    store = InMemoryStore()
    put_sessions(store, "ada", HIKING_THEN_PAINTING)
    facts(store, "ada", 0, FactProposal(category="favorite_drink", value="coffee"))
    facts(store, "ada", 10, FactProposal(category="favorite_drink", value="green tea"))
    return store


def lines(store: InMemoryStore, query: str) -> list[str]:
    return insight_lines(store, "ada", query, opening=False)


def test_a_first_person_message_naming_a_rising_topic_gets_the_topic_line(
    store: InMemoryStore,
) -> None:
    (line,) = lines(store, "I want to paint the harbour this weekend")
    assert line == (
        "Topic trends (from session topics): rising: painting (3 of the last 3 sessions, "
        "0 of 4 before)."
    )


def test_a_question_about_change_gets_both_lines(store: InMemoryStore) -> None:
    topic, preference = lines(store, "What have I been into lately?")
    assert "rising: painting" in topic
    assert "fading: hiking" in topic
    assert preference == (
        "Preference changes (from the profile history): favorite_drink: green tea since "
        "2026-03-11 (was coffee)."
    )


def test_a_preference_question_about_the_changed_thing_gets_the_preference_line(
    store: InMemoryStore,
) -> None:
    assert lines(store, "Can you recommend a drink for me?") == [
        "Preference changes (from the profile history): favorite_drink: green tea since "
        "2026-03-11 (was coffee)."
    ]


@pytest.mark.parametrize(
    "query",
    [
        "What does Melanie like to paint?",  # about someone else (the LoCoMo kind)
        "Book me a table for two at 7pm",  # first person, about nothing trending
        "Can you recommend a good book for me?",  # a preference, not one that changed
        "",
    ],
)
def test_other_messages_get_no_trend_line(store: InMemoryStore, query: str) -> None:
    assert lines(store, query) == []


def test_the_mood_line_still_leads_when_asked(store: InMemoryStore) -> None:
    for n in range(2):
        store.put(
            ("episodes", "ada"),
            f"m{n}",
            {
                "content": "sad",
                "kind": "session",
                "ended_at": (START + timedelta(days=40 + n)).isoformat(),
                "sentiment": -0.6,
                "sentiment_turns": 2,
            },
        )
    found = lines(store, "How have I been feeling lately?")
    assert found[0].startswith("Mood (from the user's words): low")
    assert any(line.startswith("Topic trends") for line in found[1:])


def test_another_users_trends_never_show() -> None:
    store = InMemoryStore()
    put_sessions(store, "bob", HIKING_THEN_PAINTING)
    facts(store, "bob", 0, FactProposal(category="favorite_drink", value="coffee"))
    facts(store, "bob", 10, FactProposal(category="favorite_drink", value="tea"))
    assert insight_lines(store, "ada", "What have I been into lately?", opening=True) == []


def test_mood_counts_sessions_consolidation_archived() -> None:
    from langmem_plugin.nodes.mood import read_mood

    store = InMemoryStore()
    for n, ns in enumerate(["episodes_archive", "episodes_archive", "episodes"]):
        store.put(
            (ns, "ada"),
            f"m{n}",
            {
                "content": f"session {n}",
                "kind": "session",
                "ended_at": (START + timedelta(days=n)).isoformat(),
                "sentiment": 0.5 - 0.5 * n,
                "sentiment_turns": 1,
            },
        )
    mood = read_mood(store, "ada")
    assert [p.sentiment for p in mood.points] == [0.5, 0.0, -0.5]  # decayed ones included

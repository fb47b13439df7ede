"""Mood from episodes: trend windows, old episodes, the recall line's gate, the model path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.store.memory import InMemoryStore

from langmem_plugin.nodes.mood import Mood, about_feelings, mood_line, read_mood
from langmem_plugin.testing import ScriptedChatModel
from tests.unit.nodes_support import FeatureHost

START = datetime(2026, 3, 1, tzinfo=UTC)


def put_sessions(store: InMemoryStore, user: str, scores: list[float | None]) -> None:
    for n, score in enumerate(scores):
        value: dict[str, Any] = {
            "content": f"session {n}",
            "kind": "session",
            "thread_id": f"t{n}",
            "ended_at": (START + timedelta(days=n)).isoformat(),
        }
        if score is not None:  # None: an episode written before sentiment existed
            value |= {"sentiment": score, "sentiment_spread": 0.1, "sentiment_turns": 2}
        store.put(("episodes", user), f"e{n}", value)


def test_six_sessions_compare_the_last_three_with_the_three_before() -> None:
    store = InMemoryStore()
    put_sessions(store, "ada", [0.6, 0.5, 0.7, -0.4, -0.5, -0.6])
    mood = read_mood(store, "ada")
    assert [p.thread_id for p in mood.points] == [f"t{n}" for n in range(6)]
    assert mood.recent == pytest.approx(-0.5)
    assert mood.previous == pytest.approx(0.6)
    assert mood.change == pytest.approx(-1.1)
    assert mood.trend == "falling"
    assert mood.slope is not None
    assert mood.slope < -0.2
    line = mood_line(mood, "book a train")
    assert line == (
        "Mood (from the user's words): low in the last 3 sessions (-0.50; "
        "was positive before, +0.60)."
    )


def test_logistics_sessions_and_old_episodes_are_not_part_of_the_trend() -> None:
    store = InMemoryStore()
    put_sessions(store, "ada", [None, 0.5, -0.6])
    store.put(
        ("episodes", "ada"),
        "logistics",
        {
            "kind": "session",
            "ended_at": (START + timedelta(days=9)).isoformat(),
            "sentiment": 0.0,
            "sentiment_spread": 0.0,
            "sentiment_turns": 0,
        },
    )
    store.put(
        ("episodes", "ada"),
        "folded",
        {"kind": "working_memory", "ended_at": START.isoformat(), "sentiment": 0.9},
    )
    mood = read_mood(store, "ada")
    assert [p.thread_id for p in mood.points] == ["t1", "t2", None]
    assert (mood.recent, mood.previous) == (-0.6, 0.5)  # the neutral session is skipped


def test_since_and_users_are_respected() -> None:
    store = InMemoryStore()
    put_sessions(store, "ada", [0.5, -0.5, -0.6])
    put_sessions(store, "ada2", [0.9])
    later = read_mood(store, "ada", since=(START + timedelta(days=1)).replace(tzinfo=None))
    assert [p.thread_id for p in later.points] == ["t1", "t2"]
    assert [p.sentiment for p in read_mood(store, "ada2").points] == [0.9]
    assert read_mood(store, "nobody") == Mood()


@pytest.mark.parametrize(
    "text",
    ["How have I been feeling lately?", "I'm so stressed", "my mood is bad", "I feel lonely"],
)
def test_feelings_messages(text: str) -> None:
    assert about_feelings(text)


@pytest.mark.parametrize(
    "text",
    [
        "Write down the address",
        "low battery again",
        "cheers!",
        "book a train to Lyon",
        "How did Melanie feel about the race?",
    ],
)
def test_other_messages(text: str) -> None:
    assert not about_feelings(text)


def test_the_line_is_gated_on_the_message_and_on_a_notable_mood() -> None:
    store = InMemoryStore()
    put_sessions(store, "steady", [0.4, 0.3, 0.5, 0.4])
    steady = read_mood(store, "steady")
    assert mood_line(steady, "book a train") == ""
    assert mood_line(steady, "how have I been feeling?").startswith(
        "Mood (from the user's words): positive in the last 2 sessions (+0.45"
    )
    put_sessions(store, "low", [0.4, -0.5, -0.6])
    low = read_mood(store, "low")
    assert mood_line(low, "book a train", opening=True) != ""
    assert mood_line(low, "book a train", opening=False) == ""
    assert mood_line(low, "I feel tired", opening=False) != ""
    assert mood_line(Mood(), "how do I feel?") == ""


def test_with_a_model_the_tone_is_the_models_and_the_sentiment_vaders() -> None:
    episode = {"summary": "Ada was upset about her exam.", "emotional_tone": "anxious"}
    host = FeatureHost(ScriptedChatModel(script=[{"episode": episode}]))
    chat = [
        HumanMessage("I failed my exam and I feel terrible.", id="h1"),
        AIMessage("I'm sorry to hear that.", id="a1"),
        HumanMessage("What time is it in Tokyo?", id="h2"),
    ]
    host.ingest(chat, user_id="ada", thread_id="t1")
    (stored,) = host.store.search(("episodes", "ada"))
    assert stored.value["source"] == "llm"
    assert stored.value["emotional_tone"] == "anxious"
    assert stored.value["sentiment"] < -0.5
    assert stored.value["sentiment_turns"] == 1
    assert [p.label for p in host.mood("ada").points] == ["negative"]

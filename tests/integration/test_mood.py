"""Mood end to end: three sessions through a real graph (memory.nodes, offline), on Chroma."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.graph import END, START, MessagesState, StateGraph

from langmem_plugin import Memory
from langmem_plugin.errors import InvalidValueError
from langmem_plugin.testing import ScriptedChatModel

SESSIONS = [
    [
        "Hi! I just got back from the coast, it was a wonderful trip.",
        "The weather was great and I loved the seafood.",
        "Can you remind me to send the photos to Maria?",
    ],
    [
        "I'm really stressed, my project failed the review.",
        "I feel awful and I couldn't sleep at all.",
    ],
    [
        "Honestly I'm sad and lonely this week.",
        "Book a table for two at 7pm on Friday.",
        "Everything keeps going wrong, it's terrible.",
    ],
]


def graph_of(memory: Memory) -> Any:
    model = ScriptedChatModel(script=[], default="I hear you.")

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node(memory.nodes.recall)
    builder.add_node("model", call_model)
    builder.add_node(memory.nodes.extract_profile)
    builder.add_edge(START, "recall")
    builder.add_edge("recall", "model")
    builder.add_edge("model", "extract_profile")
    builder.add_edge("extract_profile", END)
    return memory.compile(builder)


def config(thread: str, user: str = "ada") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread, "user_id": user}}


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Memory]:
    with Memory.from_path(tmp_path / "mem") as mem:  # no model: the offline pipeline
        graph = graph_of(mem)
        for n, turns in enumerate(SESSIONS):
            for text in turns:
                graph.invoke({"messages": [HumanMessage(text)]}, config(f"s{n}"))
            mem.end_session(f"s{n}")
        mem.flush()
        yield mem


def recalled(memory: Memory, thread: str, *texts: str) -> str:
    """The recall message the model got for the last of ``texts``, sent in a new thread."""
    graph = graph_of(memory)
    for text in texts:
        out = graph.invoke({"messages": [HumanMessage(text)]}, config(thread))
    ids = [m for m in out["messages"] if (m.id or "").startswith("langmem-recall-")]
    return ids[-1].text if ids else ""


def test_mood_over_three_sessions_from_the_episodes(memory: Memory) -> None:
    mood = memory.mood("ada")
    assert [p.thread_id for p in mood.points] == ["s0", "s1", "s2"]
    assert [p.label for p in mood.points] == ["positive", "negative", "negative"]
    assert mood.points[0].sentiment > 0.5 > -0.5 > mood.points[1].sentiment
    assert [p.turns for p in mood.points] == [2, 2, 2]  # the reminder and booking carry none
    assert mood.points[2].spread < 0.3  # both felt turns of s2 are strongly negative
    assert mood.recent == pytest.approx(
        (mood.points[1].sentiment + mood.points[2].sentiment) / 2, abs=1e-3
    )
    assert mood.previous == pytest.approx(mood.points[0].sentiment, abs=1e-3)
    assert mood.trend == "falling"
    assert mood.slope is not None
    assert mood.slope < 0
    # The archive keeps each user turn's own score; the assistant's turns have none.
    archived = memory.store.search(("archive", "ada", "s1"), limit=20)
    scores = {i.value["content"]: i.value.get("sentiment") for i in archived}
    assert scores["I feel awful and I couldn't sleep at all."] < -0.3
    assert {i.value.get("sentiment") for i in archived if i.value["role"] == "assistant"} == {None}


def test_mood_since_keeps_later_sessions_and_other_users_have_none(memory: Memory) -> None:
    assert memory.mood("ada", since=datetime.now(UTC) + timedelta(days=1)).points == []
    assert len(memory.mood("ada", since=datetime.now(UTC) - timedelta(days=1)).points) == 3
    assert memory.mood("bob").points == []
    with pytest.raises(InvalidValueError, match="'yesterday'"):
        memory.mood("ada", since="yesterday")  # type: ignore[arg-type]


def test_recall_mentions_the_mood_for_a_feelings_question_after_negative_sessions(
    memory: Memory,
) -> None:
    text = recalled(memory, "s3", "Book me a train to Lyon.", "How have I been feeling lately?")
    assert "Mood (from the user's words): low in the last 2 sessions" in text
    assert "was positive before" in text


def test_recall_leaves_the_mood_out_of_an_unrelated_message_mid_conversation(
    memory: Memory,
) -> None:
    text = recalled(memory, "s4", "Book me a train to Lyon.", "Send the photos to Maria please.")
    assert "Mood" not in text
    assert text  # recall did run and found the reminder's turn


def test_a_conversation_opening_after_a_low_spell_carries_the_mood(memory: Memory) -> None:
    # Unasked, the line comes once, with the opening message, while the mood is low.
    assert "Mood (from the user's words): low" in recalled(memory, "s5", "Book me a train.")


def test_episodes_without_sentiment_from_earlier_versions_are_left_out(memory: Memory) -> None:
    old = memory.store.search(("episodes", "ada"), limit=10)[0]
    value = {k: v for k, v in old.value.items() if not k.startswith("sentiment")}
    memory.store.put(("episodes", "ada"), old.key, value)
    assert len(memory.mood("ada").points) == 2

"""Recall: one message with facts, episodes and lessons; budget; scope; reinforcement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from langmem_plugin._messages import count_tokens
from langmem_plugin.nodes._context import MissingUserIdError
from langmem_plugin.nodes.recall import RECALL_ID_PREFIX
from langmem_plugin.testing import ScriptedChatModel
from tests.unit.nodes_support import FeatureHost, memory_graph

FAILED_BOOKING = [
    HumanMessage("Book me a flight from Paris to Rome on Friday", id="h1"),
    AIMessage(
        "", tool_calls=[{"name": "book_flight", "args": {"src": "Paris"}, "id": "c1"}], id="a1"
    ),
    ToolMessage(
        "Error: unknown airport 'Paris', use an IATA code like CDG",
        tool_call_id="c1",
        name="book_flight",
        status="error",
        id="t1",
    ),
    AIMessage("Sorry, the booking failed.", id="a2"),
]


@pytest.fixture(scope="module")
def host() -> FeatureHost:
    host = FeatureHost()
    host.ingest(
        [
            HumanMessage("Hi, I'm Ada. I live in Lisbon and I love sailing."),
            AIMessage("Nice to meet you, Ada!"),
        ],
        user_id="ada",
        thread_id="t0",
        timestamp=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )
    host.ingest(FAILED_BOOKING, user_id="ada", thread_id="t1")
    host.ingest([HumanMessage("Hi, I'm Bob. I live in Oslo.")], user_id="bob", thread_id="b0")
    return host


def test_recall_has_facts_episodes_and_lessons_with_dates_and_sources(host: FeatureHost) -> None:
    text = host.recall_context("ada", "book a flight from Paris to Lisbon to go sailing")
    assert "- location: Lisbon (since 2026-03-02, source: rules" in text
    # months old, so decayed into the archive by consolidation, but still recalled
    assert "2026-03-02, thread t0: (archived) User: Hi, I'm Ada." in text
    assert "Lessons from earlier tasks:" in text
    assert "use an IATA code like CDG" in text


def test_lessons_only_for_similar_tasks(host: FeatureHost) -> None:
    assert "Lessons from earlier tasks:" not in host.recall_context(
        "ada", "what is a good sailing knot?"
    )


def test_recall_never_shows_another_users_memories(host: FeatureHost) -> None:
    for query in ["where does Ada live?", "Lisbon sailing", "book a flight from Paris"]:
        text = host.recall_context("bob", query)
        assert "Lisbon" not in text
        assert "Ada" not in text
        assert "IATA" not in text
    assert "Oslo" not in host.recall_context("ada", "Oslo Bob")


@pytest.mark.parametrize("budget", [100, 200, 400])
def test_recall_stays_within_its_budget(budget: int) -> None:
    small = FeatureHost(recall_tokens=budget)
    for i in range(8):
        small.ingest(
            [HumanMessage(f"I like topic number {i} about sailing in Lisbon.")],
            user_id="ada",
            thread_id=f"t{i}",
        )
    text = small.recall_context("ada", "sailing in Lisbon")
    assert text
    assert count_tokens([SystemMessage(text)]) <= budget


def test_empty_memory_or_query_gives_no_text(host: FeatureHost) -> None:
    assert host.recall_context("nobody", "anything") == ""
    assert host.recall_context("ada", "   ") == ""


def test_recall_node_injects_one_message_and_replaces_it_each_turn(host: FeatureHost) -> None:
    model = ScriptedChatModel(script=[], default="ok")
    graph = memory_graph(host, model, InMemorySaver())
    config = {"configurable": {"thread_id": "new", "user_id": "ada"}}
    graph.invoke({"messages": [HumanMessage("Where do I live?")]}, config)
    out = graph.invoke({"messages": [HumanMessage("And what do I love?")]}, config)
    recalls = [m for m in out["messages"] if (m.id or "").startswith(RECALL_ID_PREFIX)]
    assert len(recalls) == 1
    assert "Lisbon" in recalls[0].text
    assert out["messages"][0].id == recalls[0].id  # first: no system message in this chat
    assert model.inputs[-1][0].id == recalls[0].id  # the model saw it
    assert [m.text for m in out["messages"][1:] if isinstance(m, HumanMessage)] == [
        "Where do I live?",
        "And what do I love?",
    ]
    with pytest.raises(MissingUserIdError):
        graph.invoke({"messages": [HumanMessage("hi")]}, {"configurable": {"thread_id": "x"}})


def test_a_recalled_lesson_that_helped_gains_weight() -> None:
    host = FeatureHost(mode="inline", every_n_turns=1)
    host.ingest(FAILED_BOOKING, user_id="ada", thread_id="t1")
    (before,) = host.lessons("ada")
    graph = memory_graph(
        host, ScriptedChatModel(script=[], default="Booked with CDG."), InMemorySaver()
    )
    graph.invoke(
        {"messages": [HumanMessage("Book a flight from Paris to Berlin")]},
        {"configurable": {"thread_id": "t2", "user_id": "ada"}},
    )
    (after,) = host.lessons("ada")
    assert (before.weight, before.helped) == (1.0, 0)
    assert (after.weight, after.helped) == (2.0, 1)
    # a task where the lesson is not recalled does not reinforce it
    graph.invoke(
        {"messages": [HumanMessage("Tell me a joke about cats")]},
        {"configurable": {"thread_id": "t3", "user_id": "ada"}},
    )
    assert host.lessons("ada")[0].helped == 1


def test_lessons_are_keyed_by_agent_when_given() -> None:
    host = FeatureHost()
    key = host.reflect_on(
        "Book a flight from Paris",
        "Error: use IATA",
        user_id="ada",
        tool="book_flight",
        agent_id="travel-bot",
    )
    assert key is not None
    assert host.lessons("ada") == []
    assert [lesson.key for lesson in host.lessons("travel-bot")] == [key]
    assert "use IATA" in host.recall_context(
        "bob", "book a flight from Paris", agent_id="travel-bot"
    )

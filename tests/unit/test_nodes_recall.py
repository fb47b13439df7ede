"""Recall: one message with facts, episodes and lessons; budget; scope; reinforcement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.base import SearchItem
from langgraph.store.memory import InMemoryStore

from langmem_plugin._messages import count_tokens
from langmem_plugin.errors import MissingUserIdError
from langmem_plugin.nodes.recall import RECALL_ID_PREFIX
from langmem_plugin.testing import ScriptedChatModel
from tests.unit.nodes_support import FeatureHost, embeddings, memory_graph

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
    assert host.lessons("travel-bot") == []  # an agent's lessons are no user's
    assert [lesson.key for lesson in host.lessons(agent_id="travel-bot")] == [key]
    assert "use IATA" in host.recall_context(
        "bob", "book a flight from Paris", agent_id="travel-bot"
    )


# ----- the conversation archive (items put by hand in the archive's contract shape) --------
class CountingEmbeddings(Embeddings):
    """The real local embeddings, counting query embeddings."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return embeddings().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return embeddings().embed_query(text)


def archive_turn(
    host: FeatureHost, user: str, session: str, seq: int, speaker: str, text: str, day: str
) -> None:
    host.store.put(
        ("archive", user, session),
        f"{session}-{seq}",
        {
            "content": text,
            "role": "user" if speaker != "Assistant" else "assistant",
            "speaker": speaker,
            "session_id": session,
            "thread_id": session,
            "user_id": user,
            "seq": seq,
            "occurred_at": f"{day}T10:00:00+00:00",
            "message": "{}",
        },
    )


@pytest.fixture(scope="module")
def archived() -> FeatureHost:
    host = FeatureHost()
    host.ingest(
        [HumanMessage("Hi, I'm Ada. I live in Lisbon and I love sailing.")],
        user_id="ada",
        thread_id="t0",
        timestamp=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )
    turns = [
        ("Ada", "The garden needs watering again."),
        ("Assistant", "I can remind you tomorrow morning."),
        ("Ada", "My sister's wedding in Kyoto is on the 14th of October."),
        ("Assistant", "How exciting! Will you fly there?"),
        ("Ada", "Yes, with my two cats staying at a friend's place."),
    ]
    for seq, (speaker, text) in enumerate(turns):
        archive_turn(host, "ada", "s9", seq, speaker, text, "2026-04-20")
    return host


def test_relevance_wins_over_kind_when_the_budget_is_tight(archived: FeatureHost) -> None:
    roomy = archived.recall_context("ada", "When is my sister's wedding in Kyoto?")
    assert "- location: Lisbon" in roomy  # facts join when there is room
    tight = FeatureHost(recall_tokens=70)
    tight.store = archived.store
    text = tight.recall_context("ada", "When is my sister's wedding in Kyoto?")
    assert "Ada: My sister's wedding in Kyoto is on the 14th of October." in text
    assert "On 20 April 2026:" in text
    assert "Known facts" not in text  # less relevant than the turn, whatever its kind
    assert count_tokens([SystemMessage(text)]) <= 70


def test_adjacent_turns_become_one_snippet_in_conversation_order(archived: FeatureHost) -> None:
    text = archived.recall_context("ada", "Kyoto wedding flight and who looks after the cats")
    lines = text.splitlines()
    at = lines.index("Ada: My sister's wedding in Kyoto is on the 14th of October.")
    assert lines[at + 1 : at + 3] == [
        "Assistant: How exciting! Will you fly there?",
        "Ada: Yes, with my two cats staying at a friend's place.",
    ]
    assert lines.index("On 20 April 2026:") < at
    assert lines.count("On 20 April 2026:") == 1


def test_an_unrelated_question_recalls_no_turns(archived: FeatureHost) -> None:
    text = archived.recall_context("ada", "What is the boiling point of tungsten?")
    assert "Earlier conversation turns" not in text
    assert "Kyoto" not in text


def test_recall_embeds_the_query_once_for_every_kind() -> None:
    counting = CountingEmbeddings()
    host = FeatureHost()
    host.store = InMemoryStore(index={"dims": 384, "embed": counting, "fields": ["content"]})
    host.ingest(FAILED_BOOKING, user_id="ada", thread_id="t1")
    archive_turn(host, "ada", "s9", 0, "Ada", "I fly to Rome on Friday.", "2026-04-20")
    counting.queries.clear()
    text = host.recall_context("ada", "book a flight to Rome")
    assert "Lessons from earlier tasks:" in text
    assert "Ada: I fly to Rome on Friday." in text
    assert counting.queries == ["book a flight to Rome"]


def test_a_custom_search_function_serves_the_other_kinds(archived: FeatureHost) -> None:
    seen: list[tuple[str, ...]] = []

    def search(namespace: tuple[str, ...], query: str, k: int) -> list[SearchItem]:
        seen.append(namespace)
        return archived.store.search(namespace, query=query, limit=k)

    host = FeatureHost(search=search)
    host.store = archived.store
    text = host.recall_context("ada", "When is my sister's wedding in Kyoto?")
    assert "- location: Lisbon" in text  # a fact, through the custom function
    assert "Kyoto is on the 14th of October" in text  # a turn, through the retriever
    assert {ns[0] for ns in seen} == {
        "profile",
        "episodes",
        "episodes_archive",
        "memories",
        "lessons",
        "tasks",
    }
    assert all(ns[1] == "ada" for ns in seen)

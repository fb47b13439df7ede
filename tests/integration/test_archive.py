"""The conversation archive: every path stores every turn once as a store item.

Real ``ChromaStore`` (embedded, on disk), real LangGraph graphs and agents; only the chat
model is scripted. Each test reads the archive back through the public store API, in
``("archive", user_id, thread_id)``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.store.base import SearchItem

from langmem_plugin import Memory
from langmem_plugin._admin import forget_user, search_user
from langmem_plugin._admin._export import export_memory, import_memory
from langmem_plugin.agent import create_memory_agent
from langmem_plugin.testing import ScriptedChatModel

CONTRACT_FIELDS = {
    "content",
    "role",
    "speaker",
    "session_id",
    "thread_id",
    "user_id",
    "seq",
    "occurred_at",
    "message",
}


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Any]:
    with Memory.from_path(tmp_path / "memory") as opened:
        yield opened


def archived(memory: Any, user_id: str, thread_id: str) -> list[SearchItem]:
    """The archive items of one thread, in ``seq`` order."""
    items = memory.store.search(("archive", user_id, thread_id), limit=1000)
    return sorted(items, key=lambda item: item.value["seq"])


def texts(items: list[SearchItem]) -> list[tuple[str, str]]:
    return [(item.value["role"], item.value["content"]) for item in items]


def assert_contract(items: list[SearchItem], user_id: str, thread_id: str) -> None:
    assert [item.value["seq"] for item in items] == list(range(len(items)))
    for item in items:
        assert set(item.value) >= CONTRACT_FIELDS
        assert (item.value["user_id"], item.value["session_id"]) == (user_id, thread_id)
        assert item.value["thread_id"] == thread_id
        assert item.value["speaker"]
        datetime.fromisoformat(item.value["occurred_at"])
    assert len({item.key for item in items}) == len(items)


def test_ingest_archives_each_turn_once_dated_with_the_timestamp(memory: Any) -> None:
    when = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    conversation: list[BaseMessage] = [
        HumanMessage("Caroline: I went to the LGBTQ support group yesterday", name="Caroline"),
        AIMessage("Melanie: That sounds powerful!", name="Melanie"),
    ]
    memory.ingest(conversation, user_id="conv-1", thread_id="session-1", timestamp=when)
    items = archived(memory, "conv-1", "session-1")
    assert_contract(items, "conv-1", "session-1")
    assert texts(items) == [
        ("user", "Caroline: I went to the LGBTQ support group yesterday"),
        ("assistant", "Melanie: That sounds powerful!"),
    ]
    assert [item.value["speaker"] for item in items] == ["Caroline", "Melanie"]
    assert {item.value["occurred_at"] for item in items} == {when.isoformat()}
    # A second session continues nothing: seq is per session, the date is its own.
    later = datetime(2023, 6, 1, tzinfo=UTC)
    memory.ingest(
        [HumanMessage("Back again")], user_id="conv-1", thread_id="session-2", timestamp=later
    )
    assert [i.value["seq"] for i in archived(memory, "conv-1", "session-2")] == [0]
    stats = memory.stats()
    assert (stats["sessions"], stats["messages"]) == (2, 3)
    assert "archive" not in stats["memories"]
    # The archive is what recall's retriever searches.
    hits = memory.retriever("conv-1", kind="archive").invoke("support group")
    assert "LGBTQ support group" in hits[0].page_content


def _echo_model(state: MessagesState) -> dict[str, Any]:
    last = state["messages"][-1]
    return {"messages": [AIMessage(f"echo: {last.text}")]}


def test_a_checkpointed_graph_with_the_memory_nodes_archives_every_turn_once(
    memory: Any,
) -> None:
    builder = StateGraph(MessagesState)
    builder.add_node(memory.nodes.working_memory)
    builder.add_node(memory.nodes.recall)
    builder.add_node("model", _echo_model)
    builder.add_edge(START, "working_memory")
    builder.add_edge("working_memory", "recall")
    builder.add_edge("recall", "model")
    graph = memory.compile(builder)
    # an earlier session, so that recall has something to inject (the current thread's
    # own turns are in the model's input already and are not recalled again)
    memory.ingest(
        [HumanMessage("My beehives stand on the roof of my flat in Porto")],
        user_id="ada",
        thread_id="earlier",
    )
    config = {"configurable": {"thread_id": "chat-1", "user_id": "ada"}}
    for question in ["I keep bees on my roof", "What about honey?", "And wax?"]:
        graph.invoke({"messages": [HumanMessage(question)]}, config)
    memory.flush()  # the last reply reached no memory node: flush takes it from the checkpoint
    items = archived(memory, "ada", "chat-1")
    assert_contract(items, "ada", "chat-1")
    assert texts(items) == [
        ("user", "I keep bees on my roof"),
        ("assistant", "echo: I keep bees on my roof"),
        ("user", "What about honey?"),
        ("assistant", "echo: What about honey?"),
        ("user", "And wax?"),
        ("assistant", "echo: And wax?"),
    ]
    # The recall message injected into the state is not conversation: never archived.
    state = graph.get_state(config).values["messages"]
    assert any(isinstance(m, SystemMessage) for m in state)
    assert all(item.value["role"] != "system" for item in items)
    # Observed again (the graph re-sends everything): still once each.
    graph.invoke({"messages": [HumanMessage("Thanks")]}, config)
    memory.flush()
    assert len(archived(memory, "ada", "chat-1")) == 8


def test_the_middleware_archives_every_turn_once(memory: Any) -> None:
    model = ScriptedChatModel(script=[], default="Noted.")
    agent = create_agent(
        model, [], middleware=[memory.middleware()], checkpointer=memory.checkpointer
    )
    config: RunnableConfig = {"configurable": {"thread_id": "mw-1", "user_id": "bob"}}
    for text in ["My locker code is 4711", "I ski in Hemsedal", "Bye"]:
        agent.invoke({"messages": [HumanMessage(text)]}, config)
    memory.flush()
    items = archived(memory, "bob", "mw-1")
    assert_contract(items, "bob", "mw-1")
    assert texts(items) == [
        ("user", "My locker code is 4711"),
        ("assistant", "Noted."),
        ("user", "I ski in Hemsedal"),
        ("assistant", "Noted."),
        ("user", "Bye"),
        ("assistant", "Noted."),
    ]
    assert [s.session_id for s in memory.sessions("bob")] == ["mw-1"]
    assert memory.sessions("bob")[0].message_count == 6


def test_create_memory_agent_archives_every_turn_once(memory: Any) -> None:
    agent = create_memory_agent(ScriptedChatModel(script=[], default="Sure."), memory=memory)
    config = {"configurable": {"thread_id": "agent-1", "user_id": "cleo"}}
    agent.invoke({"messages": [HumanMessage("I moved to Porto")]}, config)
    agent.invoke({"messages": [HumanMessage("I adopted a cat named Miso")]}, config)
    memory.flush()
    items = archived(memory, "cleo", "agent-1")
    assert_contract(items, "cleo", "agent-1")
    assert texts(items) == [
        ("user", "I moved to Porto"),
        ("assistant", "Sure."),
        ("user", "I adopted a cat named Miso"),
        ("assistant", "Sure."),
    ]
    # archive_thread is still an explicit, idempotent call: nothing left to archive.
    assert memory.archive_thread("agent-1", "cleo") == 0
    history = memory.history("agent-1", user_id="cleo")
    assert [m.text for m in history.messages] == [v for _, v in texts(items)]


def test_close_archives_what_is_still_queued(tmp_path: Path) -> None:
    with Memory.from_path(tmp_path / "m") as memory:
        agent = create_memory_agent(ScriptedChatModel(script=[], default="Ok."), memory=memory)
        agent.invoke(
            {"messages": [HumanMessage("remember the blue door")]},
            {"configurable": {"thread_id": "t", "user_id": "ada"}},
        )
    with Memory.from_path(tmp_path / "m") as reopened:
        assert texts(archived(reopened, "ada", "t")) == [
            ("user", "remember the blue door"),
            ("assistant", "Ok."),
        ]


def test_another_users_archive_is_never_listed_or_searched(memory: Any) -> None:
    secret = "Ada keeps her spare key under the blue flowerpot"
    memory.ingest([HumanMessage(secret)], user_id="ada", thread_id="ada-1")
    memory.ingest([HumanMessage("Bob likes skiing")], user_id="bob", thread_id="bob-1")
    assert [s.session_id for s in memory.sessions("bob")] == ["bob-1"]
    bob = memory.history("bob-1", user_id="bob")
    assert [h.message.text for h in bob.search(secret, k=5)] == ["Bob likes skiing"]
    hits = memory.retriever("bob", kind="archive").invoke(f"Ada {secret}")
    assert all("flowerpot" not in doc.page_content for doc in hits)
    # a query relevant to both users' messages (search drops what is below relevance)
    _, messages = search_user(memory, "bob", f"{secret}. Bob likes skiing")
    assert [m.message.text for m in messages] == ["Bob likes skiing"]


def test_forget_removes_the_users_archive_and_nothing_else(memory: Any) -> None:
    memory.ingest([HumanMessage("Ada's secret")], user_id="ada", thread_id="ada-1")
    memory.ingest([HumanMessage("Bob's note")], user_id="bob", thread_id="bob-1")
    report = forget_user(memory, "ada")
    assert report.sessions == ["ada-1"]
    assert report.messages == 1
    assert memory.store.search(("archive", "ada")) == []
    assert memory.store.search(("sessions", "ada")) == []
    assert memory.store.get(("session_owners",), "ada-1") is None
    assert memory.sessions("ada") == []
    assert texts(archived(memory, "bob", "bob-1")) == [("user", "Bob's note")]
    # The id is free again, and a new session starts at seq 0.
    memory.ingest([HumanMessage("new")], user_id="carol", thread_id="ada-1")
    assert [i.value["seq"] for i in archived(memory, "carol", "ada-1")] == [0]


def test_export_and_import_round_trip_the_archive(memory: Any, tmp_path: Path) -> None:
    when = datetime(2023, 5, 8, tzinfo=UTC)
    memory.ingest(
        [HumanMessage("I sail on Sundays"), AIMessage("Lovely!")],
        user_id="ada",
        thread_id="s1",
        timestamp=when,
    )
    memory.history("s1", user_id="ada").update_session(title="Sailing")
    buffer = io.StringIO()
    counts = export_memory(memory, buffer)
    assert (counts.sessions, counts.messages) == (1, 2)
    with Memory.from_path(tmp_path / "copy") as copy:
        import_memory(copy, io.StringIO(buffer.getvalue()))
        assert [i.value for i in archived(copy, "ada", "s1")] == [
            i.value for i in archived(memory, "ada", "s1")
        ]
        assert copy.sessions("ada")[0].title == "Sailing"
        assert copy.sessions("ada")[0].last_active == memory.sessions("ada")[0].last_active
        hits = copy.history("s1", user_id="ada").search("boats at the weekend", k=1)
        assert hits[0].message.text == "I sail on Sundays"
        # New turns continue the imported session's order.
        copy.ingest([HumanMessage("And on Mondays")], user_id="ada", thread_id="s1")
        assert [i.value["seq"] for i in archived(copy, "ada", "s1")] == [0, 1, 2]

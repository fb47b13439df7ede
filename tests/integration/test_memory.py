"""The Memory facade: store + checkpointer + histories, on disk, in memory and on servers."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.store.base import BaseStore

from langmem_plugin.errors import MemoryClosedError, SessionOwnershipError, ThreadNotFoundError
from langmem_plugin.memory import Memory, resolve_llm
from langmem_plugin.store import ChromaStore
from langmem_plugin.testing import ScriptedChatModel

ROOT = Path(__file__).resolve().parents[2]
CHILD = "tests.integration._child"


def remembering_builder() -> StateGraph:
    """A graph whose node answers and saves the user's message in the store."""

    def respond(
        state: MessagesState, config: RunnableConfig, *, store: BaseStore
    ) -> dict[str, Any]:
        user_id = config["configurable"]["user_id"]
        last = state["messages"][-1]
        store.put(("memories", user_id), str(last.id), {"content": str(last.content)})
        return {"messages": [AIMessage(f"noted: {last.content}")]}

    builder = StateGraph(MessagesState)
    builder.add_node("respond", respond)
    builder.add_edge(START, "respond")
    return builder


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def checkpoints(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(kind, checkpoint url): the test runs on SQLite and on a real PostgreSQL 15."""
    if request.param == "postgres":
        return "postgres", str(request.getfixturevalue("fresh_postgres_url"))
    return "sqlite", str(tmp_path / "checkpoints.sqlite")


def open_memory(tmp_path: Path, checkpoints: tuple[str, str]) -> Memory:
    return Memory.from_url(str(tmp_path / "chroma"), checkpoints[1])


def config(thread_id: str, user_id: str = "ada") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id, "user_id": user_id}}


def test_from_path_creates_the_layout_and_reopens_everything(tmp_path: Path) -> None:
    root = tmp_path / "mem"
    with Memory.from_path(root) as memory:
        assert isinstance(memory.store, ChromaStore)
        assert isinstance(memory.checkpointer, SqliteSaver)
        graph = memory.compile(remembering_builder())
        graph.invoke({"messages": [HumanMessage("I live in Oslo")]}, config("t1"))
        memory.history("chat", user_id="ada").add_user_message("hello history")
    assert (root / "chroma").is_dir()
    assert (root / "checkpoints.sqlite").is_file()

    with Memory.from_path(root) as reopened:
        graph = reopened.compile(remembering_builder())
        state = graph.get_state(config("t1")).values
        assert [m.content for m in state["messages"]] == ["I live in Oslo", "noted: I live in Oslo"]
        found = reopened.store.search(("memories", "ada"), query="where does she live?")
        assert [item.value["content"] for item in found] == ["I live in Oslo"]
        assert [m.content for m in reopened.history("chat", user_id="ada").messages] == [
            "hello history"
        ]


def test_in_memory_instances_are_isolated_and_dropped_on_close() -> None:
    first, second = Memory.in_memory(), Memory.in_memory()
    try:
        first.store.put(("memories", "ada"), "k", {"content": "first only"})
        first.history("s", user_id="ada").add_user_message("first history")
        assert second.store.search(("memories", "ada")) == []
        assert second.sessions("ada") == []
        assert isinstance(first.checkpointer, InMemorySaver)
    finally:
        first.close()
        second.close()
    # Dropping its data is the in-memory store's own job (ChromaStore.close, tested with
    # the store): the archive is store items, so nothing else is left behind.
    with pytest.raises(MemoryClosedError):
        first.history("s", user_id="ada")


def test_compile_wires_checkpointer_and_store(tmp_path: Path, checkpoints: tuple[str, str]) -> None:
    with open_memory(tmp_path, checkpoints) as memory:
        graph = memory.compile(remembering_builder(), name="remembering")
        assert graph.name == "remembering"
        graph.invoke({"messages": [HumanMessage("tea please")]}, config("t"))
        assert memory.checkpointer.get_tuple(config("t")) is not None
        assert [i.value["content"] for i in memory.store.search(("memories", "ada"))] == [
            "tea please"
        ]


async def test_async_graph_uses_the_async_saver_of_the_running_loop(
    tmp_path: Path, checkpoints: tuple[str, str]
) -> None:
    async with open_memory(tmp_path, checkpoints) as memory:
        saver = await memory.acheckpointer()
        expected = {"sqlite": AsyncSqliteSaver, "postgres": AsyncPostgresSaver}[checkpoints[0]]
        assert isinstance(saver, expected)
        assert await memory.acheckpointer() is saver  # one per loop
        graph = await memory.acompile(remembering_builder())
        results = await asyncio.gather(
            *(
                graph.ainvoke({"messages": [HumanMessage(f"msg {i}")]}, config(f"t{i}"))
                for i in range(3)
            )
        )
        assert [r["messages"][-1].content for r in results] == [f"noted: msg {i}" for i in range(3)]
        # The sync saver reads what the async one wrote (same file).
        assert memory.checkpointer.get_tuple(config("t2")) is not None
    with pytest.raises(MemoryClosedError):
        memory.history("s", user_id="ada")


async def test_in_memory_saver_serves_sync_and_async_graphs() -> None:
    async with Memory.in_memory() as memory:
        sync_graph = memory.compile(remembering_builder())
        async_graph = await memory.acompile(remembering_builder())
        sync_graph.invoke({"messages": [HumanMessage("one")]}, config("t"))
        state = await async_graph.ainvoke({"messages": [HumanMessage("two")]}, config("t"))
        assert [m.content for m in state["messages"]] == ["one", "noted: one", "two", "noted: two"]


def test_archive_thread_copies_messages_once_and_makes_them_searchable(
    tmp_path: Path, checkpoints: tuple[str, str]
) -> None:
    with open_memory(tmp_path, checkpoints) as memory:
        graph = memory.compile(remembering_builder())
        graph.invoke({"messages": [HumanMessage("My sister is called Ingrid")]}, config("t1"))
        assert memory.archive_thread("t1", "ada") == 2
        assert memory.archive_thread("t1", "ada") == 0  # idempotent
        graph.invoke({"messages": [HumanMessage("I play the cello")]}, config("t1"))
        assert memory.archive_thread("t1", "ada") == 2
        history = memory.history("t1", user_id="ada")
        assert [m.content for m in history.messages] == [
            "My sister is called Ingrid",
            "noted: My sister is called Ingrid",
            "I play the cello",
            "noted: I play the cello",
        ]
        assert history.search("which instrument?", k=1)[0].message.content == "I play the cello"
        # Concurrent archivers of a new turn store each message once.
        graph.invoke({"messages": [HumanMessage("I speak Norwegian")]}, config("t1"))
        archivers = [
            threading.Thread(target=memory.archive_thread, args=("t1", "ada")) for _ in range(4)
        ]
        for thread in archivers:
            thread.start()
        for thread in archivers:
            thread.join()
        contents = [m.content for m in history.messages]
        assert contents[4:] == ["I speak Norwegian", "noted: I speak Norwegian"]
        with pytest.raises(ThreadNotFoundError, match="nope"):
            memory.archive_thread("nope", "ada")
        with pytest.raises(SessionOwnershipError, match="t1"):
            memory.archive_thread("t1", "mallory")


def test_sessions_lists_one_users_sessions_newest_first() -> None:
    with Memory.in_memory() as memory:
        for session in ("a", "b", "c"):
            memory.history(session, user_id="ada").add_user_message(f"in {session}")
        memory.history("other", user_id="bob").add_user_message("bob's")
        memory.history("a", user_id="ada").add_ai_message("a again")
        sessions = memory.sessions("ada")
        assert [s.session_id for s in sessions] == ["a", "c", "b"]
        assert [s.message_count for s in sessions] == [2, 1, 1]
        assert {s.user_id for s in sessions} == {"ada"}
        with pytest.raises(ValueError, match="user_id"):
            memory.sessions("")


def test_stats_counts_users_sessions_messages_memories_and_size(
    tmp_path: Path, checkpoints: tuple[str, str]
) -> None:
    with open_memory(tmp_path, checkpoints) as memory:
        graph = memory.compile(remembering_builder())
        graph.invoke({"messages": [HumanMessage("hi")]}, config("t1", "ada"))
        graph.invoke({"messages": [HumanMessage("hey")]}, config("t2", "bob"))
        memory.store.put(("profile", "ada"), "name", {"content": "Ada"})
        memory.history("t1", user_id="ada").add_messages([HumanMessage("x"), AIMessage("y")])
        memory.history("t3", user_id="cyd").add_user_message("z")
        stats = memory.stats()
        assert stats["users"] == 3
        assert stats["sessions"] == 2
        assert stats["messages"] == 3
        assert stats["memories"] == {"memories": 2, "profile": 1}
        assert stats["threads"] == 2
        assert stats["size_on_disk"] > 0


def test_cleanup_deletes_idle_sessions_and_threads_only(
    tmp_path: Path, checkpoints: tuple[str, str]
) -> None:
    with open_memory(tmp_path, checkpoints) as memory:
        graph = memory.compile(remembering_builder())
        graph.invoke({"messages": [HumanMessage("old")]}, config("old"))
        memory.archive_thread("old", "ada")
        memory.history("old-chat", user_id="ada").add_user_message("old chat")
        time.sleep(1.5)
        graph.invoke({"messages": [HumanMessage("new")]}, config("new"))
        memory.history("new-chat", user_id="ada").add_user_message("new chat")

        result = memory.cleanup(older_than_days=1 / 86400)  # idle for more than 1 s
        assert sorted(result.sessions) == ["old", "old-chat"]
        assert result.threads == ["old"]
        assert memory.checkpointer.get_tuple(config("old")) is None
        assert memory.checkpointer.get_tuple(config("new")) is not None
        assert [s.session_id for s in memory.sessions("ada")] == ["new-chat"]
        assert memory.history("old", user_id="ada").messages == []
        # Long-term memories are not conversations: they stay.
        assert len(memory.store.search(("memories", "ada"))) == 2
        with pytest.raises(ValueError, match="-1"):
            memory.cleanup(older_than_days=-1)


def test_one_memory_is_safe_to_share_between_threads(
    tmp_path: Path, checkpoints: tuple[str, str]
) -> None:
    errors: list[BaseException] = []
    with open_memory(tmp_path, checkpoints) as memory:
        graph = memory.compile(remembering_builder())

        def work(worker: int) -> None:
            try:
                for turn in range(3):
                    graph.invoke(
                        {"messages": [HumanMessage(f"w{worker} t{turn}")]}, config(f"t{worker}")
                    )
                    memory.history(f"t{worker}", user_id="ada").add_user_message(f"h{turn}")
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        for worker in range(4):
            state = graph.get_state(config(f"t{worker}")).values
            assert [m.content for m in state["messages"] if isinstance(m, HumanMessage)] == [
                f"w{worker} t{turn}" for turn in range(3)
            ]
            assert [m.content for m in memory.history(f"t{worker}", user_id="ada").messages] == [
                "h0",
                "h1",
                "h2",
            ]
        assert len(memory.store.search(("memories", "ada"), limit=100)) == 12


def test_closed_memory_refuses_work_and_close_is_idempotent() -> None:
    memory = Memory.in_memory()
    memory.close()
    memory.close()
    with pytest.raises(MemoryClosedError):
        _ = memory.checkpointer
    with pytest.raises(MemoryClosedError):
        memory.stats()


def test_llm_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    model = ScriptedChatModel(script=[])
    assert resolve_llm(model) is model
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert resolve_llm(None) is None
    with Memory.in_memory(llm=model) as memory:
        assert memory.llm is model
    with pytest.raises(TypeError, match="42"):
        resolve_llm(42)  # type: ignore[arg-type]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")  # building makes no request
    default = resolve_llm(None)
    assert default is not None
    assert getattr(default, "model_name", None) == "gpt-4o-mini"


@pytest.mark.parametrize(
    ("chroma", "checkpoints", "bad"),
    [
        ("ftp://host/x", "ck.sqlite", "ftp://host/x"),
        ("DIR", "mysql://db/x", "mysql://db/x"),
        ("DIR", "", "''"),
    ],
)
def test_from_url_rejects_unsupported_urls(
    tmp_path: Path, chroma: str, checkpoints: str, bad: str
) -> None:
    chroma = chroma.replace("DIR", str(tmp_path / "chroma"))
    with pytest.raises(ValueError, match=bad.replace("/", ".")):
        Memory.from_url(chroma, checkpoints)


@pytest.mark.server
@pytest.mark.postgres
def test_from_url_with_chroma_server_and_postgres(chroma_url: str, fresh_postgres_url: str) -> None:
    with Memory.from_url(chroma_url, fresh_postgres_url, collection_prefix="mem-url") as memory:
        assert isinstance(memory.checkpointer, PostgresSaver)
        graph = memory.compile(remembering_builder())
        graph.invoke({"messages": [HumanMessage("served")]}, config("pg-thread"))
        assert memory.archive_thread("pg-thread", "ada") == 2
    # A second Memory (as another process would) sees the same data.
    with Memory.from_url(chroma_url, fresh_postgres_url, collection_prefix="mem-url") as again:
        state = again.compile(remembering_builder()).get_state(config("pg-thread")).values
        assert [m.content for m in state["messages"]] == ["served", "noted: served"]
        assert [s.session_id for s in again.sessions("ada")] == ["pg-thread"]
        assert again.stats()["size_on_disk"] is None
        assert again.cleanup(older_than_days=0).threads == ["pg-thread"]
        assert again.checkpointer.get_tuple(config("pg-thread")) is None


@pytest.mark.server
def test_writers_in_several_processes_keep_their_order(chroma_url: str, tmp_path: Path) -> None:
    """Three processes append to one session through a Chroma server at the same time."""
    checkpoints = str(tmp_path / "ck.sqlite")
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                CHILD,
                "history-writer",
                chroma_url,
                checkpoints,
                "multi",
                f"p{n}:8",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-3000:]
        assert json.loads(out.splitlines()[-1]) == {"done": True}
    with Memory.from_url(chroma_url, checkpoints) as memory:
        history = memory.history("multi", user_id="shared-user")
        history.add_user_message("after everyone")
        contents = [str(m.content) for m in history.messages]
    assert len(contents) == 25
    assert contents[-1] == "after everyone"
    for n in range(3):
        assert [c for c in contents if c.startswith(f"p{n} ")] == [f"p{n} {i}" for i in range(8)]

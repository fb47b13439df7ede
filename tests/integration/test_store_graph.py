"""ChromaStore as a LangGraph graph's long-term memory, across threads and users.

A ``StateGraph`` compiled with ``store=ChromaStore(...)`` and a SQLite checkpointer has two
nodes that reach the store through ``runtime.store`` (``Runtime[UserContext]`` injected by
LangGraph, the user taken from ``runtime.context``): one saves what the turn asks it to
remember, one recalls by semantic search (the bundled MiniLM embeddings, 384 dims, so the
questions share no words with the memories they must find). Memories saved in one thread
are recalled in another thread of the same user, and never in a thread of another user.
The async variant runs the same graph shape with ``ainvoke`` and the store's async methods
(``abatch``).
"""

from __future__ import annotations

import hashlib
import operator
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from langmem_plugin._embeddings import LocalEmbeddings

StoreFactory = Callable[..., Any]

MEMORIES = {
    "alice": [
        "I am allergic to peanuts",
        "My favourite city is Lisbon",
        "I work night shifts as a nurse",
    ],
    "bob": [
        "I play the cello in an orchestra",
        "I am vegetarian",
        "My sister lives in Tokyo",
    ],
}
# Questions without a word in common with the memory they should recall.
RECALL = {
    "alice": {
        "Which snacks could make me sick?": "I am allergic to peanuts",
        "Where would I love to go on holiday?": "My favourite city is Lisbon",
    },
    "bob": {
        "What musical instrument do I play?": "I play the cello in an orchestra",
        "Where does my family live?": "My sister lives in Tokyo",
    },
}


@dataclass
class UserContext:
    """Run-time context of the graph: whose memory this run may touch."""

    user_id: str


class Turn(TypedDict, total=False):
    remember: list[str]
    question: str
    recalled: list[str]
    recalled_from: list[tuple[str, ...]]
    log: Annotated[list[str], operator.add]


def namespace(runtime: Runtime[UserContext]) -> tuple[str, ...]:
    return ("memories", runtime.context.user_id)


def memory_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def recalled(hits: list[Any]) -> dict[str, Any]:
    return {
        "recalled": [hit.value["content"] for hit in hits],
        "recalled_from": [tuple(hit.namespace) for hit in hits],
    }


def save(state: Turn, runtime: Runtime[UserContext]) -> dict[str, Any]:
    assert runtime.store is not None
    for text in state.get("remember", []):
        runtime.store.put(namespace(runtime), memory_key(text), {"content": text})
    return {"log": list(state.get("remember", []))}


def recall(state: Turn, runtime: Runtime[UserContext]) -> dict[str, Any]:
    assert runtime.store is not None
    question = state.get("question")
    if not question:
        return recalled([])
    hits = runtime.store.search(namespace(runtime), query=question, limit=2)
    return {**recalled(hits), "log": [question]}


async def asave(state: Turn, runtime: Runtime[UserContext]) -> dict[str, Any]:
    assert runtime.store is not None
    for text in state.get("remember", []):
        await runtime.store.aput(namespace(runtime), memory_key(text), {"content": text})
    return {"log": list(state.get("remember", []))}


async def arecall(state: Turn, runtime: Runtime[UserContext]) -> dict[str, Any]:
    assert runtime.store is not None
    question = state.get("question")
    if not question:
        return recalled([])
    hits = await runtime.store.asearch(namespace(runtime), query=question, limit=2)
    return {**recalled(hits), "log": [question]}


def build(save_node: Any, recall_node: Any) -> StateGraph[Turn, UserContext, Turn, Turn]:
    builder = StateGraph(Turn, context_schema=UserContext)
    builder.add_node("save", save_node)
    builder.add_node("recall", recall_node)
    builder.add_edge(START, "save")
    builder.add_edge("save", "recall")
    builder.add_edge("recall", END)
    return builder


@pytest.fixture(scope="module")
def embeddings() -> LocalEmbeddings:
    return LocalEmbeddings()


@pytest.fixture
def memory_store(make_store: StoreFactory, embeddings: LocalEmbeddings) -> Any:
    return make_store(index={"dims": 384, "embed": embeddings, "fields": ["content"]})


def spy_on_batches(store: Any) -> list[str]:
    """Record which of the store's real ``batch``/``abatch`` the graph calls."""
    calls: list[str] = []
    sync_batch, async_batch = store.batch, store.abatch

    def batch(ops: Any) -> Any:
        calls.append("batch")
        return sync_batch(ops)

    async def abatch(ops: Any) -> Any:
        calls.append("abatch")
        return await async_batch(ops)

    store.batch, store.abatch = batch, abatch
    return calls


def config(thread: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread}}


THREADS = {"alice": ("alice-1", "alice-2"), "bob": ("bob-1", "bob-2")}


Invoke = Callable[[str, str, Turn], Awaitable[dict[str, Any]]]


async def check_turns(
    store: Any, invoke: Invoke, state_of: Callable[[str], Awaitable[dict[str, Any]]]
) -> None:
    """Save in each user's first thread, recall in the second; shared by sync and async."""
    for user, texts in MEMORIES.items():
        out = await invoke(user, THREADS[user][0], {"remember": texts})
        assert out["recalled"] == []

    for user, questions in RECALL.items():
        for question, expected in questions.items():
            out = await invoke(user, THREADS[user][1], {"question": question})
            assert out["recalled"][0] == expected, (user, question, out["recalled"])
            assert set(out["recalled"]) <= set(MEMORIES[user])
            assert set(out["recalled_from"]) == {("memories", user)}

    # Another user's questions, in that user's threads, never reach the first user's memories.
    for user, other in (("alice", "bob"), ("bob", "alice")):
        for question in RECALL[other]:
            out = await invoke(user, THREADS[user][1], {"question": question})
            assert out["recalled"], (user, question)
            assert set(out["recalled"]) <= set(MEMORIES[user]), (user, question, out["recalled"])

    # Short-term memory (the checkpointer) is per thread; long-term memory is per user.
    assert (await state_of("alice-1"))["log"] == MEMORIES["alice"]
    assert not set((await state_of("alice-2"))["log"]) & set(MEMORIES["alice"])


def check_long_term_memory(store: Any) -> None:
    """Outside the graph, the store holds each user's memories in the user's namespace."""
    assert store.list_namespaces(prefix=("memories",)) == [
        ("memories", "alice"),
        ("memories", "bob"),
    ]
    for user, texts in MEMORIES.items():
        stored = store.search(("memories", user), limit=10)
        assert sorted(item.value["content"] for item in stored) == sorted(texts)


async def test_graph_recalls_across_threads_per_user(memory_store: Any, tmp_path: Path) -> None:
    """Memories saved in thread 1 are found in thread 2 of the same user, never another's.

    Sync nodes and ``graph.invoke`` (the store's ``batch``), a ``SqliteSaver``.
    """
    connection = sqlite3.connect(tmp_path / "checkpoints.sqlite", check_same_thread=False)
    try:
        graph = build(save, recall).compile(
            checkpointer=SqliteSaver(connection), store=memory_store
        )
        calls = spy_on_batches(memory_store)

        async def invoke(user: str, thread: str, turn: Turn) -> dict[str, Any]:
            return graph.invoke(turn, config(thread), context=UserContext(user))

        async def state_of(thread: str) -> dict[str, Any]:
            return graph.get_state(config(thread)).values

        await check_turns(memory_store, invoke, state_of)
        assert calls
        assert set(calls) == {"batch"}
        check_long_term_memory(memory_store)
    finally:
        connection.close()


async def test_async_graph_recalls_across_threads_per_user(
    memory_store: Any, tmp_path: Path
) -> None:
    """The same with async nodes, ``ainvoke`` (the store's ``abatch``), ``AsyncSqliteSaver``."""
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "checkpoints.sqlite")) as saver:
        graph = build(asave, arecall).compile(checkpointer=saver, store=memory_store)
        calls = spy_on_batches(memory_store)

        async def invoke(user: str, thread: str, turn: Turn) -> dict[str, Any]:
            return await graph.ainvoke(turn, config(thread), context=UserContext(user))

        async def state_of(thread: str) -> dict[str, Any]:
            return (await graph.aget_state(config(thread))).values

        await check_turns(memory_store, invoke, state_of)
        assert calls
        assert set(calls) == {"abatch"}
        check_long_term_memory(memory_store)

"""Deep Agents' ``StoreBackend`` on ``ChromaStore``: a deep agent's files in a langmem memory.

``deepagents.backends.StoreBackend`` keeps a deep agent's files in a LangGraph ``BaseStore``:
one item per file, the file's path as key (``/notes/plan.md``), ``{"content", "encoding",
"created_at", "modified_at"}`` as value, under the namespace its factory returns. These
tests run real deep agents (``create_deep_agent``: its filesystem tools, middleware and
graph) whose only fake part is the model, a scripted one calling the tools.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore

from langmem_plugin._namespaces import user_label
from langmem_plugin.memory import Memory
from langmem_plugin.store import ChromaStore
from langmem_plugin.testing import ScriptedChatModel

deepagents = pytest.importorskip("deepagents")
StoreBackend = deepagents.backends.StoreBackend


@dataclass
class Context:
    user_id: str


def files_of(runtime: Any) -> tuple[str, ...]:
    """The layout this README recommends: the user at namespace position 1, like langmem's."""
    return ("filesystem", user_label(runtime.context.user_id))


def call(name: str, **args: Any) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"call-{name}"}])


def agent(store: BaseStore, script: list[Any], checkpointer: Any = None) -> Any:
    return deepagents.create_deep_agent(
        model=ScriptedChatModel(script=script),
        backend=StoreBackend(namespace=files_of),
        store=store,
        checkpointer=checkpointer or InMemorySaver(),
        context_schema=Context,
    )


def run(graph: Any, thread: str, user: str, text: str = "go") -> list[BaseMessage]:
    config = {"configurable": {"thread_id": thread}}
    out = graph.invoke({"messages": [HumanMessage(text)]}, config, context=Context(user))
    return list(out["messages"])


def tool_texts(messages: Sequence[BaseMessage]) -> list[str]:
    return [m.text for m in messages if isinstance(m, ToolMessage)]


# A session that uses every file tool of StoreBackend: write, read, edit, ls, glob, grep,
# and writing a second file; then a second thread that reads what the first one wrote.
WRITER = [
    call("write_file", file_path="/notes/plan.md", content="step 1: tea\nstep 2: walk"),
    call("write_file", file_path="/notes/todo.txt", content="buy oolong"),
    call("edit_file", file_path="/notes/plan.md", old_string="walk", new_string="run"),
    call("ls", path="/notes"),
    call("glob", pattern="**/*.md"),
    call("grep", pattern="oolong", output_mode="content"),
    call("read_file", file_path="/notes/plan.md"),
    "done",
]
READER = [call("read_file", file_path="/notes/plan.md"), call("ls", path="/"), "read"]


def session(store: BaseStore) -> tuple[list[str], list[str]]:
    graph = agent(store, WRITER + READER)
    written = tool_texts(run(graph, "thread-1", "ada"))
    read = tool_texts(run(graph, "thread-2", "ada"))
    return written, read


def test_a_deep_agents_files_written_in_one_thread_are_read_in_another(tmp_path: Path) -> None:
    with ChromaStore(path=tmp_path / "store") as store:
        written, read = session(store)
        assert written == [
            "Updated file /notes/plan.md",
            "Updated file /notes/todo.txt",
            "Successfully replaced 1 instance(s) of the string in '/notes/plan.md'",
            "['/notes/plan.md', '/notes/todo.txt']",  # ls
            "['/notes/plan.md']",  # glob **/*.md
            "/notes/todo.txt:\n  1: buy oolong",  # grep
            "@@ lines 1-2 of 2 @@\nstep 1: tea\nstep 2: run",
        ]
        assert read == ["@@ lines 1-2 of 2 @@\nstep 1: tea\nstep 2: run", "['/notes/']"]
        assert store.list_namespaces() == [("filesystem", user_label("ada"))]
        item = store.get(("filesystem", user_label("ada")), "/notes/plan.md")
        assert item is not None
        assert item.value["content"] == "step 1: tea\nstep 2: run"
        assert item.value["encoding"] == "utf-8"
        assert {"created_at", "modified_at"} <= set(item.value)


def test_every_tool_answers_as_on_inmemorystore(tmp_path: Path) -> None:
    # the contract: whatever InMemoryStore gives the agent, ChromaStore gives it too
    with ChromaStore(path=tmp_path / "store") as store:
        on_chroma = session(store)
    on_reference = session(InMemoryStore())
    assert on_chroma == on_reference


def test_files_survive_a_reopen_from_disk(tmp_path: Path) -> None:
    with ChromaStore(path=tmp_path / "store") as store:
        run(agent(store, WRITER), "thread-1", "ada")
    # a new process, in effect: a new store on the same folder, a new agent, a new thread
    with ChromaStore(path=tmp_path / "store") as reopened:
        texts = tool_texts(run(agent(reopened, READER), "thread-9", "ada"))
    assert texts == ["@@ lines 1-2 of 2 @@\nstep 1: tea\nstep 2: run", "['/notes/']"]


def test_each_user_sees_only_their_files_and_forget_user_removes_them(tmp_path: Path) -> None:
    with Memory.from_path(tmp_path / "memory") as memory:
        ada = agent(memory.store, WRITER, memory.checkpointer)
        run(ada, "ada-1", "ada")
        bob = agent(
            memory.store,
            [call("write_file", file_path="/notes/todo.txt", content="bob's list"), "ok", *READER],
            memory.checkpointer,
        )
        run(bob, "bob-1", "bob")
        texts = tool_texts(run(bob, "bob-2", "bob"))
        # bob's own todo.txt, and none of ada's files
        assert texts == ["Error: File '/notes/plan.md' not found", "['/notes/']"]
        # the user at namespace position 1: the memory's privacy tools cover the files too
        report = memory.forget_user("ada")
        assert report.items[("filesystem", user_label("ada"))] == 2
        assert memory.store.search(("filesystem", user_label("ada"))) == []
        bobs = memory.store.get(("filesystem", user_label("bob")), "/notes/todo.txt")
        assert bobs is not None
        assert bobs.value["content"] == "bob's list"


def test_async_agent_on_chromastore(tmp_path: Path) -> None:
    # ainvoke: StoreBackend calls aget/aput/asearch, ChromaStore's abatch
    async def main() -> list[str]:
        async with ChromaStore(path=tmp_path / "store") as store:
            graph = agent(store, WRITER + READER)
            for thread in ("t1", "t2"):
                out = await graph.ainvoke(
                    {"messages": [HumanMessage("go")]},
                    {"configurable": {"thread_id": thread}},
                    context=Context("ada"),
                )
            return tool_texts(out["messages"])

    assert asyncio.run(main()) == ["@@ lines 1-2 of 2 @@\nstep 1: tea\nstep 2: run", "['/notes/']"]

"""A realistic two-user memory for the export, import, forget and CLI tests, and full dumps.

``populate(memory)`` writes, for users ``ada`` and ``bob``: conversations through
``Memory.ingest`` (chat history, episode, profile by the offline rules), agent turns
through ``create_memory_agent`` with a scripted model (checkpoints whose metadata names
the user), plain memories (one with a TTL, one unindexed, one deleted), a titled session
and tool-call messages. ``full_dump(memory)`` reads everything back through the public store
API (the conversation archive is store items), for exact comparisons.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.graph import START, MessagesState, StateGraph

from langmem_plugin.history._storage import HistoryStorage

ADA_SECRET = "Ada keeps her spare key under the blue flowerpot"
BOB_SECRET = "Bob's locker code is 4711"


def populate(memory: Any) -> dict[str, list[str]]:
    """Fill ``memory``; returns the thread ids written per user."""
    from langmem_plugin.agent import create_memory_agent
    from langmem_plugin.testing import ScriptedChatModel

    memory.ingest(
        [
            HumanMessage("Hi, I'm Ada. I live in Lisbon and I work as a data scientist."),
            AIMessage("Nice to meet you, Ada!"),
            HumanMessage("I love sailing and I mostly use Python."),
        ],
        user_id="ada",
        thread_id="ada-ingest",
    )
    memory.ingest(
        [HumanMessage("Hello, I'm Bob. I live in Oslo and I like skiing."), AIMessage("Hi Bob")],
        user_id="bob",
        thread_id="bob-ingest",
    )
    history = memory.history("ada-tools", user_id="ada")
    history.add_messages(
        [
            HumanMessage("What's the weather in Lisbon? ☀️ — olá"),
            AIMessage(
                "",
                tool_calls=[{"name": "weather", "args": {"city": "Lisbon"}, "id": "call-1"}],
            ),
            ToolMessage("22°C, sunny", tool_call_id="call-1"),
            AIMessage("It is 22°C and sunny in Lisbon."),
        ]
    )
    history.update_session(title="Weather in Lisbon", summary="asked about the weather")

    store = memory.store
    store.put(("memories", "ada"), "secret", {"content": ADA_SECRET, "importance": 0.9})
    store.put(
        ("memories", "ada"),
        "nested",
        {"content": "Ada's favourite numbers", "data": {"list": [1, 2.5, None], "ü": True}},
    )
    store.put(("memories", "ada"), "raw", {"content": "not indexed on purpose"}, index=False)
    store.put(("memories", "ada"), "expiring", {"content": "Ada is in Porto today"}, ttl=600)
    store.put(("memories", "ada"), "gone", {"content": "deleted before the export"})
    store.delete(("memories", "ada"), "gone")
    store.put(("memories", "bob"), "secret", {"content": BOB_SECRET})
    store.put(("memories", "bob", "work"), "team", {"content": "Bob leads the data team"})

    threads = {"ada": ["ada-agent"], "bob": ["bob-agent"]}
    for user, thread in (("ada", "ada-agent"), ("bob", "bob-agent")):
        agent = create_memory_agent(
            ScriptedChatModel(script=[], default=f"Hello {user}"), memory=memory
        )
        agent.invoke(
            {"messages": [HumanMessage(f"Hi, this is {user}, remember me please")]},
            {"configurable": {"thread_id": thread, "user_id": user}},
        )
        memory.end_session(thread)
    memory.flush()
    # LangGraph threads archived into the chat history of the same id; "ada-plain" runs
    # without a user id in its config, so only its session ties it to Ada.
    memory.archive_thread("ada-agent", "ada")
    builder = StateGraph(MessagesState)
    builder.add_node("echo", lambda state: {"messages": [AIMessage("echo")]})
    builder.add_edge(START, "echo")
    graph = memory.compile(builder)
    graph.invoke({"messages": [HumanMessage("plain graph turn")]}, _thread("ada-plain"))
    memory.archive_thread("ada-plain", "ada")
    threads["ada"].append("ada-plain")
    return threads


def _thread(thread_id: str) -> Any:
    return {"configurable": {"thread_id": thread_id}}


def full_dump(memory: Any) -> dict[str, Any]:
    """Everything a memory stores, read through the public store API.

        ``items``: every item as ``(namespace, key, value)`` (the conversation archive, the
        session records and claims included: they are store items), sorted. ``records``: every
        item's times, TTL, expiry and whether it has vectors, as ``ChromaStore.dump`` reads them
        (an export/import keeps them). ``checkpoints``: every checkpoint with its writes.
        ``api_sessions`` and ``api_messages``: the chat-history view per user. ``knowledge``: every
    user's entities, relations and mentions (``KnowledgeGraph.dump``). Reading does not
        refresh TTLs. Compare two dumps with ``assert_same_dump``.
    """
    store = memory.store
    items = sorted(
        (tuple(item.namespace), item.key, json.dumps(item.value, sort_keys=True))
        for item in _every_item(store)
    )
    users = HistoryStorage(store).users()
    records = sorted(
        (r.namespace, r.key, r.created_at, r.updated_at, r.ttl, r.expires_at, r.indexed)
        for r in store.dump()
    )
    return {
        "items": items,
        "records": records,
        "checkpoints": checkpoints(memory.checkpointer),
        "api_sessions": {
            user: [
                (s.session_id, s.user_id, s.created_at, s.message_count, s.title, s.summary)
                for s in memory.sessions(user)
            ]
            for user in users
        },
        "api_messages": {
            (info.user_id, info.session_id): memory.history(
                info.session_id, user_id=info.user_id
            ).messages
            for user in users
            for info in memory.sessions(user)
        },
        "knowledge": {user: memory.knowledge.dump(user) for user in memory.knowledge.users()},
    }


def checkpoints(saver: Any) -> list[tuple[Any, ...]]:
    """Every checkpoint as ``checkpointer.list`` reads it, sorted: thread, namespace, id,
    parent id, the checkpoint itself (channel values and versions), metadata and pending
    writes."""
    found = []
    for snap in saver.list(None):
        conf = snap.config["configurable"]
        parent = (snap.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        found.append(
            (
                conf["thread_id"],
                conf["checkpoint_ns"],
                conf["checkpoint_id"],
                parent,
                snap.checkpoint,
                snap.metadata,
                sorted(snap.pending_writes or [], key=lambda w: (w[0], w[1])),
            )
        )
    return sorted(found, key=lambda c: c[:3])


def _every_item(store: Any) -> list[Any]:
    found: list[Any] = []
    for namespace in store.list_namespaces(limit=100_000):
        found.extend(
            item
            for item in store.search(namespace, limit=100_000, refresh_ttl=False)
            if tuple(item.namespace) == namespace
        )
    return found


def assert_same_dump(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Every part of two ``full_dump`` results equal."""
    for part, wanted in want.items():
        assert got[part] == wanted, f"{part} differ: {_diff(got[part], wanted)}"


def _diff(got: Any, want: Any) -> str:
    if isinstance(got, dict) and isinstance(want, dict):
        keys = sorted(got.keys() ^ want.keys(), key=str)
        if keys:
            return f"keys only on one side: {keys}"
        return "; ".join(
            f"{key!r}: {got[key]!r} != {want[key]!r}" for key in want if got[key] != want[key]
        )
    if isinstance(got, list) and isinstance(want, list):
        if len(got) != len(want):
            return f"{len(got)} entries != {len(want)}"
        pairs = enumerate(zip(got, want, strict=True))
        return "; ".join(f"[{i}]: {g!r} != {w!r}" for i, (g, w) in pairs if g != w)
    return f"{got!r} != {want!r}"

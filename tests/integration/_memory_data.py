"""A realistic two-user memory for the export, import, forget and CLI tests, and full dumps.

``populate(memory)`` writes, for users ``ada`` and ``bob``: conversations through
``Memory.ingest`` (chat history, episode, profile by the offline rules), agent turns
through ``create_memory_agent`` with a scripted model (checkpoints whose metadata names
the user), plain memories (one with a TTL, one unindexed, one deleted), a titled session
and tool-call messages. ``full_dump(memory)`` reads everything back from the raw Chroma
collections and through the public API, for exact comparisons.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.graph import START, MessagesState, StateGraph

from langmem_plugin._admin import history_storage

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
    """Everything a memory stores in Chroma, with volatile internals normalised away.

    Compare two dumps with ``assert_same_dump``.

    Item records keep their id, document (the value) and metadata except the internal
    version tag and ordering numbers, which are replaced by the item's rank in insertion
    order. Vectors are listed per item (field path, text hash, text); their embeddings
    are under ``embeddings``. Sessions and
    messages are the raw records (ids, documents, metadata). The
    public API's view is included too: every item with its timestamps, sessions and
    messages per user. Reading does not refresh TTLs (a read through ``get``/``search``
    with the default ``refresh_ttl`` moves an item's expiry, so dump before such reads).
    """
    store = memory.store
    client, prefix = store.client, store.collection_prefix
    raw_items = client.get_collection(f"{prefix}_items").get(include=["documents", "metadatas"])
    rows = []
    for iid, document, meta in zip(
        raw_items["ids"], raw_items["documents"], raw_items["metadatas"], strict=True
    ):
        meta = dict(meta)
        order = (meta.pop("nseq"), meta.pop("kseq"))
        meta.pop("ver")
        rows.append((order, iid, document, meta))
    rows.sort(key=lambda row: row[0])
    items = [(iid, document, meta) for _, iid, document, meta in rows]

    raw_vectors = client.get_collection(f"{prefix}_vectors").get(
        include=["documents", "metadatas", "embeddings"]
    )
    vectors: dict[str, list[Any]] = {}
    embeddings: dict[tuple[str, int], Any] = {}
    for document, meta, embedding in zip(
        raw_vectors["documents"], raw_vectors["metadatas"], raw_vectors["embeddings"], strict=True
    ):
        vectors.setdefault(meta["item"], []).append(
            (meta["ord"], meta["path"], meta["th"], meta["ns"], document)
        )
        embeddings[meta["item"], meta["ord"]] = np.asarray(embedding, dtype=np.float64)
    for entries in vectors.values():
        entries.sort()

    storage = history_storage(memory)
    sessions = storage.sessions.get(include=["metadatas"])
    messages = storage.messages.get(include=["documents", "metadatas", "embeddings"])
    message_rows = sorted(
        zip(messages["ids"], messages["documents"], messages["metadatas"], strict=True)
    )
    embeddings.update(
        (("message", record_id), np.asarray(vector, dtype=np.float64))
        for record_id, vector in zip(messages["ids"], messages["embeddings"], strict=True)
    )
    users = sorted({m["user_id"] for m in sessions["metadatas"]})
    return {
        "items": items,
        "vectors": vectors,
        "embeddings": embeddings,
        "sessions": sorted(zip(sessions["ids"], sessions["metadatas"], strict=True)),
        "messages": message_rows,
        "api_items": [item.dict() for item in store.search((), limit=10_000, refresh_ttl=False)],
        "api_sessions": {user: memory.sessions(user) for user in users},
        "api_messages": {
            (info.user_id, info.session_id): memory.history(
                info.session_id, user_id=info.user_id
            ).messages
            for user in users
            for info in memory.sessions(user)
        },
    }


def assert_same_dump(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Everything equal; embeddings equal up to float noise.

    The embedding model's output for a text varies in the last float32 digits with the
    other texts of its batch (padding), so re-embedded vectors are compared with a
    tolerance far below any ranking difference.
    """
    for part in want:
        if part != "embeddings":
            assert got[part] == want[part], f"{part} differ: {_diff(got[part], want[part])}"
    assert got["embeddings"].keys() == want["embeddings"].keys()
    for key, vector in want["embeddings"].items():
        np.testing.assert_allclose(got["embeddings"][key], vector, atol=1e-4, err_msg=str(key))


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

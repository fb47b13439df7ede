"""Two users with a unique token in every kind of memory, and a raw byte scan of a folder.

``seed(memory, user, token)`` writes ``token`` (a lower-case word no model or rule would
make up) into each kind of memory of ``user``: messages through ``Memory.ingest`` (the
archive, an episode, profile facts by the offline rules and their history), a checkpointed
graph running ``recall`` and ``extract_profile`` with the user's ``user_id`` in its config
(checkpoints, archived turns), a note saved through the ``save_memory`` tool, a lesson
(``reflect_on``), and a graph thread that is never archived (checkpoints only); the
offline rules also make an entity (``<token>ball``), a relation and mentions of it.
``scan(folder, needles)`` counts the raw occurrences of each needle in every file;
``scan_postgres(url, needle)`` does the same over every row of a PostgreSQL database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph


def seed(memory: Any, user: str, token: str) -> None:
    """Write ``token`` into every kind of memory of ``user``."""
    memory.ingest(
        [
            HumanMessage(
                f"My cat is called {token}. I love {token}cake and I live in Lisbon. "
                f"I play {token}ball on Sundays."  # an entity and a relation (knowledge)
            ),
            AIMessage(f"{token} is a lovely name for a cat."),
            HumanMessage(f"Write to me at {token}@example.org please."),
        ],
        user_id=user,
        thread_id=f"{user}-ingest",
    )
    builder = StateGraph(MessagesState)
    builder.add_node(memory.nodes.recall)
    builder.add_node("model", lambda state: {"messages": [AIMessage(f"noted, {token}graph")]})
    builder.add_node(memory.nodes.extract_profile)
    builder.add_edge(START, "recall")
    builder.add_edge("recall", "model")
    builder.add_edge("model", "extract_profile")
    graph = memory.compile(builder)
    config = {"configurable": {"thread_id": f"{user}-graph", "user_id": user}}
    graph.invoke({"messages": [HumanMessage(f"I also love {token}tea.")]}, config)
    memory.end_session(f"{user}-graph")
    plain = StateGraph(MessagesState)
    plain.add_node("echo", lambda state: {"messages": [AIMessage(f"echo {token}plain")]})
    plain.add_edge(START, "echo")
    memory.compile(plain).invoke(
        {"messages": [HumanMessage(f"unarchived {token}plain turn")]},
        {"configurable": {"thread_id": f"{user}-plain", "user_id": user}},
    )
    tools = {tool.name: tool for tool in memory.tools(user_id=user)}
    tools["save_memory"].invoke({"content": f"{user} keeps a spare key, code {token}note"})
    memory.reflect_on(f"book a {token}trip", f"{token}error: no seats", user_id=user)
    memory.flush()


def scan(folder: Path, needles: list[str]) -> dict[str, int]:
    """Occurrences of each needle (UTF-8) in the raw bytes of every file under ``folder``."""
    counts = dict.fromkeys(needles, 0)
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        data = path.read_bytes()
        for needle in needles:
            counts[needle] += data.count(needle.encode())
    return counts


def scan_files(folder: Path, needle: str) -> dict[str, int]:
    """Per file: occurrences of ``needle`` (for failure messages)."""
    found = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        n = path.read_bytes().count(needle.encode())
        if n:
            found[str(path.relative_to(folder))] = n
    return found


def scan_postgres(url: str, needle: str) -> dict[str, int]:
    """Per table of the public schema: occurrences of ``needle`` in its rows' values.

    Binary values (``bytea``: checkpoint blobs, encrypted values) are searched as raw bytes,
    everything else as its text.
    """
    import psycopg

    found: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
        for table in tables:
            n = 0
            for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        n += bytes(value).count(needle.encode())
                    else:
                        n += str(value).count(needle)
            if n:
                found[table] = n
    return found

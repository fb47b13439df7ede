"""Forget leaves no byte: a unique token in every kind of memory, forget, scan every file.

Real files (embedded Chroma, the SQLite file shared by items and checkpoints), the bundled
MiniLM embeddings, a real subprocess killed with SIGKILL in the middle of a forget, and the
scale-out setup (a ``chroma run`` server and PostgreSQL) for the logical guarantees.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from langmem_plugin import Memory
from langmem_plugin.store._sql import table_base
from tests.integration._forget_data import scan, scan_files, scan_postgres, seed

REPO = Path(__file__).resolve().parents[2]
ALICE, BOB = "zqalicetok", "zqbobtok"


def _open(path: Path) -> Any:
    return Memory.from_path(path)


def _vector_needles(memory: Any, user: str) -> list[bytes]:
    """The first 16 bytes of each of ``user``'s embeddings as stored (float32)."""
    table = f"{table_base(memory.store.collection_prefix)}_vectors"
    rows = memory.store._db.query(f"SELECT ns, embedding FROM {table}")
    return [bytes(e)[:16] for ns, e in rows if ns.split("\x1f")[1:2] == [user]]


def _count_bytes(folder: Path, needles: list[bytes]) -> int:
    data = [p.read_bytes() for p in folder.rglob("*") if p.is_file()]
    return sum(blob.count(needle) for blob in data for needle in needles)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed memory folder with alice and bob seeded (copied by each test)."""
    folder = tmp_path_factory.mktemp("seeded") / "memory"
    with _open(folder) as memory:
        seed(memory, "alice", ALICE)
        seed(memory, "bob", BOB)
        memory.store.sync_index()
    return folder


def test_forget_user_leaves_no_byte_of_the_user(seeded: Path, tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    shutil.copytree(seeded, folder)
    with _open(folder) as memory:
        bob_vectors = _vector_needles(memory, "bob")
        # both users live in Lisbon: the same text has the same embedding, which stays
        alice_vectors = [v for v in _vector_needles(memory, "alice") if v not in bob_vectors]
        before = scan(folder, [ALICE, BOB, "alice"])
        assert before[ALICE] > 50
        assert before[BOB] > 50
        assert scan_files(folder, "alice").get("chroma/chroma.sqlite3", 0) > 0
        assert _count_bytes(folder, alice_vectors) >= len(alice_vectors) > 10

        report = memory.forget_user("alice")
        assert report.total_items > 0
        assert report.threads == ["alice-graph", "alice-plain"]

        # while the memory is still open (WAL, Chroma's log and HNSW files on disk)
        after = scan(folder, [ALICE, BOB])
        assert after[ALICE] == 0, scan_files(folder, ALICE)
        assert after[BOB] > 50
        assert _count_bytes(folder, alice_vectors) == 0  # no vector of hers, anywhere
        assert _count_bytes(folder, bob_vectors) >= len(bob_vectors)
        assert scan_files(folder, "alice").get("chroma/chroma.sqlite3", 0) == 0
        # the user id stays in the audit log only (by design: who, never what)
        audit = f"{table_base(memory.store.collection_prefix)}_audit"
        assert memory.store._db.query(f"SELECT COUNT(*) FROM {audit} WHERE user_id = 'alice'")

        # bob's memory still works: get, search, recall, profile, history
        store = memory.store
        assert (
            store.search(("memories", "bob"), query="spare key code")[0]
            .value["content"]
            .endswith(f"{BOB}note")
        )
        turns = store.search(("archive", "bob", "bob-ingest"), query="cat")
        assert any(BOB in t.value["content"] for t in turns)
        assert store.get(("archive", "bob", "bob-ingest"), turns[0].key) is not None
        assert BOB in memory.recall_context("bob", "what is my cat called?")
        assert memory.profile("bob").facts
        assert memory.history("bob-ingest", user_id="bob").messages
        assert memory.recall_context("alice", "what is my cat called?") == ""
        assert memory.checkpointer.get_tuple({"configurable": {"thread_id": "bob-graph"}})
    assert scan(folder, [ALICE])[ALICE] == 0  # and after close
    assert _count_bytes(folder, alice_vectors) == 0
    # her user id is left in the audit log only: without that table, not one byte of it
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    conn = sqlite3.connect(copy / "checkpoints.sqlite")
    conn.execute(f"DROP TABLE {audit}")
    conn.commit()
    conn.execute("VACUUM")
    conn.close()
    assert scan(copy, ["alice"]) == {"alice": 0}, scan_files(copy, "alice")
    for segment in (folder / "chroma").iterdir():  # hnswlib's unused capacity is zeroed
        if (segment / "header.bin").exists():
            header = (segment / "header.bin").read_bytes()
            count, size = struct.unpack_from("<QQ", header, 20)
            assert not (segment / "data_level0.bin").read_bytes()[count * size :].strip(b"\0")


def test_forget_leaves_an_audit_event_with_counts(seeded: Path, tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    shutil.copytree(seeded, folder)
    with _open(folder) as memory:
        report = memory.forget_user("alice")
        events = memory.audit("alice", limit=1000)
    forget = [e for e in events if e.operation == "forget"]
    assert len(forget) == 1
    assert forget[0].detail == {
        "items": report.total_items,
        "sessions": len(report.sessions),
        "messages": report.messages,
        "threads": len(report.threads),
    }
    deleted = {(e.namespace, e.key) for e in events if e.operation == "delete"}
    assert (("memories", "alice"), "") not in deleted
    assert any(ns[:2] == ("archive", "alice") for ns, _ in deleted)


_CHILD = """
import sys, time
sys.path.insert(0, {repo!r})
from langmem_plugin._admin import _forget
from langmem_plugin import Memory

def stop_after(original):
    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        print("at", flush=True)
        time.sleep(60)
        return result
    return wrapper

memory = Memory.from_path({folder!r})
point = {point!r}
if point == "deletes":  # the user's rows are deleted, nothing scrubbed yet
    _forget._find_and_delete_user = stop_after(_forget._find_and_delete_user)
elif point == "collection":  # Chroma's collection deleted, not rebuilt
    client = memory.store.client
    client.delete_collection = stop_after(client.delete_collection)
elif point == "rebuild":  # index rebuilt, files not vacuumed
    memory.store.rebuild_index = stop_after(memory.store.rebuild_index)
print("go", flush=True)
memory.forget_user("alice")
print("done", flush=True)
memory.close()
"""


@pytest.mark.parametrize("point", ["deletes", "collection", "rebuild", "random"])
def test_forget_killed_midway_then_run_again_leaves_no_byte(
    seeded: Path, tmp_path: Path, point: str
) -> None:
    folder = tmp_path / "memory"
    shutil.copytree(seeded, folder)
    code = _CHILD.format(repo=str(REPO), folder=str(folder), point=point)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "go"
    if point == "random":
        time.sleep(0.05)
    else:
        assert child.stdout.readline().strip() == "at"  # stopped at the point, then killed
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    if point != "random":
        assert "done" not in child.stdout.read()
        assert scan(folder, [ALICE])[ALICE] > 0 or point != "deletes"  # not scrubbed yet
    with _open(folder) as memory:
        memory.forget_user("alice")
        assert scan(folder, [ALICE])[ALICE] == 0, scan_files(folder, ALICE)
        assert scan(folder, [BOB])[BOB] > 50
        assert memory.store.search(("memories", "bob"), query="spare key")
        assert not memory.store.search(("memories", "alice"), query="spare key")
        assert scan_files(folder, "alice").get("chroma/chroma.sqlite3", 0) == 0


# ---------------------------------------------------------------------------- by query
def _carol(memory: Any) -> None:
    memory.ingest(
        [
            HumanMessage("My divorce from Tom was finalised in March, it was a hard year."),
            AIMessage("I'm sorry to hear about the divorce."),
            HumanMessage("I love hiking in the Alps."),
            HumanMessage("I work as a nurse at the city hospital."),
        ],
        user_id="carol",
        thread_id="carol-1",
    )
    memory.ingest(
        [HumanMessage("I love my divorce support group.")], user_id="carol", thread_id="carol-2"
    )
    memory.ingest(
        [HumanMessage("I no longer like my divorce support group.")],
        user_id="carol",
        thread_id="carol-3",
    )
    builder = StateGraph(MessagesState)
    builder.add_node("echo", lambda state: {"messages": [AIMessage("filed")]})
    builder.add_edge(START, "echo")
    memory.compile(builder).invoke(
        {"messages": [HumanMessage("The divorce papers arrived today.")]},
        {"configurable": {"thread_id": "carol-graph", "user_id": "carol"}},
    )
    memory.compile(builder).invoke(
        {"messages": [HumanMessage("Book the hiking hut for Saturday.")]},
        {"configurable": {"thread_id": "carol-hike", "user_id": "carol"}},
    )
    memory.ingest(
        [HumanMessage("I love skiing and my divorce lawyer is great.")],
        user_id="dave",
        thread_id="dave-1",
    )
    memory.flush()


def test_forget_by_query_previews_then_removes_only_the_topic(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    with _open(folder) as memory:
        _carol(memory)
        history = memory.profile_history("carol")
        assert any("divorce" in f.value for f in history)  # a fact with two versions

        preview = memory.forget("carol", query="my divorce")
        assert preview.dry_run
        assert preview.removed == 0
        texts = [m.preview for m in preview.matches]
        assert any("finalised in March" in t for t in texts)
        assert any(m.kind == "fact" for m in preview.matches)
        assert not any("hiking" in t.lower() and "divorce" not in t for t in texts)
        assert not any("nurse" in t for t in texts if "divorce" not in t)
        assert "carol-graph" in preview.threads
        assert "carol-hike" not in preview.threads
        assert memory.store.search(("archive", "carol", "carol-1"), query="divorce")

        report = memory.forget("carol", query="my divorce", dry_run=False)
        assert report.removed >= len(preview.matches)
        assert scan(folder, ["divorce lawyer"])["divorce lawyer"] > 0  # dave's, kept
        assert scan(folder, ["finalised in March", "support group", "papers arrived"]) == {
            "finalised in March": 0,
            "support group": 0,
            "papers arrived": 0,
        }
        assert not [f for f in memory.profile_history("carol") if "divorce" in f.value]
        assert memory.checkpointer.get_tuple({"configurable": {"thread_id": "carol-graph"}}) is None
        assert memory.checkpointer.get_tuple({"configurable": {"thread_id": "carol-hike"}})
        hits = memory.store.search(("archive", "carol", "carol-1"), query="hiking")
        assert any("Alps" in h.value["content"] for h in hits)
        assert "skiing" in str(memory.profile("dave"))
        events = memory.audit("carol", limit=1000)
        forget = [e for e in events if e.operation == "forget_query"]
        assert forget
        assert forget[0].detail is not None
        assert forget[0].detail["removed"] > 0
        assert "divorce" not in str([e.to_json() for e in events])  # never the query


def test_forget_memory_tool_forgets_by_query_for_the_caller_only(tmp_path: Path) -> None:
    with _open(tmp_path / "memory") as memory:
        _carol(memory)
        tools = {t.name: t for t in memory.tools(user_id="carol")}
        answer = tools["forget_memory"].invoke({"query": "divorce"})
        assert "forgot for 'carol'" in answer
        assert not memory.forget("carol", query="divorce").matches
        assert memory.forget("dave", query="divorce").matches  # another user untouched
        tool_events = [e for e in memory.audit("carol", limit=1000) if e.source == "tool"]
        assert {e.operation for e in tool_events} >= {"delete", "forget_query"}


# ---------------------------------------------------------------------------- scale-out
def test_forget_on_chroma_server_and_postgres_removes_every_row(
    chroma_url: str, fresh_postgres_url: str
) -> None:
    import uuid

    prefix = f"f{uuid.uuid4().hex[:8]}"
    memory = Memory.from_url(chroma_url, fresh_postgres_url, collection_prefix=prefix)
    with memory:
        seed(memory, "alice", ALICE)
        seed(memory, "bob", BOB)
        memory.store.sync_index()
        before = scan_postgres(fresh_postgres_url, ALICE)
        assert {"checkpoints", "checkpoint_writes"} & set(before)
        vectors = memory.store.client.get_collection(f"{prefix}_vectors")
        assert vectors.get(where={"ns1": "alice"}, include=[])["ids"]

        memory.forget_user("alice")

        assert scan_postgres(fresh_postgres_url, ALICE) == {}
        assert scan_postgres(fresh_postgres_url, BOB)
        assert vectors.get(where={"ns1": "alice"}, include=[])["ids"] == []
        assert vectors.get(where={"ns1": "bob"}, include=[])["ids"]
        assert BOB in memory.recall_context("bob", "what is my cat called?")
        assert [e.operation for e in memory.audit("alice", limit=1000)][-1] == "forget"


def test_cli_forget_query_previews_and_asks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from langmem_plugin.cli import main

    folder = tmp_path / "memory"
    with _open(folder) as memory:
        _carol(memory)
    args = ["forget", "carol", "--query", "my divorce", "--path", str(folder)]
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "would forget for 'carol'" in out
    assert "finalised in March" in out
    assert "nothing deleted" in out
    assert scan(folder, ["finalised in March"])["finalised in March"] > 0

    assert main([*args, "--yes"]) == 0
    assert "deleted" in capsys.readouterr().out
    assert scan(folder, ["finalised in March"])["finalised in March"] == 0
    assert scan(folder, ["Alps"])["Alps"] > 0


def test_agent_forgets_a_topic_through_its_tool_during_a_run(tmp_path: Path) -> None:
    from langmem_plugin.agent import create_memory_agent
    from langmem_plugin.testing import ScriptedChatModel

    folder = tmp_path / "memory"
    with _open(folder) as memory:
        _carol(memory)
        call = {"name": "forget_memory", "args": {"query": "divorce"}, "id": "c1"}
        model = ScriptedChatModel(
            script=[AIMessage("", tool_calls=[call]), "Done, I forgot it."], default="ok"
        )
        agent = create_memory_agent(model, memory=memory)
        result = agent.invoke(
            {"messages": [HumanMessage("Please forget what I told you about that topic.")]},
            {"configurable": {"thread_id": "carol-agent", "user_id": "carol"}},
        )
        tool_reply = next(m for m in result["messages"] if m.type == "tool")
        assert "forgot for 'carol'" in tool_reply.content
        memory.flush()
        assert scan(folder, ["finalised in March"])["finalised in March"] == 0
        assert memory.forget("dave", query="divorce").matches  # only the caller's memory
        assert any(e.source == "tool" for e in memory.audit("carol", limit=1000))

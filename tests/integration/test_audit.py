"""The audit log: one row per write, delete, forget (and opt-in recall), never any content.

Real SQLite files (and a SIGKILLed writer process); the model is the offline rules.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from langmem_plugin import Memory
from langmem_plugin._audit import audit_source
from langmem_plugin.cli import main
from tests.integration._forget_data import seed

REPO = Path(__file__).resolve().parents[2]
TOKEN = "zqaudittok"


def _open(path: Path, **kwargs: Any) -> Any:
    return Memory.from_path(path, **kwargs)


def _audit_rows(memory: Any) -> list[tuple[Any, ...]]:
    return memory.store._db.query(f"SELECT * FROM {memory.audit_log.table}")


def test_every_path_is_recorded_with_its_label_and_no_content(tmp_path: Path) -> None:
    with _open(tmp_path / "m") as memory:
        seed(memory, "alice", TOKEN)  # ingest, graph nodes, tool, reflect_on
        memory.store.put(("memories", "alice"), "by-api", {"content": f"{TOKEN} api"})
        with audit_source("ui"):
            memory.store.delete(("memories", "alice"), "by-api")
        events = memory.audit("alice", limit=10_000)
        rows = _audit_rows(memory)

    sources = {(e.source, e.namespace[0]) for e in events}
    assert ("ingest", "archive") in sources
    assert ("pipeline", "profile") in sources  # the extraction ingest runs
    assert ("pipeline", "episodes") in sources
    assert ("ingest", "profile") not in sources
    assert ("node", "archive") in sources  # the graph's turns, archived in the background
    assert ("tool", "memories") in sources  # save_memory
    assert ("api", "lessons") in sources  # reflect_on called from application code
    put = next(e for e in events if e.key == "by-api" and e.operation == "put")
    gone = next(e for e in events if e.key == "by-api" and e.operation == "delete")
    assert (put.source, gone.source) == ("api", "ui")
    assert put.user_id == "alice"
    archived = [e for e in events if e.namespace == ("archive", "alice", "alice-graph")]
    assert archived
    assert {e.thread_id for e in archived} == {"alice-graph"}
    ingest = [e for e in events if e.source in ("ingest", "pipeline")]
    assert {e.thread_id for e in ingest} >= {"alice-ingest"}
    assert {e.thread_id for e in events if e.source == "ingest"} == {"alice-ingest"}
    # no content: the token is in every kind of memory, never in an audit row
    assert rows
    assert TOKEN not in json.dumps([list(map(str, row)) for row in rows])


def test_cli_writes_are_labelled_cli_and_audit_prints_one_line_per_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "m"
    with _open(folder) as memory:
        memory.ingest([HumanMessage("I love sailing.")], user_id="ada", thread_id="t1")
    assert main(["forget", "ada", "--path", str(folder)]) == 0
    capsys.readouterr()

    assert main(["audit", "ada", "--path", str(folder)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    first = lines[0].split()
    assert datetime.fromisoformat(first[0]).tzinfo is not None
    assert first[1] == "put"
    assert first[2] == "session_owners/t1"  # the session claim, ada's by the ingest
    assert first[3] == "[ingest]"
    assert any(" put archive/ada/t1/" in line and "[ingest]" in line for line in lines)
    assert any(" delete archive/ada/t1/" in line and "[cli]" in line for line in lines)
    assert lines[-1].split()[1:4] == ["forget", "-", "[cli]"]

    assert main(["audit", "ada", "--path", str(folder), "--json", "--limit", "2"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 2
    assert records[-1]["operation"] == "forget"
    assert records[-1]["detail"]["sessions"] == 1
    assert records[-1]["user_id"] == "ada"


def test_recalls_are_recorded_only_when_asked(tmp_path: Path) -> None:
    with _open(tmp_path / "off") as memory:
        memory.ingest([HumanMessage("I live in Lisbon.")], user_id="ada", thread_id="t1")
        assert "Lisbon" in memory.recall_context("ada", "where do I live?")
        assert not [e for e in memory.audit("ada") if e.operation == "recall"]
    with _open(tmp_path / "on", audit_recalls=True) as memory:
        memory.ingest([HumanMessage("I live in Lisbon.")], user_id="ada", thread_id="t1")
        builder = StateGraph(MessagesState)
        builder.add_node(memory.nodes.recall)
        builder.add_node("model", lambda state: {"messages": [AIMessage("ok")]})
        builder.add_edge(START, "recall")
        builder.add_edge("recall", "model")
        memory.compile(builder).invoke(
            {"messages": [HumanMessage("where do I live?")]},
            {"configurable": {"thread_id": "t2", "user_id": "ada"}},
        )
        recalls = [e for e in memory.audit("ada") if e.operation == "recall"]
    assert recalls
    assert {e.thread_id for e in recalls} == {"t2"}
    assert {e.source for e in recalls} == {"node"}
    assert ("profile", "ada") in {e.namespace for e in recalls}
    assert all(e.key for e in recalls)


def test_retention_drops_old_events(tmp_path: Path) -> None:
    with _open(tmp_path / "m", audit_retention_days=1) as memory:
        memory.store.put(("memories", "ada"), "old", {"content": "x"})
        old = (datetime.now(UTC) - timedelta(days=2)).timestamp()
        memory.store._db.transaction(
            lambda c: c.execute(f"UPDATE {memory.audit_log.table} SET at = ?", [old])
        )
        memory.store.put(("memories", "ada"), "new", {"content": "y"})
        assert [e.key for e in memory.audit("ada")] == ["new"]
        since = datetime.now(UTC) - timedelta(hours=1)
        assert [e.key for e in memory.audit("ada", since=since)] == ["new"]
    with pytest.raises(ValueError, match="audit_retention_days"):
        _open(tmp_path / "bad", audit_retention_days=0)


def test_write_path_prunes_too(tmp_path: Path) -> None:
    with _open(tmp_path / "m", audit_retention_days=1) as memory:
        memory.store.put(("memories", "ada"), "old", {"content": "x"})
        old = (datetime.now(UTC) - timedelta(days=2)).timestamp()
        table = memory.audit_log.table
        memory.store._db.transaction(lambda c: c.execute(f"UPDATE {table} SET at = ?", [old]))
        memory.audit_log._last_prune = 0.0  # the hourly pruning is due
        memory.store.put(("memories", "ada"), "new", {"content": "y"})
        keys = [row[0] for row in memory.store._db.query(f"SELECT key FROM {table}")]
    assert keys == ["new"]


_WRITER = """
import sys
sys.path.insert(0, {repo!r})
from langmem_plugin import Memory
memory = Memory.from_path({folder!r}, embeddings={embed!r})
i = 0
while True:
    memory.store.put(("memories", "ada"), f"k{{i}}", {{"content": f"note {{i}}"}})
    print(i, flush=True)
    i += 1
"""


def test_audit_rows_survive_sigkill_with_their_writes(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    _open(folder).close()  # the tables exist before the writer starts
    code = _WRITER.format(repo=str(REPO), folder=str(folder), embed="local")
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert child.stdout is not None
    acked = [int(child.stdout.readline())]
    deadline = time.monotonic() + 60
    while len(acked) < 20 and time.monotonic() < deadline:
        acked.append(int(child.stdout.readline()))
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    with _open(folder) as memory:
        stored = {item.key for item in memory.store.search(("memories", "ada"), limit=10_000)}
        audited = {e.key for e in memory.audit("ada", limit=10_000) if e.operation == "put"}
    assert {f"k{i}" for i in acked} <= stored
    assert stored == audited  # every write has its row, and no row lacks its write


async def test_async_forget_and_audit(tmp_path: Path) -> None:
    with _open(tmp_path / "m") as memory:
        memory.ingest([HumanMessage("I love sailing.")], user_id="ada", thread_id="t1")
        preview = await memory.aforget("ada", query="sailing")
        assert preview.matches
        report = await memory.aforget_user("ada")
        assert report.messages == 1
        events = await memory.aaudit("ada")
    assert events[-1].operation == "forget"


def test_in_memory_memory_has_an_audit_log_too() -> None:
    def embed(texts: list[str]) -> list[list[float]]:
        return [[float(len(t)), 1.0] for t in texts]

    with Memory.in_memory(embeddings=embed, audit_recalls=True) as memory:
        memory.store.put(("memories", "ada"), "k", {"content": "x"})
        events = memory.audit("ada")
    assert [(e.operation, e.namespace, e.key, e.source) for e in events] == [
        ("put", ("memories", "ada"), "k", "api")
    ]


def test_pipeline_writes_are_labelled_pipeline_whoever_runs_it(tmp_path: Path) -> None:
    """The CLI demo runs a graph and ends its session under ``cli``: the extraction's writes
    (profile, episode) say ``pipeline``, not ``cli`` (nor ``api`` from application code)."""
    from langgraph.graph import START, MessagesState, StateGraph

    def chatbot(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("Noted!")]}

    with _open(tmp_path / "m") as memory:
        builder = StateGraph(MessagesState)
        builder.add_node("recall", memory.nodes.recall)
        builder.add_node("chatbot", chatbot)
        builder.add_node("extract_profile", memory.nodes.extract_profile)
        builder.add_edge(START, "recall")
        builder.add_edge("recall", "chatbot")
        builder.add_edge("chatbot", "extract_profile")
        graph = memory.compile(builder)
        config = {"configurable": {"thread_id": "t1", "user_id": "ada"}}
        with audit_source("cli"):
            graph.invoke({"messages": [("user", "Hi, I'm Ada and I live in Lisbon.")]}, config)
            memory.end_session("t1")
            memory.flush()
        events = memory.audit("ada", limit=1000)
    by_kind = {(e.namespace[0], e.source) for e in events}
    assert ("profile", "pipeline") in by_kind
    assert ("episodes", "pipeline") in by_kind
    extracted = {source for kind, source in by_kind if kind not in ("archive", "sessions")}
    assert extracted == {"pipeline"}  # the turns themselves are archived by the node

"""Backup and restore of a whole memory: exports with checkpoints, and ``langmem backup``.

Real files, real SQLite, real PostgreSQL, a real second process holding the folder.
"""

from __future__ import annotations

import json
import operator
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from langmem_plugin import Memory
from langmem_plugin._admin._backup import backup_folder, restore_folder
from langmem_plugin._admin._export import export_memory, import_memory
from langmem_plugin.cli import main
from langmem_plugin.errors import BackupError, FolderInUseError
from tests.integration._backup_writer import counting_graph
from tests.integration._memory_data import assert_same_dump, checkpoints, full_dump, populate

WRITER = Path(__file__).with_name("_backup_writer.py")


class Steps(TypedDict):
    steps: Annotated[list[str], operator.add]


def _approval_graph() -> StateGraph:
    """``prepare`` -> ``ask`` (interrupts for an answer) -> ``finish``."""

    def prepare(state: Steps) -> dict[str, Any]:
        return {"steps": ["prepared"]}

    def ask(state: Steps) -> dict[str, Any]:
        return {"steps": [f"answer: {interrupt('approve?')}"]}

    def finish(state: Steps) -> dict[str, Any]:
        return {"steps": ["finished"]}

    graph = StateGraph(Steps)
    graph.add_node("prepare", prepare)
    graph.add_node("ask", ask)
    graph.add_node("finish", finish)
    graph.add_edge(START, "prepare")
    graph.add_edge("prepare", "ask")
    graph.add_edge("ask", "finish")
    graph.add_edge("finish", END)
    return graph


THREAD = {"configurable": {"thread_id": "approval"}}


def _interrupt_thread(memory: Any) -> None:
    graph = memory.compile(_approval_graph())
    result = graph.invoke({"steps": []}, THREAD)
    assert result["steps"] == ["prepared"]
    assert graph.get_state(THREAD).next == ("ask",)


def _resume(memory: Any) -> list[str]:
    graph = memory.compile(_approval_graph())
    return list(graph.invoke(Command(resume="yes"), THREAD)["steps"])


def _open(kind: str, root: Path, request: pytest.FixtureRequest) -> Any:
    if kind == "sqlite":
        return Memory.from_path(root)
    url = str(request.getfixturevalue("fresh_postgres_url"))
    return Memory.from_url(str(root / "chroma"), url)


# ---------------------------------------------------------------------------- export
@pytest.mark.parametrize(
    ("source_kind", "target_kind"),
    [
        ("sqlite", "sqlite"),
        pytest.param("sqlite", "postgres", marks=pytest.mark.postgres),
        pytest.param("postgres", "sqlite", marks=pytest.mark.postgres),
    ],
)
def test_an_export_carries_the_checkpoints_and_an_interrupted_thread_resumes_after_import(
    source_kind: str, target_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    exported = tmp_path / "export.jsonl"
    with _open(source_kind, tmp_path / "source", request) as source:
        _interrupt_thread(source)
        source.store.put(("memories", "ada"), "tea", {"content": "Ada drinks green tea"})
        counts = source.export(exported)
        want = checkpoints(source.checkpointer)
        assert counts.checkpoints == len(want) > 0
        want_dump = full_dump(source)
        want_final = _resume(source)
    with _open(target_kind, tmp_path / "target", request) as target:
        imported = target.import_from(exported)
        assert imported.checkpoints == counts.checkpoints
        assert checkpoints(target.checkpointer) == want  # ids, parents, values, writes
        assert_same_dump(full_dump(target), want_dump)
        graph = target.compile(_approval_graph())
        assert graph.get_state(THREAD).next == ("ask",)
        assert _resume(target) == want_final == ["prepared", "answer: yes", "finished"]


def test_a_malformed_checkpoint_record_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    from langmem_plugin.errors import ExportFormatError

    exported = tmp_path / "export.jsonl"
    with Memory.from_path(tmp_path / "source") as source:
        _interrupt_thread(source)
        source.store.put(("memories", "ada"), "tea", {"content": "Ada drinks green tea"})
        export_memory(source, exported)
    lines = exported.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[-1])
    broken["checkpoint"]["data"] = "not base64!"
    exported.write_text("\n".join([*lines[:-1], json.dumps(broken)]) + "\n", encoding="utf-8")
    with Memory.from_path(tmp_path / "target") as target:
        with pytest.raises(ExportFormatError, match=rf":{len(lines)}: malformed checkpoint"):
            import_memory(target, exported)
        assert list(target.store.dump()) == []
        assert list(target.checkpointer.list(None)) == []


# ---------------------------------------------------------------------------- backup
@pytest.fixture
def busy_folder(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A memory folder held open and written to by another process."""
    folder = tmp_path / "busy"
    child = subprocess.Popen(
        [sys.executable, str(WRITER), str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield folder, child
    finally:
        if child.poll() is None:
            assert child.stdin is not None
            child.stdin.write("stop\n")
            child.stdin.flush()
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _rounds(child: subprocess.Popen[str], at_least: int) -> int:
    assert child.stdout is not None
    while True:
        line = child.stdout.readline()
        assert line, f"the writer exited early with code {child.wait()}"
        n = int(json.loads(line)["round"])
        if n + 1 >= at_least:
            return n + 1


def test_backup_is_consistent_while_another_process_holds_and_writes_the_memory(
    busy_folder: tuple[Path, subprocess.Popen[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, child = busy_folder
    before = _rounds(child, at_least=5)
    with pytest.raises(FolderInUseError):  # the app holds the folder: no Memory here
        Memory.from_path(folder)
    out = tmp_path / "memory.bak"
    assert main(["backup", str(out), "--path", str(folder), "--progress"]) == 0
    io = capsys.readouterr()
    assert "backed up" in io.out
    assert "backup: 100%" in io.err
    after = _rounds(child, at_least=before + 3)  # the writer never stopped

    restored = tmp_path / "restored"
    assert main(["restore", str(out), "--path", str(restored)]) == 0
    with Memory.from_path(restored) as memory:
        pairs = memory.store.search(("pairs", "u"), limit=100_000)
        numbers: dict[str, set[int]] = {"a": set(), "b": set()}
        for item in pairs:
            numbers[item.key[0]].add(int(item.value["n"]))
        # every batch whole: both halves of each pair, rounds 0..P-1 without a gap
        assert numbers["a"] == numbers["b"] == set(range(len(numbers["a"])))
        stored = len(numbers["a"])
        assert before <= stored < after + 2
        graph = memory.compile(counting_graph())
        state = graph.get_state({"configurable": {"thread_id": "busy"}}).values
        steps = [m.content for m in state["messages"] if m.type == "ai"]
        assert steps == [f"step {i}" for i in range(1, state["count"] + 1)]
        assert state["count"] in {stored - 1, stored}  # the round's checkpoint follows its batch
        resumed = graph.invoke(
            {"messages": [("user", "again")]}, {"configurable": {"thread_id": "busy"}}
        )
        assert resumed["count"] == state["count"] + 1
        hits = memory.store.search(("pairs",), query="left half of pair", limit=5)
        assert hits
        assert all(hit.value["content"].startswith(("left", "right")) for hit in hits)
        assert memory.store.sync_index() == 0  # the index was rebuilt whole at restore


def test_backup_and_restore_reproduce_every_record_and_the_thread_resumes(tmp_path: Path) -> None:
    source_dir = tmp_path / "source"
    with Memory.from_path(source_dir) as source:
        populate(source)
        _interrupt_thread(source)
        want = full_dump(source)
        info = backup_folder(source_dir, tmp_path / "memory.bak")  # while open
        exported = export_memory(source, tmp_path / "memory.jsonl")
        assert info.bytes > 0
        searches = {
            query: [(i.namespace, i.key) for i in source.store.search((), query=query, limit=5)]
            for query in ("skiing", "where is the key hidden?", "weather in Lisbon")
        }
    report = restore_folder(tmp_path / "memory.bak", tmp_path / "copy")
    # export and restore count the same things the same way
    assert report.counts == exported
    assert report.counts.items + report.counts.sessions + report.counts.messages > 0
    assert report.counts.checkpoints > 0
    assert report.vectors > 0
    with Memory.from_path(tmp_path / "copy") as copy:
        assert_same_dump(full_dump(copy), want)
        for query, hits in searches.items():
            assert [
                (i.namespace, i.key) for i in copy.store.search((), query=query, limit=5)
            ] == hits
        assert _resume(copy) == ["prepared", "answer: yes", "finished"]


def test_restore_never_overwrites_and_refuses_what_is_not_a_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Memory.from_path(tmp_path / "source") as source:
        source.store.put(("memories", "ada"), "tea", {"content": "Ada drinks green tea"})
    backup_folder(tmp_path / "source", tmp_path / "memory.bak")
    with pytest.raises(BackupError, match="already holds a memory"):
        restore_folder(tmp_path / "memory.bak", tmp_path / "source")
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["restore", str(tmp_path / "notes.txt"), "--path", str(tmp_path / "x")]) == 2
    assert "is not a langmem backup" in capsys.readouterr().err
    assert main(["backup", str(tmp_path / "o.bak"), "--path", str(tmp_path / "nowhere")]) == 2
    assert "no memory at" in capsys.readouterr().err
    assert not (tmp_path / "o.bak").exists()

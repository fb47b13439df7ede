"""Looking at a memory folder that another process holds: read-only stores, CLI and inspector.

A real second process (``tests/integration/_holder.py``) opens the folder with
``Memory.from_path`` and keeps it, as a running app does; these tests read beside it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pytest

from langmem_plugin import ChromaStore, Memory
from langmem_plugin.errors import FolderInUseError, MemoryNotFoundError, ReadOnlyMemoryError
from langmem_plugin.store._engine import EXACT_VECTORS
from tests._support import free_port, langmem_command
from tests.integration._memory_data import ADA_SECRET, populate

ROOT = Path(__file__).resolve().parents[2]


class Holder:
    """The child process holding the folder; ``note`` writes through it and waits."""

    def __init__(self, folder: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration._holder", str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        stdout: IO[str] | None = self.proc.stdout
        assert stdout is not None
        return stdout.readline().strip()

    def note(self, user: str, key: str, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"note {user} {key} {text}\n")
        self.proc.stdin.flush()
        assert self._line() == "ok"

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Holder]]:
    """A populated memory folder, held open by another process."""
    root = tmp_path_factory.mktemp("held") / "memory"
    with Memory.from_path(root) as memory:
        populate(memory)
    holder = Holder(root)
    try:
        yield root, holder
    finally:
        holder.stop()


def langmem(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        langmem_command(*argv), capture_output=True, text=True, timeout=timeout, check=False
    )


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------------- library
def test_a_second_writer_is_refused_and_a_reader_is_not(held: tuple[Path, Holder]) -> None:
    root, _ = held
    with pytest.raises(FolderInUseError, match="read_only=True") as refused:
        Memory.from_path(root)
    assert refused.value.owner.isdigit()
    with Memory.from_path(root, read_only=True) as reader:
        assert reader.read_only
        assert reader.store.get(("memories", "ada"), "secret").value["content"] == ADA_SECRET


def test_each_read_sees_what_the_holder_committed(held: tuple[Path, Holder]) -> None:
    root, holder = held
    with Memory.from_path(root, read_only=True) as reader:
        assert reader.store.get(("memories", "carol"), "boat") is None
        holder.note("carol", "boat", "Carol's boat is called Pequod")
        # the same open reader, no reopen: the next read sees the commit
        item = reader.store.get(("memories", "carol"), "boat")
        assert item is not None
        assert item.value["content"] == "Carol's boat is called Pequod"
        hits = reader.store.search(("memories", "carol"), query="what is her boat called?")
        assert [h.key for h in hits] == ["boat"]
        holder.note("carol", "boat", "Carol sold the Pequod")
        assert reader.store.get(("memories", "carol"), "boat").value["content"] == (
            "Carol sold the Pequod"
        )


def test_a_reader_writes_nothing_and_says_why(held: tuple[Path, Holder]) -> None:
    root, _ = held
    before = snapshot(root / "chroma")
    with Memory.from_path(root, read_only=True) as reader:
        with pytest.raises(ReadOnlyMemoryError, match="'intruder'"):
            reader.store.put(("memories", "ada"), "intruder", {"content": "x"})
        with pytest.raises(ReadOnlyMemoryError, match="read-only"):
            reader.store.delete(("memories", "ada"), "secret")
        with pytest.raises(ReadOnlyMemoryError):
            reader.ingest([("user", "hello")], user_id="ada", thread_id="ro")
        assert reader.stats()["users"] >= 2
        reader.store.search(("memories", "ada"), query="flowerpot")
        assert reader.store.get(("memories", "ada"), "intruder") is None
        assert reader.store.get(("memories", "ada"), "secret") is not None
    assert snapshot(root / "chroma") == before  # Chroma's folder is not even opened


def test_a_missing_folder_is_not_created_by_a_reader(tmp_path: Path) -> None:
    with pytest.raises(MemoryNotFoundError, match="read-only"):
        Memory.from_path(tmp_path / "nothing", read_only=True)
    assert not (tmp_path / "nothing").exists()


def _embed(texts: list[str]) -> list[list[float]]:
    """Deterministic 16-dim vectors spread over the sphere (a seeded RNG per text)."""
    out = []
    for text in texts:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        vec = np.random.default_rng(seed).standard_normal(16)
        out.append((vec / np.linalg.norm(vec)).tolist())
    return out


def test_a_reader_ranks_a_large_scope_exactly_from_sql(tmp_path: Path) -> None:
    """Past EXACT_VECTORS the writer asks HNSW for candidates; the reader scores every row."""
    index: Any = {"dims": 16, "embed": _embed, "fields": ["content"]}
    n = EXACT_VECTORS + 200
    texts = [f"memory number {i}" for i in range(n)]
    with ChromaStore(path=tmp_path / "chroma", index=index) as writer:
        for start in range(0, n, 500):
            writer.batch(
                [
                    _put(("big", "u"), str(i), {"content": texts[i]})
                    for i in range(start, min(n, start + 500))
                ]
            )
        writer.sync_index()
        with ChromaStore(path=tmp_path / "chroma", index=index, read_only=True) as reader:
            query = "which memory?"
            got = reader.search(("big", "u"), query=query, limit=10)
            vectors = np.asarray(_embed(texts))
            scores = vectors @ np.asarray(_embed([query])[0])
            best = np.argsort(-scores, kind="stable")[:10]
            assert [h.key for h in got] == [str(i) for i in best]
            assert [round(h.score or 0, 6) for h in got] == [
                round(float(scores[i]), 6) for i in best
            ]
            listed = writer.search(("big", "u"), query=query, limit=10)
            assert [h.key for h in listed] == [h.key for h in got]


def _put(namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> Any:
    from langgraph.store.base import PutOp

    return PutOp(namespace, key, value)


# ---------------------------------------------------------------------------- command line
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["stats"], "users: "),
        (["users"], "ada"),
        (["sessions", "ada"], "ada-ingest"),
        (["profile", "ada"], "Lisbon"),
        (["search", "ada", "spare key"], "flowerpot"),
        (["audit", "ada", "--limit", "5"], "put "),
        (["tasks", "ada"], "tasks"),
    ],
)
def test_read_commands_work_while_an_app_holds_the_folder(
    held: tuple[Path, Holder], argv: list[str], expected: str
) -> None:
    root, _ = held
    result = langmem(*argv, "--path", str(root))
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert "Traceback" not in result.stderr


def test_export_works_while_an_app_holds_the_folder(
    held: tuple[Path, Holder], tmp_path: Path
) -> None:
    root, _ = held
    result = langmem("export", str(tmp_path / "dump.jsonl"), "--path", str(root))
    assert result.returncode == 0, result.stderr
    assert ADA_SECRET in (tmp_path / "dump.jsonl").read_text()


@pytest.mark.parametrize(
    "argv",
    [["forget", "ada", "--yes"], ["import", "DUMP"], ["ui", "--port", "0"], ["retention"]],
)
def test_write_commands_are_refused_in_one_line(
    held: tuple[Path, Holder], tmp_path: Path, argv: list[str]
) -> None:
    root, _ = held
    dump = tmp_path / "dump.jsonl"
    dump.write_text("")
    result = langmem(*[str(dump) if a == "DUMP" else a for a in argv], "--path", str(root))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"langmem: error: langmem {argv[0]} writes to the memory")
    assert "is held by process" in result.stderr
    assert "ui --read-only" in result.stderr


def test_the_inspector_reads_a_held_folder_with_read_only(held: tuple[Path, Holder]) -> None:
    root, holder = held
    port = free_port()
    proc = subprocess.Popen(
        langmem_command("ui", "--read-only", "--port", str(port), "--path", str(root)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        page = _get(base + "/", proc)
        assert "ada" in page
        assert "read-only" in page
        holder.note("dora", "k", "Dora likes kites")
        assert "dora" in _get(base + "/", proc)  # the next request sees the commit
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _get(url: str, proc: subprocess.Popen[str], timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return str(response.read().decode())
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"inspector did not answer: {out}") from None
            time.sleep(0.3)

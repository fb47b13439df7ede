"""Every ``langmem`` command, given bad arguments or bad paths: one line, exit code 2.

The real console script runs in a subprocess, as a user types it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from langmem_plugin import Memory
from tests._support import langmem_command
from tests.integration._memory_data import populate


@pytest.fixture(scope="module")
def memory_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("errors") / "memory"
    with Memory.from_path(root) as memory:
        populate(memory)
    return root


def langmem(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        langmem_command(*argv), capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert ": error: " in result.stderr
    for text in expected:
        assert text in result.stderr


# (argv, words the line must hold); MEM is the populated folder, TMP a fresh directory
CASES: list[tuple[list[str], list[str]]] = [
    (["nosuchcommand"], ["invalid choice: 'nosuchcommand'", "langmem --help"]),
    (["search", "ada", "--path", "MEM"], ["required: query", "langmem search --help"]),
    (["search", "ada", "tea", "--limit", "abc", "--path", "MEM"], ["not a whole number: 'abc'"]),
    (["search", "ada", "tea", "--limit", "0", "--path", "MEM"], ["at least 1, got 0"]),
    (["audit", "ada", "--since", "yesterday", "--path", "MEM"], ["not an ISO date/time"]),
    (["audit", "ada", "--limit", "-3", "--path", "MEM"], ["at least 1, got -3"]),
    (["tasks", "ada", "--status", "done", "--path", "MEM"], ["invalid choice: 'done'"]),
    (["chat", "--path", "MEM"], ["required: --user"]),
    (["ui", "--port", "99999", "--path", "MEM"], ["port must be 0-65535, got 99999"]),
    (["audit", "nobody", "--path", "MEM"], ["unknown user 'nobody'"]),
    (["profile", "nobody", "--path", "MEM"], ["unknown user 'nobody'"]),
    (["profile", "nobody", "--history", "--path", "MEM"], ["unknown user 'nobody'"]),
    (["sessions", "nobody", "--path", "MEM"], ["unknown user 'nobody'"]),
    (["search", "nobody", "tea", "--path", "MEM"], ["unknown user 'nobody'"]),
    (["tasks", "nobody", "--path", "MEM"], ["unknown user 'nobody'"]),
    (["backup", "TMP/no/such/dir/x.bak", "--path", "MEM"], ["does not exist", "no/such/dir"]),
    (["backup", "TMP", "--path", "MEM"], ["is a folder"]),
    (["backup", "TMP/x.bak", "--path", "TMP/absent"], ["no memory at"]),
    (["restore", "TMP/absent.bak", "--path", "TMP/new"], ["no backup file at"]),
    (["restore", "MEM/checkpoints.sqlite", "--path", "TMP/new"], ["not a langmem backup"]),
    (["export", "TMP/no/such/dir/x.jsonl", "--path", "MEM"], ["does not exist"]),
    (["export", "TMP", "--path", "MEM"], ["is a folder"]),
    (["import", "TMP/absent.jsonl", "--path", "TMP/new"], ["no export file at"]),
    (["config", "--file", "TMP/absent.toml"], ["does not exist"]),
    (["stats", "--path", "MEM/checkpoints.sqlite"], ["is a file; a memory is a folder"]),
    (["demo", "--path", "MEM/checkpoints.sqlite"], ["is a file; a memory is a folder"]),
    (["stats", "--path", "TMP"], ["no memory at", "no chroma/ inside"]),
    (["users", "--path", "TMP/absent"], ["no memory folder at"]),
    (["retention", "--path", "TMP/absent"], ["no memory folder at"]),
    (["forget", "ada", "--path", "TMP/absent"], ["no memory folder at"]),
    (["stats", "--chroma-url", "http://127.0.0.1:9"], ["needs --checkpoint-url"]),
    (["stats", "--chroma-url", "ftp://x", "--checkpoint-url", "TMP/c.sqlite"], ["http(s)"]),
    (["stats", "--checkpoint-url", "mysql://x", "--path", "MEM"], ["mysql://x"]),
]


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_arguments_and_paths_are_one_line_errors(
    memory_folder: Path, tmp_path: Path, argv: list[str], expected: list[str]
) -> None:
    def place(arg: str) -> str:
        return arg.replace("MEM", str(memory_folder)).replace("TMP", str(tmp_path))

    before = sorted(p.name for p in tmp_path.iterdir())
    result = langmem(*(place(a) for a in argv), cwd=tmp_path)
    assert_one_line_error(result, *(place(e) for e in expected))
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing left behind


def test_a_failed_import_removes_the_folders_it_created(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("this is not an export\n")
    result = langmem("import", str(bad), "--path", str(tmp_path / "new" / "deeper"))
    assert_one_line_error(result, "not JSON")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]


def test_a_failed_import_keeps_what_existed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("this is not an export\n")
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my own file")
    result = langmem("import", str(bad), "--path", str(folder))
    assert_one_line_error(result, "not JSON")
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "my own file"


def test_a_failed_import_into_a_memory_leaves_it_whole(memory_folder: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("this is not an export\n")

    def files() -> list[str]:  # SQLite's -wal/-shm come and go with connections
        return sorted(
            p.name for p in memory_folder.iterdir() if not p.name.endswith(("-wal", "-shm"))
        )

    before = files()
    result = langmem("import", str(bad), "--path", str(memory_folder))
    assert_one_line_error(result, "not JSON")
    assert files() == before
    stats = langmem("stats", "--path", str(memory_folder))
    assert stats.returncode == 0
    assert "users: 2" in stats.stdout


def test_a_known_user_without_audit_events_is_not_unknown(memory_folder: Path) -> None:
    result = langmem("audit", "bob", "--limit", "2", "--path", str(memory_folder))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 2

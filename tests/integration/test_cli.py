"""The ``langmem`` command line on real folders (embedded Chroma + SQLite checkpoints)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromadb
import pytest
from chromadb.config import Settings

from langmem_plugin import Memory
from langmem_plugin.cli import build_parser, main, run_chat
from langmem_plugin.testing import ScriptedChatModel
from tests._support import free_port, langmem_command
from tests.integration._memory_data import (
    ADA_SECRET,
    BOB_SECRET,
    assert_same_dump,
    full_dump,
    populate,
)

COMMANDS = ["demo", "chat", "stats", "users", "sessions", "profile", "search", "export"]
COMMANDS += ["import", "forget"]
COMMANDS += ["config", "backup", "restore", "retention"]
COMMANDS += ["tasks"]
COMMANDS += ["audit"]
COMMANDS += ["ui"]
COMMANDS += ["check"]
COMMANDS += ["mcp"]
COMMANDS += ["trends", "health"]
COMMANDS += ["consolidate"]
COMMANDS += ["share", "unshare", "grants", "read"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def make_populated(root: Path) -> dict[str, list[str]]:
    with Memory.from_path(root) as memory:
        return populate(memory)


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A memory folder with two users, closed; read-only commands run on it."""
    root = tmp_path_factory.mktemp("cli") / "memory"
    make_populated(root)
    return root


# ---------------------------------------------------------------------------- help, errors
def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command")
    assert sorted(subcommands.choices) == sorted(COMMANDS)  # type: ignore[union-attr]
    for command in COMMANDS:
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert f"usage: langmem {command}" in out
        assert "--path" in out
        assert "--chroma-url" in out


def test_the_console_script_reports_a_missing_folder_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"
    result = subprocess.run(
        langmem_command("stats", "--path", str(missing)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("langmem: error: no memory folder at")
    assert "Traceback" not in result.stderr
    assert not missing.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["stats"],
        ["users"],
        ["sessions", "ada"],
        ["profile", "ada"],
        ["search", "ada", "tea"],
        ["export", "out.jsonl"],
        ["forget", "ada"],
    ],
)
def test_read_commands_refuse_a_missing_folder_without_creating_it(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "absent"
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv, "--path", str(missing))
    assert code == 2
    assert out == ""
    assert err.startswith(f"langmem: error: no memory folder at '{missing}'")
    assert err.count("\n") == 1
    assert not missing.exists()
    assert not (tmp_path / "out.jsonl").exists()


def test_global_options_work_before_the_command(
    populated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--path", str(populated), "users")
    assert code == 0
    assert "ada" in out


def test_an_unreachable_chroma_server_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(
        capsys, "stats", "--chroma-url", url, "--checkpoint-url", str(tmp_path / "c.sqlite")
    )
    assert code == 2
    assert out == ""
    assert err.startswith("langmem: error: Chroma server at")
    assert url in err
    assert "not reachable" in err
    assert err.count("\n") == 1


def test_an_unreachable_postgres_is_one_line_exit_2(
    populated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    code, out, err = run(capsys, "stats", "--path", str(populated), "--checkpoint-url", url)
    assert code == 2
    assert out == ""
    assert err.startswith("langmem: error: PostgreSQL at")
    assert "not reachable" in err
    assert err.count("\n") == 1


def test_a_chroma_url_needs_a_checkpoint_url(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "users", "--chroma-url", "http://127.0.0.1:1")
    assert code == 2
    assert "needs --checkpoint-url" in err


def test_the_server_options_reach_a_real_chroma_server(
    chroma_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoints = str(tmp_path / "ckpt.sqlite")
    with Memory.from_url(chroma_url, checkpoints) as memory:
        memory.store.put(("memories", "zoe"), "k", {"content": "Zoe grows tomatoes"})
    try:
        code, out, _ = run(
            capsys, "search", "zoe", "vegetables", "--chroma-url", chroma_url,
            "--checkpoint-url", checkpoints,
        )  # fmt: skip
        assert code == 0
        assert "Zoe grows tomatoes" in out
    finally:
        with Memory.from_url(chroma_url, checkpoints) as memory:
            memory.store.delete(("memories", "zoe"), "k")


# ---------------------------------------------------------------------------- inspection
def test_stats_counts_what_is_stored(populated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Memory.from_path(populated) as memory:
        stats = memory.stats()
    code, out, _ = run(capsys, "stats", "--path", str(populated))
    assert code == 0
    assert f"users: {stats['users']}  sessions: {stats['sessions']}" in out
    assert f"messages: {stats['messages']}  threads: {stats['threads']}" in out
    assert f"memories: {sum(stats['memories'].values())} (" in out
    assert stats["users"] == 2


def test_users_lists_each_user_with_counts(
    populated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Memory.from_path(populated) as memory:
        ada_sessions = memory.sessions("ada")
        ada_items = sum(
            len(memory.store.search(ns, limit=1000))
            for ns in memory.store.list_namespaces()
            # the archive's namespaces are counted as sessions and messages
            if len(ns) > 1 and ns[1] == "ada" and ns[0] not in {"archive", "sessions"}
        )
    code, out, _ = run(capsys, "users", "--path", str(populated))
    assert code == 0
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}
    assert set(rows) == {"ada", "bob"}
    assert rows["ada"] == [
        str(ada_items),
        str(len(ada_sessions)),
        str(sum(s.message_count for s in ada_sessions)),
    ]


def test_sessions_lists_only_that_users_sessions(
    populated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "sessions", "ada", "--path", str(populated))
    assert code == 0
    assert "ada-tools  4 messages" in out
    assert "Weather in Lisbon" in out
    assert "ada-ingest" in out
    assert "bob" not in out


def test_profile_and_its_history(populated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "profile", "ada", "--path", str(populated))
    assert code == 0
    assert "Profile of ada" in out
    assert "location: Lisbon" in out
    assert "Oslo" not in out
    code, out, _ = run(capsys, "profile", "ada", "--history", "--path", str(populated))
    assert code == 0
    assert "Profile history of ada" in out
    assert "location: Lisbon" in out


def test_search_finds_the_users_memories_and_messages_and_nobody_elses(
    populated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "search", "ada", "where is the spare key?", "--path", str(populated))
    assert code == 0
    memories = out.split("chat messages:")[0].splitlines()
    assert ADA_SECRET in memories[1]
    code, out, _ = run(capsys, "search", "ada", "locker code", "--path", str(populated))
    assert code == 0
    assert BOB_SECRET not in out
    assert "bob" not in out.lower().replace("'ada'", "")
    code, out, _ = run(capsys, "search", "ada", "sunny weather", "--path", str(populated))
    assert "[ada-tools]" in out.split("chat messages:")[1]


# ---------------------------------------------------------------------------- export/import
def test_export_then_import_into_an_empty_folder_reproduces_the_state(
    populated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump_file, copy = tmp_path / "dump.jsonl", tmp_path / "copy"
    code, out, err = run(capsys, "export", str(dump_file), "--path", str(populated), "--progress")
    assert code == 0
    assert "exported" in out
    assert "export: 100%" in err
    code, out, err = run(capsys, "import", str(dump_file), "--path", str(copy), "--progress")
    assert code == 0
    assert "import: 100%" in err
    with Memory.from_path(populated) as original:
        want = full_dump(original)
    with Memory.from_path(copy) as imported:
        assert_same_dump(full_dump(imported), want)


def test_export_to_stdout(populated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "export", "-", "--path", str(populated), "--no-progress")
    assert code == 0
    assert out.startswith('{"type": "langmem-export"')
    assert ADA_SECRET in out
    assert "exported" in err


def test_import_of_a_missing_or_broken_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "import", str(tmp_path / "nope.jsonl"), "--path", str(tmp_path))
    assert (code, err.count("\n")) == (2, 1)
    assert "no export file" in err
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"type": "langmem-export", "version": 1}\n{"type": "item"}\n')
    code, _, err = run(capsys, "import", str(broken), "--path", str(tmp_path / "m"))
    assert (code, err.count("\n")) == (2, 1)
    assert "broken.jsonl:2" in err


# ---------------------------------------------------------------------------- forget
def _raw_collections(root: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    client = chromadb.PersistentClient(
        path=str(root / "chroma"), settings=Settings(anonymized_telemetry=False)
    )
    for collection in client.list_collections():
        yield collection.name, collection.get(include=["documents", "metadatas"])


def _raw_state(root: Path) -> dict[str, Any]:
    chroma = dict(_raw_collections(root))
    with sqlite3.connect(root / "checkpoints.sqlite") as db:
        threads = {
            table: {row[0] for row in db.execute(f"SELECT DISTINCT thread_id FROM {table}")}
            for table in ("checkpoints", "writes")
        }
    return {"chroma": chroma, "threads": threads}


def _records_of(records: dict[str, Any], user: str) -> list[str]:
    found = []
    for record_id, meta in zip(records["ids"], records["metadatas"], strict=True):
        if meta.get("user_id") == user or user in [meta.get(f"ns{i}") for i in range(4)]:
            found.append(record_id)
    return found


def test_forget_removes_every_trace_of_the_user_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "memory"
    threads = make_populated(root)
    before = _raw_state(root)
    assert all(_records_of(r, "ada") for n, r in before["chroma"].items() if "vectors" not in n)
    assert set(threads["ada"]) <= before["threads"]["checkpoints"]

    code, out, _ = run(capsys, "forget", "ada", "--dry-run", "--path", str(root))
    assert code == 0
    assert "would remove" in out
    assert _raw_state(root) == before

    code, out, _ = run(capsys, "forget", "ada", "--path", str(root))
    assert code == 0
    assert out.startswith("forget 'ada': removed")
    for thread in threads["ada"]:
        assert f"    {thread}\n" in out
    assert "memories/ada: 4" in out
    assert "ada-tools" in out

    after = _raw_state(root)
    for name, records in after["chroma"].items():
        assert _records_of(records, "ada") == [], name
        assert not any(ADA_SECRET in (doc or "") for doc in records["documents"]), name
        assert not any("Lisbon" in (doc or "") for doc in records["documents"]), name
    for table in ("checkpoints", "writes"):
        assert after["threads"][table] == before["threads"][table] - set(threads["ada"])
        assert after["threads"][table] == set(threads["bob"])
    for name, records in before["chroma"].items():
        bob = _records_of(records, "bob")
        assert bob, name
        assert sorted(_records_of(after["chroma"][name], "bob")) == sorted(bob), name

    code, out, _ = run(capsys, "users", "--path", str(root))
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["bob"]


# ---------------------------------------------------------------------------- chat, demo
def test_chat_without_a_model_says_how_to_configure_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("LANGMEM_CHAT_MODEL", raising=False)
    code, out, err = run(capsys, "chat", "--user", "ada", "--path", str(tmp_path / "m"))
    assert code == 2
    assert out == ""
    assert "OPENAI_API_KEY" in err
    assert "--model provider:model" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "m").exists()


def test_chat_loop_remembers_across_sessions(tmp_path: Path) -> None:
    root = tmp_path / "memory"
    printed: list[str] = []
    lines = iter(["I'm Ada and I live in Lisbon.", "/profile", "I like rowing.", "/quit"])
    with Memory.from_path(root) as memory:
        model = ScriptedChatModel(script=[], default="Noted.")
        turns = run_chat(
            memory, model, user_id="ada", session_id="s1",
            read=lambda _: next(lines), write=printed.append,
        )  # fmt: skip
        assert turns == 2
        assert printed.count("assistant> Noted.") == 2
        assert [s.session_id for s in memory.sessions("ada")] == ["s1"]
        assert memory.profile("ada").value("location") == "Lisbon"

    def eof(_: str) -> str:
        raise EOFError

    second = iter(["Where do I live?"])
    with Memory.from_path(root) as memory:
        model = ScriptedChatModel(script=[], default="In Lisbon.")
        run_chat(
            memory, model, user_id="ada", session_id="s2",
            read=lambda p: next(second, None) or eof(p), write=printed.append,
        )  # fmt: skip
        seen = "\n".join(str(m.content) for m in model.inputs[0])
        assert "Lisbon" in seen
        assert {s.session_id for s in memory.sessions("ada")} == {"s1", "s2"}


def test_demo_runs_offline_under_a_minute_and_shows_what_was_remembered(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    started = time.monotonic()
    result = subprocess.run(
        langmem_command("demo"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 60
    out = result.stdout
    assert "location: Lisbon" in out
    assert "Relevant earlier conversations" in out
    assert "thread monday" in out
    assert list(tmp_path.iterdir()) == [], "the demo writes to a temporary folder, not cwd"

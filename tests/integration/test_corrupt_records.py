"""One damaged record in an encrypted memory must not take the rest of the memory down.

Each test builds a real encrypted memory (SQLite + embedded Chroma, or PostgreSQL + a
``chroma run`` server), closes it, alters bytes of one row in the real database with
``sqlite3``/``psycopg`` (see ``_tamper``), reopens it and checks that: the other records
are all read, searched, recalled and exported; the damaged one is named in a warning, an
audit event and ``langmem check``, never its content; a ``get`` of it raises
``CorruptRecordError``; writing the key again, or deleting it, repairs it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langmem_plugin import Memory
from langmem_plugin._admin._export import export_memory
from langmem_plugin.errors import CorruptRecordError, EncryptionKeyError
from langmem_plugin.store._crypto import ENV_VAR
from tests._support import HashEmbeddings
from tests.integration import _tamper
from tests.integration.test_privacy import RecordingEmbeddings, config, echo_builder

KEY = "correct horse battery staple"
SECRET = "zebracornflux"  # in the damaged note: must appear in no message, log or export
NOTE = ("memories", "ada")
CHAT = ("archive", "ada", "chat")


def open_memory(root: Path) -> Memory:
    return Memory.from_path(root, embeddings=RecordingEmbeddings(), encryption_key=KEY)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """An encrypted memory of two users, closed; with the keys of ada's chat messages."""
    root = tmp_path_factory.mktemp("pristine") / "mem"
    with open_memory(root) as memory:
        memory.ingest(
            [
                HumanMessage("My name is Ada. I live in Paris."),
                AIMessage("Noted, Ada from Paris."),
            ],
            user_id="ada",
            thread_id="s1",
        )
        chat = memory.history("chat", user_id="ada")
        for text in ("first about tea", "second about chess", "third about rowing"):
            chat.add_user_message(text)
        memory.store.put(NOTE, "secret", {"content": f"ada's locker code {SECRET}"})
        memory.store.put(NOTE, "tea", {"content": "ada likes green tea"})
        memory.store.put(NOTE, "chess", {"content": "ada plays chess on sundays"})
        memory.store.put(("memories", "bob"), "b1", {"content": "bob likes tea too"})
        graph = memory.compile(echo_builder())
        graph.invoke({"messages": [HumanMessage("thread one")]}, config("g1"))
        graph.invoke({"messages": [HumanMessage("thread two")]}, config("g2"))
        memory.flush()
        turns = {i.value["content"]: i.key for i in memory.store.search(CHAT, limit=10)}
    return root, turns


@pytest.fixture
def damaged(pristine: tuple[Path, dict[str, Any]], tmp_path: Path) -> Path:
    """A copy with three damaged rows: a flipped bit in ada's secret note, the sealed value
    of her ``name`` fact copied onto her ``location`` fact, and a chat message truncated."""
    source, turns = pristine
    root = tmp_path / "mem"
    shutil.copytree(source, root)
    db = root / "checkpoints.sqlite"
    _tamper.tamper(db, NOTE, "secret", _tamper.flip)
    _tamper.move(db, (("profile", "ada"), "name"), (("profile", "ada"), "location"))
    _tamper.tamper(db, CHAT, turns["second about chess"], _tamper.truncate)
    return root


DAMAGED = {
    ("memories", "ada", "secret"),
    ("profile", "ada", "location"),
    ("archive", "ada", "chat"),  # key: the truncated message's id
}


def named(found: Any) -> set[tuple[str, ...]]:
    """``(*namespace, key)`` of corrupt items, chat messages without their key."""
    out = set()
    for item in found:
        out.add(tuple(item.namespace) if item.namespace == CHAT else (*item.namespace, item.key))
    return out


# ---------------------------------------------------------------------------- reads
def test_reads_that_span_many_items_skip_the_damaged_ones(
    damaged: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="langmem_plugin.store")
    with open_memory(damaged) as memory:
        store = memory.store
        assert [i.key for i in store.search(NOTE)] == ["tea", "chess"]
        assert [i.key for i in store.search(NOTE, query="ada locker tea")][:2] == ["tea", "chess"]
        everything = store.search((), limit=100)  # the root prefix, as the bug report did
        assert {(*i.namespace, i.key) for i in everything} >= {
            ("memories", "ada", "tea"),
            ("memories", "bob", "b1"),
            ("profile", "ada", "name"),
        }
        assert not {(*i.namespace, i.key) for i in everything} & DAMAGED
        assert [i.key for i in store.search(NOTE, filter={"content": "ada likes green tea"})] == [
            "tea"
        ]
        assert [i.key for i in store.search(("memories",), query="tea")] == ["tea", "b1", "chess"]

        text = memory.recall_context("ada", "where do I live and what is my name?")
        assert "\n- name: Ada (since" in text
        assert "- location:" not in text  # the damaged fact
        assert "User: My name is Ada. I live in Paris." in text  # the archive still recalled
        assert SECRET not in text
        chat = [m.content for m in memory.history("chat", user_id="ada").messages]
        assert chat == ["first about tea", "third about rowing"]
        assert memory.profile("ada").facts[0].category == "name"
        stats = memory.stats()
        assert stats["memories"]["memories"] == 3  # tea, chess, b1
        assert stats["messages"] == 2 + 2  # s1's two turns, chat's two readable ones
    warnings = [r.getMessage() for r in caplog.records if "corrupt item" in r.getMessage()]
    assert any("'secret'" in w and "('memories', 'ada')" in w for w in warnings)
    assert any("'location'" in w for w in warnings)
    assert not any(SECRET in w or "Paris" in w for w in warnings)
    assert len([w for w in warnings if "'secret'" in w]) == 1  # once per process


def test_a_get_of_the_damaged_item_raises_and_names_it(damaged: Path) -> None:
    with open_memory(damaged) as memory:
        with pytest.raises(CorruptRecordError, match=r"'secret'.*\('memories', 'ada'\)") as error:
            memory.store.get(NOTE, "secret")
        assert error.value.namespace == NOTE
        assert error.value.key == "secret"
        assert "authentication failed" in error.value.reason
        assert SECRET not in str(error.value)
        with pytest.raises(CorruptRecordError, match="location"):
            memory.store.get(("profile", "ada"), "location")  # sealed for "name": the AD binds
        assert memory.store.get(NOTE, "tea").value == {"content": "ada likes green tea"}  # type: ignore[union-attr]
        assert memory.store.get(NOTE, "absent") is None


def test_damaged_items_are_audited_without_content(damaged: Path) -> None:
    with open_memory(damaged) as memory:
        memory.store.search(NOTE)
        memory.store.search(NOTE)  # a second read does not audit again
        events = [e for e in memory.audit("ada", limit=1000) if e.operation == "corrupt"]
    assert [(e.namespace, e.key) for e in events] == [(NOTE, "secret")]
    assert "authentication failed" in (events[0].detail or {})["reason"]
    assert SECRET not in json.dumps(events[0].to_json())


def test_the_inspector_pages_skip_damaged_items(damaged: Path) -> None:
    from langmem_plugin.ui._data import agent_view, list_user_rows, search_memories, user_page

    with open_memory(damaged) as memory:
        rows = {row.user_id: row for row in list_user_rows(memory)}
        assert set(rows) == {"ada", "bob"}
        page = user_page(memory, "ada")
        assert {n.key for n in page.notes} == {"chess", "tea"}
        assert [f.category for f in page.facts] == ["name"]
        chat = next(turns for info, turns in page.sessions if info.session_id == "chat")
        assert [t.value["content"] for t in chat] == ["first about tea", "third about rowing"]
        hits = search_memories(memory, "ada", "locker code tea")
        assert all(hit.key != "secret" for section in hits.values() for hit in section)
        assert any(hit.key == "tea" for section in hits.values() for hit in section)
        assert SECRET not in json.dumps(str(agent_view(memory, "ada", "what is my locker code?")))


@pytest.mark.parametrize(
    ("key", "how"), [(KEY, _tamper.flip), (None, _tamper.garbage)], ids=["encrypted", "plain"]
)
def test_paging_sees_every_readable_item_once(
    tmp_path: Path, key: str | None, how: Callable[[str], str]
) -> None:
    """A corrupt row holds no place in a page: ``offset += len(page)`` misses nothing."""
    from langmem_plugin._paging import search_all

    def reopen() -> Memory:
        return Memory.from_path(root, embeddings=RecordingEmbeddings(), encryption_key=key)

    root = tmp_path / "mem"
    with reopen() as memory:
        for i in range(10):
            memory.store.put(NOTE, f"k{i}", {"content": f"note {i}"})
    for name in ("k0", "k3", "k4"):
        _tamper.tamper(root / "checkpoints.sqlite", NOTE, name, how)
    want = ["k1", "k2", "k5", "k6", "k7", "k8", "k9"]
    with reopen() as memory:  # a fresh process: no row was read before these pages
        assert [i.key for i in memory.store.search(NOTE, limit=2, offset=2)] == ["k5", "k6"]
        assert [i.key for i in memory.store.search(NOTE, limit=3, offset=6)] == ["k9"]
        assert memory.store.search(NOTE, limit=3, offset=7) == []
    with reopen() as memory:
        for size in (1, 2, 3, 4, 100):
            assert [i.key for i in search_all(memory.store, NOTE, page_size=size)] == want


def test_vector_search_over_a_large_scope_skips_damaged_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The HNSW path (scopes above ``EXACT_VECTORS``), forced with a small threshold."""
    from langmem_plugin.store import _engine

    root = tmp_path / "mem"
    with open_memory(root) as memory:
        for i in range(8):
            memory.store.put(NOTE, f"k{i}", {"content": f"tea note {i}"})
        memory.store.sync_index()  # in Chroma's HNSW index, not only in SQL
    _tamper.tamper(root / "checkpoints.sqlite", NOTE, "k2", _tamper.flip)
    monkeypatch.setattr(_engine, "EXACT_VECTORS", 2)
    with open_memory(root) as memory:
        found = [i.key for i in memory.store.search(NOTE, query="tea note 2", limit=10)]
    assert sorted(found) == ["k0", "k1", "k3", "k4", "k5", "k6", "k7"]


@pytest.mark.parametrize("how", list(_tamper.TAMPERS))
def test_every_kind_of_damage_is_skipped_named_and_raised(tmp_path: Path, how: str) -> None:
    root = tmp_path / "mem"
    with open_memory(root) as memory:
        memory.store.put(NOTE, "a", {"content": "first"})
        memory.store.put(NOTE, "b", {"content": "second"})
    _tamper.tamper(root / "checkpoints.sqlite", NOTE, "a", _tamper.TAMPERS[how])
    with open_memory(root) as memory:
        assert [i.key for i in memory.store.search(NOTE)] == ["b"]
        assert [i.key for i in memory.store.search(NOTE, query="first")] == ["b"]
        with pytest.raises(CorruptRecordError, match="'a'"):
            memory.store.get(NOTE, "a")
        report = memory.check()
    assert [(c.namespace, c.key) for c in report.corrupt_items] == [(NOTE, "a")]
    assert not report.ok


# ---------------------------------------------------------------------------- writes
def test_writes_work_around_a_damaged_item_and_rewriting_or_deleting_it_repairs_it(
    damaged: Path,
) -> None:
    with open_memory(damaged) as memory:
        memory.store.put(NOTE, "new", {"content": "written beside a damaged row"})
        assert memory.store.get(NOTE, "new") is not None
        memory.store.put(NOTE, "secret", {"content": "a new locker code"})
        assert memory.store.get(NOTE, "secret").value == {"content": "a new locker code"}  # type: ignore[union-attr]
        memory.store.delete(("profile", "ada"), "location")
        assert memory.store.get(("profile", "ada"), "location") is None
        memory.store.put(("profile", "ada"), "location", {"category": "x"})  # writable again
        memory.store.delete(("profile", "ada"), "location")
        remaining = memory.check().corrupt_items
    assert [(c.namespace, c.key) for c in remaining] == [(CHAT, c.key) for c in remaining]
    assert len(remaining) == 1


def test_the_inspector_forgets_a_damaged_item(damaged: Path) -> None:
    from langmem_plugin.ui._data import forget_item

    with open_memory(damaged) as memory:
        assert forget_item(memory, "ada", NOTE, "secret") is True
        assert memory.store.get(NOTE, "secret") is None


def test_forgetting_a_user_deletes_their_damaged_rows_too(damaged: Path) -> None:
    """A tampered GCM ciphertext still holds the user's text (CTR mode): it must go."""
    db = damaged / "checkpoints.sqlite"
    with open_memory(damaged) as memory:
        memory.forget_user("ada")
    rows = _tamper._run(db, f"SELECT ns, key FROM {_tamper.items_table()}", [])
    assert {str(ns).split("\x1f")[1] for ns, _ in rows if "\x1f" in str(ns)} == {"bob"}
    with open_memory(damaged) as memory:
        assert memory.check().corrupt_items == []
        assert [i.key for i in memory.store.search(("memories", "bob"))] == ["b1"]


# ---------------------------------------------------------------------------- check, export
def test_check_lists_exactly_the_damaged_records(damaged: Path) -> None:
    with open_memory(damaged) as memory:
        report = memory.check()
    assert named(report.corrupt_items) == DAMAGED
    assert report.items > 10
    assert report.checkpoints > 0
    assert report.corrupt_checkpoints == []
    text = report.render()
    assert "3 corrupt" in text
    assert "memories/ada/secret: authentication failed" in text
    assert SECRET not in text


def test_export_writes_everything_else_and_names_what_it_skipped(
    damaged: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export.jsonl"
    with open_memory(damaged) as memory:
        counts = export_memory(memory, out)
    assert named(counts.skipped_items) == DAMAGED
    assert len(counts.skipped) == 3
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["counts"] == {
        "items": counts.items,
        "sessions": counts.sessions,
        "messages": counts.messages,
        "checkpoints": counts.checkpoints,
    }
    items = {(*r["namespace"], r["key"]) for r in lines if r["type"] == "item"}
    assert ("memories", "ada", "tea") in items
    assert ("memories", "bob", "b1") in items
    assert ("profile", "ada", "name") in items
    assert len([i for i in items if i[:3] == CHAT]) == 2
    assert not items & {("memories", "ada", "secret"), ("profile", "ada", "location")}
    assert SECRET not in out.read_text()
    with Memory.from_path(tmp_path / "copy", embeddings=RecordingEmbeddings()) as copy:
        copy.import_from(out)  # what was exported imports
        assert [i.key for i in copy.store.search(NOTE)] == ["tea", "chess"]


# ---------------------------------------------------------------------------- checkpoints
def test_a_damaged_checkpoint_fails_only_its_own_thread(damaged: Path, tmp_path: Path) -> None:
    assert _tamper.tamper_checkpoint(damaged / "checkpoints.sqlite", "g1") > 0
    with open_memory(damaged) as memory:
        graph = memory.compile(echo_builder())
        state = graph.invoke({"messages": [HumanMessage("again")]}, config("g2"))
        assert [m.content for m in state["messages"]][-2:] == ["again", "noted: again"]
        with pytest.raises(CorruptRecordError, match="checkpoint"):
            graph.invoke({"messages": [HumanMessage("again")]}, config("g1"))
        assert memory.stats()["threads"] == 1  # g2; g1, every checkpoint damaged, left out
        report = memory.check()
        counts = export_memory(memory, tmp_path / "out.jsonl")
    assert {c.thread_id for c in report.corrupt_checkpoints} == {"g1"}
    assert {c.thread_id for c in counts.skipped_checkpoints} == {"g1"}
    records = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    threads = {r["thread_id"] for r in records if r["type"] == "checkpoint"}
    assert "g2" in threads
    assert "g1" not in threads


def test_a_damaged_checkpoint_on_postgres_fails_only_its_own_thread(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    """PostgresSaver keeps channel values in their own blobs: one of them damaged."""

    def reopen() -> Memory:
        return Memory.from_url(
            str(tmp_path / "chroma"),
            fresh_postgres_url,
            embeddings=RecordingEmbeddings(),
            encryption_key=KEY,
        )

    with reopen() as memory:
        graph = memory.compile(echo_builder())
        graph.invoke({"messages": [HumanMessage("thread one")]}, config("g1"))
        graph.invoke({"messages": [HumanMessage("thread two")]}, config("g2"))
    assert _tamper.tamper_postgres_blobs(fresh_postgres_url, "g1") > 0
    with reopen() as memory:
        graph = memory.compile(echo_builder())
        state = graph.invoke({"messages": [HumanMessage("again")]}, config("g2"))
        assert [m.content for m in state["messages"]][-2:] == ["again", "noted: again"]
        with pytest.raises(CorruptRecordError, match="checkpoint"):
            graph.get_state(config("g1"))
        report = memory.check()
        counts = export_memory(memory, tmp_path / "out.jsonl")
    assert {c.thread_id for c in report.corrupt_checkpoints} == {"g1"}
    assert {c.thread_id for c in counts.skipped_checkpoints} == {"g1"}
    assert counts.checkpoints > 0  # g2's


# ---------------------------------------------------------------------------- meta table
def test_a_damaged_meta_table_fails_at_open_and_writes_nothing(
    pristine: Any, tmp_path: Path
) -> None:
    from tests.integration.test_privacy import digest

    source, _ = pristine
    cases: list[tuple[str, str | None, type[Exception], str]] = [
        ("kdf", "{not json", CorruptRecordError, "'kdf' row .* is malformed"),
        ("kdf", json.dumps({"alg": "scrypt", "n": 2**40, "r": 8, "p": 1, "salt": "AA=="}),
         CorruptRecordError, "malformed"),
        ("kdf", None, CorruptRecordError, "'kdf' row .* is missing but the store is encrypted"),
        ("key_check", None, CorruptRecordError, "'key_check' row .* is missing"),
        ("key_check", "enc1:AAAA", EncryptionKeyError, "wrong encryption key .* key check row"),
    ]  # fmt: skip
    for i, (row, value, error, message) in enumerate(cases):
        root = tmp_path / f"m{i}"
        shutil.copytree(source, root)
        _tamper.set_meta(root / "checkpoints.sqlite", row, value)
        before = digest(root)
        with pytest.raises(error, match=message):
            open_memory(root)
        assert digest(root) == before, row
        if row == "kdf" and value is None:  # nor does it open as a plaintext store
            with pytest.raises(CorruptRecordError, match="missing"):
                Memory.from_path(root, embeddings=RecordingEmbeddings())
            assert digest(root) == before


# ---------------------------------------------------------------------------- command line
@pytest.fixture
def cli_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A memory with the default embeddings (what the CLI opens), one note damaged."""
    monkeypatch.setenv(ENV_VAR, KEY)
    root = tmp_path / "mem"
    with Memory.from_path(root) as memory:
        memory.store.put(NOTE, "secret", {"content": f"locker {SECRET}"})
        memory.store.put(NOTE, "tea", {"content": "ada likes tea"})
    _tamper.tamper(root / "checkpoints.sqlite", NOTE, "secret", _tamper.garbage)
    return root


def test_cli_check_and_export_report_the_damage_with_exit_code_1(
    cli_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from langmem_plugin.cli import main

    assert main(["check", "--path", str(cli_root)]) == 1
    out = capsys.readouterr().out
    assert "1 corrupt" in out
    assert "corrupt item memories/ada/secret: not base64" in out
    target = tmp_path / "out.jsonl"
    assert main(["export", str(target), "--path", str(cli_root)]) == 1
    captured = capsys.readouterr()
    assert "skipped 1 corrupt records" in captured.out
    assert "langmem: skipped corrupt memories/ada/secret" in captured.err
    assert '"tea"' in target.read_text()
    assert SECRET not in captured.out + captured.err + target.read_text()
    assert main(["search", "ada", "tea", "--path", str(cli_root)]) == 0
    assert "ada likes tea" in capsys.readouterr().out

    backup = tmp_path / "mem.bak"  # backup copies bytes: the damage too, nothing fails
    assert main(["backup", str(backup), "--path", str(cli_root)]) == 0
    assert main(["restore", str(backup), "--path", str(tmp_path / "restored")]) == 0
    capsys.readouterr()
    assert main(["check", "--path", str(tmp_path / "restored")]) == 1
    assert "memories/ada/secret" in capsys.readouterr().out

    with Memory.from_path(cli_root) as memory:
        memory.store.delete(NOTE, "secret")
    assert main(["check", "--path", str(cli_root)]) == 0
    assert "all open" in capsys.readouterr().out


# ---------------------------------------------------------------------------- both backends
def test_damaged_rows_on_both_backends(
    make_store: Callable[..., Any], backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Embedded Chroma + SQLite, and a ``chroma run`` server + PostgreSQL."""
    index: Any = {"dims": 32, "embed": HashEmbeddings()}
    store = make_store(index=index, encryption_key=KEY)
    prefix = store.collection_prefix
    for key in ("a", "b", "c", "d"):
        store.put(NOTE, key, {"content": f"tea note {key}"})
    store.close()
    location: Any = (
        request.getfixturevalue("postgres_url")
        if backend == "server"
        else tmp_path / "chroma" / "store.sqlite3"
    )
    _tamper.tamper(location, NOTE, "a", _tamper.flip, prefix)
    _tamper.tamper(location, NOTE, "c", _tamper.plaintext, prefix)
    _tamper.move(location, (NOTE, "d"), (NOTE, "b"), prefix)
    store = make_store(index=index, collection_prefix=prefix, encryption_key=KEY)
    assert [i.key for i in store.search(NOTE)] == ["d"]
    assert [i.key for i in store.search(NOTE, query="tea note a")] == ["d"]
    assert [i.key for i in store.search(NOTE, filter={"content": "tea note d"})] == ["d"]
    for key in ("a", "b", "c"):
        with pytest.raises(CorruptRecordError, match=f"'{key}'"):
            store.get(NOTE, key)
    assert [i.key for i in asyncio.run(store.asearch(NOTE, query="tea note"))] == ["d"]
    with pytest.raises(CorruptRecordError, match="'a'"):
        asyncio.run(store.aget(NOTE, "a"))
    reasons = {c.key: c.reason for c in store.corrupt_items()}
    assert set(reasons) == {"a", "b", "c"}
    assert reasons["c"].startswith("not encrypted")
    skipped: list[Any] = []
    assert [r.key for r in store.dump(skipped=skipped)] == ["d"]
    assert [c.key for c in skipped] == ["a", "b", "c"]
    store.put(NOTE, "a", {"content": "repaired"})
    store.delete(NOTE, "b")
    assert [i.key for i in store.search(NOTE)] == ["a", "d"]
    assert [c.key for c in store.corrupt_items()] == ["c"]

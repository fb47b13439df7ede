"""Export / import of a whole memory as JSON Lines, on real embedded Chroma and SQLite."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langmem_plugin import Memory
from langmem_plugin._admin._export import export_memory, import_memory
from langmem_plugin.errors import ExportFormatError, SessionOwnershipError
from tests.integration._memory_data import ADA_SECRET, assert_same_dump, full_dump, populate


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A populated memory folder, shared by the tests of this module (read only)."""
    root = tmp_path_factory.mktemp("export-src") / "memory"
    with Memory.from_path(root) as memory:
        populate(memory)
        yield memory


@pytest.fixture(scope="module")
def exported_with_dump(
    source: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    """The export file of ``source`` and a full dump of ``source`` taken with it.

    Tests read ``source`` afterwards, and reads refresh TTLs, so the dump is taken here.
    """
    path = tmp_path_factory.mktemp("export-file") / "memory.jsonl"
    export_memory(source, path)
    return path, full_dump(source)


@pytest.fixture
def exported(exported_with_dump: tuple[Path, dict[str, Any]]) -> Path:
    return exported_with_dump[0]


def test_export_then_import_into_an_empty_folder_reproduces_the_same_state(
    exported_with_dump: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    exported, before = exported_with_dump
    with Memory.from_path(tmp_path / "copy") as copy:
        counts = import_memory(copy, exported)
        after = full_dump(copy)
    archived = [i for i in before["items"] if i[0][0] == "archive"]
    sessions = [i for i in before["items"] if i[0][0] == "sessions"]
    assert counts.messages == len(archived) > 0
    assert counts.sessions == len(sessions) > 0
    assert counts.items == len(before["items"]) - len(archived) - 2 * len(sessions)
    assert_same_dump(after, before)


def test_the_export_holds_every_item_and_the_whole_archive(source: Any, exported: Path) -> None:
    records = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    header, body = records[0], records[1:]
    assert header["type"] == "langmem-export"
    assert header["version"] == 3
    assert {r["type"] for r in body} == {"item", "knowledge", "checkpoint"}
    knowledge = [r for r in body if r["type"] == "knowledge"]
    assert knowledge
    assert all(r["entities"] for r in knowledge)
    checkpoints = [r for r in body if r["type"] == "checkpoint"]
    body = [r for r in body if r["type"] == "item"]
    labels = [r["namespace"][0] for r in body]
    assert header["counts"] == {
        "items": sum(label not in {"archive", "sessions", "session_owners"} for label in labels),
        "sessions": labels.count("sessions"),
        "messages": labels.count("archive"),
        "checkpoints": len(list(source.checkpointer.list(None))),
    }
    assert {r["thread_id"] for r in checkpoints} == {"ada-agent", "bob-agent", "ada-plain"}
    items = {(tuple(r["namespace"]), r["key"]): r for r in body}
    namespaces = {ns for ns, _ in items}
    assert {("memories", "ada"), ("memories", "bob", "work"), ("profile", "ada")} <= namespaces
    assert ("episodes", "bob") in namespaces
    assert (("memories", "ada"), "gone") not in items
    assert items[("memories", "ada"), "secret"]["value"]["content"] == ADA_SECRET
    api = source.store.get(("memories", "ada"), "secret")
    assert items[("memories", "ada"), "secret"]["created_at"] == pytest.approx(
        api.created_at.timestamp(), abs=1e-6
    )
    # The conversation archive: sessions with their titles, every message with its order.
    sessions = {r["key"]: r["value"] for r in body if r["namespace"][0] == "sessions"}
    assert sessions["ada-tools"]["title"] == "Weather in Lisbon"
    assert {s["user_id"] for s in sessions.values()} == {"ada", "bob"}
    tools = sorted(
        (r["value"] for r in body if r["namespace"] == ["archive", "ada", "ada-tools"]),
        key=lambda value: value["seq"],
    )
    assert [v["seq"] for v in tools] == [0, 1, 2, 3]
    assert [v["role"] for v in tools] == ["user", "assistant", "tool", "assistant"]
    assert json.loads(tools[1]["message"])["data"]["tool_calls"]
    tool_call_only = items[("archive", "ada", "ada-tools"), _key_of(body, tools[1])]
    assert tool_call_only["indexed"] is False  # no text: nothing to embed
    ingested = [r for r in body if r["namespace"] == ["archive", "bob", "bob-ingest"]]
    assert len(ingested) == 2


def _key_of(body: list[dict[str, Any]], value: dict[str, Any]) -> str:
    return next(r["key"] for r in body if r.get("value") == value)


def test_an_imported_memory_answers_searches_like_the_original(
    source: Any, exported: Path, tmp_path: Path
) -> None:
    with Memory.from_path(tmp_path / "copy") as copy:
        import_memory(copy, exported)
        for namespace, query in [
            (("memories", "ada"), "where is the key hidden?"),
            (("profile", "ada"), "which city?"),
            (("archive", "bob"), "skiing"),
            ((), "skiing"),
        ]:
            want = source.store.search(namespace, query=query, limit=4)
            got = copy.store.search(namespace, query=query, limit=4)
            assert [(i.namespace, i.key, i.value) for i in got] == [
                (i.namespace, i.key, i.value) for i in want
            ]
            assert [i.score for i in got] == pytest.approx([i.score for i in want], abs=1e-5)
        got_hits = copy.history("ada-tools", user_id="ada").search("sunny weather", k=3)
        want_hits = source.history("ada-tools", user_id="ada").search("sunny weather", k=3)
        assert [(h.message, h.session_id) for h in got_hits] == [
            (h.message, h.session_id) for h in want_hits
        ]
        assert "sunny" in got_hits[0].message.text
        assert str(copy.profile("ada")) == str(source.profile("ada"))


def test_a_version_1_export_still_imports_into_the_archive(tmp_path: Path) -> None:
    human = {"type": "human", "data": {"content": "I sail on Sundays", "id": "m1"}}
    ai = {"type": "ai", "data": {"content": "Lovely!", "id": "m2"}}
    lines = [
        {"type": "langmem-export", "version": 1, "exported_at": 1.0, "counts": {}},
        {"type": "session", "session_id": "s1", "user_id": "ada", "created_at": 1.0,
         "last_active": 2.0, "title": "Sailing", "summary": None},
        {"type": "message", "id": "r2", "session_id": "s1", "user_id": "ada",
         "seq": 900, "writer": "w", "ts": 1_700_000_001.0, "message": ai},
        {"type": "message", "id": "r1", "session_id": "s1", "user_id": "ada",
         "seq": 100, "writer": "w", "ts": 1_700_000_000.0, "message": human},
    ]  # fmt: skip
    text = "\n".join(json.dumps(line) for line in lines) + "\n"
    with Memory.in_memory() as target:
        counts = import_memory(target, io.StringIO(text))
        assert (counts.items, counts.sessions, counts.messages) == (0, 1, 2)
        assert [m.content for m in target.history("s1", user_id="ada").messages] == [
            "I sail on Sundays",
            "Lovely!",
        ]
        first = target.store.get(("archive", "ada", "s1"), "m1")
        assert first is not None
        assert (first.value["seq"], first.value["occurred_at"]) == (
            0,
            "2023-11-14T22:13:20+00:00",
        )
        assert target.sessions("ada")[0].title == "Sailing"
        hits = target.history("s1", user_id="ada").search("boats at the weekend", k=1)
        assert hits[0].message.content == "I sail on Sundays"


def test_a_malformed_line_names_the_line_and_writes_nothing(exported: Path, tmp_path: Path) -> None:
    lines = exported.read_text(encoding="utf-8").splitlines()
    bad_line = json.loads(lines[3])
    bad_line["namespace"] = ["memories", 42]
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([*lines[:3], json.dumps(bad_line), *lines[4:]]) + "\n")
    with Memory.from_path(tmp_path / "target") as target:
        with pytest.raises(ExportFormatError, match=r"broken\.jsonl:4: .*42"):
            import_memory(target, broken)
        assert target.store.search((), limit=10) == []
        assert target.stats()["messages"] == 0
        assert target.stats()["sessions"] == 0


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "empty file"),
        ('{"type": "item"}\n', "header"),
        ('{"type": "langmem-export", "version": 99}\n', "version"),
        ('{"type": "langmem-export", "version": 2}\nnot json\n', r":2: not JSON"),
        ('{"type": "langmem-export", "version": 1}\n{"type": "thing"}\n', "unknown record"),
        (
            '{"type": "langmem-export", "version": 1}\n'
            '{"type": "item", "namespace": ["a"], "key": "k", "value": [1], '
            '"created_at": 1, "updated_at": 1}\n',
            r"item record, 'value': Input should be a valid dictionary, got \[1\]",
        ),
        (
            '{"type": "langmem-export", "version": 3}\n'
            '{"type": "item", "namespace": ["langgraph", "x"], "key": "k", "value": {}, '
            '"created_at": 1, "updated_at": 1}\n',
            r"'namespace': invalid namespace",
        ),
        (
            '{"type": "langmem-export", "version": 3}\n'
            '{"type": "item", "namespace": ["a"], "key": "k", "value": {}, '
            '"created_at": true, "updated_at": 1, "ttl": 0}\n',
            r"'created_at': Input should be a valid number, got True",
        ),
        (
            '{"type": "langmem-export", "version": 1}\n'
            '{"type": "message", "id": "m", "session_id": "s", "user_id": "u", "seq": 1, '
            '"writer": "w", "ts": 1, "message": {"type": "human", "data": {"content": "hi"}}}\n',
            "not declared",
        ),
    ],
)
def test_invalid_files_are_rejected_with_the_offending_value(
    text: str, pattern: str, tmp_path: Path
) -> None:
    with Memory.in_memory() as target:
        with pytest.raises(ExportFormatError, match=pattern):
            import_memory(target, io.StringIO(text))
        assert target.store.search((), limit=10) == []


def test_import_refuses_a_session_owned_by_another_user_and_writes_nothing(
    exported: Path, tmp_path: Path
) -> None:
    with Memory.from_path(tmp_path / "target") as target:
        target.history("ada-tools", user_id="mallory").add_user_message("mine now")
        before = full_dump(target)
        with pytest.raises(SessionOwnershipError, match=r"ada-tools.*mallory"):
            import_memory(target, exported)
        assert_same_dump(full_dump(target), before)  # only mallory's session, unchanged
        assert {item[0][0] for item in before["items"]} == {
            "archive",
            "sessions",
            "session_owners",
        }
        assert target.stats()["messages"] == 1


def test_import_twice_is_idempotent(exported: Path, tmp_path: Path) -> None:
    with Memory.from_path(tmp_path / "target") as target:
        import_memory(target, exported)
        once = full_dump(target)
        import_memory(target, exported)
        assert_same_dump(full_dump(target), once)


def test_export_and_import_show_a_progress_bar_on_stderr_when_asked(
    source: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "out.jsonl"
    counts = export_memory(source, path, progress=True)
    err = capsys.readouterr().err
    assert "export" in err
    assert f"{counts.total}/{counts.total}" in err
    with Memory.in_memory() as target:
        import_memory(target, path, progress=True)
    err = capsys.readouterr().err
    assert "import: 100%" in err


def test_import_into_a_chroma_server_memory_reproduces_the_same_state(
    exported_with_dump: tuple[Path, dict[str, Any]], chroma_url: str, tmp_path: Path
) -> None:
    exported, before = exported_with_dump
    prefix = f"export{uuid.uuid4().hex[:8]}"
    with Memory.from_url(
        chroma_url, str(tmp_path / "ckpt.sqlite"), collection_prefix=prefix
    ) as remote:
        import_memory(remote, exported)
        assert_same_dump(full_dump(remote), before)
        again = tmp_path / "again.jsonl"
        export_memory(remote, again)
    assert _timeless(again) == _timeless(exported)


def _timeless(path: Path) -> list[dict[str, Any]]:
    """The records of an export without item times (an import re-creates the items)."""
    records = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    for record in records:
        record.pop("created_at", None)
        record.pop("updated_at", None)
    return records

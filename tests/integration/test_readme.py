"""The README's code blocks that are meant to run, run as written (offline, in a temp dir).

A block runs when the line before it is ``<!-- runs in tests/integration/test_readme.py -->``.
Blocks that continue an earlier example and use ``memory`` without opening one get a
``Memory.in_memory()``; each block runs in its own empty working directory.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from langmem_plugin import ChromaStore, Memory

README = Path(__file__).resolve().parents[2] / "README.md"
MARK = "<!-- runs in tests/integration/test_readme.py -->"
BLOCK = re.compile(re.escape(MARK) + r"\n```python\n(.*?)\n```", re.DOTALL)


def blocks() -> list[str]:
    return BLOCK.findall(README.read_text())


def run_block(code: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    namespace: dict[str, object] = {"__name__": "readme"}
    given = None
    if "memory." in code and "memory = " not in code:
        given = Memory.in_memory()
        namespace["memory"] = given
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(README), "exec"), namespace)
    finally:
        if given is not None:
            given.close()
    return out.getvalue()


def test_the_marked_blocks_are_the_ones_expected() -> None:
    found = blocks()
    assert len(found) == 10
    assert [b.count("\n") > 3 for b in found] == [True] * 10


def test_the_trends_example_prints_the_rising_topic_and_the_preference_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = next(b for b in blocks() if "memory.trends(" in b)
    out = run_block(code, tmp_path, monkeypatch).splitlines()
    assert out[0] == "['painting'] ['hiking']"
    assert "favorite_drink: tea since 2026-03-22 (was coffee)" in out[1]
    assert out[2].startswith("Topic trends (from session topics): rising: painting")


def test_the_quickstart_keeps_two_messages_of_the_same_length(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = next(b for b in blocks() if "ChromaStore(path=" in b)
    assert len("I like green tea") == len("I like hiking!!!")  # what a length key lost
    folder = re.search(r'ChromaStore\(path="([^"]+)"', code)
    assert folder is not None
    assert not folder.group(1).startswith("./.memory")  # Memory.from_path's own folder
    run_block(code, tmp_path, monkeypatch)
    with ChromaStore(path=tmp_path / folder.group(1)) as store:
        contents = sorted(i.value["content"] for i in store.search(("memories", "alice")))
    assert contents == ["I like green tea", "I like hiking!!!"]


def test_the_four_capabilities_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = next(b for b in blocks() if 'builder.add_node("recall"' in b)
    out = run_block(code, tmp_path, monkeypatch)
    assert "Lisbon" in out
    assert "nurse" in out


def test_the_create_agent_middleware_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = next(b for b in blocks() if "middleware=[memory.middleware()]" in b)
    out = run_block(code, tmp_path, monkeypatch)
    assert "location: Lisbon" in out
    with Memory.from_path(tmp_path / ".memory") as memory:
        [session] = memory.sessions("ada")
        assert session.session_id == "t2"
        assert session.message_count == 2  # the turn and the scripted reply, archived


def test_the_tasks_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = next(b for b in blocks() if "memory.tasks.add(" in b)
    run_block(code, tmp_path, monkeypatch)


def test_the_error_example_catches_a_task_not_found_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = next(b for b in blocks() if "no-such-id" in b)
    out = run_block(code, tmp_path, monkeypatch)
    assert out.strip() == "user 'ada' has no task 'no-such-id'"


def test_the_consolidation_example_merges_the_paraphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = next(b for b in blocks() if 'memory.consolidate("bea")' in b)
    out = run_block(code, tmp_path, monkeypatch).splitlines()
    assert out[0] == "['going hiking', 'hiking']"
    assert out[1].startswith("bea: merged 1 facts")
    assert out[2] == "['hiking']"


def test_the_knowledge_example_shows_the_superseded_employer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = next(b for b in blocks() if "memory.knowledge.apply(" in b)
    out = run_block(code, tmp_path, monkeypatch).splitlines()
    assert out[0].startswith("Lena works at Globex (since ")
    assert any(
        line.startswith("Lena works at Acme Corp (since ") and "until" in line for line in out
    )


def test_the_sharing_example_refuses_eve_and_recalls_the_team_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = next(b for b in blocks() if "memory.access.share" in b)
    out = run_block(code, tmp_path, monkeypatch)
    assert "Ship on Friday" in out
    assert "access denied: user 'eve' may not read team 'research'" in out


def test_the_personas_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = next(b for b in blocks() if 'persona_id="coach"' in b)
    run_block(code, tmp_path, monkeypatch)  # its asserts are the test

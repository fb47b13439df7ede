"""``langmem trends USER`` and ``langmem health`` on a real memory folder (offline)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from langmem_plugin import Memory
from langmem_plugin.cli import main

SESSIONS = [
    ["My favorite drink is coffee.", "Hiking all day, hiking is great."],
    ["The hiking club met again for hiking."],
    ["More hiking this weekend, hiking boots ready."],
    ["My favorite drink is tea now.", "I started painting, painting is fun."],
    ["Painting landscapes, painting with watercolours."],
    ["The painting of the harbour is done, painting every evening."],
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-trends") / "memory"
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with Memory.from_path(root) as memory:
        for n, turns in enumerate(SESSIONS):
            memory.ingest(
                turns, user_id="ada", thread_id=f"s{n}", timestamp=start + timedelta(days=7 * n)
            )
        memory.recall_context("ada", "hiking")
    return root


def test_trends_prints_the_changes_and_topics(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trends", "ada", "--path", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "changed  favorite_drink: tea since 2026-03-22 (was coffee)" in out
    assert "rising  painting (3 of the last 3 sessions, 0 of 3 before)" in out
    assert "fading  hiking" in out
    assert main(["trends", "ada", "--json", "--path", str(folder)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["topic"] for t in data["topics"] if t["direction"] == "rising"] == ["painting"]


def test_trends_of_an_unknown_user_fails_clearly(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trends", "nobody", "--path", str(folder)]) != 0
    assert "unknown user 'nobody'" in capsys.readouterr().err


def test_health_prints_todays_recalls(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--days", "2", "--json", "--path", str(folder)]) == 0
    data = json.loads(capsys.readouterr().out)
    today = data["days"][-1]
    assert today["recalls"] == 1
    assert today["items"] > 0
    assert data["users"] == 1

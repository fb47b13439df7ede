"""The offline demo shows a user's facts and an earlier episode recalled later."""

from __future__ import annotations

from pathlib import Path

import pytest

from langmem_plugin.nodes._demo import run_memory_demo


def test_demo_recalls_facts_and_an_earlier_episode_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # offline: the rules do the work
    printed: list[str] = []
    recall = run_memory_demo(tmp_path / "memory", out=printed.append)
    assert "- location: Lisbon" in recall
    assert "- role: data scientist" in recall
    assert "thread monday: User: Hi, I'm Ada." in recall
    assert "Azores" in recall
    assert "Profile of ada (version 1, 6 facts)" in "\n".join(printed)

"""Checkpoints and histories outlive their process: SQLite and a real PostgreSQL 15.

Each test runs the writer in a child process (tests/integration/_child.py), ends it (or
SIGKILLs it) and checks the state from a new process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langmem_plugin.memory import Memory
from tests.integration import _child

ROOT = Path(__file__).resolve().parents[2]
CHILD = "tests.integration._child"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def locations(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(chroma directory, checkpoint url) on the parametrised checkpoint backend."""
    if request.param == "postgres":
        checkpoints = str(request.getfixturevalue("fresh_postgres_url"))
    else:
        checkpoints = str(tmp_path / "checkpoints.sqlite")
    return str(tmp_path / "chroma"), checkpoints


def run_child(*args: str, timeout: float = 120) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", CHILD, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_graph_resumes_in_a_new_process(locations: tuple[str, str]) -> None:
    chroma, checkpoints = locations
    # Process 1 runs the graph with the async saver until it interrupts, then exits.
    assert run_child("astart", chroma, checkpoints, "thread-1", "please go") == [{"done": True}]
    # Process 2 sees the pending interrupt with the sync saver and resumes it.
    resumed = run_child("resume", chroma, checkpoints, "thread-1", "yes")[-1]
    assert resumed == {
        "count": 1,
        "messages": ["please go", "step 1", "approved: yes"],
        "next": [],
    }
    # This process continues the same thread with a new turn, on top of the old state.
    with Memory.from_url(chroma, checkpoints) as memory:
        compiled = memory.compile(_child.builder(True))
        cfg = {"configurable": {"thread_id": "thread-1"}}
        compiled.invoke({"messages": [HumanMessage("again")]}, cfg)
        values = compiled.get_state(cfg).values
    assert values["count"] == 2
    assert [m.content for m in values["messages"]] == [
        "please go",
        "step 1",
        "approved: yes",
        "again",
        "step 2",
    ]


def test_checkpoints_and_history_survive_sigkill(locations: tuple[str, str]) -> None:
    chroma, checkpoints = locations
    child = subprocess.Popen(
        [sys.executable, "-m", CHILD, "write-forever", chroma, checkpoints, "killed"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acked = -1
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 90
        while acked < 5 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            acked = json.loads(line)["ack"]
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(30)
        assert child.stderr is not None
        stderr = child.stderr.read()
        child.stdout.close()  # type: ignore[union-attr]
        child.stderr.close()
    assert acked >= 5, stderr[-3000:]
    assert child.returncode == -signal.SIGKILL

    with Memory.from_url(chroma, checkpoints) as memory:
        state = memory.checkpointer.get_tuple({"configurable": {"thread_id": "killed"}})
        assert state is not None
        values = state.checkpoint["channel_values"]
        assert values["count"] >= acked + 1
        contents = [m.content for m in values["messages"]]
        for i in range(acked + 1):
            assert f"turn {i}" in contents
        stored = [m.content for m in memory.history("killed", user_id="killed-user").messages]
        expected = [x for i in range(acked + 1) for x in (f"history {i}", f"reply {i}")]
        assert stored[: len(expected)] == expected

"""benchmarks/store_load.py end to end: concurrent threads and processes lose no write.

A short run of the real script (its own ``chroma run`` server on 127.0.0.1, 2 threads then 2
spawned processes, 3 s each): it must exit 0 and report no lost write and no error, after
having really written from both phases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests._support import have_chroma_cli

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "store_load.py"

pytestmark = pytest.mark.server


def test_store_load_threads_and_processes_lose_no_write() -> None:
    if not have_chroma_cli():
        pytest.fail("the chroma command of the chromadb package is missing")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--seconds", "3", "--threads", "2", "--processes", "2"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        check=False,
    )
    output = f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
    lines = proc.stdout.strip().splitlines()
    assert lines, output
    summary = json.loads(lines[-1])

    assert proc.returncode == 0, output
    assert summary["lost"] == 0, output
    assert summary["errors"] == 0, output
    # both phases really wrote and read, so "no lost write" is about real traffic
    for phase in ("threads", "processes"):
        by_op = summary["phases"][phase]["by_op"]
        assert by_op["put"]["n"] > 0, output
        assert by_op["get"]["n"] > 0, output
    assert summary["acknowledged_puts"] == sum(
        summary["phases"][p]["by_op"]["put"]["n"] for p in ("threads", "processes")
    )

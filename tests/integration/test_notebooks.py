"""Every notebook runs top to bottom, offline, and is committed with its outputs stripped.

Each notebook is executed with nbclient in the ``python3`` kernel (this venv's ipykernel),
with the notebooks folder as working directory and ``OPENAI_API_KEY`` removed, so the
offline path (scripted model, rule-based memory) is what runs. 05 needs the LoCoMo file
(``LOCOMO_PATH``, default ``../../shared/data/locomo/locomo_dev.json`` from the notebooks
folder); without it that one test is skipped with a message saying where it looked.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = [
    "01_quickstart",
    "02_agent_with_memory",
    "03_chat_history",
    "04_scaling_out",
    "05_retrieval_quality",
]
NAMES += ["06_tasks"]
NAMES += ["07_knowledge"]
NAMES += ["08_shared_memory"]


def locomo_path() -> Path:
    default = NOTEBOOKS / ".." / ".." / "shared" / "data" / "locomo" / "locomo_dev.json"
    return Path(os.environ.get("LOCOMO_PATH", default))


def read(name: str) -> Any:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def execute(name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    """Run a notebook offline; returns it and all its text output."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    notebook = read(name)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            elif "data" in output:
                texts.append(output.data.get("text/plain", ""))
    return notebook, "\n".join(texts)


def test_every_notebook_is_listed_and_committed_without_outputs() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES
    for name in NAMES:
        notebook = read(name)
        nbformat.validate(notebook)
        assert notebook.metadata.kernelspec.name == "python3"
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{name}: outputs not stripped"
                assert cell.execution_count is None, f"{name}: execution count not stripped"


def test_01_quickstart(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = execute("01_quickstart", monkeypatch)
    assert "-> 'Alice drinks green tea every morning and dislikes coffee.'" in out
    assert "-> Bob is learning the cello." in out
    assert "another process found: Alice works as a data engineer" in out


def test_02_agent_with_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = execute("02_agent_with_memory", monkeypatch)
    assert "offline (scripted model, rule-based memory)" in out
    assert "- location: Lisbon" in out  # the profile
    assert re.search(r"turns folded out of working memory and archived: [1-9]", out)
    assert "[session, thread monday]" in out  # the episodes
    assert "Lessons from earlier tasks:" in out  # a recalled lesson
    assert "use 3-letter IATA codes" in out
    assert "agent: Done: booked LIS-BER" in out  # the lesson was applied in session 3


def test_03_chat_history(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = execute("03_chat_history", monkeypatch)
    assert "Earlier you said: 'I want to sail from Lisbon to Madeira in June.'" in out
    assert "refused: session_id 'trip-planning' belongs to another user" in out
    assert "kept: ['human', 'ai', 'tool', 'ai']" in out
    assert re.search(r"0\.\d\d \[trip-planning\] I want to sail", out)  # search across sessions
    assert "[chess]" not in out  # ada's searches never return bob's messages


def test_04_scaling_out_starts_and_stops_its_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = execute("04_scaling_out", monkeypatch)
    if os.environ.get("LANGMEM_REQUIRE_POSTGRES") == "1":
        assert "PostgreSQL: postgresql://" in out
    else:
        assert "PostgreSQL: postgresql://" in out or "checkpoints go to SQLite" in out
    assert "- location: Lisbon" in out.split("recall seen by the model in a new thread:")[1]
    assert "thread monday, continued here, has 4 messages" in out
    assert "stopped" in out
    ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", out)]
    assert ports
    for port in set(ports):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_05_says_where_the_data_is_missing_and_stops(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without the data (not shipped), the notebook's first code cell stops with one line."""
    missing = tmp_path / "locomo10.json"
    monkeypatch.setenv("LOCOMO_PATH", str(missing))
    with pytest.raises(CellExecutionError) as stopped:
        execute("05_retrieval_quality", monkeypatch)
    assert stopped.value.ename == "SystemExit"
    assert f"LoCoMo data not found at {missing} (it is not shipped" in stopped.value.evalue
    assert "not shipped" in "".join(read("05_retrieval_quality").cells[0].source)


def test_05_retrieval_quality(monkeypatch: pytest.MonkeyPatch) -> None:
    data = locomo_path()
    monkeypatch.setenv("LOCOMO_PATH", str(data.resolve()))
    if not data.is_file():  # the notebook's own message (see the test above)
        try:
            execute("05_retrieval_quality", monkeypatch)
        except CellExecutionError as stopped:
            pytest.skip(f"notebook 05: {stopped.evalue}")
    notebook, out = execute("05_retrieval_quality", monkeypatch)
    assert re.search(r"memory_retriever\s+all \(1-4\)", out)
    assert re.search(r"chroma_dense\s+all \(1-4\)", out)
    images = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == 1


def test_06_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = execute("06_tasks", monkeypatch)
    assert "2 tasks found" in out
    assert "refused (IllegalTransitionError): task" in out
    assert "refused (TaskNotFoundError): user 'bob' has no task" in out
    assert re.search(r"OVERDUE \(was due [^)]+\): Renew my passport \(task \w+\)", out)
    assert out.count("Renew my passport (open") == 2  # restated in session 2: still one task
    assert re.search(r"tool: Updated: \[\w+\] Renew my passport \(completed", out)
    assert "completed    renewed at the town hall" in out


def test_07_knowledge(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = execute("07_knowledge", monkeypatch)
    assert "Lena works at Acme Corp (since 2026-03-01 until 2026-05-01, source: rules)" in out
    assert "superseded by: Lena works at Globex" in out
    assert "Known relations between people, places and things:\n- Lena" in out
    assert "left: {'entities': 0, 'relations': 0, 'mentions': 0}" in out
    # consolidation: the paraphrases of one liking merged, the old location in history
    assert "after: ['hiking', 'jazz music'] | lives in Munich" in out
    assert "history: location Berlin -> superseded" in out
    # trends and mood
    assert "rising: ['painting (3 of the last 3 sessions, 0 of 3 before)']" in out
    assert "preferences: ['favorite_drink: tea since 2026-03-22 (was coffee)']" in out
    assert "mood: falling" in out
    # personas: the coach's note is the coach's, the profile is shared
    coach, accountant = out.split("--- coach:")[1].split("--- accountant:")
    assert "marathon goal is 3h30" in coach
    assert "marathon" not in accountant
    assert "location: Lisbon" in coach
    assert "location: Lisbon" in accountant


def test_08_shared_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = execute("08_shared_memory", monkeypatch)
    assert "writer <- search_memory: [team_memories/launch/" in out
    assert "The launch date is 14 March" in out
    assert "access denied: user 'ada' as agent 'writer' may not read agent 'researcher'" in out
    assert "supervisor: access denied: user 'ada' as agent 'supervisor' may not read" in out
    assert "researcher's private note: ['Source of the date: an unconfirmed CFO email']" in out
    assert "2 refusals audited" in out

"""The demo (`langmem demo`): three sessions through create_memory_agent, offline.

It must show, in later sessions, the user's facts, an earlier episode, the lesson from a
failed tool call recalled for a similar task, a correction superseding an old fact, and a
detail said once in passing that only the archived turn kept.
The memory is real (Chroma on disk + SQLite); only the agent's model is scripted.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, ToolMessage

from langmem_plugin.cli._demo import (
    DemoTurn,
    build_model,
    choose_model,
    run_memory_demo,
    turn_lines,
)
from langmem_plugin.memory import DEFAULT_MODEL
from langmem_plugin.testing import ScriptedChatModel
from tests._support import langmem_command


def _section(printed: str, start: str, end: str | None = None) -> str:
    """The output between two session headers."""
    tail = printed.split(start, 1)[1]
    return tail.split(end, 1)[0] if end else tail


def _tool_messages(turn: DemoTurn) -> list[ToolMessage]:
    return [m for m in turn.messages if isinstance(m, ToolMessage)]


def _first_tool_args(turn: DemoTurn) -> dict[str, object]:
    call = next(m for m in turn.messages if isinstance(m, AIMessage) and m.tool_calls)
    return dict(call.tool_calls[0]["args"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[DemoTurn], str]:
    saved = os.environ.pop("OPENAI_API_KEY", None)  # offline: the rules do the work
    try:
        printed: list[str] = []
        turns = run_memory_demo(tmp_path_factory.mktemp("demo") / "memory", out=printed.append)
    finally:
        if saved is not None:
            os.environ["OPENAI_API_KEY"] = saved
    return turns, "\n".join(printed)


def test_demo_runs_offline_with_a_scripted_agent_and_the_rules(
    demo: tuple[list[DemoTurn], str],
) -> None:
    _, printed = demo
    assert "agent model: scripted (offline)" in printed
    assert "memory model: offline rules" in printed
    assert [line for line in printed.splitlines() if line.startswith("==== Session")] == [
        "==== Session 1 (new thread 'monday') ====",
        "==== Session 2 (new thread 'friday') ====",
        "==== Session 3 (new thread 'sunday') ====",
    ]


def test_session_2_shows_the_facts_stated_in_session_1(demo: tuple[list[DemoTurn], str]) -> None:
    turns, printed = demo
    session2 = _section(printed, "==== Session 2", "==== Session 3")
    profile = session2.split("-- Profile remembered --", 1)[1].split("user:", 1)[0]
    for fact in ["- name: Ada", "- location: Lisbon", "- role: data scientist", "- likes: sailing"]:
        assert fact in profile
    first = next(t for t in turns if t.thread_id == "friday")
    assert "- location: Lisbon" in first.recall  # the model received them too


def test_an_earlier_episode_is_recalled_in_a_later_session(
    demo: tuple[list[DemoTurn], str],
) -> None:
    turns, printed = demo
    first = next(t for t in turns if t.thread_id == "friday")
    assert "thread monday:" in first.recall
    assert "Azores in July" in first.recall
    session2 = _section(printed, "==== Session 2", "==== Session 3")
    recalled = session2.split("[recalled] Relevant earlier conversations:", 1)[1]
    first_line = recalled.split("\n")[1]
    assert first_line.lstrip().startswith("- ")
    assert "thread monday:" in first_line


def test_the_lesson_from_the_failed_tool_is_recalled_for_a_similar_task(
    demo: tuple[list[DemoTurn], str],
) -> None:
    turns, printed = demo
    failed = next(t for t in turns if t.thread_id == "monday" and "euros" in t.user)
    assert [m.status for m in _tool_messages(failed)] == ["error", "success"]
    assert _first_tool_args(failed)["from_currency"] == "euros"

    similar = next(t for t in turns if t.thread_id == "friday" and "euros" in t.user)
    assert "Lessons from earlier tasks:" in similar.recall
    assert "(tool convert_currency)" in similar.recall
    assert "use ISO 4217 codes like EUR" in similar.recall
    # given the lesson, the call is right the first time
    assert _first_tool_args(similar)["from_currency"] == "EUR"
    assert [m.status for m in _tool_messages(similar)] == ["success"]
    session2 = _section(printed, "==== Session 2", "==== Session 3")
    assert "[recalled] Lessons from earlier tasks:\n    - Task like" in session2
    # the lesson helped, so it was reinforced
    stored = printed.split("-- Lessons stored", 1)[1].splitlines()[1:]
    assert stored[0].startswith("- convert_currency: ")
    assert stored[0].endswith("(weight 2.0, helped 1x)")


def test_the_correction_supersedes_the_old_fact_and_both_sessions_are_recalled(
    demo: tuple[list[DemoTurn], str],
) -> None:
    turns, printed = demo
    session3 = _section(printed, "==== Session 3")
    profile = session3.split("-- Profile remembered (after the correction) --", 1)[1]
    profile = profile.split("--", 1)[0]
    assert "- location: Berlin" in profile
    assert "Lisbon" not in profile
    history = session3.split("-- Location history", 1)[1].split("user:", 1)[0]
    lisbon, berlin = [line for line in history.splitlines() if line.startswith("- ")]
    assert lisbon.startswith("- Lisbon: since ")
    assert lisbon.endswith("(superseded)")
    assert berlin.startswith("- Berlin: since ")
    assert berlin.endswith("(current)")

    last = next(t for t in turns if t.thread_id == "sunday")
    assert "- location: Berlin" in last.recall
    assert "location: Lisbon" not in last.recall
    assert "thread monday:" in last.recall
    assert "thread friday:" in last.recall
    assert "assistant: You live in Berlin." in session3


def test_a_detail_said_once_in_passing_comes_back_as_the_archived_turn(
    demo: tuple[list[DemoTurn], str],
) -> None:
    turns, printed = demo
    (said,) = [t for t in turns if "Maresia" in t.user]
    assert said.thread_id == "monday"
    (asked,) = [t for t in turns if "sloop called" in t.user]
    assert asked.thread_id == "sunday"
    recalled = turn_lines(asked.recall)
    # the session-1 turn itself, with its speaker, under its session's date
    line = "User: My sloop is called Maresia, by the way."
    assert line in recalled
    assert any(header.startswith("On ") for header in recalled[: recalled.index(line)])
    # no summary and no fact kept it: only the archive did
    rest = [row for row in asked.recall.splitlines() if row not in recalled]
    assert "Maresia" not in "\n".join(rest)
    assert "in an episode summary: no (sessions 1-2); in the profile: no" in printed
    reply = [m for m in asked.messages if isinstance(m, AIMessage) and m.text]
    assert reply[-1].text == "Your sloop is called Maresia."


def test_choose_model_picks_openai_when_the_key_is_set_without_calling_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert choose_model() is None
    assert isinstance(build_model(None), ScriptedChatModel)

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    assert choose_model() == DEFAULT_MODEL == "openai:gpt-4o-mini"
    model = build_model(choose_model())  # built only; no request is made
    assert type(model).__name__ == "ChatOpenAI"
    assert getattr(model, "model_name", None) == "gpt-4o-mini"

    explicit = ScriptedChatModel(script=["hi"])
    assert choose_model(explicit) is explicit  # an explicit model wins over the key


def test_langmem_demo_command_exits_0_offline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    result = subprocess.run(
        langmem_command("demo"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "==== Session 3 (new thread 'sunday') ====" in result.stdout
    assert "Lessons from earlier tasks:" in result.stdout
    # the folder it names is temporary, and it says so: it is gone when the demo ends
    printed = re.search(
        r"memory directory: (\S+) \(temporary, deleted when the demo ends", result.stdout
    )
    assert printed is not None
    assert not Path(printed.group(1)).exists()
    assert f"the temporary memory directory {printed.group(1)} is deleted now" in result.stdout
    assert list(tmp_path.iterdir()) == []  # nothing left in the working directory

"""A small memory (the quickstart's few turns): recall, inspector search and `langmem search`.

What a new user hits first: recall of a handful of turns must not be the whole transcript,
tool calls read as lines with a speaker, and search surfaces show scores that mean the same
on every kind and drop what recall would call irrelevant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langmem_plugin import Memory
from langmem_plugin._admin import search_user
from langmem_plugin.nodes.reflection import Lesson
from langmem_plugin.ui._data import search_memories

TURNS = [
    HumanMessage("Hi, I'm Ada. I work as a nurse and I live in Lisbon.", id="m1"),
    AIMessage("Nice to meet you, Ada! Lisbon is lovely.", id="m2"),
    HumanMessage("What's the weather like in Lisbon today?", id="m3"),
    AIMessage(
        "",
        tool_calls=[{"name": "get_weather", "args": {"city": "Lisbon"}, "id": "c1"}],
        id="m4",
    ),
    ToolMessage(
        '{"temperature": "18°C", "sky": "sunny", "wind": "light", ' + '"x": 1, ' * 40 + '"y": 2}',
        tool_call_id="c1",
        name="get_weather",
        id="m5",
    ),
    AIMessage("It is 18°C and sunny in Lisbon.", id="m6"),
    HumanMessage("Actually, I moved to Berlin last month.", id="m7"),
    AIMessage("Noted: you live in Berlin now.", id="m8"),
]
UNRELATED = "What is a good recipe for banana bread?"


@pytest.fixture(scope="module")
def memory() -> Iterator[Memory]:
    memory = Memory.in_memory()
    for thread, turns, day in (("t1", TURNS[:6], 2), ("t2", TURNS[6:], 3)):
        when = datetime(2026, 3, day, 9, 0, tzinfo=UTC)
        memory.ingest(turns, user_id="ada", thread_id=thread, timestamp=when)
    memory.flush()
    yield memory
    memory.close()


def _turn_lines(context: str) -> list[str]:
    """The lines of the turns section (without its title, date headers and gaps)."""
    section = context.split("Earlier conversation turns (date, then who said what):\n", 1)
    if len(section) < 2:
        return []
    lines = []
    for line in section[1].splitlines():
        if line.endswith(":") and not line.startswith("- "):
            if line.startswith("On "):
                continue
            break  # the next section's title
        if line == "...":
            continue
        lines.append(line)
    return lines


def test_an_unrelated_question_recalls_no_turns(memory: Memory) -> None:
    context = memory.recall_context("ada", UNRELATED)
    assert _turn_lines(context) == []
    assert "Nice to meet you" not in context


def test_a_location_question_gets_the_location_fact_and_not_the_whole_transcript(
    memory: Memory,
) -> None:
    context = memory.recall_context("ada", "Where do I live?")
    assert "- location: Berlin" in context
    lines = _turn_lines(context)
    assert any("moved to Berlin" in line for line in lines)
    # the weather exchange is not about where the user lives
    assert not any("get_weather" in line or "18°C" in line for line in lines)
    assert len(lines) < len(TURNS)


def test_tool_calls_and_results_are_short_lines_with_a_speaker(memory: Memory) -> None:
    context = memory.recall_context("ada", "What was the weather in Lisbon?")
    lines = _turn_lines(context)
    assert 'Assistant called get_weather(city="Lisbon")' in lines
    result = next(line for line in lines if line.startswith("Tool get_weather: "))
    assert len(result) <= len("Tool get_weather: ") + 120
    assert result.endswith("…")  # the long JSON is cut
    assert not any(line.startswith("{") or '"tool_calls"' in line for line in lines)


def test_every_recalled_turn_line_starts_with_its_speaker(memory: Memory) -> None:
    for query in ("Where do I live?", "What was the weather in Lisbon?", "Berlin"):
        lines = _turn_lines(memory.recall_context("ada", query))
        assert lines
        for line in lines:
            assert re.match(r"^(User|Assistant|Tool get_weather)[: ]", line), line
    # "Noted:" heads one line only: it is no speaker's name
    berlin = _turn_lines(memory.recall_context("ada", "Where do I live?"))
    assert "Assistant: Noted: you live in Berlin now." in berlin


def _lesson(memory: Memory) -> None:
    lesson = Lesson(
        signature="convert_currency:error",
        task="Convert 1200 euros to US dollars",
        tool="convert_currency",
        failure_kind="tool_error",
        error="unknown currency 'euros'",
        created_at="2026-03-02T09:00:00+00:00",
        updated_at="2026-03-02T09:00:00+00:00",
        what_went_wrong="convert_currency rejected 'euros'.",
        what_to_do_instead="Pass ISO 4217 codes such as EUR and USD.",
    )
    memory.store.put(("lessons", "ada"), "l1", lesson.to_value())


def test_inspector_search_shows_raw_relevance_and_drops_what_is_below_it(
    memory: Memory,
) -> None:
    _lesson(memory)
    unrelated = search_memories(memory, "ada", UNRELATED)
    assert "Lessons" not in unrelated  # a lone lesson below the gate is not shown
    assert unrelated == {}  # nor anything else below its kind's gate

    found = search_memories(memory, "ada", "convert euros to dollars")
    lesson = found["Lessons"][0]
    assert lesson.components["dense"] == 1.0  # rescaled within its lone kind ...
    assert lesson.relevance == lesson.raw["similarity"]  # ... but what is shown is raw
    assert lesson.relevance is not None
    assert lesson.relevance < lesson.score
    for hits in found.values():
        for hit in hits:
            assert hit.relevance is None or hit.relevance >= 0.15


def test_langmem_search_has_a_floor_and_no_history_duplicates(memory: Memory) -> None:
    items, messages = search_user(memory, "ada", UNRELATED)
    assert items == []
    assert messages == []

    items, _ = search_user(memory, "ada", "where does Ada live", limit=20)
    history = [i for i in items if i.namespace[0] == "profile_history"]
    current = {(i.key, i.value["value"]) for i in items if i.namespace[0] == "profile"}
    assert "Berlin" in {value for _, value in current}
    for item in history:
        assert (item.key.partition("@")[0], item.value["value"]) not in current
    # the superseded value is history, not a duplicate: it still shows
    assert any(i.value["value"] == "Lisbon" for i in history)

"""The per-session token budget of the memory's own model calls, on a real Memory.

The model is a ``ScriptedChatModel`` whose answers report token usage
(``usage_metadata``), as a provider's do; everything else is real (embedded Chroma, SQLite,
the audit log).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from prometheus_client.parser import text_string_to_metric_families

from langmem_plugin._metrics import render_metrics
from langmem_plugin.errors import ConfigError
from langmem_plugin.memory import Memory
from langmem_plugin.testing import ScriptedChatModel


def answer(city: str, tokens: int) -> AIMessage:
    """A session answer (as a tool call) that reports ``tokens`` of usage."""
    args = {
        "episode": {"summary": f"The user talked about {city}."},
        "profile": {"facts": [{"action": "add", "category": "location", "value": city}]},
    }
    return AIMessage(
        "",
        tool_calls=[{"name": "SessionExtraction", "args": args, "id": f"call-{city}"}],
        usage_metadata={
            "input_tokens": tokens - 100,
            "output_tokens": 100,
            "total_tokens": tokens,
        },
    )


def said(text: str) -> list[HumanMessage]:
    return [HumanMessage(text)]


def counter(memory: Memory, name: str, **labels: str) -> float:
    text = render_metrics(memory.metrics())[0].decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_a_spent_session_falls_back_to_the_rules_and_says_so(tmp_path: Path) -> None:
    model = ScriptedChatModel(
        script=[answer("Porto", 1500), answer("Lisbon", 900), answer("Faro", 700)]
    )
    with Memory.from_path(tmp_path / "m", llm=model, session_token_budget=2000) as memory:
        memory.metrics()
        first = memory.ingest(said("I live in Porto now."), user_id="ada", thread_id="t1")
        second = memory.ingest(said("I moved to Lisbon."), user_id="ada", thread_id="t1")
        assert [(r.source, r.tokens, r.budget_exhausted) for r in (first, second)] == [
            ("llm", 1500, False),
            ("llm", 900, False),  # 1,500 < 2,000 before it: the call is made, never cut
        ]
        third = memory.ingest(
            said("My name is Ada and I live in Berlin."), user_id="ada", thread_id="t1"
        )
        assert (third.source, third.tokens, third.budget_exhausted) == ("rules", 0, True)
        assert model.calls == 2  # the spent session made no call
        assert memory.profile("ada").get("location") == ["Berlin"]  # the rules' fact
        # another session of the same user has its own budget
        other = memory.ingest(said("I am in Faro this week."), user_id="ada", thread_id="t2")
        assert (other.source, other.budget_exhausted) == ("llm", False)
        assert model.calls == 3
        assert counter(memory, "langmem_pipeline_budget_exhausted_total") == 1
        assert counter(memory, "langmem_pipeline_runs_total", source="rules") == 1
        events = [e for e in memory.audit("ada") if e.operation == "budget_exhausted"]
        assert len(events) == 1
        event = events[0].to_json()
        assert (event["namespace"], event["key"]) == (["sessions", "ada"], "t1")
        shown = json.dumps(event)
        assert "Berlin" not in shown
        assert "Lisbon" not in shown
        assert '"budget": 2000' in shown
        assert '"spent": 2400' in shown


def test_without_a_budget_every_run_calls_the_model(tmp_path: Path) -> None:
    model = ScriptedChatModel(script=[answer("Porto", 50_000), answer("Lisbon", 50_000)])
    with Memory.from_path(tmp_path / "m", llm=model) as memory:
        reports = [
            memory.ingest(said(f"I live in {city}."), user_id="ada", thread_id="t1")
            for city in ("Porto", "Lisbon")
        ]
    assert [(r.source, r.budget_exhausted) for r in reports] == [("llm", False)] * 2


@pytest.mark.parametrize("bad", [0, -5, 1.5, "1000", True])
def test_a_bad_budget_is_refused_with_its_value(tmp_path: Path, bad: object) -> None:
    with pytest.raises(ConfigError, match=f"session_token_budget.*{bad!r}"):
        Memory.from_path(tmp_path / "m", session_token_budget=bad)  # type: ignore[arg-type]
    with Memory.from_path(tmp_path / "m") as memory:  # nothing was left open
        assert memory.store is not None


def test_the_config_file_sets_the_budget(tmp_path: Path) -> None:
    (tmp_path / "langmem.toml").write_text('path = "mem"\nsession_token_budget = 1234\n')
    model = ScriptedChatModel(script=[answer("Porto", 1300)])
    with Memory.from_config(tmp_path / "langmem.toml", llm=model) as memory:
        assert memory.ingest(said("I live in Porto."), user_id="ada", thread_id="t").source == (
            "llm"
        )
        spent = memory.ingest(said("I live in Oslo."), user_id="ada", thread_id="t")
        assert (spent.source, spent.budget_exhausted) == ("rules", True)
    (tmp_path / "langmem.toml").write_text('path = "mem"\nsession_token_budget = 0\n')
    with pytest.raises(ConfigError, match="session_token_budget"):
        Memory.from_config(tmp_path / "langmem.toml")

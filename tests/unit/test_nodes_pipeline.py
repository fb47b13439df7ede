"""The deferred pipeline with a model: structured output, failures, LLM call counts."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langgraph.checkpoint.memory import InMemorySaver

from langmem_plugin.testing import ScriptedChatModel
from tests.unit.nodes_support import FeatureHost, memory_graph

GOOD_PROFILE = {
    "facts": [
        {
            "action": "add",
            "category": "location",
            "value": "Lisbon",
            "confidence": 0.9,
            "source_message_ids": ["h1"],
        }
    ]
}
GOOD_EPISODE = {
    "summary": "Ada planned a trip to Lisbon.",
    "topics": ["travel"],
    "importance": 0.6,
    "emotional_tone": "positive",
}
ANY_VALID = {
    **GOOD_EPISODE,
    "facts": [],
    "what_went_wrong": "bad airport code",
    "what_to_do_instead": "use IATA codes",
}
CHAT = [HumanMessage("I live in Lisbon now.", id="h1"), AIMessage("Noted!", id="a1")]


def ingest(host: FeatureHost) -> Any:
    return host.ingest(CHAT, user_id="ada", thread_id="t1")


def test_model_extraction_writes_labelled_profile_and_episode() -> None:
    llm = ScriptedChatModel(script=[GOOD_EPISODE, GOOD_PROFILE])
    host = FeatureHost(llm)
    report = ingest(host)
    assert report.skipped == []
    (fact,) = host.profile("ada")
    assert (fact.category, fact.value, fact.source, fact.source_message_ids) == (
        "location",
        "Lisbon",
        "llm",
        ["h1"],
    )
    (episode,) = host.store.search(("episodes", "ada"))
    assert episode.value["summary"] == "Ada planned a trip to Lisbon."
    assert episode.value["source"] == "llm"
    assert episode.value["message_ids"] == ["h1", "a1"]
    assert host.llm_calls.total == 2
    assert dict(host.llm_calls.by_purpose) == {"episode": 1, "profile": 1}
    # the prompt holds the current profile and the new messages with their ids
    assert "[id=h1] human: I live in Lisbon now." in llm.inputs[1][1].text


def test_malformed_output_is_retried_once() -> None:
    llm = ScriptedChatModel(script=[GOOD_EPISODE, "{not json", GOOD_PROFILE])
    host = FeatureHost(llm)
    assert ingest(host).skipped == []
    assert host.profile("ada").get("location") == ["Lisbon"]
    assert host.llm_calls.by_purpose["profile"] == 2


@pytest.mark.parametrize(
    "failures",
    [
        ["{not json", {"facts": [{"category": "location"}]}],  # malformed, then invalid
        [RuntimeError("provider down"), RuntimeError("provider down")],
        [lambda _m: time.sleep(2) or GOOD_PROFILE, lambda _m: time.sleep(2) or GOOD_PROFILE],
    ],
    ids=["malformed", "raises", "times-out"],
)
def test_twice_failed_extraction_is_skipped_with_a_warning_and_writes_nothing(
    failures: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    llm = ScriptedChatModel(script=[GOOD_EPISODE, *failures])
    host = FeatureHost(llm, llm_timeout=0.5)
    with caplog.at_level(logging.WARNING):
        report = ingest(host)
    assert report.skipped == ["profile"]
    assert len(host.profile("ada")) == 0
    assert host.profile_history("ada") == []
    assert "profile: skipped after 2 failed attempts" in caplog.text
    assert report.episode_key is not None  # the other steps still ran


def test_graph_run_goes_on_when_the_memory_model_fails() -> None:
    memory_llm = ScriptedChatModel(script=[RuntimeError("down")] * 4)
    host = FeatureHost(memory_llm, mode="inline", every_n_turns=1)
    graph = memory_graph(host, ScriptedChatModel(script=[], default="hello"), InMemorySaver())
    out = graph.invoke(
        {"messages": [HumanMessage("I live in Lisbon.")]},
        {"configurable": {"thread_id": "t", "user_id": "ada"}},
    )
    assert out["messages"][-1].text == "hello"
    assert memory_llm.calls == 4  # episode and profile, each tried twice
    assert host.store.search(("episodes", "ada")) == []
    assert len(host.profile("ada")) == 0


def scripted_conversation() -> list[list[list[BaseMessage]]]:
    """3 sessions (14, 13 and 13 turns): per turn the input messages of one invoke."""
    sessions: list[list[list[BaseMessage]]] = []
    for session, turns in enumerate([14, 13, 13]):
        sessions.append(
            [[HumanMessage(f"s{session} turn {t}: tell me about topic {t}")] for t in range(turns)]
        )
    return sessions


def agent_model() -> ScriptedChatModel:
    """Replies 'ok', except one failed tool call in session 2's fifth turn."""

    def reply(messages: list[BaseMessage]) -> AIMessage:
        last = next(m for m in reversed(messages) if not isinstance(m, SystemMessage))
        if isinstance(last, HumanMessage) and last.text.startswith("s1 turn 4:"):
            return AIMessage("", tool_calls=[{"name": "book", "args": {}, "id": "c-fail"}])
        return AIMessage("ok")

    return ScriptedChatModel(script=[], default=reply)


def run_conversation(host: FeatureHost) -> None:
    graph = memory_graph(host, agent_model(), InMemorySaver())
    for session, turns in enumerate(scripted_conversation()):
        config = {"configurable": {"thread_id": f"session-{session}", "user_id": "ada"}}
        for messages in turns:
            out = graph.invoke({"messages": messages}, config)
            last = out["messages"][-1]
            if isinstance(last, AIMessage) and last.tool_calls:  # the tool fails
                error = ToolMessage(
                    "Error: booking service refused",
                    tool_call_id="c-fail",
                    name="book",
                    status="error",
                )
                graph.update_state(config, {"messages": [error]}, as_node="reflect")
                graph.invoke({"messages": [HumanMessage("ok, skip it")]}, config)
        host.end_session(f"session-{session}")


def test_llm_calls_for_40_turns_in_3_sessions_background_debounced() -> None:
    memory_llm = ScriptedChatModel(script=[], default=ANY_VALID)
    host = FeatureHost(memory_llm, every_n_turns=10, debounce_seconds=60, consolidate=False)
    run_conversation(host)
    host.flush()
    # one run per session (the debounce absorbs turns 10..14): episode + profile each,
    # plus one reflection for the one failed tool call. Nothing on the hot path.
    assert dict(host.llm_calls.by_purpose) == {"episode": 3, "profile": 3, "reflection": 1}
    assert memory_llm.calls == 7
    assert len(host.store.search(("episodes", "ada"), limit=50)) == 3
    assert [lesson.tool for lesson in host.lessons("ada")] == ["book"]


def test_llm_calls_for_40_turns_in_3_sessions_inline_every_10_turns() -> None:
    memory_llm = ScriptedChatModel(script=[], default=ANY_VALID)
    host = FeatureHost(memory_llm, every_n_turns=10, mode="inline", consolidate=False)
    run_conversation(host)
    # inline, no debounce, runs happen in the node that sees the trigger:
    # session 0 (14 turns): at turn 10, then 4 turns at session end        -> 2 runs
    # session 1 (13 turns + "ok, skip it"): the tool failure makes the turn after it
    #   urgent (6 user turns), the other 8 at session end                   -> 2 runs
    # session 2 (13 turns): at turn 10, then 3 turns at session end        -> 2 runs
    assert dict(host.llm_calls.by_purpose) == {"episode": 6, "profile": 6, "reflection": 1}
    assert memory_llm.calls == 13
    assert len(host.store.search(("episodes", "ada"), limit=50)) == 6


def test_a_near_duplicate_session_episode_is_merged_not_lost() -> None:
    llm = ScriptedChatModel(script=[], default=ANY_VALID)  # the same summary every time
    host = FeatureHost(llm)
    for thread in ("t1", "t2"):
        host.ingest(CHAT, user_id="ada", thread_id=thread)
    (live,) = host.store.search(("episodes", "ada"))
    (archived,) = host.store.search(("episodes_archive", "ada"))
    assert live.value["merged_from"] == [archived.key]
    assert archived.value["archived_reason"] == f"merged into {live.key}"
    assert {live.value["thread_id"], archived.value["thread_id"]} == {"t1", "t2"}

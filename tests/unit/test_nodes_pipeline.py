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

from langmem_plugin.nodes.profile import FactProposal, ProfileExtraction
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
GOOD_SESSION = {"episode": GOOD_EPISODE, "profile": GOOD_PROFILE}
CHAT = [HumanMessage("I live in Lisbon now.", id="h1"), AIMessage("Noted!", id="a1")]


def ingest(host: FeatureHost) -> Any:
    return host.ingest(CHAT, user_id="ada", thread_id="t1")


def session_reply(messages: list[BaseMessage]) -> dict[str, Any]:
    """A valid combined answer: a lesson for every numbered failure the prompt lists."""
    prompt = messages[-1].text
    failed = prompt.split("Failed tasks:\n", 1)[1].split("\n\n", 1)[0] if "Failed" in prompt else ""
    numbers = [int(line.split(".", 1)[0]) for line in failed.splitlines() if line[:1].isdigit()]
    return {
        "episode": GOOD_EPISODE,
        "profile": {"facts": [{"category": "likes", "value": "topic talks"}]},
        "lessons": [
            {
                "failure": n,
                "what_went_wrong": "the booking service refused the request",
                "what_to_do_instead": "check availability before booking",
            }
            for n in numbers
        ],
    }


def test_one_model_call_writes_labelled_profile_and_episode() -> None:
    llm = ScriptedChatModel(script=[GOOD_SESSION])
    host = FeatureHost(llm)
    report = ingest(host)
    assert report.skipped == []
    assert report.source == "llm"
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
    assert host.llm_calls.total == 1
    assert dict(host.llm_calls.by_purpose) == {"session": 1}
    # the prompt holds the current profile and the new messages with their ids
    assert "Current profile:\n(empty)" in llm.inputs[0][1].text
    assert "[id=h1] human: I live in Lisbon now." in llm.inputs[0][1].text


def test_the_prompt_lists_the_failures_and_the_current_profile() -> None:
    llm = ScriptedChatModel(script=[GOOD_SESSION, session_reply])
    host = FeatureHost(llm)
    ingest(host)
    chat = [
        HumanMessage("Book a table for two at Nora", id="h2"),
        AIMessage("", tool_calls=[{"name": "book", "args": {}, "id": "c1"}], id="a2"),
        ToolMessage("Error: fully booked", tool_call_id="c1", name="book", status="error"),
    ]
    report = host.ingest(chat, user_id="ada", thread_id="t2")
    system, human = llm.inputs[1]
    assert "lessons:" in system.text
    assert "location: Lisbon" in human.text
    assert "Failed tasks:\n1. Task: Book a table for two at Nora\nTool: book" in human.text
    (lesson,) = host.lessons("ada")
    assert (lesson.tool, lesson.source) == ("book", "llm")
    assert lesson.what_to_do_instead == "check availability before booking"
    assert report.lessons == [lesson.key]
    assert dict(host.llm_calls.by_purpose) == {"session": 2}


def test_a_run_asks_only_for_the_sections_it_needs() -> None:
    llm = ScriptedChatModel(script=[{"episode": GOOD_EPISODE}])
    host = FeatureHost(llm)
    host.ingest([AIMessage("Reminder: standup at 10.", id="a9")], user_id="ada", thread_id="t")
    system, human = llm.inputs[0]
    # no user turn: no profile section; no failure: no lessons section
    assert "episode:" in system.text
    assert "profile:" not in system.text
    assert "lessons:" not in system.text
    assert "Current profile" not in human.text
    assert "Failed tasks" not in human.text
    assert len(host.store.search(("episodes", "ada"))) == 1


def test_a_run_that_needs_nothing_makes_no_call() -> None:
    llm = ScriptedChatModel(script=[])
    host = FeatureHost(llm, episodes=False)
    report = host.ingest([AIMessage("hello", id="a1")], user_id="ada", thread_id="t")
    assert (llm.calls, report.source) == (0, None)


def test_a_failure_the_model_wrote_no_lesson_for_gets_the_rules_lesson() -> None:
    reply = {
        "episode": GOOD_EPISODE,
        "lessons": [
            {"failure": 1, "what_went_wrong": "bad code", "what_to_do_instead": "use IATA"},
            {"failure": 7, "what_went_wrong": "no such task", "what_to_do_instead": "ignore"},
        ],
    }
    host = FeatureHost(ScriptedChatModel(script=[reply]))
    chat = [
        HumanMessage("Book a flight from Paris to Rome", id="h1"),
        ToolMessage(
            "Error: unknown airport", tool_call_id="c1", name="book_flight", status="error"
        ),
        HumanMessage("Convert 20 euros to yen", id="h2"),
        ToolMessage("Error: no rate for JPY", tool_call_id="c2", name="convert", status="error"),
    ]
    report = host.ingest(chat, user_id="ada", thread_id="t")
    lessons = {lesson.tool: lesson for lesson in host.lessons("ada")}
    assert set(lessons) == {"book_flight", "convert"}
    assert (lessons["book_flight"].source, lessons["book_flight"].what_to_do_instead) == (
        "llm",
        "use IATA",
    )
    assert lessons["convert"].source == "rules"
    assert "no rate for JPY" in lessons["convert"].what_went_wrong
    assert len(report.lessons) == 2


def test_an_extended_profile_schema_shapes_the_combined_call() -> None:
    class SourcedFact(FactProposal):
        evidence: str = ""

    class Extraction(ProfileExtraction):
        facts: list[SourcedFact]  # type: ignore[assignment]

    fact = {"category": "role", "value": "chef", "evidence": "said so"}
    llm = ScriptedChatModel(script=[{"episode": GOOD_EPISODE, "profile": {"facts": [fact]}}])
    host = FeatureHost(llm, profile_schema=Extraction)
    host.ingest([HumanMessage("I am a chef.", id="h1")], user_id="ada", thread_id="t")
    (stored,) = host.profile("ada")
    assert (stored.value, stored.extra) == ("chef", {"evidence": "said so"})


def test_malformed_output_is_retried_once() -> None:
    llm = ScriptedChatModel(script=["{not json", GOOD_SESSION])
    host = FeatureHost(llm)
    report = ingest(host)
    assert (report.skipped, report.source) == ([], "llm")
    assert host.profile("ada").get("location") == ["Lisbon"]
    assert host.llm_calls.by_purpose["session"] == 2


def test_an_answer_without_the_episode_is_malformed_and_retried() -> None:
    llm = ScriptedChatModel(script=[{"profile": GOOD_PROFILE}, GOOD_SESSION])
    host = FeatureHost(llm)
    assert ingest(host).source == "llm"
    assert llm.calls == 2
    (episode,) = host.store.search(("episodes", "ada"))
    assert episode.value["source"] == "llm"


def slow_reply(_messages: list[BaseMessage]) -> dict[str, Any]:
    """A valid answer that comes after the pipeline's timeout (0.5 s in the test)."""
    time.sleep(2)
    return GOOD_SESSION


@pytest.mark.parametrize(
    "failures",
    [
        ["{not json", {"episode": GOOD_EPISODE, "profile": {"facts": [{"category": "x"}]}}],
        [RuntimeError("provider down"), RuntimeError("provider down")],
        [slow_reply, slow_reply],
    ],
    ids=["malformed", "raises", "times-out"],
)
def test_twice_failed_call_falls_back_to_the_rules_for_that_run(
    failures: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    llm = ScriptedChatModel(script=[*failures])
    host = FeatureHost(llm, llm_timeout=0.5)
    with caplog.at_level(logging.WARNING):
        report = ingest(host)
    assert llm.calls == 2
    assert report.source == "rules"
    assert "session: model failed twice; the offline rules wrote this run" in caplog.text
    # the turns are not lost: the rules wrote the episode and the fact, labelled as such
    (episode,) = host.store.search(("episodes", "ada"))
    assert episode.value["source"] == "rules"
    assert episode.value["message_ids"] == ["h1", "a1"]
    (fact,) = host.profile("ada")
    assert (fact.category, fact.value, fact.source) == ("location", "Lisbon", "rules")


def test_graph_run_goes_on_when_the_memory_model_fails() -> None:
    memory_llm = ScriptedChatModel(script=[RuntimeError("down")] * 2)
    host = FeatureHost(memory_llm, mode="inline", every_n_turns=1)
    graph = memory_graph(host, ScriptedChatModel(script=[], default="hello"), InMemorySaver())
    out = graph.invoke(
        {"messages": [HumanMessage("I live in Lisbon.")]},
        {"configurable": {"thread_id": "t", "user_id": "ada"}},
    )
    assert out["messages"][-1].text == "hello"
    assert memory_llm.calls == 2  # the one session call, tried twice
    (episode,) = host.store.search(("episodes", "ada"))
    assert episode.value["source"] == "rules"
    assert host.profile("ada").get("location") == ["Lisbon"]


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
    memory_llm = ScriptedChatModel(script=[], default=session_reply)
    host = FeatureHost(memory_llm, every_n_turns=10, debounce_seconds=60, consolidate=False)
    run_conversation(host)
    host.flush()
    # one run per session (the debounce absorbs turns 10..14), one call per run that
    # returns the episode, the profile changes and the lesson for session 1's failed tool
    # call together. Separate calls cost 7 (3 episode + 3 profile + 1 reflection).
    # Nothing on the hot path.
    assert dict(host.llm_calls.by_purpose) == {"session": 3}
    assert memory_llm.calls == 3
    episodes = host.store.search(("episodes", "ada"), limit=50)
    assert len(episodes) == 3
    assert {e.value["source"] for e in episodes} == {"llm"}
    assert sorted(e.value["thread_id"] for e in episodes) == [
        "session-0",
        "session-1",
        "session-2",
    ]
    (fact,) = host.profile("ada")
    assert (fact.category, fact.value, fact.source) == ("likes", "topic talks", "llm")
    (lesson,) = host.lessons("ada")
    assert (lesson.tool, lesson.source) == ("book", "llm")
    assert lesson.what_went_wrong == "the booking service refused the request"
    # the lesson was asked for in the session where the tool failed, and only there
    asks = ["Failed tasks:" in inputs[1].text for inputs in memory_llm.inputs]
    assert asks.count(True) == 1


def test_llm_calls_for_40_turns_in_3_sessions_inline_every_10_turns() -> None:
    memory_llm = ScriptedChatModel(script=[], default=session_reply)
    host = FeatureHost(memory_llm, every_n_turns=10, mode="inline", consolidate=False)
    run_conversation(host)
    # inline, no debounce, runs happen in the node that sees the trigger:
    # session 0 (14 turns): at turn 10, then 4 turns at session end        -> 2 runs
    # session 1 (13 turns + "ok, skip it"): the tool failure makes the turn after it
    #   urgent (6 user turns), the other 8 at session end                   -> 2 runs
    # session 2 (13 turns): at turn 10, then 3 turns at session end        -> 2 runs
    # one call per run: 6 (separate calls cost 6 episode + 6 profile + 1 reflection = 13)
    assert dict(host.llm_calls.by_purpose) == {"session": 6}
    assert memory_llm.calls == 6
    assert len(host.store.search(("episodes", "ada"), limit=50)) == 6
    assert [(lesson.tool, lesson.source) for lesson in host.lessons("ada")] == [("book", "llm")]


def test_a_near_duplicate_session_episode_is_merged_not_lost() -> None:
    llm = ScriptedChatModel(script=[], default=GOOD_SESSION)  # the same summary every time
    host = FeatureHost(llm)
    for thread in ("t1", "t2"):
        host.ingest(CHAT, user_id="ada", thread_id=thread)
    (live,) = host.store.search(("episodes", "ada"))
    (archived,) = host.store.search(("episodes_archive", "ada"))
    assert live.value["merged_from"] == [archived.key]
    assert archived.value["archived_reason"] == f"merged into {live.key}"
    assert {live.value["thread_id"], archived.value["thread_id"]} == {"t1", "t2"}

"""Offline mode: rule-based facts, corrections, extractive summaries."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langmem_plugin.nodes import _offline, _rules
from langmem_plugin.nodes.episodes import summarize_offline
from tests.unit.nodes_support import FeatureHost


def facts(text: str) -> set[tuple[str, str, str]]:
    return {
        (f.category, f.value, f.action) for f in _rules.extract_facts([HumanMessage(text, id="m1")])
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi, I'm Alice.", {("name", "Alice", "add")}),
        ("My name is Bob Smith", {("name", "Bob Smith", "add")}),
        ("I live in Paris.", {("location", "Paris", "add")}),
        ("I'm based in New York", {("location", "New York", "add")}),
        (
            "I work as a data scientist at Acme.",
            {("role", "data scientist", "add"), ("employer", "Acme", "add")},
        ),
        (
            "I live in Paris and I work as a data scientist.",
            {("location", "Paris", "add"), ("role", "data scientist", "add")},
        ),
        (
            "I love sailing and I mostly use Python and Neovim.",
            {
                ("likes", "sailing", "add"),
                ("languages", "Python", "add"),
                ("tools", "Neovim", "add"),
            },
        ),
        ("I'm a senior software engineer.", {("role", "senior software engineer", "add")}),
        ("I love hiking and jazz.", {("likes", "hiking", "add"), ("likes", "jazz", "add")}),
        ("I hate cilantro.", {("dislikes", "cilantro", "add")}),
        ("I prefer short answers.", {("preferences", "short answers", "add")}),
        (
            "I mostly use Python and VS Code.",
            {("languages", "Python", "add"), ("tools", "VS Code", "add")},
        ),
        ("I code in Rust.", {("languages", "Rust", "add")}),
        (
            "I speak English and German.",
            {("spoken_languages", "English", "add"), ("spoken_languages", "German", "add")},
        ),
        ("I don't use Java anymore.", {("languages", "Java", "delete")}),
        ("I no longer like jazz.", {("likes", "jazz", "delete")}),
        ("The weather is nice today.", set()),
    ],
)
def test_rules_extract_common_first_person_facts(
    text: str, expected: set[tuple[str, str, str]]
) -> None:
    assert facts(text) == expected


def test_correction_is_flagged_and_more_confident() -> None:
    (fact,) = _rules.extract_facts([HumanMessage("Actually I moved to Berlin.", id="m9")])
    assert (fact.category, fact.value, fact.correction, fact.message_id) == (
        "location",
        "Berlin",
        True,
        "m9",
    )
    assert fact.confidence > 0.7


def test_only_the_users_words_become_facts() -> None:
    found = _rules.extract_facts([AIMessage("I live in Paris and I love jazz.")])
    assert found == []


def test_extractive_summary_keeps_first_user_sentence_and_is_bounded() -> None:
    messages = [
        HumanMessage("I need help planning a trip to Lisbon in May."),
        AIMessage("Sure. Lisbon in May is warm; book hotels early."),
        HumanMessage("What about trams in Lisbon? " * 20),
    ]
    summary = _offline.extractive_summary(messages, max_chars=200)
    assert summary.startswith("User: I need help planning a trip to Lisbon in May.")
    assert len(summary) <= 200


def test_offline_episode_summary_has_topics_tone_and_importance() -> None:
    messages = [
        HumanMessage("Book a table for two in Lisbon, please."),
        AIMessage("", tool_calls=[{"name": "book", "args": {}, "id": "c1"}]),
        ToolMessage("Error: no tables", tool_call_id="c1", status="error"),
        HumanMessage("That's frustrating, it didn't work."),
    ]
    summary = summarize_offline(messages)
    assert "lisbon" in summary.topics
    assert summary.emotional_tone == "negative"
    assert 0.0 < summary.importance <= 1.0
    assert "called book" in summary.summary


FLAT_HUNT = [
    HumanMessage("Hi there!"),
    AIMessage("Hello! How can I help you today?"),
    HumanMessage("I'm planning a move to Berlin in March and I need a flat near Kreuzberg."),
    AIMessage("Berlin's rental market is tight; start searching two months ahead."),
    HumanMessage("My budget is 1200 euros a month for a two-room flat."),
    AIMessage("With 1200 euros, two-room flats in Kreuzberg are rare, but Neukölln is realistic."),
    HumanMessage("Ok, thanks."),
    AIMessage("You're welcome!"),
    HumanMessage("We decided to look in Neukölln first because Kreuzberg is over budget."),
    AIMessage("Good choice; flats in Neukölln are closer to your budget."),
    HumanMessage("Great, bye!"),
]
DECISION = "We decided to look in Neukölln first because Kreuzberg is over budget."


def test_offline_summary_is_extractive_not_the_turns_joined() -> None:
    summary = _offline.extractive_summary(FLAT_HUNT)
    joined = " ".join(m.text for m in FLAT_HUNT)
    assert len(summary) < len(joined)
    assert f"User: {DECISION}" in summary  # the session's key sentence
    for filler in ("Hi there", "thanks", "You're welcome", "bye", "How can I help"):
        assert filler not in summary
    # chosen sentences keep the session's order
    positions = [
        joined.index(part)
        for part in summary.replace("Assistant: ", "|").replace("User: ", "|").split("|")
        if part.strip()
    ]
    assert positions == sorted(positions)


def test_offline_summary_favours_the_users_facts_over_small_talk() -> None:
    messages = [
        HumanMessage("Good morning!"),
        AIMessage("Good morning! What a lovely sunny day it is today, perfect for a walk."),
        HumanMessage("I'm allergic to peanuts."),
        AIMessage("Thanks for telling me."),
    ]
    summary = _offline.extractive_summary(messages, max_sentences=1)
    assert summary == "User: I'm allergic to peanuts."


def test_offline_pipeline_episode_is_the_extractive_summary_labelled_rules() -> None:
    host = FeatureHost()
    report = host.ingest(FLAT_HUNT, user_id="ada", thread_id="flat-hunt")
    assert report.source == "rules"
    (episode,) = host.store.search(("episodes", "ada"))
    assert episode.value["source"] == "rules"
    assert episode.value["summary"] == _offline.extractive_summary(FLAT_HUNT)
    assert DECISION in episode.value["summary"]

"""The offline profile rules on the labelled set: the bars, the set itself, and the profile.

The set is ``tests/data/offline_profile.jsonl`` (labels written by hand or from template
slots, see ``tests/data/make_offline_profile.py``); recall and precision are defined in
``benchmarks/offline_profile.py``, which prints the per-category figures.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from benchmarks.offline_profile import DEFAULT_DATA, load_set, score
from langmem_plugin.nodes import _rules
from tests.unit.nodes_support import FeatureHost

CATEGORIES = {
    "name",
    "location",
    "hometown",
    "role",
    "employer",
    "pets",
    "allergies",
    "diet",
    "likes",
    "dislikes",
    "relations",
}


def test_the_set_has_enough_statements_of_every_kind() -> None:
    rows = load_set()
    with_facts = [r for r in rows if r["facts"]]
    assert len(with_facts) >= 200
    assert len(rows) - len(with_facts) >= 100
    seen = {c for r in with_facts for c, _ in r["facts"]}
    assert seen >= CATEGORIES
    assert any(c.startswith("favorite_") for c in seen)


def test_rules_reach_recall_0_8_at_precision_0_9_on_the_set() -> None:
    result = score(load_set())
    assert result.recall() >= 0.8, result.misses
    assert result.precision() >= 0.9, result.misses


@pytest.mark.parametrize(
    ("name", "recall", "precision"),
    # measured 0.973 / 1.000, 0.911 / 0.976 and 0.971 / 0.944 (benchmarks/offline_profile.py);
    # the bars keep a margin so that one new rule may trade a fact, not a whole mechanism
    [("unseen", 0.93, 0.96), ("fresh", 0.85, 0.93), ("fresh2", 0.9, 0.9)],
)
def test_rules_keep_their_figures_on_the_sets_written_after_tuning(
    name: str, recall: float, precision: float
) -> None:
    rows = load_set(DEFAULT_DATA.with_name(f"offline_profile_{name}.jsonl"))
    assert len(rows) >= 50
    result = score(rows)
    assert result.recall() >= recall, result.misses
    assert result.precision() >= precision, result.misses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hey im sam", {("name", "Sam")}),
        ("i'm jess, i live in leeds", {("name", "Jess"), ("location", "Leeds")}),
        ("i work at netflix", {("employer", "Netflix")}),
        ("i'm good", set()),
        ("im fine thanks", set()),
        ("im allergic to peanuts", {("allergies", "peanuts")}),  # "allergic" is no name
    ],
)
def test_lower_case_chat_gets_its_names_and_places(
    text: str, expected: set[tuple[str, str]]
) -> None:
    assert facts(text) == expected


def test_scoring_counts_a_wrong_value_against_both_recall_and_precision() -> None:
    rows = [
        {"text": "I live in Porto.", "facts": [["location", "Lisbon"]]},
        {"text": "My name is Ada.", "facts": [["name", "ada"]]},  # normalised: a match
        {"text": "Where do I live?", "facts": []},
    ]
    result = score(rows)
    assert (result.recall(), result.precision()) == (0.5, 0.5)
    assert (result.recall("location"), result.precision("name")) == (0.0, 1.0)


def facts(text: str) -> set[tuple[str, str]]:
    return {(f.category, f.value) for f in _rules.extract_facts([HumanMessage(text, id="m")])}


def test_the_example_from_the_issue_yields_name_role_and_place() -> None:
    assert facts("Hi! I'm Maria, I work as a pharmacist in Porto.") == {
        ("name", "Maria"),
        ("role", "pharmacist"),
        ("location", "Porto"),
    }


@pytest.mark.parametrize(
    "text",
    [
        "Translate 'I live in Berlin' into German.",
        "If I lived in Paris, I would eat croissants every day.",
        "My brother lives in Madrid.",
        "I don't have a dog.",
        "It's Monday.",
    ],
)
def test_quotes_hypotheticals_other_people_and_negations_yield_nothing(text: str) -> None:
    assert facts(text) == set()


def test_offline_profile_gets_pets_allergies_and_a_corrected_city() -> None:
    host = FeatureHost()
    first = datetime(2026, 1, 1, tzinfo=UTC)
    host.ingest(
        [
            HumanMessage("Hi! I'm Maria, I work as a pharmacist in Porto."),
            AIMessage("Nice to meet you, Maria."),
            HumanMessage("My dog is called Rex and I'm allergic to peanuts."),
            HumanMessage("My favourite colour is green."),
        ],
        user_id="maria",
        thread_id="t1",
        timestamp=first,
    )
    host.ingest(
        [
            HumanMessage("Actually I moved to Berlin."),
            HumanMessage("My favourite colour is blue now."),
        ],
        user_id="maria",
        thread_id="t2",
        timestamp=first + timedelta(days=3),
    )
    profile = host.profile("maria")
    assert profile.as_dict() == {
        "allergies": ["peanuts"],
        "favorite_color": ["blue"],
        "location": ["Berlin"],
        "name": ["Maria"],
        "pets": ["Rex (dog)"],
        "role": ["pharmacist"],
    }
    assert all(f.source == "rules" for f in profile)
    history = {(f.category, f.value, f.valid_to is None) for f in host.profile_history("maria")}
    assert ("location", "Porto", False) in history  # superseded, kept
    assert ("favorite_color", "green", False) in history

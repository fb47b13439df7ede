"""Versioned profile: supersede, history, rollback, near-duplicates, bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from langgraph.store.memory import InMemoryStore

from langmem_plugin.nodes.profile import FactProposal, ProfileExtraction, ProfileStore


@pytest.fixture
def profiles() -> ProfileStore:
    return ProfileStore(InMemoryStore())


def fact(category: str, value: str, action: str = "add") -> FactProposal:
    return FactProposal(
        action=action,
        category=category,
        value=value,  # type: ignore[arg-type]
        source_message_ids=["m1"],
    )


def test_update_supersedes_and_keeps_the_old_version(profiles: ProfileStore) -> None:
    profiles.apply(
        "u", [fact("location", "Paris")], source="rules", at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    change = profiles.apply(
        "u",
        [fact("location", "Berlin", "update")],
        source="rules",
        at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    assert [f.value for f in change.superseded] == ["Paris"]
    profile = profiles.current("u")
    assert profile.get("location") == ["Berlin"]
    assert profile.version == 2
    history = {(f.value, f.version_from, f.version_to) for f in profiles.history("u")}
    assert history == {("Paris", 1, 2), ("Berlin", 2, None)}
    old = next(f for f in profiles.history("u") if f.value == "Paris")
    assert old.valid_to is not None
    assert old.valid_to.startswith("2026-02-01")
    assert old.source_message_ids == ["m1"]


def test_near_duplicates_are_not_stored_twice(profiles: ProfileStore) -> None:
    profiles.apply("u", [fact("tools", "VS Code")], source="rules")
    change = profiles.apply(
        "u", [fact("tools", "vs code."), fact("tools", "the VS Code")], source="rules"
    )
    assert not change.changed
    assert len(change.duplicates) == 2
    assert profiles.current("u").get("tools") == ["VS Code"]
    assert profiles.version("u") == 1


def test_delete_closes_the_fact_and_like_replaces_dislike(profiles: ProfileStore) -> None:
    profiles.apply("u", [fact("likes", "jazz"), fact("dislikes", "opera")], source="rules")
    profiles.apply("u", [fact("likes", "jazz", "delete"), fact("likes", "opera")], source="rules")
    assert profiles.current("u").as_dict() == {"likes": ["opera"]}
    closed = {f.value for f in profiles.history("u") if f.version_to == 2}
    assert closed == {"jazz", "opera"}


def test_rollback_restores_a_version_as_a_new_version(profiles: ProfileStore) -> None:
    profiles.apply("u", [fact("location", "Paris"), fact("likes", "tea")], source="rules")
    profiles.apply(
        "u", [fact("location", "Berlin"), fact("likes", "tea", "delete")], source="rules"
    )
    profiles.rollback("u", 1)
    profile = profiles.current("u")
    assert profile.as_dict() == {"likes": ["tea"], "location": ["Paris"]}
    assert profile.version == 3
    assert {f.source for f in profile} == {"rollback:v1"}
    assert len(profiles.history("u")) == 5  # nothing lost


@pytest.mark.parametrize("version", [0, 2, -1, "1"])
def test_rollback_to_a_missing_version_names_it(profiles: ProfileStore, version: object) -> None:
    profiles.apply("u", [fact("location", "Paris")], source="rules")
    with pytest.raises(ValueError, match=repr(version)):
        profiles.rollback("u", version)  # type: ignore[arg-type]
    assert profiles.current("u").get("location") == ["Paris"]


def test_invalid_proposal_writes_nothing(profiles: ProfileStore) -> None:
    with pytest.raises(ValueError, match="'!!'"):
        profiles.apply("u", [fact("location", "Paris"), fact("!!", "x")], source="rules")
    with pytest.raises(ValueError, match="'likes'"):
        profiles.apply("u", [fact("location", "Paris"), fact("likes", "  ")], source="rules")
    assert len(profiles.current("u")) == 0
    assert profiles.history("u") == []


def test_users_never_see_each_others_facts(profiles: ProfileStore) -> None:
    profiles.apply("alice", [fact("name", "Alice")], source="rules")
    profiles.apply("bob", [fact("name", "Bob")], source="rules")
    assert profiles.current("alice").get("name") == ["Alice"]
    assert profiles.current("bob").get("name") == ["Bob"]
    assert [f.value for f in profiles.history("bob")] == ["Bob"]


def test_extended_schema_fields_are_kept(profiles: ProfileStore) -> None:
    class SourcedFact(FactProposal):
        evidence: str = ""

    class Extraction(ProfileExtraction):
        facts: list[SourcedFact]  # type: ignore[assignment]

    parsed = Extraction.model_validate(
        {"facts": [{"category": "role", "value": "chef", "evidence": "said so"}]}
    )
    profiles.apply("u", parsed.facts, source="llm")
    (stored,) = profiles.current("u")
    assert stored.extra == {"evidence": "said so"}


def test_str_renders_facts_readably(profiles: ProfileStore) -> None:
    profiles.apply("u", [fact("name", "Ada"), fact("likes", "chess")], source="rules")
    text = str(profiles.current("u"))
    assert text.splitlines()[0] == "Profile of u (version 1, 2 facts)"
    assert "- name: Ada (confidence 0.80" in text
    assert "- likes: chess" in text


def test_update_with_replaces_supersedes_a_multi_valued_fact(profiles: ProfileStore) -> None:
    profiles.apply("u", [fact("likes", "tea"), fact("likes", "chess")], source="llm")
    update = FactProposal(action="update", category="likes", value="green tea", replaces="tea")
    change = profiles.apply("u", [update], source="llm")
    assert [f.value for f in change.superseded] == ["tea"]
    assert sorted(profiles.current("u").get("likes")) == ["chess", "green tea"]

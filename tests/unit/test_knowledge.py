"""Entities and relations: the offline rules, the tables (supersession, isolation), recall."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, HumanMessage

from langmem_plugin.errors import EntityNotFoundError
from langmem_plugin.knowledge import KnowledgeGraph, RelationDraft
from langmem_plugin.knowledge._rules import extract_knowledge, name_candidates
from langmem_plugin.memory import Memory
from langmem_plugin.nodes._context import Scope
from langmem_plugin.nodes.recall import Recall
from tests.unit.nodes_support import embeddings

MARCH, MAY = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)


def triples(messages: list[object]) -> set[tuple[str, str, str, str]]:
    found = extract_knowledge(messages)  # type: ignore[arg-type]
    return {(r.subject, r.predicate, r.object, r.action) for r in found.relations}


# ----- offline rules ---------------------------------------------------------------------
def test_rules_find_first_person_relations_with_the_user_as_subject() -> None:
    said = [
        HumanMessage("I work at Acme Corp and my sister Lena lives in Berlin.", id="m1"),
        HumanMessage("I'm working on Project Falcon. I no longer use vim.", id="m2"),
    ]
    assert triples(said) == {
        ("user", "works_at", "Acme Corp", "add"),
        ("Lena", "sister_of", "user", "add"),
        ("Lena", "lives_in", "Berlin", "add"),
        ("user", "works_on", "Project Falcon", "add"),
        ("user", "uses", "vim", "delete"),
    }


def test_rules_read_the_speaker_prefix_and_skip_the_assistants_i() -> None:
    said = [
        HumanMessage("Caroline: I went to Paris with Melanie.", id="c1"),
        AIMessage("I work at OpenAI.", id="a1"),  # the assistant's "I" is no one's
        AIMessage("Melanie: I play the clarinet.", id="a2"),
    ]
    assert triples(said) == {
        ("Caroline", "visited", "Paris", "add"),
        ("Melanie", "plays", "clarinet", "add"),
    }
    found = extract_knowledge(said)  # type: ignore[arg-type]
    assert found.speakers == {"Caroline", "Melanie"}
    names = {e.name: e.kind for e in found.entities}
    assert names["Paris"] == "place"
    assert "Caroline" not in names  # a speaker is no mention of itself


def test_name_candidates_drop_sentence_initial_words_and_greetings() -> None:
    text = "Painting is fun. Bye Caroline, see you in San Francisco on Friday!"
    assert name_candidates(text) == [("Caroline", "other"), ("San Francisco", "place")]


# ----- the tables ------------------------------------------------------------------------
@pytest.fixture
def memory() -> Iterator[Memory]:
    with Memory.in_memory(embeddings=embeddings()) as opened:
        yield opened


def test_a_new_employer_supersedes_the_old_one_with_both_time_axes(memory: Memory) -> None:
    graph = memory.knowledge
    graph.apply("ada", relations=[RelationDraft(subject="user", predicate="works at",
                                                 object="Acme", object_kind="organisation")],
                at=MARCH)  # fmt: skip
    change = graph.apply(
        "ada",
        relations=[RelationDraft(subject="user", predicate="works_at", object="Globex")],
        at=MAY,
    )
    (new,) = change.added
    (old,) = change.superseded
    assert (old.object, old.valid_from[:10], old.valid_to) == (
        "Acme",
        "2026-03-01",
        MAY.isoformat(),
    )
    assert old.superseded_by == new.id
    assert old.superseded_at is not None
    assert (new.object, new.current, new.predicate) == ("Globex", True, "works_at")
    current = graph.relations("ada")
    assert [r.line() for r in current] == ["User works at Globex (since 2026-05-01, source: rules)"]
    assert len(graph.relations("ada", current=False)) == 2  # history kept, nothing overwritten


def test_multi_valued_relations_accumulate_repeat_once_and_close_on_delete(memory: Memory) -> None:
    graph = memory.knowledge
    uses = [RelationDraft(subject="user", predicate="uses", object=o) for o in ("Rust", "vim")]
    graph.apply("ada", relations=uses, at=MARCH)
    again = graph.apply("ada", relations=uses[:1], at=MAY)
    assert again.duplicates == 1
    assert not again.added
    gone = graph.apply(
        "ada",
        relations=[RelationDraft(subject="user", predicate="uses", object="vim", action="delete")],
        at=MAY,
    )
    assert [r.object for r in gone.superseded] == ["vim"]
    assert {r.object for r in graph.relations("ada")} == {"Rust"}


def test_entities_and_relations_are_isolated_by_exact_user_id(memory: Memory) -> None:
    graph = memory.knowledge
    for user in ("1", "11", "a.b", "a%2Eb"):
        graph.apply(user, relations=[RelationDraft(subject="user", predicate="uses",
                                                   object=f"Tool{user}")])  # fmt: skip
    for user in ("1", "11", "a.b", "a%2Eb"):
        assert {e.name for e in graph.entities(user) if not e.is_user} == {f"Tool{user}"}
        assert [r.object for r in graph.relations(user)] == [f"Tool{user}"]
    other = graph.entities("11")[0]
    with pytest.raises(EntityNotFoundError, match="'1'"):
        graph.entity("1", other.id)
    assert graph.find("1", ["Tool11"]) == {}


def test_bad_drafts_raise_and_write_nothing(memory: Memory) -> None:
    graph = memory.knowledge
    with pytest.raises(ValueError, match="empty"):
        graph.apply(
            "ada",
            relations=[
                RelationDraft(subject="user", predicate="uses", object="Rust"),
                RelationDraft(subject="user", predicate="uses", object="  "),
            ],
        )
    assert graph.counts("ada") == {"entities": 0, "relations": 0, "mentions": 0}


def test_a_reader_without_tables_sees_no_knowledge(tmp_path: object) -> None:
    from langmem_plugin.store._db import SqliteDatabase

    path = f"{tmp_path}/empty.sqlite"
    SqliteDatabase(path).close()
    reader = KnowledgeGraph(SqliteDatabase(path, read_only=True), "langmem")
    assert not reader.present
    assert reader.entities("ada") == []
    assert reader.relations("ada") == []


# ----- associative recall ----------------------------------------------------------------
class CountingEmbeddings(Embeddings):
    def __init__(self) -> None:
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return embeddings().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return embeddings().embed_query(text)


def _lena_memory(memory: Memory) -> None:
    memory.ingest(
        [HumanMessage("My sister Lena is visiting next month.", id="s1")],
        user_id="ada", thread_id="t1", timestamp=MARCH,
    )  # fmt: skip
    memory.ingest(
        [HumanMessage("Lena lives in Porto, near the river.", id="s2"),
         HumanMessage("Porto has the best pastel de nata bakery on Rua Flores.", id="s3")],
        user_id="ada", thread_id="t2", timestamp=MAY,
    )  # fmt: skip


def test_recall_follows_the_named_entity_to_relations_and_chained_turns() -> None:
    counting = CountingEmbeddings()
    with Memory.in_memory(embeddings=counting) as memory:
        _lena_memory(memory)
        counting.queries.clear()
        scope = Scope("ada")
        query = "Which bakery should I try when I visit Lena?"
        with_links = memory._features.recall.build(scope, query)
        assert counting.queries == [query]  # still one query embedding
        assert "Lena lives in Porto" in with_links.text
        assert with_links.relation_keys
        plain = Recall(memory.store, associative=False).build(scope, query)
        assert "Known relations" not in plain.text
        # the chain Lena -> Porto -> the turn about Porto's bakery
        assert "s3" in with_links.turn_keys


def test_recall_without_a_named_entity_is_unchanged(memory: Memory) -> None:
    _lena_memory(memory)
    scope, query = Scope("ada"), "what pastries are good near a river"
    linked = memory._features.recall.build(scope, query)
    plain = Recall(memory.store, associative=False).build(scope, query)
    assert linked.text == plain.text


def test_malformed_model_drafts_are_dropped_one_by_one(memory: Memory) -> None:
    from langmem_plugin.knowledge import KnowledgeExtraction
    from langmem_plugin.knowledge._pipeline import record_knowledge

    drafts = KnowledgeExtraction(
        relations=[
            RelationDraft(subject="user", predicate="uses", object="Rust"),
            RelationDraft(subject="user", predicate="--", object="Go"),
            RelationDraft(subject=" ", predicate="uses", object="Zig"),
        ]
    )
    said = [HumanMessage("I use Rust.", id="m1")]
    change = record_knowledge(memory.store, Scope("ada", thread_id="t"), said, drafts, "llm", MAY)
    assert change is not None
    assert [r.object for r in change.added] == ["Rust"]

"""Consolidation by meaning: the duplicate rule, each kind merged, clusters, usage counts."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage

from langmem_plugin.memory import Memory
from langmem_plugin.nodes._similarity import near_duplicates, vectors_of
from langmem_plugin.nodes._usage import Usage, strength, usage_factor, usage_of
from langmem_plugin.nodes.episodes import Episode, EpisodeStore
from langmem_plugin.nodes.profile import FactProposal
from langmem_plugin.testing import ScriptedChatModel
from tests.unit.nodes_support import FeatureHost, embeddings, memory_graph

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def memory() -> Iterator[Memory]:
    with Memory.in_memory() as opened:
        yield opened


def _duplicates(texts: list[str], values: list[str] | None = None) -> dict[int, int]:
    import numpy as np

    vectors = np.array(embeddings().embed_documents(texts))
    return near_duplicates(vectors, values or texts)


# ------------------------------------------------------------------ the rule
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("likes: hiking", "likes: going hiking"),
        ("likes: jazz", "likes: jazz music"),
        ("likes: photography", "likes: taking photos"),
        ("dislikes: crowds", "dislikes: crowded places"),
    ],
)
def test_paraphrases_sharing_words_and_meaning_are_duplicates(a: str, b: str) -> None:
    assert _duplicates([a, b], [a.split(": ")[1], b.split(": ")[1]]) == {1: 0}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("allergies: peanuts", "allergies: nuts"),  # close in meaning, no shared word
        ("diet: vegetarian", "diet: vegan"),
        ("relations: Ana (sister)", "relations: Ana (cousin)"),  # another relative
        ("pets: Rex (dog)", "pets: Rex (cat)"),
        ("likes: hiking", "likes: cycling"),
        ("languages: Java", "languages: JavaScript"),  # a shared prefix, another meaning
    ],
)
def test_related_but_different_facts_are_not_duplicates(a: str, b: str) -> None:
    assert _duplicates([a, b], [a.split(": ")[1], b.split(": ")[1]]) == {}


def test_shared_wording_alone_is_not_enough() -> None:
    import numpy as np

    texts = ["hiking", "going hiking"]
    orthogonal = np.eye(2)  # same words, unrelated vectors
    assert near_duplicates(orthogonal, texts) == {}


def test_stored_vectors_are_read_not_recomputed(memory: Memory) -> None:
    memory.store.put(("memories", "ada"), "n1", {"content": "Ada keeps bees"})
    (item,) = memory.store.search(("memories", "ada"))
    calls: list[Any] = []
    original = memory.store.embeddings.embed_documents

    def counting(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        return original(texts)

    memory.store.embeddings.embed_documents = counting  # type: ignore[method-assign]
    try:
        vectors = vectors_of(memory.store, [item], lambda i: i.value["content"])
    finally:
        memory.store.embeddings.embed_documents = original  # type: ignore[method-assign]
    assert calls == []
    assert vectors is not None
    expected = embeddings().embed_documents(["Ada keeps bees"])[0]
    assert float(vectors[0] @ expected) == pytest.approx(1.0, abs=1e-4)


# ------------------------------------------------------------------ each kind
def test_duplicate_facts_merge_into_the_oldest_and_stay_in_history(memory: Memory) -> None:
    profiles = memory._features.pipeline.profiles
    profiles.apply(
        "ada",
        [FactProposal(category="likes", value="hiking")],
        source="rules",
        at=NOW - timedelta(days=3),
    )
    profiles.apply(
        "ada",
        [FactProposal(category="likes", value="going hiking")],
        source="rules",
        at=NOW - timedelta(days=2),
    )
    profiles.apply(
        "ada",
        [FactProposal(category="likes", value="cycling")],
        source="rules",
        at=NOW - timedelta(days=1),
    )
    assert sorted(memory.profile("ada").get("likes")) == ["cycling", "going hiking", "hiking"]
    report = memory.consolidate("ada")
    assert report.facts_merged == 1
    assert sorted(memory.profile("ada").get("likes")) == ["cycling", "hiking"]
    (closed,) = [f for f in memory.profile_history("ada") if f.value == "going hiking"]
    assert closed.valid_to is not None
    assert closed.extra["merged_into"] == next(
        f.key for f in memory.profile("ada") if f.value == "hiking"
    )
    # the merged wording is an alias now: restating it is a duplicate, not a new fact
    change = profiles.apply(
        "ada", [FactProposal(category="likes", value="Going hiking!")], source="rules"
    )
    assert not change.changed
    assert change.duplicates


def test_single_valued_changes_supersede_and_are_not_merged(memory: Memory) -> None:
    profiles = memory._features.pipeline.profiles
    profiles.apply("ada", [FactProposal(category="location", value="Berlin")], source="rules")
    profiles.apply("ada", [FactProposal(category="location", value="Munich")], source="rules")
    assert memory.consolidate("ada").facts_merged == 0
    assert memory.profile("ada").value("location") == "Munich"
    assert [f.value for f in memory.profile_history("ada") if f.valid_to] == ["Berlin"]


def test_duplicate_notes_merge_into_the_more_important(memory: Memory) -> None:
    ns = ("memories", "ada")
    memory.store.put(
        ns,
        "a",
        {"content": "Ada is allergic to peanuts", "importance": 0.4, "created_at": "2026-01-01"},
    )
    memory.store.put(
        ns,
        "b",
        {"content": "Ada has a peanut allergy", "importance": 0.9, "created_at": "2026-01-02"},
    )
    memory.store.put(
        ns,
        "c",
        {
            "content": "Ada's sister Ana lives in Porto",
            "importance": 0.5,
            "created_at": "2026-01-03",
        },
    )
    report = memory.consolidate("ada")
    assert report.notes_merged == 1
    kept = {i.key: i.value for i in memory.store.search(ns)}
    assert set(kept) == {"b", "c"}
    assert kept["b"]["merged_from"] == ["a"]
    assert kept["b"]["importance"] == 0.9


def test_duplicate_lessons_merge_adding_their_weights(memory: Memory) -> None:
    ns = ("lessons", "ada")
    base = {
        "task": "book a flight",
        "tool": "book",
        "failure_kind": "tool_error",
        "error": "refused",
        "what_went_wrong": "x",
        "created_at": "2026-01-01",
        "updated_at": "2026-01-01",
    }
    memory.store.put(
        ns,
        "l1",
        {
            **base,
            "signature": "book:a",
            "weight": 3.0,
            "occurrences": 2,
            "helped": 2,
            "content": "Task: book a flight with tool book. "
            "Instead: check the dates are in the future before booking",
        },
    )
    memory.store.put(
        ns,
        "l2",
        {
            **base,
            "signature": "book:b",
            "weight": 1.0,
            "occurrences": 1,
            "helped": 0,
            "content": "Task: book flights with tool book. "
            "Instead: check that the dates are in the future before booking",
        },
    )
    memory.store.put(
        ns,
        "l3",
        {
            **base,
            "tool": "search",
            "signature": "search:c",
            "weight": 1.0,
            "occurrences": 1,
            "helped": 0,
            "content": "Task: book a flight "
            "with tool search. Instead: check the dates are in the future",
        },
    )
    report = memory.consolidate("ada")
    assert report.lessons_merged == 1  # l3 is another tool's
    kept = {i.key: i.value for i in memory.store.search(ns)}
    assert set(kept) == {"l1", "l3"}
    assert (kept["l1"]["weight"], kept["l1"]["occurrences"], kept["l1"]["helped"]) == (4.0, 3, 2)


def _episode(
    summary: str, topics: list[str], days_ago: float, thread: str, importance: float = 0.6
) -> Episode:
    when = (NOW - timedelta(days=days_ago)).isoformat()
    return Episode(
        summary=summary,
        topics=topics,
        started_at=when,
        ended_at=when,
        thread_id=thread,
        message_ids=[f"{thread}-m"],
        importance=importance,
    )


def test_episodes_are_clustered_by_topic() -> None:
    host = FeatureHost()
    episodes = EpisodeStore(host.store)
    said = [
        ("Ada planned her sailing trip to the Azores.", ["sailing", "azores"]),
        ("Ada bought a new sail for her boat.", ["sailing", "boat"]),
        ("Ada's thesis on protein folding got a reviewer comment.", ["thesis"]),
        ("Ada rewrote the protein folding chapter of her thesis.", ["thesis", "protein"]),
    ]
    for n, (summary, topics) in enumerate(said):
        episodes.write("ada", _episode(summary, topics, days_ago=5 - n, thread=f"t{n}"))
    from langmem_plugin.nodes._consolidate import Consolidator

    clusters = Consolidator(host.store).cluster_episodes("ada")
    groups = sorted(sorted(c.episode_keys) for c in clusters)
    keys = [i.key for i in sorted(episodes.list("ada"), key=lambda i: i.value["occurred_at"])]
    assert groups == sorted([sorted(keys[:2]), sorted(keys[2:])])
    labels = {c.label.split(", ")[0] for c in clusters}
    assert labels == {"sailing", "thesis"}
    stored = {i.key: i.value for i in episodes.list("ada")}
    assert stored[keys[1]]["cluster"] == keys[0]  # the cluster's oldest episode


# ------------------------------------------------------------------ usage
def test_usage_factor_and_strength() -> None:
    assert usage_factor(None) == 1.0
    assert 1.0 < usage_factor(Usage(1, None)) < usage_factor(Usage(10, None)) <= 1.05
    old = NOW - timedelta(days=90)
    unused = strength(0.6, occurred_at=old, now=NOW, half_life_days=90)
    assert unused == pytest.approx(0.3)
    used_then = strength(
        0.6, occurred_at=old, now=NOW, half_life_days=90, usage=Usage(1, old.isoformat())
    )
    recently = strength(
        0.6,
        occurred_at=old,
        now=NOW,
        half_life_days=90,
        usage=Usage(1, (NOW - timedelta(days=1)).isoformat()),
    )
    assert unused < used_then < recently


def test_recall_counts_in_a_buffer_and_the_pipeline_run_writes_them(memory: Memory) -> None:
    memory.store.put(("memories", "ada"), "n1", {"content": "Ada keeps bees on her roof"})
    usage_ns = ("usage", "ada")
    assert "bees" in memory.recall_context("ada", "does Ada keep bees?")
    assert "bees" in memory.recall_context("ada", "tell me about the bees")
    assert memory.store.search(usage_ns) == []  # nothing written on the hot path
    assert usage_of(memory.store).usage("ada", "memories", "n1").count == 2  # type: ignore[union-attr]
    memory.ingest([HumanMessage("I live in Lisbon.")], user_id="ada", thread_id="t1")
    (item,) = memory.store.search(usage_ns)
    count, last = item.value["counts"]["memories"]["n1"]
    assert count == 2
    assert last


def test_recalled_episodes_decay_slower(memory: Memory) -> None:
    episodes = memory._features.pipeline.episodes
    now = datetime.now(UTC)
    for n, summary in enumerate(["Ada pruned the roses in her garden.", "Ada fixed a Go leak."]):
        when = (now - timedelta(days=120)).isoformat()
        episodes.write(
            "ada",
            Episode(
                summary=summary, started_at=when, ended_at=when, thread_id=f"t{n}", importance=0.3
            ),
        )
    keys = sorted(i.key for i in episodes.list("ada"))
    # 0.3 halved every 90 days is below 0.15 after 120 days; recalled 2 days ago, it is not
    usage_of(memory.store).note("ada", [("episode", keys[0])], at=now - timedelta(days=2))
    report = memory.consolidate("ada")
    assert report.episodes_archived == 1
    assert [i.key for i in episodes.list("ada")] == [keys[0]]


def test_usage_counts_are_exported_and_forgotten(memory: Memory) -> None:
    memory.store.put(("memories", "ada"), "n1", {"content": "Ada keeps bees on her roof"})
    memory.store.put(("memories", "bob"), "n1", {"content": "Bob keeps bees too"})
    memory.recall_context("ada", "bees")
    memory.recall_context("bob", "bees")
    memory.flush()
    out = io.StringIO()
    memory.export(out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert any(r.get("namespace") == ["usage", "ada"] for r in records)
    memory.recall_context("ada", "bees")  # buffered, then forgotten with the user
    memory.forget_user("ada")
    memory.flush()
    assert memory.store.search(("usage", "ada")) == []
    assert usage_of(memory.store).counts("ada") == {}
    assert usage_of(memory.store).usage("bob", "memories", "n1") is not None


# ------------------------------------------------------------------ end to end
def _chat_model() -> ScriptedChatModel:
    return ScriptedChatModel(script=[], default="Noted.")


def _session_answer(messages: list[BaseMessage]) -> dict[str, Any]:
    said = [line for line in messages[-1].text.splitlines() if " human: " in line]
    facts = []
    for line in said:
        mid = line.split("]", 1)[0].removeprefix("[id=")
        text = line.split(" human: ", 1)[1]
        value = "going hiking" if "going" in text else "hiking"
        facts.append({"category": "likes", "value": value, "source_message_ids": [mid]})
    return {"episode": {"summary": "Ada talked about hiking."}, "profile": {"facts": facts}}


@pytest.mark.parametrize("model", ["scripted", "offline"])
def test_graph_sessions_then_consolidation_make_one_call_per_session(model: str) -> None:
    llm = ScriptedChatModel(script=[], default=_session_answer) if model == "scripted" else None
    with Memory.in_memory(llm=llm) as memory:
        memory.configure_memory(mode="inline", every_n_turns=100, consolidate=False)
        graph = memory_graph(memory, _chat_model(), memory.checkpointer)
        for n, text in enumerate(["I love hiking.", "I really enjoy going hiking."]):
            config = {"configurable": {"thread_id": f"s{n}", "user_id": "ada"}}
            graph.invoke({"messages": [HumanMessage(text)]}, config)
            memory.end_session(f"s{n}")
        assert sorted(memory.profile("ada").get("likes")) == ["going hiking", "hiking"]
        report = memory.consolidate("ada")
        assert report.facts_merged == 1
        assert memory.profile("ada").get("likes") == ["hiking"]
        calls = memory.llm_calls.total
        assert calls == (2 if model == "scripted" else 0)  # consolidation made none
        events = [e for e in memory.audit("ada", limit=1000) if e.operation == "consolidate"]
        assert len(events) == 1
        assert events[0].detail["facts_merged"] == 1


def test_the_benchmark_in_small_passes() -> None:
    from _consolidation_data import FACTS
    from consolidation import run

    facts = [
        f
        for f in FACTS
        if f.fact_id in {"location", "color", "hiking", "jazz", "crowds", "python", "sister"}
    ]
    figures = run(24, facts=facts)
    assert figures.duplicate_pairs_before >= 0
    assert figures.duplicate_rate <= 0.05
    assert figures.wrong_merges == 0
    assert (figures.changed_current, figures.changed_in_history) == (2, 2)
    assert figures.stable_current == 5


def test_langmem_consolidate_prints_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from langmem_plugin.cli import main

    root = tmp_path / "memory"
    with Memory.from_path(root) as opened:
        opened.configure_memory(consolidate=False)
        for n, text in enumerate(["I love jazz.", "I'm a big fan of jazz music."]):
            opened.ingest([HumanMessage(text)], user_id="ada", thread_id=f"t{n}")
    assert main(["consolidate", "ada", "--path", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["facts_merged"] == 1
    assert report["merged"][0][0] == "fact"
    assert main(["consolidate", "ada", "--path", str(root)]) == 0
    assert "ada: merged 0 facts" in capsys.readouterr().out
    assert main(["consolidate", "nobody", "--path", str(root)]) != 0
    assert "unknown user 'nobody'" in capsys.readouterr().err


def test_forgetting_a_merged_wording_leaves_no_text_of_it(memory: Memory) -> None:
    profiles = memory._features.pipeline.profiles
    profiles.apply("ada", [FactProposal(category="likes", value="hiking")], source="rules")
    profiles.apply(
        "ada", [FactProposal(category="likes", value="hiking in the mountains")], source="rules"
    )
    assert memory.consolidate("ada").facts_merged == 1
    memory.forget("ada", query="mountains", dry_run=False)
    assert memory.profile("ada").get("likes") == ["hiking"]
    stored = json.dumps([item.value for item in memory.store.dump()])
    assert "mountain" not in stored


def test_aconsolidate_runs_off_the_event_loop(memory: Memory) -> None:
    import asyncio

    profiles = memory._features.pipeline.profiles
    for value in ("jazz", "jazz music"):
        profiles.apply("ada", [FactProposal(category="likes", value=value)], source="rules")
    report = asyncio.run(memory.aconsolidate("ada"))
    assert report.facts_merged == 1
    assert memory.profile("ada").get("likes") == ["jazz"]


def test_the_inspectors_preview_of_a_recall_counts_no_usage(memory: Memory) -> None:
    from langmem_plugin.ui._data import agent_view

    memory.store.put(("memories", "ada"), "n1", {"content": "Ada keeps bees on her roof"})
    assert "bees" in agent_view(memory, "ada", "does Ada keep bees?").context
    assert usage_of(memory.store).usage("ada", "memories", "n1") is None
    assert "bees" in memory.recall_context("ada", "does Ada keep bees?")  # a use counts
    assert usage_of(memory.store).usage("ada", "memories", "n1").count == 1  # type: ignore[union-attr]

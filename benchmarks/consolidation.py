"""Consolidation by meaning: duplicates and supersession for a user who repeats themselves.

A generated user (``_consolidation_data``: seeded) talks for ``--sessions`` sessions (100),
restating and paraphrasing 30 facts and changing 10 of them once. Every session goes
through the real pipeline (``Memory.ingest``: archive, episode, profile, offline rules, or
``--model scripted``: a scripted chat model answering the pipeline's one call per session
with the facts in the user's words), into a memory folder with the bundled MiniLM; then
``Memory.consolidate`` runs.

Figures, from the labels only (every user message states one labelled fact, and every
stored fact names the messages it came from), never from a similarity of ours:

* **duplicate pairs**: unordered pairs of *current* profile facts labelled with the same
  fact id. The rate is their number over the number of distinct fact ids among the current
  facts (so 1 pair among 30 facts is 3.3%): before and after ``Memory.consolidate``.
* **wrong merges**: facts merged into a fact of another label (over-merging).
* **changed facts current**: changed facts whose current facts all carry the newest value
  (and at least one does); **old value in history**: changed facts whose old value is a
  closed version in ``("profile_history", user)``.
* **stable facts current**: facts that never change and are current.
* **model calls**: with ``--model scripted``, the calls made (one per session: consolidation
  makes none).

Usage::

    python benchmarks/consolidation.py [--sessions 100] [--model rules|scripted] [--seed 7]

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _consolidation_data import FACTS, Fact, Session, generate, label_of

from langmem_plugin.memory import Memory
from langmem_plugin.nodes.profile import ProfileFact
from langmem_plugin.testing import ScriptedChatModel

USER = "ada"


@dataclass
class Figures:
    """What one run measured (see the module docstring)."""

    sessions: int
    facts: int
    changed: int
    current_facts: int
    labelled_ids: int
    unlabelled_facts: int
    duplicate_pairs_before: int
    duplicate_rate_before: float
    duplicate_pairs: int
    duplicate_rate: float
    wrong_merges: int
    changed_current: int
    changed_in_history: int
    stable_current: int
    facts_merged: int
    episodes: int
    topic_clusters: int
    model_calls: int
    ingest_seconds: float
    consolidate_seconds: float


def _labels(fact: ProfileFact) -> set[tuple[str, int]]:
    return {label for m in fact.source_message_ids if (label := label_of(m)) is not None}


def duplicate_pairs(facts: list[ProfileFact]) -> tuple[int, int]:
    """``(pairs of facts sharing a fact id, distinct fact ids)`` among ``facts``."""
    ids = [{fid for fid, _ in _labels(f)} for f in facts]
    pairs = sum(1 for a, b in combinations(ids, 2) if a & b)
    return pairs, len(set().union(*ids)) if ids else 0


def _scripted(sessions: list[Session], facts: list[Fact]) -> ScriptedChatModel:
    """A model answering each session's one call with its facts, in the user's words."""
    categories = {f.fact_id: f.category for f in facts}
    said = {m.message_id: m for s in sessions for m in s.mentions}
    from langmem_plugin.nodes._rules import extract_facts

    def answer(messages: list[BaseMessage]) -> dict[str, Any]:
        transcript = messages[-1].text
        found = []
        for mid in re.findall(r"\[id=([^\]]+)\] human:", transcript):
            mention = said.get(mid)
            if mention is None:
                continue
            # the value as the user phrased it (what a model writes), in its category
            values = [f.value for f in extract_facts([HumanMessage(mention.text, id=mid)])]
            found.append(
                {
                    "action": "add",
                    "category": categories[mention.fact_id],
                    "value": values[0] if values else mention.text,
                    "source_message_ids": [mid],
                }
            )
        return {
            "episode": {"summary": "Ada talked about herself: " + transcript[-300:]},
            "profile": {"facts": found},
            "lessons": [],
            "tasks": [],
        }

    return ScriptedChatModel(script=[], default=answer)


def run(
    sessions: int = 100,
    *,
    facts: list[Fact] | None = None,
    model: str = "rules",
    seed: int = 7,
    pipeline_consolidation: bool = True,
    directory: str | Path | None = None,
) -> Figures:
    """Generate, ingest, consolidate, measure (see the module docstring).

    Args:
        sessions: How many sessions.
        facts: The facts (default the 30 of ``_consolidation_data``).
        model: ``"rules"`` (offline) or ``"scripted"`` (a scripted model, one call per run).
        seed: The generator's seed.
        pipeline_consolidation: ``PipelineOptions.consolidate`` (each run merges the facts
            it added); False leaves it all to ``Memory.consolidate``.
        directory: A memory folder (default: a temporary one; ``None`` in tests is fine).
    """
    facts = facts if facts is not None else FACTS
    # a day apart, the last one today (older episodes would decay, as they should)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=sessions)
    generated = generate(sessions, facts=facts, seed=seed, start=start)
    llm = _scripted(generated, facts) if model == "scripted" else None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(directory) if directory is not None else Path(tmp) / "memory"
        with Memory.from_path(root, llm=llm) as memory:
            memory.configure_memory(consolidate=pipeline_consolidation)
            started = time.perf_counter()
            for session in generated:
                turns: list[BaseMessage] = []
                for mention in session.mentions:
                    turns.append(HumanMessage(mention.text, id=mention.message_id))
                    turns.append(AIMessage("Noted.", id=f"ai-{mention.message_id}"))
                memory.ingest(
                    turns, user_id=USER, thread_id=session.thread_id, timestamp=session.at
                )
            ingested = time.perf_counter() - started
            before, _ = duplicate_pairs(memory.profile(USER).facts)
            started = time.perf_counter()
            report = memory.consolidate(USER)
            consolidated = time.perf_counter() - started
            current = memory.profile(USER).facts
            history = memory.profile_history(USER)
            calls = memory.llm_calls.total if llm is not None else 0
            episodes = len(memory.store.search(("episodes", USER), limit=10_000))
    pairs, ids = duplicate_pairs(current)
    by_key = {f.key: f for f in current}
    wrong = 0
    for fact in history:
        into = fact.extra.get("merged_into")
        if into and into in by_key:
            mine = {fid for fid, _ in _labels(fact)}
            theirs = {fid for fid, _ in _labels(by_key[into])}
            wrong += bool(mine and theirs and not mine & theirs)
    changed = [f for f in facts if f.changes]
    changed_current = changed_history = 0
    for fact in changed:
        labels = [_labels(f) for f in current]
        mine = [lab for lab in labels if any(fid == fact.fact_id for fid, _ in lab)]
        if mine and all(all(vi == 1 for fid, vi in lab if fid == fact.fact_id) for lab in mine):
            changed_current += 1
        old = [f for f in history if f.valid_to is not None and (fact.fact_id, 0) in _labels(f)]
        changed_history += bool(old)
    current_ids = {fid for f in current for fid, _ in _labels(f)}
    stable = sum(1 for f in facts if not f.changes and f.fact_id in current_ids)
    return Figures(
        sessions=sessions,
        facts=len(facts),
        changed=len(changed),
        current_facts=len(current),
        labelled_ids=ids,
        unlabelled_facts=sum(1 for f in current if not _labels(f)),
        duplicate_pairs_before=before,
        duplicate_rate_before=round(before / ids, 4) if ids else 0.0,
        duplicate_pairs=pairs,
        duplicate_rate=round(pairs / ids, 4) if ids else 0.0,
        wrong_merges=wrong,
        changed_current=changed_current,
        changed_in_history=changed_history,
        stable_current=stable,
        facts_merged=report.facts_merged,
        episodes=episodes,
        topic_clusters=len(report.clusters),
        model_calls=calls,
        ingest_seconds=round(ingested, 2),
        consolidate_seconds=round(consolidated, 3),
    )


def main(argv: list[str] | None = None) -> int:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--model", choices=["rules", "scripted"], default="rules")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-pipeline-consolidation",
        action="store_true",
        help="the pipeline runs do not consolidate (all left to Memory.consolidate)",
    )
    args = parser.parse_args(argv)
    figures = run(
        args.sessions,
        model=args.model,
        seed=args.seed,
        pipeline_consolidation=not args.no_pipeline_consolidation,
    )
    f = figures
    print(f"sessions {f.sessions}, facts {f.facts} ({f.changed} change), model {args.model}")
    print(
        f"duplicate pairs: {f.duplicate_pairs_before} before consolidation "
        f"({f.duplicate_rate_before:.1%} of {f.labelled_ids} facts), {f.duplicate_pairs} after "
        f"({f.duplicate_rate:.1%}); wrong merges {f.wrong_merges}; "
        f"{f.current_facts} current facts ({f.unlabelled_facts} unlabelled)"
    )
    print(
        f"changed facts: newest value current {f.changed_current}/{f.changed}, "
        f"old value in history {f.changed_in_history}/{f.changed}; "
        f"stable facts current {f.stable_current}/{f.facts - f.changed}"
    )
    print(
        f"consolidate: {f.facts_merged} facts merged, {f.episodes} live episodes in "
        f"{f.topic_clusters} topic clusters, {f.consolidate_seconds:.3f} s; "
        f"ingest {f.ingest_seconds:.1f} s; model calls {f.model_calls}"
    )
    print(json.dumps(asdict(figures)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

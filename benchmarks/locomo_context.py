"""LoCoMo end to end: is the evidence in the context the agent is given, at what token cost?

Usage:
    python benchmarks/locomo_context.py PATH/TO/locomo.json [--budget 800]
        [--conversations K] [--max-questions Q] [--embeddings minilm|mpnet]
        [--recall-only]

What it measures: retrieval recall (locomo_recall.py) scores ranked lists; what reaches the
model is a context packed within a token budget. This benchmark scores that context.

How:

* **Ingest.** Every conversation goes into one fresh ``Memory.from_path(tmpdir)`` (offline,
  no model), its user id the conversation id, through ``Memory.ingest`` with one call per
  session: ``thread_id`` ``<conv>-session-<n>``, ``timestamp`` the session date (an aware
  datetime, UTC). speaker_a's turns are ``HumanMessage``s and speaker_b's ``AIMessage``s,
  each text prefixed with its speaker's name ("Caroline: ...") and followed by
  "[shares a photo of <caption>]" where the turn shares a photo. ``Memory.flush()`` follows.
* **Ask.** Every question of categories 1-4 (multi-hop, temporal, open-domain, single-hop)
  with at least one valid evidence id goes to three systems, each in its own conversation,
  with the same budget (``--budget``, 800 tokens) and the same token counter, the recall
  node's default (``MemoryOptions().token_counter``: LangChain's approximate counter on the
  context as one system message):

  * ``recall_context``: ``memory.recall_context(conversation_id, question)``, exactly the text
    the recall node injects;
  * ``recall_no_associative``: the same recall without associative expansion
    (``Recall(..., associative=False)``: no relations, no chained turns), to measure what
    the entities and relations the pipeline's offline rules wrote add;
  * ``dense_packed``: ``store.search(ns, query=question, limit=50)`` over the raw turns (one
    item per turn in a separate ``ChromaStore`` with the same embeddings);
  * ``retriever_packed``: ``MemoryRetriever`` (k=50) over the same items (fields content,
    speaker, session_id, seq, occurred_at, as in locomo_recall.py).

  The two baselines render each turn as "[8 May 2023] Caroline: ..." (session date, speaker,
  words, photo) and take turns best first until the next one does not fit the budget.
  Each system gets one untimed warm-up query per conversation first (the first query after
  opening builds the lexical index; locomo_recall.py reports that time).

Metrics, per category and overall, per system:

* **content words** of a text: its lowercased alphanumeric words (apostrophes inside a word
  dropped, as the retriever's analyser does) minus the project's stop words
  (``langmem_plugin._text.STOP_WORDS``), not stemmed;
* **evidence_in_context**: share of questions where at least one evidence turn has >= 60%
  of its content words in the context. A turn is judged on what it says (its words and its
  photo caption, not its speaker's name); only turns with >= 3 content words are judged, and
  a question with no such turn is left out of this metric;
* **answer_in_context**: share of questions whose gold answer (``str()`` of it) has >= 50% of
  its content words in the context; answers without content words are left out;
* **tokens**: mean context tokens (the recall node's counter; 0 for an empty context);
* **p50_ms / p95_ms**: latency of building one context (query embedding included).

Where the evidence ranks (printed before the JSON, a diagnosis rather than a score): the
archive ranking recall itself uses (``MemoryRetriever`` over ``("archive", conversation_id)``
with ``ARCHIVE_RETRIEVER_OPTIONS``, 50 turns) and the share of judged questions whose first
evidence turn (>= 60% of its content words in the turn) is in its top 10, 20, 30, 40 and 50.
About 20 LoCoMo turns fit in 800 tokens, so the top-20 share bounds what packing the
archive's ranking can reach, and the top-50 share what a better packing of the same
candidates could.

Output: one table per system, then as the last line one JSON object:
``{"dataset", "embeddings", "n_questions", "budget", "systems": {name: {"evidence_in_context",
"answer_in_context", "tokens", "p50_ms", "p95_ms", "categories": {"1": {...}, ...}}},
"evidence_ranks": {"10": share, ...}}`` (overall figures, and the same five per category).
Phase timings go to stderr.

Embeddings: one ``LocalEmbeddings(model=--embeddings)`` behind a cache by text; the baseline
store reuses the vectors computed while ingesting the same turn texts. Queries are never cached.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from statistics import mean
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from _locomo import (
    CATEGORIES,
    Conversation,
    DocumentCache,
    Question,
    Turn,
    add_embeddings_argument,
    answer_in_context,
    content_words,
    evidence_in_context,
    evidence_rank,
    load,
    memory_value,
    percentile_ms,
)
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.store.base import Item, PutOp

from langmem_plugin._embeddings import LocalEmbeddings
from langmem_plugin._messages import count_tokens
from langmem_plugin.memory import Memory
from langmem_plugin.nodes import MemoryOptions
from langmem_plugin.nodes._context import Scope
from langmem_plugin.nodes.recall import ARCHIVE, ARCHIVE_RETRIEVER_OPTIONS, Recall
from langmem_plugin.retriever import MemoryRetriever
from langmem_plugin.store import ChromaStore

DEPTH = 50
#: Cut-offs of the evidence-rank diagnosis (see the module docstring).
RANK_CUTS = (10, 20, 30, 40, 50)
SYSTEMS = ("recall_context", "recall_no_associative", "dense_packed", "retriever_packed")
TOKEN_COUNTER = MemoryOptions().token_counter


@dataclass(frozen=True)
class Row:
    """One question answered by one system."""

    category: int
    evidence: bool | None
    answer: bool | None
    tokens: int
    seconds: float


def log(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)


def context_tokens(text: str) -> int:
    """Tokens of a context as the recall node counts them (one system message)."""
    return count_tokens([SystemMessage(text)], TOKEN_COUNTER) if text else 0


def session_messages(conv: Conversation, turns: Sequence[Turn]) -> list[BaseMessage]:
    """speaker_a's turns as the user's messages, speaker_b's as the assistant's."""
    return [
        HumanMessage(t.content) if t.speaker == conv.speaker_a else AIMessage(t.content)
        for t in turns
    ]


def render_turn(value: dict[str, Any]) -> str:
    """'[8 May 2023] Caroline: ...': the session date, then the stored turn text."""
    when = datetime.fromisoformat(value["occurred_at"])
    return f"[{when.day} {when:%B %Y}] {value['content']}"


def pack(items: Sequence[Item], budget: int) -> str:
    """Render items best first until the next one would exceed the budget."""
    lines: list[str] = []
    for item in items:
        trial = "\n".join([*lines, render_turn(item.value)])
        if context_tokens(trial) > budget:
            break
        lines.append(render_turn(item.value))
    return "\n".join(lines)


def ingest(memory: Memory, conv: Conversation) -> None:
    """One ``Memory.ingest`` call per session, dated by the session."""
    for turns in conv.sessions():
        memory.ingest(
            session_messages(conv, turns),
            user_id=conv.sample_id,
            thread_id=f"{conv.sample_id}-session-{turns[0].session}",
            timestamp=datetime.fromisoformat(turns[0].occurred_at),
        )


def context_builders(
    memory: Memory, baseline: ChromaStore, conversation_id: str, budget: int
) -> dict[str, Callable[[str], str]]:
    """The three systems of one conversation: question -> context text."""
    ns = ("locomo", conversation_id)
    retriever = MemoryRetriever(store=baseline, namespace=ns)

    options = memory._features.options
    plain = Recall(  # recall as the memory builds it, without associative expansion
        memory.store,
        search=options.search,
        max_tokens=options.recall_tokens,
        counter=options.token_counter,
        reranker=options.reranker,
        associative=False,
    )

    def recall_context(question: str) -> str:
        return memory.recall_context(conversation_id, question)

    def recall_no_associative(question: str) -> str:
        return plain.build(Scope(conversation_id), question).text

    def dense_packed(question: str) -> str:
        return pack(baseline.search(ns, query=question, limit=DEPTH), budget)

    def retriever_packed(question: str) -> str:
        return pack(retriever.search_items(question, k=DEPTH), budget)

    return {
        "recall_context": recall_context,
        "recall_no_associative": recall_no_associative,
        "dense_packed": dense_packed,
        "retriever_packed": retriever_packed,
    }


def rank_shares(ranks: Sequence[int | None]) -> dict[str, float]:
    """Share of questions whose first evidence turn ranks within each cut-off."""
    return {
        str(k): round(sum(r is not None and r < k for r in ranks) / len(ranks), 4)
        for k in RANK_CUTS
    }


def print_ranks(ranks: Sequence[tuple[int, int | None]]) -> None:
    print("\nwhere recall's archive ranking puts the first evidence turn (judged questions)")
    print(f"  {'category':<16}{'n':>5}" + "".join(f"{f'top {k}':>9}" for k in RANK_CUTS))
    groups = [
        (f"{c} {label}", [r for cat, r in ranks if cat == c]) for c, label in CATEGORIES.items()
    ]
    for label, group in [*groups, ("all (1-4)", [r for _, r in ranks])]:
        if group:
            shares = rank_shares(group).values()
            print(f"  {label:<16}{len(group):>5}" + "".join(f"{s:>9.3f}" for s in shares))


def pick(questions: list[Question], limit: int | None) -> list[Question]:
    """At most ``limit`` questions, spread evenly over the list (all when None)."""
    if limit is None or len(questions) <= limit:
        return questions
    step = len(questions) / limit
    return [questions[int(i * step)] for i in range(limit)]


def summarise_by_category(rows: Sequence[Row]) -> dict[str, Any]:
    """:func:`summarise` overall, with the same figures per category under "categories"."""
    by_category = {
        str(c): summarise(group)
        for c in CATEGORIES
        for group in [[r for r in rows if r.category == c]]
        if group
    }
    return {**summarise(rows), "categories": by_category}


def summarise(rows: Sequence[Row]) -> dict[str, float]:
    """The five figures of one system over some questions."""
    evidence = [r.evidence for r in rows if r.evidence is not None]
    answers = [r.answer for r in rows if r.answer is not None]
    p50, p95 = percentile_ms([r.seconds for r in rows])
    return {
        "evidence_in_context": round(float(mean(evidence)), 4) if evidence else 0.0,
        "answer_in_context": round(float(mean(answers)), 4) if answers else 0.0,
        "tokens": round(float(mean(r.tokens for r in rows)), 1) if rows else 0.0,
        "p50_ms": p50,
        "p95_ms": p95,
    }


def print_table(name: str, rows: Sequence[Row]) -> None:
    print(f"\n{name}")
    print(
        f"  {'category':<16}{'n':>5}  {'evidence':>9}{'answer':>8}{'tokens':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}"
    )
    groups = [
        (f"{c} {label}", [r for r in rows if r.category == c]) for c, label in CATEGORIES.items()
    ]
    for label, group in [*groups, ("all (1-4)", list(rows))]:
        if not group:
            continue
        s = summarise(group)
        print(
            f"  {label:<16}{len(group):>5}  {s['evidence_in_context']:>9.3f}"
            f"{s['answer_in_context']:>8.3f}{s['tokens']:>8.0f}{s['p50_ms']:>9.1f}"
            f"{s['p95_ms']:>9.1f}"
        )


def main() -> None:  # noqa: PLR0912 -- one branch per phase and option
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="LoCoMo JSON file (e.g. locomo10.json)")
    parser.add_argument("--budget", type=int, default=800, help="context token budget")
    parser.add_argument("--conversations", type=int, default=None, help="first K only")
    parser.add_argument(
        "--max-questions", type=int, default=None, help="at most Q questions per conversation"
    )
    parser.add_argument(
        "--recall-only",
        action="store_true",
        help="only recall_context and recall_no_associative (skip the two baselines)",
    )
    add_embeddings_argument(parser)
    args = parser.parse_args()
    if args.budget <= 0:
        parser.error(f"--budget must be positive, got {args.budget}")
    started = time.perf_counter()
    conversations = load(args.data)[: args.conversations]
    asked = {c.sample_id: pick(c.questions, args.max_questions) for c in conversations}
    n_questions = sum(len(q) for q in asked.values())
    n_turns = sum(len(c.turns) for c in conversations)
    print(
        f"{args.data}: {len(conversations)} conversations, {n_turns} turns, "
        f"{n_questions} questions (categories 1-4), budget {args.budget} tokens, "
        f"embeddings {args.embeddings}"
    )
    local = LocalEmbeddings(model=args.embeddings)
    cache = DocumentCache(local)
    cache.serving = True  # nothing here is a throughput figure: reuse every vector
    rows: dict[str, list[Row]] = {s: [] for s in SYSTEMS}
    ranks: list[tuple[int, int | None]] = []

    with tempfile.TemporaryDirectory(prefix="locomo-context-") as tmp:
        memory = Memory.from_path(Path(tmp) / "memory", embeddings=cache)
        baseline = ChromaStore(index={"dims": local.dims, "embed": cache, "fields": ["content"]})
        try:
            for conv in conversations:
                t0 = time.perf_counter()
                ingest(memory, conv)
                log(
                    f"ingested {conv.sample_id} ({len(conv.turns)} turns, "
                    f"{time.perf_counter() - t0:.1f} s)",
                    started,
                )
            t0 = time.perf_counter()
            memory.flush()
            log(f"flushed ({time.perf_counter() - t0:.1f} s)", started)
            t0 = time.perf_counter()
            for conv in conversations if not args.recall_only else []:
                ns = ("locomo", conv.sample_id)
                baseline.batch([PutOp(ns, t.dia_id, memory_value(conv, t)) for t in conv.turns])
            log(f"baseline store built ({time.perf_counter() - t0:.1f} s)", started)

            for conv in conversations:
                t0 = time.perf_counter()
                said = {t.dia_id: t.said for t in conv.turns}
                builders = context_builders(memory, baseline, conv.sample_id, args.budget)
                if args.recall_only:
                    builders = {k: v for k, v in builders.items() if k.startswith("recall")}
                archive = MemoryRetriever(
                    store=memory.store,
                    namespace=(ARCHIVE, conv.sample_id),
                    **ARCHIVE_RETRIEVER_OPTIONS,
                )
                for build in builders.values():
                    build("warm up")
                for q in asked[conv.sample_id]:
                    evidence = [said[d] for d in sorted(q.evidence)]
                    for name, build in builders.items():
                        t1 = time.perf_counter()
                        text = build(q.text)
                        seconds = time.perf_counter() - t1
                        words = content_words(text)
                        rows[name].append(
                            Row(
                                q.category,
                                evidence_in_context(evidence, words),
                                answer_in_context(q.answer, words),
                                context_tokens(text),
                                seconds,
                            )
                        )
                    # After the timed systems, so that it warms nothing they are timed on.
                    if evidence_in_context(evidence, set()) is not None:
                        ranked = archive.search_items(q.text, k=RANK_CUTS[-1])
                        contents = [i.value["content"] for i in ranked]
                        ranks.append((q.category, evidence_rank(contents, evidence)))
                log(
                    f"asked {conv.sample_id} ({len(asked[conv.sample_id])} questions, "
                    f"{time.perf_counter() - t0:.1f} s)",
                    started,
                )
        finally:
            baseline.close()
            memory.close()

    for name in SYSTEMS:
        if rows[name]:
            print_table(name, rows[name])
    if ranks:
        print_ranks(ranks)
    judged = sum(r.evidence is not None for r in rows["recall_context"])
    answered = sum(r.answer is not None for r in rows["recall_context"])
    print(
        f"\n{judged} of {n_questions} questions have an evidence turn with >= 3 content words; "
        f"{answered} have an answer with content words"
    )
    print(f"total time {time.perf_counter() - started:.0f} s")
    result = {
        "dataset": Path(args.data).name,
        "embeddings": args.embeddings,
        "n_questions": n_questions,
        "budget": args.budget,
        "systems": {name: summarise_by_category(rows[name]) for name in SYSTEMS if rows[name]},
        "evidence_ranks": rank_shares([r for _, r in ranks]) if ranks else {},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

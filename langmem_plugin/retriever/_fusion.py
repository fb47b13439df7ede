"""Score fusion: how dense, lexical, context, time, speaker, recency and importance combine.

The final score of a memory is a weighted sum of components, each in [0, 1]:

* ``dense``: the store's vector similarity, rescaled over the dense candidates so that the
  best is 1 and the weakest candidate is 0 (raw cosine values of small models are
  compressed into a narrow band; rescaling makes them comparable with BM25 and makes the
  cut-off of the candidate list harmless).
* ``lexical``: BM25, divided by the best BM25 score of the query.
* ``context``: the relevance (dense + lexical) of the memory just before it in its session and,
  with a smaller weight, of the one just after: in a conversation the answer to a question
  often does not repeat the question's words ("What did you research?" / "Adoption
  agencies").
* ``session``: the best relevance in the memory's session: the evidence of one topic
  clusters in one session.
* ``time``: the query names a date or period and the memory happened in it (a day counts 1,
  a month 0.7, a year 0.4).
* ``speaker``: the query names the memory's speaker (``value["speaker"]``).
* ``recency``: ``0.5 ** (age / half_life)`` of when the memory happened.
* ``importance``: ``value["importance"]`` (0-1) when present.

Every component but ``dense`` and ``lexical`` is query-independent in scale, but those two are
rescaled per query, so the fused score of the best hit is always about the same whether the
query matches well or not at all. A caller that must decide *whether* anything is relevant
(recall's gates) reads :attr:`Scored.raw` instead: the store's raw ``similarity`` (cosine
for the usual indexes; absent when the memory was not among the dense results) and the raw
``bm25`` score.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from langmem_plugin.retriever._scope import DocId, Record, ScopeIndex
from langmem_plugin.retriever._time import Period

__all__ = ["FusionWeights", "Scored", "fuse"]


@dataclass(frozen=True)
class FusionWeights:
    """The weight of each component (see the module docstring)."""

    dense: float = 0.5
    lexical: float = 0.5
    previous: float = 0.2
    next: float = 0.1
    session: float = 0.3
    time: float = 0.4
    speaker: float = 0.2
    recency: float = 0.1
    importance: float = 0.1
    half_life: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Scored:
    """A ranked memory with its total score, its components and its raw similarities.

    Attributes:
        record: The memory.
        score: The fused score (comparable within one query only).
        components: The weighted terms of ``score`` (see the module docstring).
        raw: Query-comparable evidence of relevance: ``similarity`` (the store's raw
            vector similarity; absent when the memory was not a dense result) and ``bm25``.
    """

    record: Record
    score: float
    components: dict[str, float]
    raw: dict[str, float] = field(default_factory=dict)


def _rescale_dense(dense: Sequence[tuple[DocId, float]]) -> dict[DocId, float]:
    if not dense:
        return {}
    best = max(s for _, s in dense)
    floor = min(s for _, s in dense)
    if best <= floor:
        return {doc_id: 1.0 for doc_id, _ in dense}
    return {doc_id: (s - floor) / (best - floor) for doc_id, s in dense}


def fuse(
    scope: ScopeIndex,
    *,
    dense: Sequence[tuple[DocId, float]],
    lexical: Mapping[DocId, float],
    query_terms: frozenset[str],
    periods: Sequence[Period],
    weights: FusionWeights,
    now: datetime,
    pool: int,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Scored]:
    """Rank the candidates of one query, best first.

    Args:
        scope: The mirror holding the memories (and their sessions).
        dense: ``(doc_id, similarity)`` from the store's vector search.
        lexical: BM25 score of every memory sharing a term with the query.
        query_terms: The analysed query terms (for speaker matching).
        periods: Dates and periods the query names.
        weights: Component weights.
        now: Reference time for recency.
        pool: How many of the best lexical matches become candidates (all dense results do).
        start: Keep only memories that happened at or after this time.
        end: Keep only memories that happened before this time.

    Returns:
        Every candidate with its score, best first. Candidates are the dense results, the
        ``pool`` best lexical matches, and the session neighbours of both; when there are
        none, every memory of the scope.
    """
    records = scope.records
    raw_dense = {d: s for d, s in dense if d in records}
    dense_n = _rescale_dense(list(raw_dense.items()))
    best_lex = max(lexical.values(), default=0.0)
    top_lex = heapq.nlargest(pool, lexical.items(), key=lambda kv: kv[1])
    lex_n = {d: s / best_lex for d, s in top_lex} if best_lex > 0 else {}

    relevances: dict[DocId, float] = {}

    def relevance(doc_id: DocId | None) -> float:
        if doc_id is None:
            return 0.0
        found = relevances.get(doc_id)
        if found is None:
            lex = lexical.get(doc_id, 0.0) / best_lex if best_lex > 0 else 0.0
            found = weights.dense * dense_n.get(doc_id, 0.0) + weights.lexical * lex
            relevances[doc_id] = found
        return found

    seeds = set(dense_n) | set(lex_n)
    if not seeds:
        # Nothing matches (an empty query, or no index): rank every memory by the
        # query-independent components (time named in the query, recency, importance).
        seeds = set(records)
    neighbours = {d: scope.neighbours(d) for d in seeds}
    candidates = set(seeds)
    for prev, nxt in neighbours.values():
        candidates.update(x for x in (prev, nxt) if x is not None)
    for d in candidates - seeds:
        neighbours[d] = scope.neighbours(d)

    session_best: dict[object, float] = {}
    for d in candidates:
        record = records[d]
        if record.session is not None:
            rel = relevance(d)
            if rel > session_best.get(record.session, 0.0):
                session_best[record.session] = rel

    half_life = weights.half_life.total_seconds() or 1.0
    out: list[Scored] = []
    for d in candidates:
        record = records[d]
        when = record.occurred_at
        if (start is not None and when < start) or (end is not None and when >= end):
            continue
        prev, nxt = neighbours[d]
        importance = record.value.get("importance")
        age = max((now - when).total_seconds(), 0.0)
        comp = {
            "dense": dense_n.get(d, 0.0),
            "lexical": lexical.get(d, 0.0) / best_lex if best_lex > 0 else 0.0,
            "context": (weights.previous * relevance(prev) + weights.next * relevance(nxt)),
            "session": session_best.get(record.session, 0.0) if record.session is not None else 0.0,
            "time": max(
                (p.specificity for p in periods if p.contains(when, slack=_slack(p))),
                default=0.0,
            ),
            "speaker": 1.0 if record.speaker_terms and record.speaker_terms <= query_terms else 0.0,
            "recency": 0.5 ** (age / half_life),
            "importance": min(max(float(importance), 0.0), 1.0)
            if isinstance(importance, int | float) and not isinstance(importance, bool)
            else 0.0,
        }
        score = (
            weights.dense * comp["dense"]
            + weights.lexical * comp["lexical"]
            + comp["context"]
            + weights.session * comp["session"]
            + weights.time * comp["time"]
            + weights.speaker * comp["speaker"]
            + weights.recency * comp["recency"]
            + weights.importance * comp["importance"]
        )
        raw = {"bm25": lexical.get(d, 0.0)}
        if d in raw_dense:
            raw["similarity"] = raw_dense[d]
        out.append(Scored(record, score, comp, raw))
    out.sort(key=lambda s: (-s.score, s.record.namespace, s.record.key))
    return out


def _slack(period: Period) -> timedelta:
    """How long after a period a memory still counts as inside it.

    A named day also matches the next day (late-night talk, time zones); wider periods get
    no slack beyond their end.
    """
    return timedelta(days=1) if period.specificity >= 1.0 else timedelta(0)

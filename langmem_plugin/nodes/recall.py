"""Recall: one system message with what memory knows that is relevant now.

For the latest user message, the recall step gathers, for that user only:

* the archived turns of every past conversation (``("archive", user_id, session_id)``),
  ranked by :class:`~langmem_plugin.retriever.MemoryRetriever` (dense + BM25 + session
  context + time named in the query);
* profile facts, episodes (live and archived), notes saved by the agent, and lessons (the
  agent's when there is an agent id, see ``Scope.lesson_namespace``), the persona's own
  with a ``persona_id`` (``Scope.namespace``: the profile and tasks stay shared);

and packs the most relevant of them, whatever their kind, into one message within its token
budget. ``Memory.recall_context(user_id, query)`` returns exactly that text. A one-line note
of the user's mood leads it when the message is about feelings, or opens a conversation
while the recent mood is low or changed (``nodes.mood``), and a line of preference changes
or topic trends when the message asks about them (``nodes.trends``), within the same budget.

Why raw turns: a summary loses the detail a user said once in passing, the turn keeps it.
Measured on the LoCoMo dev file (offline, 800 tokens, ``benchmarks/locomo_context.py``): with
summaries, facts and lessons alone an evidence turn reached the context for 4% of the
questions; with the archive ranked and packed as below, for 92.4% (answer words: 83.0%).

Decisions, and why:

* **Gates read raw similarity.** The retriever's fused score is rescaled per query (its best
  hit always scores about the same), so it cannot say whether anything is relevant. Turns are
  recalled only when the best raw cosine similarity of a turn to the query reaches
  ``min_turn_similarity``; episodes, notes and lessons keep their own floors on the store's
  raw similarity. An unrelated question gets no turns and no lessons. Each turn then passes
  on its own (:func:`is_relevant`), or as the reply right after one that does: in a small
  memory every turn is a candidate, and the fused score would rank the whole transcript in.
  The search surfaces apply the same gates (``Recall.floor``).
  Every model has its own similarity scale, so the floors default to those of the store's
  embeddings (``SimilarityGates``: MiniLM's, mpnet's; MiniLM's for embeddings that declare
  none).
* **Reranker.** ``reranker`` (a LangChain ``BaseDocumentCompressor``, e.g. a cross-encoder)
  reorders the archive's fused candidates before packing (see ``MemoryRetriever``); the
  turns keep the pool's scale (the best turn similarity times the fused score relative to
  the best), taken in the reranker's order.
* **One ranked pool.** Every candidate gets a relevance on the scale of raw cosine similarity
  (turns: the best turn similarity, times the turn's fused score relative to the best one;
  lessons: boosted by their weight), and the budget is spent best first, across kinds. When
  it is tight, relevance wins over kind; there are no quotas.
* **Packing.** Turns of one session are shown together under one date header, in
  conversation order; adjacent turns form one run, and a gap between runs (or between two
  sessions of the same date, which share the header) is shown as ``...``. Every turn line
  starts with its speaker, every header with the date it happened (temporal questions need
  it next to the turn). A tool call reads ``Assistant called get_weather(city="Lisbon")``
  and its result ``Tool get_weather: ...`` (cut at ``TOOL_RESULT_CHARS`` characters), never
  JSON. A line is never shown twice, nor
  the same words twice (said again in another session, saved verbatim as a note). Sections
  and sessions come most relevant first.
* **Importance and usage.** Facts, episodes, notes and the user's own lessons are
  weighed by their importance (``value["importance"]``, x0.9 to x1.1) and by how often
  recall chose them before (x1 to x1.05), see ``nodes._usage.weigh``: tie-breakers between
  similarly relevant memories. Recall counts what it chose in a buffer (no store write).
* **One query embedding.** All kinds are searched in one store batch (see
  ``MemoryRetriever.search_along``), so the store embeds the query once. A custom ``search``
  function (``MemoryOptions.search``) serves the other kinds instead of the store's search.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_core.documents import Document
from langchain_core.documents.compressor import BaseDocumentCompressor
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.store.base import BaseStore, Item, SearchOp

from langmem_plugin._audit import note_recall
from langmem_plugin._embeddings import gates_for
from langmem_plugin._messages import TokenCounter, count_tokens
from langmem_plugin._namespaces import user_namespace
from langmem_plugin.nodes._associative import RELATIONS_TITLE, associate, relation_keys
from langmem_plugin.nodes._context import Scope
from langmem_plugin.nodes._similarity import store_embeddings
from langmem_plugin.nodes._turns import Turn, named, norm, turn_of
from langmem_plugin.nodes._usage import note_usage, usage_of, weigh
from langmem_plugin.nodes.trends import insight_lines
from langmem_plugin.retriever._retriever import MemoryRetriever, SearchFn
from langmem_plugin.retriever._time import parse_time
from langmem_plugin.tasks._recall import K_TASKS, task_context
from langmem_plugin.tasks._store import TASKS

__all__ = [
    "ARCHIVE",
    "ARCHIVE_RETRIEVER_OPTIONS",
    "RECALL_ID_PREFIX",
    "Recall",
    "RecallResult",
    "is_relevant",
    "latest_user_text",
    "score_of",
]


#: First label of the conversation archive: ``("archive", user_id, session_id)``.
ARCHIVE = "archive"

SharedFn = Callable[[Scope], list[tuple[tuple[str, ...], "set[str] | None"]]]
"""``scope -> [(namespace, keys or None)]``: notes a run may read beyond its user's."""


#: ``MemoryRetriever`` parameters recall uses for the archive, over the retriever's defaults.
#: ``next_weight=0``: the retriever lends a turn a tenth of the relevance of the turn *after*
#: it, which lifts the low-information question before a relevant reply ("Wow, that looks
#: amazing! What inspired it?") into a packed context, where the reply itself is what counts.
#: The bonus from the turn *before* (``previous_weight``: a reply that answers a question
#: without repeating its words) stays. On LoCoMo (800 tokens, ``benchmarks/locomo_context.py``):
#: evidence-in-context 0.918 -> 0.924, answer-in-context 0.827 -> 0.830.
ARCHIVE_RETRIEVER_OPTIONS: dict[str, Any] = {"next_weight": 0.0}


def is_relevant(raw: dict[str, float], floor: float) -> bool:
    """Whether a hit is relevant by its raw evidence: the one definition of "relevant".

    Recall's gates and the search surfaces (``langmem search``, the inspector) all ask this.

    Args:
        raw: The hit's raw scores: ``similarity`` (the store's raw vector similarity, as
            ``MemoryRetriever`` puts it in ``raw_scores`` and ``store.search`` in ``score``)
            and ``bm25``.
        floor: The minimum raw similarity for its kind (``Recall.floor``).

    Returns:
        True when the raw similarity reaches ``floor``. A hit without one (not among the
        nearest vectors, or a store without an index) is judged lexically: it is relevant
        when it shares a term with the query (``bm25 > 0``). The fused score is never read:
        it is rescaled per query, so a lone unrelated hit gets full marks.
    """
    similarity = raw.get("similarity")
    if similarity is not None:
        return similarity >= floor
    return raw.get("bm25", 0.0) > 0.0


_Retrieved = tuple[list[Document], list[list[Item]]]
"""The archive's documents and the other kinds' search results, in ``_kind_searches`` order."""


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def score_of(item: Item) -> float | None:
    """The relevance score of a search hit (None for plain items)."""
    score = getattr(item, "score", None)
    return float(score) if score is not None else None


RECALL_ID_PREFIX = "langmem-recall-"
HEADER = "Memory from earlier conversations with this user (use it when relevant):"
TURNS_TITLE = "Earlier conversation turns (date, then who said what):"
GAP = "..."


@dataclass
class RecallResult:
    """The rendered context and what went into it."""

    text: str
    fact_keys: list[str] = field(default_factory=list)
    episode_keys: list[str] = field(default_factory=list)
    note_keys: list[str] = field(default_factory=list)
    lesson_keys: list[str] = field(default_factory=list)
    turn_keys: list[str] = field(default_factory=list)
    task_keys: list[str] = field(default_factory=list)
    relation_keys: list[str] = field(default_factory=list)


def latest_user_text(messages: Sequence[BaseMessage]) -> str:
    """The text of the last human message ('' when there is none)."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text
    return ""


def _weighted(item: Item) -> float:
    """Ranking of a recalled lesson: similarity boosted by its weight (procedural memory)."""
    return (score_of(item) or 0.0) * (1.0 + 0.25 * math.log1p(item.value.get("weight", 1.0)))


def _fact_line(item: Item) -> str:
    v = item.value
    return (
        f"- {v['category']}: {v['value']} (since {v['valid_from'][:10]}, "
        f"source: {v.get('source', '?')}, confidence {v.get('confidence', 0):.2f})"
    )


def _note_line(item: Item) -> str:
    v = item.value
    return f"- {v.get('occurred_at', '')[:10]}: {v['content']} (saved by the agent)"


def _episode_line(item: Item) -> str:
    v = item.value
    where = f", thread {v['thread_id']}" if v.get("thread_id") else ""
    return f"- {v.get('occurred_at', '')[:10]}{where}: {v['content']}"


def _lesson_line(item: Item) -> str:
    v = item.value
    tool = f" (tool {v['tool']})" if v.get("tool") else ""
    return (
        f'- Task like "{v["task"][:120]}"{tool}: {v["what_went_wrong"]} Instead: '
        f"{v['what_to_do_instead']} (learned {v['created_at'][:10]}, helped {v['helped']}x)"
    )


_SECTIONS: dict[str, tuple[str, Callable[[Item], str]]] = {
    "fact": ("Known facts about the user:", _fact_line),
    "note": ("Notes saved earlier:", _note_line),
    "episode": ("Relevant earlier conversations:", _episode_line),
    "lesson": ("Lessons from earlier tasks:", _lesson_line),
    # lines made by nodes._associative (the line function is never called for them)
    "relation": (RELATIONS_TITLE, lambda item: str(item.value)),
}


def _date_header(occurred_at: Any) -> str:
    """'On 8 May 2023:' (readable by a model, and names the month for temporal questions)."""
    try:
        when = parse_time(occurred_at)
    except (ValueError, TypeError):
        when = None
    if not isinstance(when, datetime):
        return "On an unknown date:"
    return f"On {when.day} {when:%B %Y}:"


@dataclass
class _Entry:
    """One candidate of the ranked pool."""

    kind: str
    relevance: float
    line: str
    key: str
    text: str
    turn: Turn | None = None


class Recall:
    """Builds the recall context for a user and a query (see the module docstring).

    Args:
        store: The memory store.
        search: Retrieval function for facts, episodes, notes and lessons; defaults to the
            store's own search (batched with the archive search: one query embedding).
        max_tokens: Token budget of the whole recall message.
        counter: Token counter (see ``langmem_plugin._messages.count_tokens``).
        k_facts: How many profile facts to consider.
        k_episodes: How many episodes to consider.
        k_notes: How many saved notes (``save_memory``) to consider.
        k_lessons: How many lessons to consider.
        k_turns: How many archived turns to consider (40: more than 800 tokens hold).
        min_episode_score: Minimum similarity for an episode or a note. Default: the store
            embeddings' ``SimilarityGates.episode`` (MiniLM 0.15).
        min_lesson_score: Minimum similarity for a lesson (lessons must fit the task).
            Default: ``SimilarityGates.lesson`` (MiniLM 0.35).
        min_turn_similarity: Minimum raw cosine similarity of the best archived turn for any
            turn to be recalled. Default ``SimilarityGates.turn``: MiniLM 0.25 (off-topic
            questions score 0.10-0.13 against a LoCoMo conversation, while every one of its
            762 dev questions has a turn at 0.33 or more, median 0.63), mpnet 0.27.
        min_task_score: Minimum similarity of an open task to be shown as relevant.
            Default ``SimilarityGates.task`` (0.3).
        reranker: Reorders the archive's candidates (see the module docstring); None keeps
            the fused ranking.
        retriever_options: Extra ``MemoryRetriever`` parameters for the archive (weights...),
            over :data:`ARCHIVE_RETRIEVER_OPTIONS`.
        extractive_episode_factor: Relevance multiplier of episodes summarised by the offline
            rules (``source == "rules"``). Such a summary is sentences copied from turns the
            archive holds verbatim, with their dates and speakers, so it ranks below them
            unless clearly more similar. 0.5: on LoCoMo, +1 point of evidence-in-context over
            1.0 (the summaries took a fifth of the budget).
        tasks_share: Largest share of ``max_tokens`` the user's tasks take (overdue, due
            and relevant open tasks come first, see ``tasks._recall``).
        associative: Expand from the entities the query names to their relations and
            the turns that mention them and related entities (``nodes._associative``).
    """

    def __init__(
        self,
        store: BaseStore,
        *,
        search: SearchFn | None = None,
        max_tokens: int = 800,
        counter: TokenCounter | None = None,
        k_facts: int = 20,
        k_episodes: int = 3,
        k_lessons: int = 2,
        k_notes: int = 3,
        k_turns: int = 40,
        min_episode_score: float | None = None,
        min_lesson_score: float | None = None,
        min_turn_similarity: float | None = None,
        min_task_score: float | None = None,
        reranker: BaseDocumentCompressor | None = None,
        retriever_options: dict[str, Any] | None = None,
        extractive_episode_factor: float = 0.5,
        tasks_share: float = 0.5,
        associative: bool = True,
    ) -> None:
        if max_tokens <= 0:
            raise ValueError(f"max_tokens must be positive, got {max_tokens!r}")
        self.store = store
        self.custom_search = search
        self.search: SearchFn = search or (
            lambda ns, query, k: store.search(ns, query=query, limit=k)
        )
        self.max_tokens = max_tokens
        self.counter = counter
        self.k_facts, self.k_episodes, self.k_lessons = k_facts, k_episodes, k_lessons
        self.k_notes, self.k_turns = k_notes, k_turns
        gates = gates_for(store_embeddings(store))
        self.min_episode_score = _or(min_episode_score, gates.episode)
        self.min_lesson_score = _or(min_lesson_score, gates.lesson)
        self.min_turn_similarity = _or(min_turn_similarity, gates.turn)
        self.min_task_score = _or(min_task_score, gates.task)
        self.retriever_options = {**ARCHIVE_RETRIEVER_OPTIONS, **(retriever_options or {})}
        if reranker is not None:
            self.retriever_options["reranker"] = reranker
        self.extractive_episode_factor = extractive_episode_factor
        self.tasks_share = tasks_share
        self.associative = associative
        self._overhead = count_tokens([SystemMessage("")], counter)
        self.shared: SharedFn | None = None
        """Namespaces a run may read beyond its user's (``langmem_plugin.access``)."""

    def floor(self, kind: str) -> float:
        """The raw similarity a memory of ``kind`` (its namespace's first label) needs.

        The gates of recall, which the search surfaces (``langmem search``, the inspector)
        apply too, so that "relevant" means one thing everywhere: ``min_turn_similarity``
        for archived turns, ``min_lesson_score`` for lessons, ``min_episode_score`` for
        episodes, notes and the rest. Recall itself takes profile facts without a floor
        (they are few and about the user, and the budget ranks them); a search lists only
        what matches, so there facts take ``min_episode_score`` too. Not the turns' floor:
        with MiniLM, "where does Ada live" scores 0.23 against "location: Berlin", as
        much as the one-word "tea" against "likes: sailing", so a one-word query can still
        list weak facts; a stronger embedding model separates them better.
        """
        if kind == ARCHIVE:
            return self.min_turn_similarity
        if kind in ("lessons", "agent_lessons"):
            return self.min_lesson_score
        return self.min_episode_score

    # ------------------------------------------------------------------ retrieval
    def _kind_searches(self, scope: Scope) -> list[tuple[str, tuple[str, ...], int]]:
        uid = scope.user_id
        return [
            ("fact", user_namespace("profile", uid), self.k_facts),
            ("episode", scope.namespace("episodes"), self.k_episodes),
            ("episode", scope.namespace("episodes_archive"), self.k_episodes),
            ("note", scope.namespace("memories"), self.k_notes),
            ("lesson", scope.lesson_namespace, self.k_lessons),
            # shown by task_context, in the same batch
            ("task", user_namespace(TASKS, uid), K_TASKS),
        ] + [  # shared scopes' notes; one-by-one shares are sought among their scope's
            ("note", ns, self.k_notes if keys is None else self.k_notes * 10)
            for ns, keys in (self.shared(scope) if self.shared else [])
        ]

    def _archive(self, scope: Scope) -> MemoryRetriever:
        return MemoryRetriever(
            store=self.store,
            namespace=scope.namespace(ARCHIVE),
            **self.retriever_options,
        )

    def _retrieve(self, scope: Scope, query: str) -> _Retrieved:
        retriever, searches = self._archive(scope), self._kind_searches(scope)
        if self.custom_search is None:
            ops = [SearchOp(ns, query=query, limit=k) for _, ns, k in searches]
            docs, found = retriever.search_along(query, ops, k=self.k_turns)
            return docs, [list(r) for r in found]
        docs = retriever.invoke(query, k=self.k_turns)
        return docs, [list(self.search(ns, query, k)) for _, ns, k in searches]

    async def _aretrieve(self, scope: Scope, query: str) -> _Retrieved:
        """Async :meth:`_retrieve` (the store's ``abatch``, the reranker's async method)."""
        retriever, searches = self._archive(scope), self._kind_searches(scope)
        if self.custom_search is None:
            ops = [SearchOp(ns, query=query, limit=k) for _, ns, k in searches]
            docs, found = await retriever.asearch_along(query, ops, k=self.k_turns)
            return docs, [list(r) for r in found]
        docs = await retriever.ainvoke(query, k=self.k_turns)
        search = self.search
        others = await asyncio.to_thread(
            lambda: [list(search(ns, query, k)) for _, ns, k in searches]
        )
        return docs, others

    def _candidates(
        self,
        scope: Scope,
        retrieved: _Retrieved,
        present: frozenset[str] = frozenset(),
        task_hits: list[Item] | None = None,
    ) -> list[_Entry]:
        docs, found = retrieved
        docs = [d for d in docs if str(d.metadata.get("key")) not in present]
        by_kind: dict[str, list[Item]] = {}
        for (kind, _, _), items in zip(self._kind_searches(scope), found, strict=True):
            by_kind.setdefault(kind, []).extend(items)
        if task_hits is not None:
            task_hits.extend(by_kind["task"])

        def passes(item: Item, floor: float) -> bool:
            score = score_of(item)
            return score is None or score >= floor

        entries: list[_Entry] = []
        for item in by_kind["fact"]:
            # Facts are short and always about the user: no floor, ranked by similarity.
            text = norm(f"{item.value.get('category')}: {item.value.get('value')}")
            entries.append(_Entry("fact", score_of(item) or 0.0, _fact_line(item), item.key, text))
        episodes = [i for i in by_kind["episode"] if passes(i, self.min_episode_score)]
        episodes.sort(key=lambda i: score_of(i) or 0.0, reverse=True)
        for item in episodes[: self.k_episodes]:
            relevance = (score_of(item) or 0.0) * (
                self.extractive_episode_factor if item.value.get("source") == "rules" else 1.0
            )
            text = norm(str(item.value.get("content", "")))
            entries.append(_Entry("episode", relevance, _episode_line(item), item.key, text))
        only = dict(self.shared(scope) if self.shared else [])
        for item in by_kind["note"]:
            keys = only.get(tuple(item.namespace))
            if keys is not None and item.key not in keys:
                continue  # of a scope shared one memory at a time: not this one
            if passes(item, self.min_episode_score):
                text = norm(str(item.value.get("content", "")))
                entries.append(
                    _Entry("note", score_of(item) or 0.0, _note_line(item), item.key, text)
                )
        for item in by_kind["lesson"]:
            if passes(item, self.min_lesson_score):
                line = _lesson_line(item)
                entries.append(_Entry("lesson", _weighted(item), line, item.key, norm(line)))
        weigh(entries, by_kind, usage_of(self.store).lookup(scope.user_id), scope.agent_id)
        entries += self._turn_entries(docs)
        # Stable: on equal relevance, kinds keep the order above (facts first).
        entries.sort(key=lambda e: -e.relevance)
        return entries

    def _turn_entries(self, docs: Sequence[Document]) -> list[_Entry]:
        """Archived turns on the pool's scale, or none when no turn is similar enough.

        Every turn is gated on its own raw evidence (:func:`is_relevant` at
        ``min_turn_similarity``), not only the best one: in a small memory every turn is a
        candidate, and the fused score, rescaled per query, ranks the whole transcript high
        whatever it says. A turn right after a relevant one in its session stays too (the
        reply that answers a question without repeating its words: the reason for the
        retriever's ``previous_weight``).
        """
        if not docs:
            return []
        sims = [d.metadata.get("raw_scores", {}).get("similarity") for d in docs]
        best_sim = max((s for s in sims if s is not None), default=None)
        if best_sim is None or best_sim < self.min_turn_similarity:
            return []
        fused = [float(d.metadata["score"]) for d in docs]
        if "reranker" in self.retriever_options:
            # The reranker's order, on the fused scale: the i-th document gets the i-th best
            # fused score, so turns still compete with the other kinds as without one.
            fused.sort(reverse=True)
        heads = Counter(named(d.page_content.strip()) for d in docs)
        names = {name for name, n in heads.items() if name is not None and n >= 2}
        turns = [turn_of(doc, names) for doc in docs]
        relevant = {
            (t.session, t.seq)
            for t, d in zip(turns, docs, strict=True)
            if is_relevant(d.metadata.get("raw_scores", {}), self.min_turn_similarity)
        }
        kept = [
            (score, turn)
            for score, turn in zip(fused, turns, strict=True)
            if (turn.session, turn.seq) in relevant or (turn.session, turn.seq - 1) in relevant
        ]
        best_fused = max(score for score, _ in kept) or 1.0
        return [
            _Entry("turn", best_sim * score / best_fused, turn.line, turn.key, turn.text, turn)
            for score, turn in kept
        ]

    # ------------------------------------------------------------------ packing
    def _tokens(self, text: str) -> int:
        return max(count_tokens([SystemMessage(text)], self.counter) - self._overhead, 0)

    def _pack(self, entries: Sequence[_Entry], reserved: str = "") -> list[_Entry]:
        """Spend the budget best first (estimated piece by piece, checked on the render).

        An entry whose text was already chosen (the same words said in two sessions, a turn
        a note saved verbatim) is skipped: no line appears twice.
        """
        chosen: list[_Entry] = []
        seen: set[str] = set()
        headers: set[str] = set()
        sessions: dict[tuple[tuple[str, ...], str], list[float]] = {}
        used = (
            self._tokens(HEADER) + self._overhead + (self._tokens(reserved) + 1 if reserved else 0)
        )
        titled: set[str] = set()
        for entry in entries:
            if entry.text in seen or norm(entry.line) in seen:
                continue
            turn = entry.turn
            cost = self._tokens(entry.line) + 1
            section = "turn" if turn is not None else entry.kind
            if section not in titled:
                title = TURNS_TITLE if turn is not None else _SECTIONS[entry.kind][0]
                cost += self._tokens(title) + 1
            if turn is not None:
                seqs = sessions.get(turn.session)
                header = _date_header(turn.occurred_at)
                if seqs is None and header not in headers:
                    cost += self._tokens(header) + 1
                elif seqs is None or not any(abs(s - turn.seq) <= 1 for s in seqs):
                    cost += self._tokens(GAP) + 1
            if used + cost > self.max_tokens:
                continue
            used += cost
            titled.add(section)
            seen.update((entry.text, norm(entry.line)))
            if turn is not None:
                sessions.setdefault(turn.session, []).append(turn.seq)
                headers.add(_date_header(turn.occurred_at))
            chosen.append(entry)
        while chosen and count_tokens(
            [SystemMessage(self._render(chosen, reserved))], self.counter
        ) > (self.max_tokens):
            chosen.pop()  # the estimate was short (a counter that is not additive)
        return chosen

    def build(self, scope: Scope, query: str, *, present: Collection[str] = ()) -> RecallResult:
        """Render the recall context for ``query`` ('' when memory has nothing relevant).

        Args:
            scope: Whose memory, and which thread.
            query: What to recall for (the latest user message).
            present: Ids of the messages the model already has (the current thread's
                state): their archived copies are not recalled again.
        """
        if not query.strip():
            return RecallResult("")
        return self._finish(scope, query, frozenset(present), self._retrieve(scope, query))

    async def abuild(
        self, scope: Scope, query: str, *, present: Collection[str] = ()
    ) -> RecallResult:
        """Async :meth:`build`.

        The searches (query embedding, store batch, reranker) run on the store's and the
        reranker's async methods; reading the user's tasks, packing and the audit note run
        in a worker thread (store reads that have no async path here).
        """
        if not query.strip():
            return RecallResult("")
        retrieved = await self._aretrieve(scope, query)
        return await asyncio.to_thread(self._finish, scope, query, frozenset(present), retrieved)

    def _finish(
        self, scope: Scope, query: str, present: frozenset[str], retrieved: _Retrieved
    ) -> RecallResult:
        """Everything after the searches: rank, pack, render (shared by sync and async)."""
        task_hits: list[Item] = []
        entries = self._candidates(scope, retrieved, present, task_hits)
        if self.associative:
            entries = associate(self, scope, query, retrieved[0], entries, present)
        tasks = task_context(
            self.store,
            scope.user_id,
            query,
            max_tokens=int(self.max_tokens * self.tasks_share),
            tokens=self._tokens,
            hits=task_hits,
            min_score=self.min_task_score,
        )
        # The mood and trend lines, when they matter (nodes.trends.insight_lines), are
        # reserved like the tasks.
        opening = len(present) <= 1  # the thread holds only this message, if anything
        insights = insight_lines(
            self.store, scope.user_id, query, opening=opening, persona_id=scope.persona_id
        )
        reserved = "\n".join([*insights, tasks.text] if tasks.text else insights)
        chosen = self._pack(entries, reserved)
        if not chosen and not reserved:
            return RecallResult("")

        def keys(kind: str) -> list[str]:
            return [e.key for e in chosen if e.kind == kind]

        note_recall(self.store, scope, chosen)
        note_usage(self.store, scope.user_id, chosen, scope.agent_id)  # a buffer, no I/O
        return RecallResult(
            text=self._render(chosen, reserved),
            fact_keys=keys("fact"),
            episode_keys=keys("episode"),
            note_keys=keys("note"),
            lesson_keys=keys("lesson"),
            turn_keys=keys("turn"),
            task_keys=tasks.keys,
            relation_keys=relation_keys(chosen),
        )

    @staticmethod
    def _render(chosen: Sequence[_Entry], tasks: str = "") -> str:
        """Sections in order of their best entry; turns grouped by session, in order."""
        groups: dict[str, list[_Entry]] = {}
        for entry in chosen:  # chosen is best first, so are the groups and their entries
            groups.setdefault("turn" if entry.turn is not None else entry.kind, []).append(entry)
        parts = [HEADER, tasks] if tasks else [HEADER]
        for section, members in groups.items():
            if section != "turn":
                lines = [e.line for e in members]
                parts.append(_SECTIONS[section][0] + "\n" + "\n".join(lines))
                continue
            sessions: dict[tuple[tuple[str, ...], str], list[Turn]] = {}
            for e in members:
                assert e.turn is not None
                sessions.setdefault(e.turn.session, []).append(e.turn)
            # Sessions of one date share its header, separated like a gap.
            dates: dict[str, list[list[Turn]]] = {}
            for turns in sessions.values():
                turns.sort(key=lambda t: (t.seq, t.key))
                dates.setdefault(_date_header(turns[0].occurred_at), []).append(turns)
            blocks = [TURNS_TITLE]
            for header, runs in dates.items():
                lines = [header]
                for n, turns in enumerate(runs):
                    if n:
                        lines.append(GAP)
                    for i, t in enumerate(turns):
                        if i and t.seq - turns[i - 1].seq > 1:
                            lines.append(GAP)
                        lines.append(t.line)
                blocks.append("\n".join(lines))
            parts.append("\n".join(blocks))
        return "\n".join(parts)

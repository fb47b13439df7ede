"""``MemoryRetriever``: hybrid recall over a LangGraph store's memories."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.documents.compressor import BaseDocumentCompressor
from langchain_core.retrievers import BaseRetriever
from langgraph.store.base import BaseStore, GetOp, Item, SearchItem, SearchOp
from pydantic import ConfigDict, Field, PrivateAttr, field_validator, model_validator
from typing_extensions import override

from langmem_plugin._text import QUESTION_WORDS, analyze
from langmem_plugin.errors import RerankerError
from langmem_plugin.retriever._fusion import FusionWeights, Scored, fuse
from langmem_plugin.retriever._scope import DocId, ScopeIndex, is_memory, scope_index
from langmem_plugin.retriever._time import parse_time, query_periods

__all__ = ["MemoryRetriever", "SearchFn"]

SearchFn = Callable[[tuple[str, ...], str, int], Sequence[Item]]
"""``search(namespace, query, k)``: how recall, the tools and task recall search a namespace
(``MemoryOptions.search``; ``MemoryRetriever.search_fn`` builds one)."""

#: Re-list interval (seconds) when the store reports writes through a listener: only writes
#: of other processes to a shared server need it.
LISTENED_SYNC_INTERVAL = 300.0
#: Re-list interval (seconds) for stores without listeners (``InMemoryStore``).
UNLISTENED_SYNC_INTERVAL = 1.0


# The I/O a ranking needs, as steps that a driver runs with the store's sync or async API.
@dataclass(frozen=True, slots=True)
class _Refresh:
    """Bring the scope's mirror up to date."""


@dataclass(frozen=True, slots=True)
class _Search:
    """Vector search of the namespace (when ``limit``), with other searches in one batch."""

    query: str
    limit: int
    others: tuple[SearchOp, ...] = ()

    def ops(self, namespace: tuple[str, ...]) -> list[SearchOp]:
        own = [SearchOp(namespace, query=self.query, limit=self.limit)] if self.limit else []
        return [*own, *self.others]


@dataclass(frozen=True, slots=True)
class _Ranking:
    """What a ranking returns: the ranked memories and the results of the other searches."""

    scored: list[Scored]
    others: list[list[SearchItem]]
    reranked: list[Document] | None = None

    def documents(self) -> list[Document]:
        """The documents to return: the reranker's when there is one (its metadata kept)."""
        if self.reranked is not None:
            return self.reranked
        return [_to_document(s) for s in self.scored]


@dataclass(frozen=True, slots=True)
class _Get:
    """Re-read items."""

    ops: list[GetOp]


@dataclass(frozen=True, slots=True)
class _Rerank:
    """Let the reranker reorder (and cut) the fused candidates."""

    query: str
    documents: list[Document]


_Step = _Refresh | _Search | _Get | _Rerank


class MemoryRetriever(BaseRetriever):
    """Hybrid recall of one user's memories from any LangGraph ``BaseStore``.

    Memories are store items whose value holds their text under ``"content"``; every other
    field becomes ``Document`` metadata. Optional fields the ranking understands:

    * ``occurred_at``: when the remembered thing happened (ISO 8601 string, ``datetime``,
      ``date`` or epoch seconds; no offset means UTC). Defaults to the item's ``created_at``.
    * ``importance``: 0-1.
    * ``session_id`` and ``seq``: memories of one session (e.g. the turns of a conversation),
      ordered by ``occurred_at`` then ``seq``; a memory's neighbours lend it relevance.
    * ``speaker``: who said it; a query naming the speaker favours their memories.

    The score is a weighted sum (see ``langmem_plugin.retriever._fusion``). Defaults, and why:

    * ``dense_weight=0.5``, ``lexical_weight=0.5``: the store's vector similarity and BM25
      (stemmed, stop words and question words removed), each rescaled to [0, 1] for the query,
      count equally: neither is reliably better, and they fail on different queries (dense
      on names and rare words, BM25 on paraphrase).
    * ``previous_weight=0.2``, ``next_weight=0.1``: a memory also gets a fraction of the
      relevance of the memory before it in its session, and half as much of the one after
      it, because a reply often answers what the previous turn asked without repeating it.
    * ``session_weight=0.3``: a fraction of the best relevance in the memory's session, as
      one topic's evidence clusters in a session.
    * ``time_weight=0.4``: bonus when the query names a date or period and the memory happened
      in it, scaled by how precise the date is (day 1, month 0.7, year 0.4). Large enough to
      pull a plausible memory from the named day above a slightly better match from another.
    * ``speaker_weight=0.2``: bonus when the query names the memory's ``speaker``.
    * ``recency_weight=0.1`` with ``recency_half_life_days=30``, ``importance_weight=0.1``:
      tie-breakers; small, so that an old but relevant memory still wins.

    * ``candidates=50``: how many results the vector search returns and how many of the best
      BM25 matches join them (plus their session neighbours) before fusion. More costs
      latency and gained 0.3 points of Recall@10 on LoCoMo at 100.
    * ``reranker=None``: an optional LangChain ``BaseDocumentCompressor`` (a cross-encoder
      such as ``CrossEncoderReranker``, Cohere's or FlashRank's reranker, or your own) that
      reorders the fused ranking's best ``max(k, rerank_candidates)`` documents; the first
      ``k`` it returns are the result, with the metadata it set (e.g. ``relevance_score``).
      It may drop documents; it must return documents it was given (matched by ``id``).
      ``ainvoke`` and the other async methods call its ``acompress_documents``.
      ``rerank_candidates=20``: about what fits a recall budget of 800 tokens, and one
      batch for a cross-encoder.

    The lexical text of a memory in a session is its content followed by the content of the
    memory before it, for the same reason as ``previous_weight``.

    Relevance (dense + lexical) is at most 1, so each bonus reads as "worth this fraction of a
    perfect match". Each ``Document``'s metadata carries ``score`` (fused, comparable within
    one query only), ``score_components`` and ``raw_scores``: the store's raw ``similarity``
    (absent when the memory was not a dense result) and the raw ``bm25``. Gate on the raw
    ones ("is anything relevant at all?"), as the fused score of the best hit is always high.
    ``start``/``end`` (or the same keyword arguments of ``invoke``) keep only memories that
    happened in ``[start, end)``.

    Indexing: the BM25 index of a namespace is built once per process from the store (on
    first use), shared by every retriever over the same store and namespace, and kept current
    incrementally through ``store.add_listener`` when the store has it (``ChromaStore`` does).
    Writes the listener cannot see (another process on a shared Chroma server, or a store
    without listeners) are caught by re-reading the returned memories before returning them
    (a deleted memory is never returned), by taking in what the vector search returns, and by
    re-listing the namespace every ``sync_interval`` seconds (default 300 s with a listener,
    1 s without).

    Attributes:
        store: Any LangGraph ``BaseStore``; dense relevance needs its ``index`` config
            (without it the ranking is lexical only).
        namespace: The namespace prefix to search, e.g. ``("memories", user_id)``; items
            outside it are never read, scored or returned.
        k: Documents returned by default; ``invoke(query, k=...)`` overrides it.
        candidates: See above.
        start: Default lower bound (inclusive) on when memories happened.
        end: Default upper bound (exclusive).
        sync_interval: Seconds between full re-listings of the namespace; None for the
            default described above, 0 to re-list before every query.

    Example:
        ```python
        from langmem_plugin import ChromaStore, MemoryRetriever

        store = ChromaStore(path="./.memory/chroma", index={"dims": 384, "embed": "local"})
        store.put(("memories", "alice"), "m1", {"content": "Alice adopted a cat named Miso",
                                               "occurred_at": "2024-03-02"})
        retriever = MemoryRetriever(store=store, namespace=("memories", "alice"), k=4)
        docs = retriever.invoke("what pet does she have?")
        docs = retriever.invoke("what happened in March 2024?", k=10)
        ```
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: BaseStore
    namespace: tuple[str, ...]
    k: int = Field(default=4, ge=1)
    candidates: int = Field(default=50, ge=1)
    dense_weight: float = Field(default=0.5, ge=0)
    lexical_weight: float = Field(default=0.5, ge=0)
    previous_weight: float = Field(default=0.2, ge=0)
    next_weight: float = Field(default=0.1, ge=0)
    session_weight: float = Field(default=0.3, ge=0)
    time_weight: float = Field(default=0.4, ge=0)
    speaker_weight: float = Field(default=0.2, ge=0)
    recency_weight: float = Field(default=0.1, ge=0)
    importance_weight: float = Field(default=0.1, ge=0)
    recency_half_life_days: float = Field(default=30.0, gt=0)
    reranker: BaseDocumentCompressor | None = None
    rerank_candidates: int = Field(default=20, ge=1)
    start: datetime | None = None
    end: datetime | None = None
    sync_interval: float | None = Field(default=None, ge=0)
    _scope_index: ScopeIndex | None = PrivateAttr(default=None)

    @field_validator("namespace", mode="before")
    @classmethod
    def _check_namespace(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ValueError(f"namespace must be a tuple of strings, got {value!r}")
        namespace = tuple(value)
        if not namespace or not all(isinstance(p, str) and p for p in namespace):
            raise ValueError(f"namespace must be a non-empty tuple of non-empty strings: {value!r}")
        return namespace

    @field_validator("start", "end", mode="before")
    @classmethod
    def _check_time(cls, value: Any) -> datetime | None:
        return parse_time(value)

    @model_validator(mode="after")
    def _check_range(self) -> MemoryRetriever:
        _check_range(self.start, self.end)
        return self

    # ------------------------------------------------------------------ public API
    @property
    def weights(self) -> FusionWeights:
        """The fusion weights of this retriever."""
        return FusionWeights(
            dense=self.dense_weight,
            lexical=self.lexical_weight,
            previous=self.previous_weight,
            next=self.next_weight,
            session=self.session_weight,
            time=self.time_weight,
            speaker=self.speaker_weight,
            recency=self.recency_weight,
            importance=self.importance_weight,
            half_life=timedelta(days=self.recency_half_life_days),
        )

    def search_items(
        self, query: str, *, k: int | None = None, start: Any = None, end: Any = None
    ) -> list[SearchItem]:
        """Like ``invoke`` but returns store ``SearchItem``s (``score`` is the fused score).

        With a ``reranker``, the items come in its order (``score`` stays the fused one).
        """
        return [_to_item(s) for s in self._run_sync(self._rank(query, k, start, end)).scored]

    async def asearch_items(
        self, query: str, *, k: int | None = None, start: Any = None, end: Any = None
    ) -> list[SearchItem]:
        """Async :meth:`search_items`."""
        ranking = await self._run_async(self._rank(query, k, start, end))
        return [_to_item(s) for s in ranking.scored]

    def search_along(
        self,
        query: str,
        others: Sequence[SearchOp],
        *,
        k: int | None = None,
        start: Any = None,
        end: Any = None,
    ) -> tuple[list[Document], list[list[SearchItem]]]:
        """Rank ``query`` and run other store searches in the same store batch.

        Why: a store embeds each distinct query text once per batch (``InMemoryStore`` and
        ``ChromaStore`` both do), so searching other namespaces for the same text here costs
        no second query embedding (about 5 ms each with the local MiniLM on 2 cores). Recall
        uses it to search the archive, the profile, episodes, notes and lessons at once.

        Args:
            query: The query of this retriever.
            others: Further ``SearchOp``s, run as given (any namespace the caller may read).
            k: Documents returned (default ``self.k``).
            start: See ``invoke``.
            end: See ``invoke``.

        Returns:
            This retriever's documents (as ``invoke`` returns them) and the results of
            ``others``, in their order.
        """
        ranking = self._run_sync(self._rank(query, k, start, end, tuple(others)))
        return ranking.documents(), ranking.others

    async def asearch_along(
        self,
        query: str,
        others: Sequence[SearchOp],
        *,
        k: int | None = None,
        start: Any = None,
        end: Any = None,
    ) -> tuple[list[Document], list[list[SearchItem]]]:
        """Async :meth:`search_along`."""
        ranking = await self._run_async(self._rank(query, k, start, end, tuple(others)))
        return ranking.documents(), ranking.others

    @classmethod
    def search_fn(cls, store: BaseStore, **options: Any) -> SearchFn:
        """A ``search(namespace, query, k) -> list[SearchItem]`` function over ``store``.

        Handy where a component takes a search function (e.g. the recall node); every call
        shares the store's lexical index, so building a retriever per call is cheap.
        """

        def search(namespace: tuple[str, ...], query: str, k: int) -> list[SearchItem]:
            return cls(store=store, namespace=namespace, **options).search_items(query, k=k)

        return search

    # ------------------------------------------------------------------ BaseRetriever
    @override
    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        start: Any = None,
        end: Any = None,
    ) -> list[Document]:
        return self._run_sync(self._rank(query, k, start, end)).documents()

    @override
    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
        start: Any = None,
        end: Any = None,
    ) -> list[Document]:
        ranking = await self._run_async(self._rank(query, k, start, end))
        return ranking.documents()

    # ------------------------------------------------------------------ one ranking, two drivers
    def _scope(self) -> ScopeIndex:
        if self._scope_index is None:
            self._scope_index = scope_index(self.store, self.namespace)
        return self._scope_index

    def _interval(self, scope: ScopeIndex) -> float:
        if self.sync_interval is not None:
            return self.sync_interval
        return LISTENED_SYNC_INTERVAL if scope.listened else UNLISTENED_SYNC_INTERVAL

    def _run_sync(self, plan: Generator[_Step, Any, _Ranking]) -> _Ranking:
        scope = self._scope()
        result: Any = None
        try:
            while True:
                step = plan.send(result)
                if isinstance(step, _Refresh):
                    scope.ensure_current(self.store, self._interval(scope))
                    result = None
                elif isinstance(step, _Search):
                    result = self.store.batch(step.ops(self.namespace))
                elif isinstance(step, _Rerank):
                    assert self.reranker is not None
                    result = self.reranker.compress_documents(step.documents, step.query)
                else:
                    result = self.store.batch(step.ops)
        except StopIteration as done:
            return cast(_Ranking, done.value)

    async def _run_async(self, plan: Generator[_Step, Any, _Ranking]) -> _Ranking:
        scope = self._scope()
        result: Any = None
        try:
            while True:
                step = plan.send(result)
                if isinstance(step, _Refresh):
                    await asyncio.to_thread(scope.ensure_current, self.store, self._interval(scope))
                    result = None
                elif isinstance(step, _Search):
                    result = await self.store.abatch(step.ops(self.namespace))
                elif isinstance(step, _Rerank):
                    assert self.reranker is not None
                    result = await self.reranker.acompress_documents(step.documents, step.query)
                else:
                    result = await self.store.abatch(step.ops)
        except StopIteration as done:
            return cast(_Ranking, done.value)

    def _rank(
        self,
        query: str,
        k: int | None,
        start: Any,
        end: Any,
        others: tuple[SearchOp, ...] = (),
    ) -> Generator[_Step, Any, _Ranking]:
        """The ranking, as a generator that yields the I/O it needs (see the drivers)."""
        if not isinstance(query, str):
            raise TypeError(f"query must be a string, got {type(query).__name__}: {query!r:.80}")
        limit = self.k if k is None else k
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"k must be a positive integer, got {limit!r}")
        lo = parse_time(start) if start is not None else self.start
        hi = parse_time(end) if end is not None else self.end
        _check_range(lo, hi)
        scope = self._scope()
        yield _Refresh()
        hits: list[Item] = []
        other_results: list[list[SearchItem]] = []
        own = max(self.candidates, limit) if query.strip() else 0
        if own or others:
            results = yield _Search(query, own, others)
            hits = results[0] if own else []
            other_results = list(results[1:] if own else results)
        terms = analyze(query, drop=QUESTION_WORDS)
        with scope.lock:
            dense: list[tuple[DocId, float]] = []
            for item in hits:
                scope.observe(item)
                score = getattr(item, "score", None)
                if score is not None and is_memory(item.value):
                    dense.append(((tuple(item.namespace), item.key), float(score)))
            ranked = fuse(
                scope,
                dense=dense,
                lexical=cast(dict[DocId, float], scope.bm25.scores(terms)),
                query_terms=frozenset(terms),
                periods=query_periods(query),
                weights=self.weights,
                now=datetime.now(UTC),
                pool=max(self.candidates, limit),
                start=lo,
                end=hi,
            )
        # Re-read what we are about to return: a memory deleted or changed by a writer the
        # mirror has not heard of yet is dropped or returned as it is now. A few spares cover
        # the drops.
        wanted = max(limit, self.rerank_candidates) if self.reranker is not None else limit
        chosen = ranked[: wanted + 4]
        if not chosen:
            return _Ranking([], other_results)
        current = yield _Get([GetOp(s.record.namespace, s.record.key) for s in chosen])
        fresh: list[Scored] = []
        for scored, item in zip(chosen, current, strict=True):
            if item is None or not is_memory(item.value):
                scope.forget(scored.record.doc_id)
                continue
            if item.value != scored.record.value:
                scope.observe(item)
                record = scope.records.get(scored.record.doc_id, scored.record)
                fresh.append(Scored(record, scored.score, scored.components, scored.raw))
                continue
            fresh.append(scored)
        if self.reranker is None:
            return _Ranking(fresh[:limit], other_results)
        pool = fresh[:wanted]
        given = {_document_id(s.record.namespace, s.record.key): s for s in pool}
        reranked = yield _Rerank(query, [_to_document(s) for s in pool])
        documents = list(reranked)[:limit]
        for doc in documents:
            if doc.id not in given:
                raise RerankerError(
                    f"reranker {type(self.reranker).__name__} returned a document it was not "
                    f"given (id {doc.id!r}); it must return (a subset of) its input documents"
                )
        return _Ranking([given[str(d.id)] for d in documents], other_results, documents)


def _check_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and start >= end:
        raise ValueError(f"start must be before end, got start={start!r}, end={end!r}")


def _metadata(scored: Scored) -> dict[str, Any]:
    record = scored.record
    meta = {k: v for k, v in record.value.items() if k != "content"}
    meta.update(
        namespace=record.namespace,
        key=record.key,
        created_at=record.created_at.isoformat(),
        updated_at=record.updated_at.isoformat(),
        occurred_at=record.occurred_at.isoformat(),
        score=scored.score,
        score_components=dict(scored.components),
        raw_scores=dict(scored.raw),
    )
    return meta


def _document_id(namespace: tuple[str, ...], key: str) -> str:
    return f"{'/'.join(namespace)}/{key}"


def _to_document(scored: Scored) -> Document:
    return Document(
        page_content=scored.record.content,
        metadata=_metadata(scored),
        id=_document_id(scored.record.namespace, scored.record.key),
    )


def _to_item(scored: Scored) -> SearchItem:
    record = scored.record
    return SearchItem(
        namespace=record.namespace,
        key=record.key,
        value=record.value,
        created_at=record.created_at,
        updated_at=record.updated_at,
        score=scored.score,
    )

"""The batch engine of ChromaStore, written once for sync and async callers.

:meth:`BatchEngine.run` is a generator: it does the store's logic and *yields* every piece
of I/O it needs, an :class:`Embed` (texts to embed) or an :class:`Io` (a blocking SQL or
Chroma call), and receives the answer back. ``ChromaStore.batch`` drives it with blocking
calls; ``ChromaStore.abatch`` drives it with ``await`` (native async embeddings, blocking
calls in a worker thread). There is no second copy of the logic.

Why a worker thread and not ``chromadb.AsyncHttpClient`` on a server: the only engine step
that calls Chroma is the HNSW query of a search over more than ``EXACT_VECTORS`` vectors;
every other step is SQL. ``benchmarks/async_client.py`` (5,000 vectors, k=50, a ``chroma
run`` server on this 2-core machine) measured that query at 186-195/s through the thread
against 150-160/s with ``AsyncHttpClient`` one at a time, and 246-255/s against 260-274/s
with eight in flight: slower alone, within noise under load. Not worth a second client.

Items and their vectors live in SQL (:class:`~langmem_plugin.store._sql.ItemTable`);
Chroma holds an HNSW index of the vectors. Vector search scores exactly: when the scope
holds at most ``EXACT_VECTORS`` vectors (a user's memories, the common case) its embeddings
are read from SQL and ranked with numpy; a larger scope asks the HNSW index for candidates
(see :meth:`BatchEngine._hnsw`).

Semantics follow ``langgraph.store.memory.InMemoryStore``: in one batch, reads see the store
as it was before the batch's writes; several puts to one key keep the last; search without a
query lists items in insertion order (namespace first written, then key first written);
search with a query ranks by cosine similarity of the best-matching indexed field, ties in
insertion order, and fills up with unindexed items when fewer scored items than ``limit``
exist.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, overload

import numpy as np
from langgraph.store.base import (
    GetOp,
    IndexConfig,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    get_text_at_path,
    tokenize_path,
    validate_op_namespace,
)

from langmem_plugin._redact import redact_value
from langmem_plugin.errors import EmbeddingDimensionError, ReadOnlyMemoryError
from langmem_plugin.store import _records as rec
from langmem_plugin.store import _sql
from langmem_plugin.store._filters import matches, namespace_matches, validate_filter


@dataclass(slots=True)
class Embed:
    """I/O step: embed ``texts`` (as queries when ``query`` is true)."""

    texts: list[str]
    query: bool = False


@dataclass(slots=True)
class Io:
    """I/O step: a blocking SQL or Chroma call."""

    call: Callable[[], Any]


Step = Embed | Io
Plan = Generator[Step, Any, Any]
Change = tuple[tuple[str, ...], str, dict[str, Any] | None]
"""``(namespace, key, value)`` of one written item (value None: deleted); what listeners get."""


EXACT_VECTORS = 2048
"""Largest scope (in vectors) ranked exactly from its SQL rows rather than through HNSW.

Reading a user's 50 embeddings from SQL and scoring them with numpy is exact and takes well
under a millisecond; a filtered HNSW query in a 20k-vector Chroma collection costs 16 ms and
one restricted to ids 13 ms (measured on this 2-core machine, chromadb 1.5). Past a few
thousand vectors, reading them all costs more than an unfiltered HNSW query.
"""


@dataclass(slots=True)
class Collections:
    """Where a store's data lives: the item table and the vector collection (or None)."""

    items: _sql.ItemTable
    vectors: Any
    max_batch: int


@dataclass(slots=True)
class _PreparedPut:
    op: PutOp
    iid: str
    document: str | None
    texts: list[tuple[str, str]] = field(default_factory=list)  # (path label, text)


class BatchEngine:
    """Executes LangGraph store operations against the item table and Chroma vectors."""

    def __init__(
        self,
        collections: Collections,
        index_config: IndexConfig | None,
        ttl_config: TTLConfig | None,
        *,
        embeddings_available: bool,
        namespace_ttl: Mapping[str, float] | None = None,
        redact: Callable[[str], str] | None = None,
        read_only: bool = False,
    ) -> None:
        self.col = collections
        self.read_only = read_only
        self.redact = redact
        self.index_config = index_config
        self.ttl_config = ttl_config
        self.namespace_ttl = dict(namespace_ttl or {})
        self.dims: int | None = index_config.get("dims") if index_config else None
        self.embeddings_available = embeddings_available

    # ------------------------------------------------------------------ entry point
    def run(self, ops: Iterable[Op]) -> Generator[Step, Any, tuple[list[Result], list[Change]]]:
        """Execute a batch; returns the results in input order and the writes applied."""
        ops = list(ops)
        puts = self._validate(ops)
        if puts and self.read_only:
            raise ReadOnlyMemoryError(
                f"cannot write {len(puts)} item(s) (first: {next(iter(puts.values())).op.key!r}): "
                "this store is open read-only; write through the process that holds the folder"
            )
        results: list[Result] = [None] * len(ops)
        now = time.time()
        refresh: dict[str, float] = {}

        gets = [(i, op) for i, op in enumerate(ops) if isinstance(op, GetOp)]
        if gets:
            found = yield Io(
                partial(self.col.items.fetch, [(get.namespace, get.key) for _, get in gets])
            )
            for i, get in gets:
                item = found.get(rec.item_id(get.namespace, get.key))
                if item is not None and not item.expired(now):
                    if item.problem() is not None:  # a get of exactly a corrupt item raises
                        yield Io(partial(self.col.items.report, [item]))
                        item.value  # noqa: B018 -- raises its CorruptRecordError
                    results[i] = _to_item(item)
                    self._note_refresh(item, get.refresh_ttl, now, refresh)

        searches = [(i, op) for i, op in enumerate(ops) if isinstance(op, SearchOp)]
        vectors = yield from self._embed_queries([search for _, search in searches])
        for i, search in searches:
            qvec = vectors.get(search.query) if search.query else None
            found_items = yield from self._search(search, qvec, now)
            for item, _ in found_items:
                self._note_refresh(item, search.refresh_ttl, now, refresh)
            results[i] = [_to_item(item, score) for item, score in found_items]

        for i, listing in enumerate(ops):
            if isinstance(listing, ListNamespacesOp):
                results[i] = yield from self._list_namespaces(listing, now)

        if refresh and not self.read_only:  # a reader does not extend TTLs
            yield Io(partial(self.col.items.refresh, refresh))

        changes: list[Change] = []
        if puts:
            changes = yield from self._write(list(puts.values()))
        return results, changes

    # ------------------------------------------------------------------ validation
    def _validate(self, ops: Sequence[Op]) -> dict[str, _PreparedPut]:
        """Check every op before any I/O; returns the puts to apply, last write wins."""
        puts: dict[str, _PreparedPut] = {}
        for op in ops:
            if not isinstance(op, (GetOp, PutOp, SearchOp, ListNamespacesOp)):
                raise TypeError(f"Unknown store operation {op!r}.")
            validate_op_namespace(op)
            if isinstance(op, SearchOp):
                validate_filter(op.filter)
            elif isinstance(op, PutOp):
                if not op.namespace:  # the root "langgraph" rule is put()'s, as in LangGraph
                    raise InvalidNamespaceError("Namespace cannot be empty.")
                _sql.join_namespace(op.namespace)
                iid = rec.item_id(op.namespace, op.key)
                put = op
                if self.redact is not None and put.value is not None:
                    # the one place where PII redaction runs: before the value is encoded
                    # and before its texts are embedded (see langmem_plugin._redact)
                    keep = {put.key, *put.namespace}
                    put = put._replace(value=redact_value(put.value, self.redact, keep))
                document = (
                    None
                    if put.value is None
                    else rec.encode_value(put.namespace, put.key, put.value)
                )
                # A dict keeps the position of the first put to a key and, as InMemoryStore,
                # the value of the last.
                puts[iid] = _PreparedPut(put, iid, document, self._texts(put))
        return puts

    def _texts(self, op: PutOp) -> list[tuple[str, str]]:
        if op.value is None or op.index is False or not self.index_config:
            return []
        if not self.embeddings_available:
            return []
        if op.index is None:
            paths = self.index_config["__tokenized_fields"]  # type: ignore[typeddict-item]
        else:
            paths = [(p, tokenize_path(p)) for p in op.index]
        texts: list[tuple[str, str]] = []
        for path, tokens in paths:
            found = get_text_at_path(op.value, tokens)
            if len(found) > 1:
                texts.extend((f"{path}.{i}", text) for i, text in enumerate(found))
            elif found:
                texts.append((path, found[0]))
        return texts

    # ------------------------------------------------------------------ reads
    def _embed_queries(self, searches: Sequence[SearchOp]) -> Plan:
        if not (self.index_config and self.embeddings_available):
            return {}
        queries = list(dict.fromkeys(op.query for op in searches if op.query))
        if not queries:
            return {}
        vectors = yield Embed(queries, query=True)
        self._check_dims(vectors, queries)
        return dict(zip(queries, vectors, strict=True))

    def _search(
        self, op: SearchOp, qvec: list[float] | None, now: float
    ) -> Generator[Step, Any, list[tuple[_sql.StoredItem, float | None]]]:
        if qvec is None:  # no query, or no index (then no query vector either)
            return (yield from self._list_items(op, now))
        scored = yield from self._vector_search(op, qvec, now)
        kept: list[tuple[_sql.StoredItem, float | None]] = list(
            scored[op.offset : op.offset + op.limit]
        )
        if len(kept) < op.limit:
            # As InMemoryStore: fill up with items that have no vectors (not offset).
            unindexed = yield Io(
                partial(self.col.items.scope, op.namespace_prefix, now, unindexed=True)
            )
            fill = [i for i in unindexed if matches(i.value, op.filter)]
            kept.extend((item, None) for item in fill[: op.limit - len(kept)])
        return kept

    def _list_items(
        self, op: SearchOp, now: float
    ) -> Generator[Step, Any, list[tuple[_sql.StoredItem, float | None]]]:
        if op.filter:
            items = yield Io(partial(self.col.items.scope, op.namespace_prefix, now))
            live = [i for i in items if matches(i.value, op.filter)]
            return [(item, None) for item in live[op.offset : op.offset + op.limit]]
        page = yield Io(
            partial(
                self.col.items.scope,
                op.namespace_prefix,
                now,
                limit=op.limit,
                offset=op.offset,
            )
        )
        return [(item, None) for item in page]

    def _vector_search(
        self, op: SearchOp, qvec: list[float], now: float
    ) -> Generator[Step, Any, list[tuple[_sql.StoredItem, float]]]:
        """Items under the prefix ranked by their best vector's cosine similarity (exact)."""
        count = yield Io(
            partial(self.col.items.count_vectors, op.namespace_prefix, EXACT_VECTORS + 1)
        )
        if count == 0:
            return []
        if count > EXACT_VECTORS:
            if self.col.vectors is not None:
                return (yield from self._hnsw(op, qvec, now))
            # A read-only store has no HNSW index: the scope's vectors, scored exactly, stand
            # in for it, and only the best candidates' items are read and decoded.
            scope = yield Io(partial(self.col.items.scope_vectors, op.namespace_prefix))
            return (yield from self._hnsw(op, qvec, now, ExactIndex(scope)))
        items = yield Io(partial(self.col.items.scope, op.namespace_prefix, now))
        vectors = yield Io(partial(self.col.items.scope_vectors, op.namespace_prefix))
        return _rank(qvec, vectors, {i.iid: i for i in items}, op.filter)

    def _hnsw(
        self, op: SearchOp, qvec: list[float], now: float, exact: ExactIndex | None = None
    ) -> Generator[Step, Any, list[tuple[_sql.StoredItem, float]]]:
        """Rank a large scope with candidates from Chroma's HNSW index, scored exactly.

        Chroma answers an unfiltered HNSW query in a few milliseconds but a ``where``-filtered
        one in tens, so the first query is unfiltered and the namespace prefix is checked on
        the vectors' metadata. That is exact: the best matches of the whole collection that
        lie under the prefix are the prefix's best matches. Only when too few of them lie
        under the prefix is the query repeated with the filter. The window of candidates also
        widens while its weakest member ties with the last result needed, so that equal
        scores rank in insertion order as in InMemoryStore, however many tie.

        Chroma is asked for ids and distances only: a vector's id names its item and version
        (``iid:version:ordinal``) and the item's row (fetched anyway) its namespace, so the
        metadata Chroma would read from its own SQLite for every candidate is not needed
        (``MemoryRetriever`` at 10k memories in one namespace, query embedding included: p50
        21 ms -> 14.5 ms on this 2-core machine).

        ``exact`` replaces Chroma with every vector of the scope scored exactly (a
        read-only store, which does not open Chroma); it holds the unindexed vectors too.
        """
        need = max(op.offset + op.limit, 1)
        n = need * 2 + 16
        prefix = list(op.namespace_prefix)
        where = rec.prefix_where(op.namespace_prefix)
        filtered = where is None
        # Vectors written since the index last caught up are scored exactly beside it.
        fresh: list[tuple[str, str, int, bytes]] = []
        if exact is None:
            fresh = yield Io(partial(self.col.items.scope_vectors, prefix, unindexed=True))
        index: Any = exact if exact is not None else self.col.vectors
        items: dict[str, _sql.StoredItem] = {}
        if fresh:
            items.update((yield Io(partial(self.col.items.fetch_iids, {v[1] for v in fresh}))))
        fresh_ranked = _rank(qvec, fresh, items, op.filter, now)
        while True:
            result = yield Io(
                partial(
                    index.query,
                    query_embeddings=[qvec],
                    n_results=n,
                    where=where if filtered else None,
                    include=["distances"],
                )
            )
            ids = result["ids"][0]
            if not ids:
                return fresh_ranked
            exhausted = len(ids) < n
            # Chroma's cosine distance of a returned candidate is exact (only the choice of
            # candidates is approximate): 1 - distance is its cosine similarity.
            scores = 1.0 - np.asarray(result["distances"][0], dtype=np.float64)
            pairs = zip(ids, scores.tolist(), strict=True)
            hits = [(vid.split(":"), score) for vid, score in pairs]
            missing = {iid for (iid, *_), _ in hits} - items.keys()
            if missing:
                found = yield Io(partial(self.col.items.fetch_iids, missing))
                items.update(found)
            flat: list[tuple[float, _sql.StoredItem, int]] = []
            for (iid, version, ordinal), score in hits:
                item = items.get(iid)
                if (
                    item is None
                    or item.version != version
                    or list(item.namespace[: len(prefix)]) != prefix
                    or item.expired(now)
                    or not matches(item.value, op.filter)
                ):
                    continue
                flat.append((score, item, int(ordinal)))
            flat.extend((score, item, 0) for item, score in fresh_ranked)
            best = _best_per_item(flat)
            if exhausted:
                return best
            if len(best) >= need and best[need - 1][1] > float(scores.min()) + 1e-9:
                return best
            if len(best) < need and not filtered:
                filtered = True
            else:
                n *= 4

    def _list_namespaces(self, op: ListNamespacesOp, now: float) -> Plan:
        """Namespaces from the namespace table: a page of it when no condition needs Python."""
        conditions = list(op.match_conditions or ())
        prefix: tuple[str, ...] = ()
        for condition in conditions:
            if condition.match_type == "prefix" and len(condition.path) > len(prefix):
                prefix = tuple(condition.path)
        literal = tuple(itertools.takewhile(lambda label: label != "*", prefix))
        exact = op.max_depth is None and all(
            c.match_type == "prefix" and tuple(c.path) == literal[: len(c.path)] for c in conditions
        )
        if exact:
            page = yield Io(
                partial(
                    self.col.items.list_namespaces,
                    literal,
                    now,
                    limit=op.limit,
                    offset=op.offset,
                )
            )
            return page
        namespaces = yield Io(partial(self.col.items.list_namespaces, literal, now))
        kept = [ns for ns in namespaces if all(namespace_matches(c, ns) for c in conditions)]
        if op.max_depth is not None:
            listed = sorted({ns[: op.max_depth] for ns in kept})
        else:
            listed = sorted(kept)
        return listed[op.offset : op.offset + op.limit]

    def _note_refresh(
        self, item: _sql.StoredItem, refresh_ttl: bool, now: float, into: dict[str, float]
    ) -> None:
        if refresh_ttl and item.ttl > 0:
            into[item.iid] = now + item.ttl * 60.0

    # ------------------------------------------------------------------ writes
    def _write(self, puts: list[_PreparedPut]) -> Generator[Step, Any, list[Change]]:
        """Every item row and vector of the batch in one SQL transaction.

        Chroma's index is not written here: the store's index sync copies the new vectors
        and removes the replaced ones after the commit (see ``_sql``).
        """
        previous = yield Io(
            partial(self.col.items.fetch, [(p.op.namespace, p.op.key) for p in puts])
        )
        now = time.time()
        embeddings = yield from self._embeddings_for(puts, list(previous))
        rows, deletes, changes = self._plan_rows(puts, previous, embeddings, now)
        yield Io(partial(self.col.items.write, rows, deletes, now, rec.new_sequence))
        return changes

    def _embeddings_for(
        self, puts: list[_PreparedPut], previous: list[str]
    ) -> Generator[Step, Any, dict[str, bytes]]:
        """Embeddings (float32 bytes) by text hash: the previous versions', the rest embedded."""
        wanted = {rec.text_hash(t) for p in puts for _, t in p.texts}
        if not wanted:
            return {}
        reusable: dict[str, bytes] = {}
        if previous:
            reusable = yield Io(partial(self.col.items.embeddings_by_hash, previous, wanted))
        to_embed = list(
            dict.fromkeys(t for p in puts for _, t in p.texts if rec.text_hash(t) not in reusable)
        )
        if to_embed:
            fresh = yield Embed(to_embed)
            self._check_dims(fresh, to_embed)
            reusable.update(
                (rec.text_hash(t), np.asarray(v, dtype="<f4").tobytes())
                for t, v in zip(to_embed, fresh, strict=True)
            )
        return reusable

    def _plan_rows(
        self,
        puts: list[_PreparedPut],
        previous: dict[str, _sql.StoredItem],
        embeddings: dict[str, bytes],
        now: float,
    ) -> tuple[list[_sql.ItemRow], list[tuple[tuple[str, ...], str]], list[Change]]:
        """The item rows (with their vectors), deletions and change notices of the puts."""
        rows: list[_sql.ItemRow] = []
        deletes: list[tuple[tuple[str, ...], str]] = []
        changes: list[Change] = []
        for p in puts:
            op = p.op
            changes.append((op.namespace, op.key, None if op.value is None else dict(op.value)))
            if p.document is None:
                if p.iid in previous:
                    deletes.append((op.namespace, op.key))
                continue
            version = rec.new_version()
            vectors = [
                _sql.VectorRow(
                    rec.vector_id(p.iid, version, ordinal),
                    ordinal,
                    rec.text_hash(text),
                    embeddings[rec.text_hash(text)],
                )
                for ordinal, (_, text) in enumerate(p.texts)
            ]
            rows.append(
                _sql.ItemRow(
                    op.namespace,
                    op.key,
                    p.iid,
                    p.document,
                    now,
                    rec.new_sequence(),
                    version,
                    float(op.ttl or self.namespace_ttl.get(op.namespace[0], 0.0)),
                    vectors,
                )
            )
        return rows, deletes, changes

    def _check_dims(self, vectors: Sequence[Sequence[float]], texts: Sequence[str]) -> None:
        if len(vectors) != len(texts):
            raise EmbeddingDimensionError(
                f"The embedding model returned {len(vectors)} vectors for {len(texts)} texts."
            )
        for text, vector in zip(texts, vectors, strict=True):
            if self.dims is not None and len(vector) != self.dims:
                raise EmbeddingDimensionError(
                    f"The embedding model returned a vector of dimension {len(vector)} for "
                    f"{text[:60]!r}; the index is configured with dims={self.dims}."
                )

    # ------------------------------------------------------------------ maintenance
    def sweep(self, now: float) -> Generator[Step, Any, list[Change]]:
        """Delete expired items (with their vectors, in one transaction)."""
        expired = yield Io(partial(self.col.items.expired, now))
        yield Io(
            partial(
                self.col.items.delete_iids,
                [i.iid for i in expired],
                {i.namespace for i in expired},
            )
        )
        return [(i.namespace, i.key, None) for i in expired]


class ExactIndex:
    """Chroma's ``collection.query`` over given vectors, scored exactly (a reader's index).

    Args:
        vectors: ``(vid, iid, ord, embedding)`` rows (``ItemTable.scope_vectors``).
    """

    def __init__(self, vectors: Sequence[tuple[str, str, int, bytes]]) -> None:
        self.ids = [vid for vid, _, _, _ in vectors]
        self.matrix = np.frombuffer(b"".join(v[3] for v in vectors), dtype="<f4").reshape(
            len(vectors), -1
        )
        self._scores: tuple[tuple[float, ...], np.ndarray] | None = None

    def query(
        self,
        *,
        query_embeddings: Sequence[Sequence[float]],
        n_results: int,
        **_chroma_options: Any,
    ) -> dict[str, list[list[Any]]]:
        """The ``n_results`` nearest ids with their cosine distances, nearest first.

        Chroma's ``where`` and ``include`` are accepted and not needed: the rows are the
        scope, and ids with distances are what is returned.
        """
        key = tuple(query_embeddings[0])
        if self._scores is None or self._scores[0] != key:  # widening windows score once
            self._scores = (key, _cosine(key, self.matrix.astype(np.float64)))
        scores = self._scores[1]
        take = min(n_results, len(scores))
        top = np.argpartition(-scores, take - 1)[:take] if take else np.array([], dtype=int)
        top = top[np.argsort(-scores[top], kind="stable")]
        return {
            "ids": [[self.ids[i] for i in top]],
            "distances": [[1.0 - float(scores[i]) for i in top]],
        }


def _rank(
    qvec: Sequence[float],
    vectors: Sequence[tuple[str, str, int, bytes]],
    items: dict[str, _sql.StoredItem],
    filter: dict[str, Any] | None,
    now: float | None = None,
) -> list[tuple[_sql.StoredItem, float]]:
    """Items ranked by their best vector: ``vectors`` are ``(vid, iid, ord, embedding)``."""
    kept = [
        (items[iid], ordinal, embedding)
        for _, iid, ordinal, embedding in vectors
        if iid in items
        and (now is None or not items[iid].expired(now))
        and matches(items[iid].value, filter)
    ]
    if not kept:
        return []
    matrix = np.frombuffer(b"".join(e for _, _, e in kept), dtype="<f4").reshape(len(kept), -1)
    scores = _cosine(qvec, matrix.astype(np.float64))
    return _best_per_item(
        [
            (score, item, ordinal)
            for (item, ordinal, _), score in zip(kept, scores.tolist(), strict=True)
        ]
    )


def _best_per_item(
    flat: list[tuple[float, _sql.StoredItem, int]],
) -> list[tuple[_sql.StoredItem, float]]:
    """Items by their best vector's score; ties in insertion order (max pooling)."""
    ranked = sorted(flat, key=lambda s: (-s[0], s[1].order, s[2]))
    seen: set[str] = set()
    best: list[tuple[_sql.StoredItem, float]] = []
    for score, item, _ in ranked:
        if item.iid not in seen:
            seen.add(item.iid)
            best.append((item, float(score)))
    return best


def _cosine(query: Sequence[float], matrix: np.ndarray) -> np.ndarray:
    """Cosine similarity of ``query`` with each row, 0 where a norm is 0 (as InMemoryStore)."""
    q = np.asarray(query, dtype=np.float64)
    q_norm = np.linalg.norm(q)
    norms = np.linalg.norm(matrix, axis=1)
    out = np.zeros(len(matrix), dtype=np.float64)
    mask = norms != 0
    if q_norm != 0:
        out[mask] = matrix[mask] @ q / (norms[mask] * q_norm)
    return out


@overload
def _to_item(item: _sql.StoredItem) -> Item: ...


@overload
def _to_item(item: _sql.StoredItem, score: float | None) -> SearchItem: ...


def _to_item(item: _sql.StoredItem, score: float | bool | None = False) -> Item:
    """A LangGraph ``Item``, or a ``SearchItem`` when a score (or None) is given."""
    created = rec.epoch_to_datetime(item.created_at)
    updated = rec.epoch_to_datetime(item.updated_at)
    if score is False:
        return Item(
            value=item.value, key=item.key, namespace=item.namespace,
            created_at=created, updated_at=updated,
        )  # fmt: skip
    return SearchItem(
        namespace=item.namespace, key=item.key, value=item.value,
        created_at=created, updated_at=updated, score=score,
    )  # fmt: skip

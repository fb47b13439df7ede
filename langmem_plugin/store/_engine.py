"""The batch engine of ChromaStore, written once for sync and async callers.

:meth:`BatchEngine.run` is a generator: it does the store's logic and *yields* every piece
of I/O it needs, an :class:`Embed` (texts to embed) or an :class:`Io` (a Chroma call), and
receives the answer back. ``ChromaStore.batch`` drives it with blocking calls;
``ChromaStore.abatch`` drives it with ``await`` (native async embeddings, Chroma calls in a
worker thread since the Chroma client is synchronous). There is no second copy of the logic.

Semantics follow ``langgraph.store.memory.InMemoryStore``: in one batch, reads see the store
as it was before the batch's writes; several puts to one key keep the last; search without a
query lists items in insertion order (namespace first written, then key first written);
search with a query ranks by cosine similarity of the best-matching indexed field, ties in
insertion order, and fills up with unindexed items when fewer scored items than ``limit``
exist.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from langgraph.store.base import (
    GetOp,
    IndexConfig,
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
from langgraph.store.base import _validate_namespace as validate_put_namespace

from langmem_plugin.store import _records as rec
from langmem_plugin.store._errors import EmbeddingDimensionError
from langmem_plugin.store._filters import matches, namespace_matches, validate_filter


@dataclass(slots=True)
class Embed:
    """I/O step: embed ``texts`` (as queries when ``query`` is true)."""

    texts: list[str]
    query: bool = False


@dataclass(slots=True)
class Io:
    """I/O step: a blocking Chroma call."""

    call: Callable[[], Any]


Step = Embed | Io
Plan = Generator[Step, Any, Any]
Change = tuple[tuple[str, ...], str, dict[str, Any] | None]


@dataclass(slots=True)
class Collections:
    """The Chroma collections a store works on (``vectors`` is None without an index)."""

    items: Any
    vectors: Any
    max_batch: int


@dataclass(slots=True)
class _PreparedPut:
    op: PutOp
    iid: str
    document: str | None
    texts: list[tuple[str, str]] = field(default_factory=list)  # (path label, text)


class BatchEngine:
    """Executes LangGraph store operations against Chroma collections."""

    def __init__(
        self,
        collections: Collections,
        index_config: IndexConfig | None,
        ttl_config: TTLConfig | None,
        *,
        embeddings_available: bool,
    ) -> None:
        self.col = collections
        self.index_config = index_config
        self.ttl_config = ttl_config
        self.dims: int | None = index_config.get("dims") if index_config else None
        self.embeddings_available = embeddings_available

    # ------------------------------------------------------------------ entry point
    def run(self, ops: Iterable[Op]) -> Generator[Step, Any, tuple[list[Result], list[Change]]]:
        """Execute a batch; returns the results in input order and the writes applied."""
        ops = list(ops)
        puts = self._validate(ops)
        results: list[Result] = [None] * len(ops)
        now = time.time()
        refresh: dict[str, float] = {}

        gets = [(i, op) for i, op in enumerate(ops) if isinstance(op, GetOp)]
        if gets:
            found = yield from self._fetch_items(
                {rec.item_id(get.namespace, get.key) for _, get in gets}
            )
            for i, get in gets:
                item = found.get(rec.item_id(get.namespace, get.key))
                if item is not None and not item.expired(now):
                    results[i] = _to_item(item)
                    self._note_refresh(item, get.refresh_ttl, now, refresh)

        searches = [(i, op) for i, op in enumerate(ops) if isinstance(op, SearchOp)]
        vectors = yield from self._embed_queries([search for _, search in searches])
        for i, search in searches:
            qvec = vectors.get(search.query) if search.query else None
            found_items = yield from self._search(search, qvec, now)
            for item, _ in found_items:
                self._note_refresh(item, search.refresh_ttl, now, refresh)
            results[i] = [_to_search_item(item, score) for item, score in found_items]

        for i, listing in enumerate(ops):
            if isinstance(listing, ListNamespacesOp):
                results[i] = yield from self._list_namespaces(listing, now)

        if refresh:
            ids = list(refresh)
            metas = [{"exp": refresh[iid]} for iid in ids]
            yield Io(partial(self.col.items.update, ids=ids, metadatas=metas))

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
                validate_put_namespace(op.namespace)
                iid = rec.item_id(op.namespace, op.key)
                document = (
                    None if op.value is None else rec.encode_value(op.namespace, op.key, op.value)
                )
                # A dict keeps the position of the first put to a key and, as InMemoryStore,
                # the value of the last.
                puts[iid] = _PreparedPut(op, iid, document, self._texts(op))
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
    def _fetch_items(self, ids: Iterable[str]) -> Plan:
        ids = list(ids)
        found: dict[str, rec.StoredItem] = {}
        for chunk in _chunks(ids, self.col.max_batch):
            result = yield Io(
                partial(self.col.items.get, ids=chunk, include=["metadatas", "documents"])
            )
            found.update((item.iid, item) for item in rec.decode_items(result))
        return found

    def _embed_queries(self, searches: Sequence[SearchOp]) -> Plan:
        if not (self.index_config and self.embeddings_available):
            return {}
        queries = list(dict.fromkeys(op.query for op in searches if op.query))
        if not queries:
            return {}
        vectors = yield Embed(queries, query=True)
        self._check_dims(vectors, queries)
        return dict(zip(queries, vectors, strict=True))

    def _scan(
        self,
        prefix: tuple[str, ...],
        *extra: dict[str, Any],
        values: bool,
        wildcards: bool = False,
    ) -> Plan:
        """Every item under a namespace prefix (optionally more where clauses)."""
        where = rec.prefix_where(prefix, *extra, wildcards=wildcards)
        include = ["metadatas", "documents"] if values else ["metadatas"]
        result = yield Io(partial(self.col.items.get, where=where, include=include))
        return rec.decode_items(result, with_values=values)

    def _search(
        self, op: SearchOp, qvec: list[float] | None, now: float
    ) -> Generator[Step, Any, list[tuple[rec.StoredItem, float | None]]]:
        if qvec is None or self.col.vectors is None:
            return (yield from self._list_items(op, now))
        scored = yield from self._vector_search(op, qvec, now)
        kept: list[tuple[rec.StoredItem, float | None]] = list(
            scored[op.offset : op.offset + op.limit]
        )
        if len(kept) < op.limit:
            # As InMemoryStore: fill up with items that have no vectors (not offset).
            unindexed = yield from self._scan(op.namespace_prefix, {"nvec": 0}, values=True)
            fill = sorted(
                (i for i in unindexed if not i.expired(now) and matches(i.value or {}, op.filter)),
                key=lambda i: i.order,
            )
            kept.extend((item, None) for item in fill[: op.limit - len(kept)])
        return kept

    def _list_items(
        self, op: SearchOp, now: float
    ) -> Generator[Step, Any, list[tuple[rec.StoredItem, float | None]]]:
        if op.filter:
            items = yield from self._scan(op.namespace_prefix, values=True)
            live = sorted(
                (i for i in items if not i.expired(now) and matches(i.value or {}, op.filter)),
                key=lambda i: i.order,
            )
            return [(item, None) for item in live[op.offset : op.offset + op.limit]]
        heads = yield from self._scan(op.namespace_prefix, values=False)
        page = sorted((i for i in heads if not i.expired(now)), key=lambda i: i.order)
        page = page[op.offset : op.offset + op.limit]
        found = yield from self._fetch_items(i.iid for i in page)
        return [(found[i.iid], None) for i in page if i.iid in found]

    def _vector_search(
        self, op: SearchOp, qvec: list[float], now: float
    ) -> Generator[Step, Any, list[tuple[rec.StoredItem, float]]]:
        """Rank items by their best vector; exact cosine over the candidates HNSW returns.

        Chroma answers an unfiltered HNSW query in a few milliseconds but a ``where``-filtered
        one in tens to hundreds, so the first query is unfiltered and the namespace prefix is
        checked on the vectors' metadata. That is exact: the best matches of the whole
        collection that lie under the prefix are the prefix's best matches. Only when too few
        of them lie under the prefix (a namespace that is a small part of the collection) is
        the query repeated with the filter. The window of candidates also widens while its
        weakest member ties with the last result needed, so that equal scores rank in
        insertion order as in InMemoryStore, however many tie.
        """
        need = max(op.offset + op.limit, 1)
        n = need * 2 + 16
        prefix = list(op.namespace_prefix)
        where = rec.prefix_where(op.namespace_prefix)
        filtered = where is None
        items: dict[str, rec.StoredItem] = {}
        while True:
            result = yield Io(
                partial(
                    self.col.vectors.query,
                    query_embeddings=[qvec],
                    n_results=n,
                    where=where if filtered else None,
                    include=["metadatas", "embeddings"],
                )
            )
            metas = result["metadatas"][0]
            if not metas:
                return []
            exhausted = len(metas) < n
            scores = _cosine(qvec, np.asarray(result["embeddings"][0], dtype=np.float64))
            hits = [
                (meta, score)
                for meta, score in zip(metas, scores.tolist(), strict=True)
                if filtered or meta["ns"].split(".")[: len(prefix)] == prefix
            ]
            missing = {meta["item"] for meta, _ in hits} - items.keys()
            if missing:
                found = yield from self._fetch_items(missing)
                items.update(found)
            flat: list[tuple[float, rec.StoredItem, int]] = []
            for meta, score in hits:
                item = items.get(meta["item"])
                if (
                    item is None
                    or item.version != meta["ver"]
                    or item.expired(now)
                    or not matches(item.value or {}, op.filter)
                ):
                    continue
                flat.append((score, item, int(meta.get("ord", 0))))
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
        prefix: tuple[str, ...] = ()
        for condition in op.match_conditions or ():
            if condition.match_type == "prefix" and len(condition.path) > len(prefix):
                prefix = tuple(condition.path)
        heads = yield from self._scan(prefix, values=False, wildcards=True)
        namespaces = {i.namespace for i in heads if not i.expired(now)}
        namespaces = {
            ns
            for ns in namespaces
            if all(namespace_matches(c, ns) for c in op.match_conditions or ())
        }
        if op.max_depth is not None:
            listed = sorted({ns[: op.max_depth] for ns in namespaces})
        else:
            listed = sorted(namespaces)
        return listed[op.offset : op.offset + op.limit]

    def _note_refresh(
        self, item: rec.StoredItem, refresh_ttl: bool, now: float, into: dict[str, float]
    ) -> None:
        ttl = float(item.meta.get("ttl") or 0.0)
        if refresh_ttl and ttl > 0:
            into[item.iid] = now + ttl * 60.0

    # ------------------------------------------------------------------ writes
    def _write(self, puts: list[_PreparedPut]) -> Generator[Step, Any, list[Change]]:
        previous = yield from self._fetch_items(p.iid for p in puts)
        now = time.time()
        namespace_seq = yield from self._namespace_sequences(puts, previous)

        # Embeddings: reuse the vectors of text that did not change, embed the rest at once.
        reusable: dict[str, Any] = {}
        old_vector_ids = [vid for item in previous.values() for vid in item.vector_ids()]
        wanted = {rec.text_hash(t) for p in puts for _, t in p.texts}
        if old_vector_ids and wanted and self.col.vectors is not None:
            for chunk in _chunks(old_vector_ids, self.col.max_batch):
                old = yield Io(
                    partial(self.col.vectors.get, ids=chunk, include=["metadatas", "embeddings"])
                )
                for meta, emb in zip(old["metadatas"], old["embeddings"], strict=False):
                    if meta.get("th") in wanted:
                        reusable[meta["th"]] = [float(x) for x in emb]
        to_embed = list(
            dict.fromkeys(t for p in puts for _, t in p.texts if rec.text_hash(t) not in reusable)
        )
        if to_embed:
            fresh = yield Embed(to_embed)
            self._check_dims(fresh, to_embed)
            reusable.update(
                (rec.text_hash(t), [float(x) for x in v])
                for t, v in zip(to_embed, fresh, strict=True)
            )

        vec_ids: list[str] = []
        vec_embs: list[list[float]] = []
        vec_metas: list[dict[str, Any]] = []
        vec_docs: list[str] = []
        item_ids: list[str] = []
        item_docs: list[str] = []
        item_metas: list[dict[str, Any]] = []
        deleted: list[str] = []
        changes: list[Change] = []
        for p in puts:
            op = p.op
            prev = previous.get(p.iid)
            changes.append((op.namespace, op.key, None if op.value is None else dict(op.value)))
            if p.document is None:
                if prev is not None:
                    deleted.append(p.iid)
                continue
            version = rec.new_version()
            for ordinal, (path, text) in enumerate(p.texts):
                vec_ids.append(rec.vector_id(p.iid, version, ordinal))
                vec_embs.append(reusable[rec.text_hash(text)])
                vec_docs.append(text)
                vec_metas.append(
                    {
                        "item": p.iid,
                        "ver": version,
                        "ord": ordinal,
                        "path": path,
                        "th": rec.text_hash(text),
                        **rec.namespace_metadata(op.namespace),
                    }
                )
            ttl = float(op.ttl) if op.ttl else 0.0
            keep_prev = prev is not None and not prev.expired(now)
            item_ids.append(p.iid)
            item_docs.append(p.document)
            item_metas.append(
                {
                    **rec.namespace_metadata(op.namespace),
                    "key": op.key,
                    "ca": float(prev.meta["ca"]) if keep_prev and prev else now,
                    "ua": now,
                    "kseq": int(prev.meta["kseq"]) if keep_prev and prev else rec.new_sequence(),
                    "nseq": namespace_seq[op.namespace],
                    "ver": version,
                    "nvec": len(p.texts),
                    "ttl": ttl,
                    "exp": now + ttl * 60.0 if ttl else 0.0,
                }
            )

        # 1. the new vectors (unreferenced until step 2), 2. the items that name them,
        # 3. deletions, 4. the vectors of the versions just replaced or deleted.
        for chunk in _chunks(list(range(len(vec_ids))), self.col.max_batch):
            yield Io(
                partial(
                    self.col.vectors.upsert,
                    ids=[vec_ids[i] for i in chunk],
                    embeddings=[vec_embs[i] for i in chunk],
                    metadatas=[vec_metas[i] for i in chunk],
                    documents=[vec_docs[i] for i in chunk],
                )
            )
        for chunk in _chunks(list(range(len(item_ids))), self.col.max_batch):
            yield Io(
                partial(
                    self.col.items.upsert,
                    ids=[item_ids[i] for i in chunk],
                    embeddings=[rec.ITEM_VECTOR for _ in chunk],
                    metadatas=[item_metas[i] for i in chunk],
                    documents=[item_docs[i] for i in chunk],
                )
            )
        for chunk in _chunks(deleted, self.col.max_batch):
            yield Io(partial(self.col.items.delete, ids=chunk))
        if old_vector_ids and self.col.vectors is not None:
            for chunk in _chunks(old_vector_ids, self.col.max_batch):
                yield Io(partial(self.col.vectors.delete, ids=chunk))
        return changes

    def _namespace_sequences(
        self, puts: list[_PreparedPut], previous: dict[str, rec.StoredItem]
    ) -> Generator[Step, Any, dict[tuple[str, ...], int]]:
        """Where each namespace sorts: kept from its live items, else new."""
        sequences: dict[tuple[str, ...], int] = {}
        for p in puts:
            ns = p.op.namespace
            if p.document is None or ns in sequences:
                continue
            prev = previous.get(p.iid)
            if prev is not None:
                sequences[ns] = int(prev.meta["nseq"])
                continue
            result = yield Io(
                partial(
                    self.col.items.get, where={"ns": ".".join(ns)}, limit=1, include=["metadatas"]
                )
            )
            heads = rec.decode_items(result, with_values=False)
            sequences[ns] = int(heads[0].meta["nseq"]) if heads else rec.new_sequence()
        return sequences

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
    def sweep(self, now: float, orphan_grace_s: float) -> Generator[Step, Any, list[Change]]:
        """Delete expired items and vectors that no item version refers to any more."""
        result = yield Io(
            partial(
                self.col.items.get,
                where={"$and": [{"exp": {"$gt": 0.0}}, {"exp": {"$lte": now}}]},
                include=["metadatas"],
            )
        )
        expired = rec.decode_items(result, with_values=False)
        for chunk in _chunks([i.iid for i in expired], self.col.max_batch):
            yield Io(partial(self.col.items.delete, ids=chunk))
        if self.col.vectors is not None:
            heads = yield Io(partial(self.col.items.get, include=["metadatas"]))
            current = {i.iid: i.version for i in rec.decode_items(heads, with_values=False)}
            vectors = yield Io(partial(self.col.vectors.get, include=["metadatas"]))
            stale = [
                vid
                for vid, meta in zip(vectors["ids"], vectors["metadatas"], strict=True)
                if current.get(meta["item"]) != meta["ver"]
                and (
                    meta["item"] not in current
                    or now - rec.version_time(meta["ver"]) > orphan_grace_s
                )
            ]
            for chunk in _chunks(stale, self.col.max_batch):
                yield Io(partial(self.col.vectors.delete, ids=chunk))
        return [(i.namespace, i.key, None) for i in expired]


def _best_per_item(
    flat: list[tuple[float, rec.StoredItem, int]],
) -> list[tuple[rec.StoredItem, float]]:
    """Items by their best vector's score; ties in insertion order (max pooling)."""
    ranked = sorted(flat, key=lambda s: (-s[0], s[1].order, s[2]))
    seen: set[str] = set()
    best: list[tuple[rec.StoredItem, float]] = []
    for score, item, _ in ranked:
        if item.iid not in seen:
            seen.add(item.iid)
            best.append((item, float(score)))
    return best


def _chunks(seq: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [seq[i : i + size] for i in range(0, len(seq), size)]


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


def _to_item(item: rec.StoredItem) -> Item:
    return Item(
        value=item.value or {},
        key=item.key,
        namespace=item.namespace,
        created_at=rec.epoch_to_datetime(float(item.meta["ca"])),
        updated_at=rec.epoch_to_datetime(float(item.meta["ua"])),
    )


def _to_search_item(item: rec.StoredItem, score: float | None) -> SearchItem:
    return SearchItem(
        namespace=item.namespace,
        key=item.key,
        value=item.value or {},
        created_at=rec.epoch_to_datetime(float(item.meta["ca"])),
        updated_at=rec.epoch_to_datetime(float(item.meta["ua"])),
        score=score,
    )

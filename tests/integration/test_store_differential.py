"""Differential property test: random operation sequences on ChromaStore and InMemoryStore.

Hypothesis draws programs (lists of batches of put/delete/get/search/list_namespaces
operations over a deliberately tiny vocabulary, so that namespaces, keys, texts and scores
collide) and runs each program on a fresh ``ChromaStore`` and on a reference
``InMemoryStore`` with the same index configuration. Every result must be equal: items
(namespace, key, value with exact JSON types), search results in the same order with the
same scores, and namespace listings. Timestamps are not compared (``created_at`` is a
documented difference).

The reference is ``InMemoryStore`` with the artefacts that ``ChromaStore``'s docstring lists
as non-contractual modelled away (see :class:`ReferenceStore`); everything else is
``InMemoryStore``'s own code. The last tests of the module pin down, in a few lines each,
the differences the property test found, so that each has a readable twin.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from langgraph.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchOp,
)
from langgraph.store.memory import InMemoryStore

from tests._support import HashEmbeddings

DIMS = 16

StoreFactory = Callable[..., Any]

# ---------------------------------------------------------------- the reference model


class _Namespaces(dict[tuple[str, ...], dict[str, Item]]):
    """``InMemoryStore._data`` without phantom namespaces.

    ``InMemoryStore`` keeps ``_data`` as a ``defaultdict(dict)``: a ``get`` (or a delete) of
    an absent namespace creates an empty entry, which ``list_namespaces`` then lists and
    which fixes where that namespace sorts in a later search. ``ChromaStore`` documents that
    it lists only namespaces holding items. Here a read of an absent namespace returns an
    empty dict that joins ``_data`` only when an item is written into it.
    """

    def __missing__(self, namespace: tuple[str, ...]) -> dict[str, Item]:
        return _PendingNamespace(self, namespace)


class _PendingNamespace(dict[str, Item]):
    def __init__(self, owner: _Namespaces, namespace: tuple[str, ...]) -> None:
        super().__init__()
        self._owner = owner
        self._namespace = namespace

    def __setitem__(self, key: str, item: Item) -> None:
        self._owner.setdefault(self._namespace, {})[key] = item


class ReferenceStore(InMemoryStore):
    """``InMemoryStore`` minus the artefacts ``ChromaStore`` documents as differences.

    * Phantom namespaces (see :class:`_Namespaces`), and namespaces whose items were all
      deleted: they are dropped before each batch, so ``list_namespaces`` lists namespaces
      holding items and such a namespace takes a new place when written again.
    * Stale vectors: ``InMemoryStore`` keeps the vectors of fields that a re-put no longer
      has (or of the whole old value after ``index=False``); here a put first drops all
      vectors of its key, as ``ChromaStore`` replaces them.
    * A batch holding the same text twice: ``InMemoryStore`` raises (an upstream bug, see
      ``_insertinmem_store``); here every occurrence gets its text's vector.
    """

    def __init__(self, *, index: Any = None) -> None:
        super().__init__(index=index)
        self._data = _Namespaces()

    def _prune(self) -> None:
        for namespace in [ns for ns, items in self._data.items() if not items]:
            del self._data[namespace]

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        self._prune()
        return super().batch(ops)

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        self._prune()
        return await super().abatch(ops)

    def _extract_texts(
        self, put_ops: dict[tuple[tuple[str, ...], str], PutOp]
    ) -> dict[str, list[tuple[tuple[str, ...], str, str]]]:
        # Runs after the batch's searches and before its vectors are inserted.
        for namespace, key in put_ops:
            if namespace in self._vectors:
                self._vectors[namespace].pop(key, None)
        return super()._extract_texts(put_ops)

    def _insertinmem_store(
        self,
        to_embed: dict[str, list[tuple[tuple[str, ...], str, str]]],
        embeddings: list[list[float]],
    ) -> None:
        # InMemoryStore embeds each distinct text once but then zips the vectors with one
        # entry per *occurrence*, so a batch holding the same text twice (two items, or
        # a list field such as ["tea", "tea"]) raises ValueError in langgraph 1.2. Its
        # evident intent: every occurrence gets its text's vector.
        assert len(embeddings) == len(to_embed)
        for vector, targets in zip(embeddings, to_embed.values(), strict=True):
            for namespace, key, path in targets:
                self._vectors[namespace][key][path] = vector


# ---------------------------------------------------------------- comparison helpers


def _canon(value: Any) -> str:
    """Exact JSON (types and key order) of a value: ``1``, ``1.0`` and ``True`` differ."""
    return json.dumps(value, ensure_ascii=False)


def _normalise(result: Result) -> tuple[Any, list[float]]:
    """(structure to compare with ==, scores to compare approximately)."""
    if result is None:
        return None, []
    if isinstance(result, Item):
        return ("item", result.namespace, result.key, _canon(result.value)), []
    assert isinstance(result, list), result
    if result and isinstance(result[0], tuple):
        return ("namespaces", [tuple(ns) for ns in result]), []
    rows = []
    scores: list[float] = []
    hit: Any
    for hit in result:
        score = getattr(hit, "score", None)
        rows.append((hit.namespace, hit.key, _canon(hit.value), score is None))
        if score is not None:
            scores.append(float(score))
    return ("hits", rows), scores


def assert_same_results(ops: list[Op], got: list[Result], expected: list[Result]) -> None:
    """Results of one batch: equal structure, scores within 1e-6, in input order."""
    assert len(got) == len(expected), (ops, got, expected)
    for op, g, e in zip(ops, got, expected, strict=True):
        g_struct, g_scores = _normalise(g)
        e_struct, e_scores = _normalise(e)
        assert g_struct == e_struct, f"op {op!r}\n ChromaStore:   {g!r}\n InMemoryStore: {e!r}"
        assert g_scores == pytest.approx(e_scores, abs=1e-6), f"scores of {op!r}"


# ---------------------------------------------------------------- the vocabulary

WORDS = ["tea", "green", "coffee", "hike", "café", "日本"]
NAMESPACES: list[tuple[str, ...]] = [
    ("a",),
    ("a", "x"),
    ("a", "y"),
    ("a", "x", "z"),
    ("b", "x"),
    ("*", "x"),  # "*" is a legal label; only list_namespaces treats it as a wildcard
]
SEARCH_PREFIXES: list[tuple[str, ...]] = [
    (),
    (),
    ("a",),
    ("a",),
    ("a", "x"),
    ("b",),
    ("x",),
    ("*",),
]
KEYS = ["k1", "k2", "k3", "clé 4"]
FIELDS = ["content", "meta.note", "tags[*]"]
PUT_INDEXES: list[Any] = [
    None,
    None,
    False,
    ["content"],
    ["tags[-1]"],
    ["meta.note", "tags[*]"],
    [],
]
NUMBERS = st.sampled_from([-2, -1, 0, 1, 2, 3, 0.5, -1.5, 2.0, 2.5, True, False])
TEXTS = st.lists(st.sampled_from(WORDS), min_size=0, max_size=3).map(" ".join)
SCALARS = st.one_of(st.sampled_from(WORDS), NUMBERS, st.none(), st.sampled_from(["", "0", "1.5"]))


@st.composite
def values(draw: st.DrawFn) -> dict[str, Any]:
    """A value with the numeric field ``n`` always present (see the module docstring)."""
    value: dict[str, Any] = {}
    if draw(st.integers(0, 4)):  # sometimes absent: an item without vectors
        value["content"] = draw(TEXTS)
    value["n"] = draw(NUMBERS)
    if draw(st.booleans()):
        value["tag"] = draw(SCALARS)
    if draw(st.booleans()):
        # "level" is always there when "meta" is: a numeric filter on it never meets a
        # missing field, where InMemoryStore raises (documented difference).
        meta: dict[str, Any] = {"level": draw(NUMBERS)}
        if draw(st.booleans()):
            meta["note"] = draw(TEXTS)
        if draw(st.booleans()):
            meta["deep"] = {
                "flag": draw(st.booleans()),
                "list": draw(st.lists(SCALARS, max_size=2)),
            }
        value["meta"] = meta
    if draw(st.booleans()):
        value["tags"] = draw(st.lists(st.sampled_from(WORDS), max_size=3))
    if draw(st.booleans()):
        # Column order of the dict must survive the round trip too.
        value = dict(reversed(list(value.items())))
    return value


OPERATORS = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]


@st.composite
def numeric_condition(draw: st.DrawFn) -> dict[str, Any]:
    ops = draw(st.lists(st.sampled_from(OPERATORS), min_size=1, max_size=2, unique=True))
    ops = ops[: draw(st.sampled_from([1, 1, 2]))]
    return {op: draw(st.one_of(NUMBERS, st.sampled_from(["1.5", "-1"]))) for op in ops}


FILTERS = st.one_of(
    st.fixed_dictionaries({"n": numeric_condition()}),
    st.fixed_dictionaries({"n": numeric_condition()}),
    st.fixed_dictionaries({"n": numeric_condition()}),
    st.fixed_dictionaries({"tag": SCALARS}),
    st.fixed_dictionaries(
        {
            "tag": st.sampled_from(["$eq", "$ne"]).flatmap(
                lambda op: st.fixed_dictionaries({op: SCALARS})
            )
        }
    ),
    st.fixed_dictionaries({"content": TEXTS}),
    st.fixed_dictionaries({"meta": st.fixed_dictionaries({"level": numeric_condition()})}),
    st.fixed_dictionaries({"meta": st.fixed_dictionaries({"level": NUMBERS})}),
    st.fixed_dictionaries(
        {"meta": st.fixed_dictionaries({"deep": st.fixed_dictionaries({"flag": st.booleans()})})}
    ),
    st.fixed_dictionaries({"tags": st.lists(st.sampled_from(WORDS), max_size=2)}),
    st.fixed_dictionaries({"n": numeric_condition(), "tag": SCALARS}),
)

SEARCHES = st.builds(
    SearchOp,
    namespace_prefix=st.sampled_from(SEARCH_PREFIXES),
    filter=st.booleans().flatmap(lambda filtered: FILTERS if filtered else st.none()),
    limit=st.sampled_from([1, 2, 3, 4, 6, 10, 0]),
    offset=st.sampled_from([0, 0, 0, 1, 2, 4]),
    query=st.one_of(st.none(), TEXTS.filter(bool), TEXTS.filter(bool)),
    refresh_ttl=st.booleans(),
)
MATCH_PATHS = st.sampled_from(
    [("a",), ("*",), ("a", "*"), ("*", "x"), ("x",), ("x", "z"), ("b", "x")]
)


@st.composite
def list_namespaces_ops(draw: st.DrawFn) -> ListNamespacesOp:
    conditions = []
    if draw(st.booleans()):
        conditions.append(MatchCondition("prefix", draw(MATCH_PATHS)))
    if draw(st.booleans()):
        conditions.append(MatchCondition("suffix", draw(MATCH_PATHS)))
    return ListNamespacesOp(
        match_conditions=tuple(conditions) or None,
        max_depth=draw(st.sampled_from([None, None, 1, 2])),
        limit=draw(st.integers(1, 8)),
        offset=draw(st.integers(0, 2)),
    )


@dataclass(frozen=True)
class Batch:
    """One call: ``how`` is "method" (the public method of a single op), "batch" or "abatch"."""

    ops: list[Op]
    how: str


Slot = tuple[tuple[str, ...], str]
OP_KINDS = st.sampled_from(["put", "put", "put", "delete", "get", "search", "search", "list"])


@st.composite
def programs(draw: st.DrawFn) -> list[Batch]:
    """A first batch of puts, then batches mixing every operation.

    Gets, deletes and re-puts aim mostly at keys written before, so that they find
    something; the rest of the time at any slot of the vocabulary.
    """
    written: list[Slot] = []

    def slot(known: bool) -> Slot:
        if known and written and draw(st.integers(0, 3)):
            return draw(st.sampled_from(written))
        return draw(st.sampled_from(NAMESPACES)), draw(st.sampled_from(KEYS))

    def put(known: bool) -> PutOp:
        namespace, key = slot(known)
        written.append((namespace, key))
        return PutOp(namespace, key, draw(values()), index=draw(st.sampled_from(PUT_INDEXES)))

    batches = [Batch([put(False) for _ in range(draw(st.integers(2, 8)))], "batch")]
    for _ in range(draw(st.integers(0, 12))):
        ops: list[Op] = []
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(OP_KINDS)
            if kind == "put":
                ops.append(put(known=draw(st.booleans())))
            elif kind == "delete":
                ops.append(PutOp(*slot(True), None))
            elif kind == "get":
                ops.append(GetOp(*slot(True), refresh_ttl=draw(st.booleans())))
            elif kind == "search":
                ops.append(draw(SEARCHES))
            else:
                ops.append(draw(list_namespaces_ops()))
        batches.append(Batch(ops, draw(st.sampled_from(["method", "batch", "batch", "abatch"]))))
    return batches


INDEX_CONFIGS = st.sampled_from(["fields", "fields", "whole-value", "none"])


_HASH = HashEmbeddings(DIMS)


def hash_embed(texts: Sequence[str]) -> list[list[float]]:
    """Deterministic, float32-exact embeddings: equal texts tie exactly in both stores."""
    return _HASH(list(texts))


def index_config(kind: str) -> IndexConfig | None:
    """The index of both stores: named fields, the whole value ("$"), or none."""
    if kind == "none":
        return None
    config = IndexConfig(dims=DIMS, embed=hash_embed)
    if kind == "fields":
        config["fields"] = list(FIELDS)
    return config


def run_batch(store: BaseStore, batch: Batch) -> list[Result]:  # noqa: PLR0911 -- one per mode
    """Execute a batch the way ``batch.how`` says."""
    if batch.how == "abatch":
        return asyncio.run(store.abatch(batch.ops))
    if batch.how == "batch" or len(batch.ops) != 1:
        return store.batch(batch.ops)
    (op,) = batch.ops
    if isinstance(op, PutOp) and op.value is None:
        store.delete(op.namespace, op.key)
        return [None]
    if isinstance(op, PutOp):
        assert op.value is not None
        store.put(op.namespace, op.key, dict(op.value), index=op.index)
        return [None]
    if isinstance(op, GetOp):
        return [store.get(op.namespace, op.key)]
    if isinstance(op, SearchOp):
        hits = store.search(
            op.namespace_prefix,
            query=op.query,
            filter=op.filter,
            limit=op.limit,
            offset=op.offset,
        )
        return [hits]
    assert isinstance(op, ListNamespacesOp)
    prefix = suffix = None
    for condition in op.match_conditions or ():
        if condition.match_type == "prefix":
            prefix = condition.path
        else:
            suffix = condition.path
    return [
        store.list_namespaces(
            prefix=prefix, suffix=suffix, max_depth=op.max_depth, limit=op.limit, offset=op.offset
        )
    ]


def _drop(store: Any) -> None:
    """Drop a test store's two collections (layout documented in ChromaStore's docstring)."""
    store.close()
    for suffix in ("_items", "_vectors"):
        try:
            store.client.delete_collection(f"{store.collection_prefix}{suffix}")
        except Exception:
            continue


def check_program(store: Any, kind: str, program: list[Batch]) -> None:
    """Run ``program`` on a fresh ChromaStore and on the reference; compare every result."""
    reference = ReferenceStore(index=index_config(kind))
    try:
        for batch in program:
            expected = run_batch(reference, batch)
            got = run_batch(store, batch)
            assert_same_results(batch.ops, got, expected)
        # The final state, read in full both ways.
        final: list[Op] = [SearchOp((), limit=100), ListNamespacesOp(None, limit=100)]
        assert_same_results(final, store.batch(final), reference.batch(final))
    finally:
        _drop(store)


SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
    report_multiple_bugs=False,
)


@settings(SETTINGS, max_examples=150)
@given(kind=INDEX_CONFIGS, program=programs())
def test_random_programs_agree_with_inmemorystore(kind: str, program: list[Batch]) -> None:
    """Random put/delete/get/search/list_namespaces programs give InMemoryStore's results.

    On ``ChromaStore()``'s in-process Chroma, which is fast enough for many examples; the
    test below repeats it on a persistent Chroma and on a Chroma server.
    """
    from langmem_plugin import ChromaStore

    check_program(ChromaStore(index=index_config(kind)), kind, program)


EXAMPLES = {"embedded": 25, "server": 25}


def test_random_programs_agree_on_disk_and_server(make_store: StoreFactory, backend: str) -> None:
    """The same property on a persistent embedded Chroma and on a Chroma server."""

    # No shrinking here: replays are slow on disk and over HTTP, and the in-process
    # variant above shrinks the same programs quickly.
    @settings(SETTINGS, max_examples=EXAMPLES[backend], phases=[Phase.generate])
    @given(kind=INDEX_CONFIGS, program=programs())
    def run(kind: str, program: list[Batch]) -> None:
        store = make_store(index=index_config(kind), collection_prefix=f"d{uuid.uuid4().hex[:12]}")
        check_program(store, kind, program)

    run()


# ---------------------------------------------------------------- single differences, pinned


def _pair(make_store: StoreFactory, kind: str = "fields") -> tuple[Any, ReferenceStore]:
    config = index_config(kind)
    return make_store(index=config), ReferenceStore(index=config)


def _same(stores: tuple[Any, ReferenceStore], call: Callable[[BaseStore], Any]) -> tuple[Any, Any]:
    chroma, reference = stores
    return call(chroma), call(reference)


def _hits(results: list[Any]) -> list[tuple[tuple[str, ...], str, float | None]]:
    return [(r.namespace, r.key, None if r.score is None else round(r.score, 6)) for r in results]


def test_reference_models_inmemorystore_artefacts() -> None:
    """The reference differs from InMemoryStore only in the documented artefacts."""
    config = index_config("fields")
    plain, model = InMemoryStore(index=config), ReferenceStore(index=config)
    for store in (plain, model):
        store.get(("ghost",), "k")
        store.put(("a",), "k", {"content": "tea", "tags": ["coffee"]})
        store.put(("a",), "k", {"content": "tea"})
        store.put(("b",), "k", {"content": "hike"})
        store.delete(("b",), "k")
    assert plain.list_namespaces() == [("a",), ("b",), ("ghost",)]
    assert model.list_namespaces() == [("a",)]
    # InMemoryStore still scores the vanished "coffee" tag; the model does not.
    assert plain.search(("a",), query="coffee")[0].score == pytest.approx(1.0)
    [hit] = model.search(("a",), query="coffee")
    assert hit.score is not None
    assert hit.score < 1.0


def test_search_prefix_labels_are_literal(make_store: StoreFactory) -> None:
    """A ``"*"`` label in a *search* prefix is a plain label, as in InMemoryStore and SQLite.

    Only ``list_namespaces`` conditions treat ``"*"`` as a wildcard.
    """
    stores = _pair(make_store)
    for store in stores:
        store.put(("*", "x"), "k1", {"content": "tea"})
        store.put(("b", "x"), "k2", {"content": "tea"})
    got, expected = _same(stores, lambda s: _hits(s.search(("*",))))
    assert expected == [(("*", "x"), "k1", None)]
    assert got == expected
    got, expected = _same(stores, lambda s: _hits(s.search(("*",), query="tea")))
    assert got == expected


def test_vector_search_ties_keep_insertion_order_beyond_the_candidate_window(
    make_store: StoreFactory,
) -> None:
    """Equal scores rank in insertion order however many vectors tie.

    Forty items with the same text tie at score 1.0; InMemoryStore returns the first put.
    """
    stores = _pair(make_store)
    for store in stores:
        store.batch([PutOp(("t",), f"k{i:02d}", {"content": "same words"}) for i in range(40)])
    got, expected = _same(stores, lambda s: _hits(s.search(("t",), query="same words", limit=1)))
    assert expected == [(("t",), "k00", 1.0)]
    assert got == expected
    got, expected = _same(
        stores, lambda s: _hits(s.search(("t",), query="same", limit=3, offset=5))
    )
    assert got == expected

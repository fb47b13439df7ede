"""ChromaStore's BaseStore contract, on embedded Chroma and on a Chroma server alike."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import datetime
from typing import Any

import pytest
from langgraph.store.base import (
    GetOp,
    InvalidNamespaceError,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchOp,
)
from langgraph.store.memory import InMemoryStore

from langmem_plugin import ChromaStore
from langmem_plugin.errors import (
    EmbeddingDimensionError,
    InvalidFilterError,
    InvalidValueError,
    StoreUnavailableError,
)
from tests._support import CountingEmbeddings, HashEmbeddings, free_port

DIMS = 32


def index(fields: list[str] | None = None, embed: Any = None) -> dict[str, Any]:
    return {"dims": DIMS, "embed": embed or HashEmbeddings(DIMS), "fields": fields or ["text"]}


def keys(results: list[Any]) -> list[str]:
    return [r.key for r in results]


# ---------------------------------------------------------------- get / put / delete


def test_put_get_roundtrip_and_timestamps(make_store):
    store = make_store()
    value = {"text": "hello", "nested": {"a": [1, 2.5, "x", None, True]}, "n": 3}
    store.put(("users", "u1"), "k", value)
    item = store.get(("users", "u1"), "k")
    assert item is not None
    assert item.value == value
    assert item.namespace == ("users", "u1")
    assert item.key == "k"
    assert isinstance(item.created_at, datetime)
    assert item.created_at.tzinfo is not None
    assert store.get(("users", "u1"), "missing") is None
    assert store.get(("users", "other"), "k") is None


def test_update_keeps_created_at_and_moves_updated_at(make_store):
    store = make_store()
    store.put(("ns",), "k", {"v": 1})
    first = store.get(("ns",), "k")
    store.put(("ns",), "k", {"v": 2})
    second = store.get(("ns",), "k")
    assert second.value == {"v": 2}
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at


def test_delete_and_put_none(make_store):
    store = make_store()
    store.put(("ns",), "a", {"v": 1})
    store.put(("ns",), "b", {"v": 2})
    store.delete(("ns",), "a")
    store.batch([PutOp(("ns",), "b", None)])
    assert store.get(("ns",), "a") is None
    assert store.get(("ns",), "b") is None
    store.delete(("ns",), "never-existed")  # deleting nothing is fine


def test_reopen_sees_the_same_data(make_store):
    store = make_store(index=index())
    store.put(("docs",), "1", {"text": "green tea and biscuits"})
    reopened = make_store(index=index())
    assert reopened.get(("docs",), "1").value == {"text": "green tea and biscuits"}
    assert keys(reopened.search(("docs",), query="green tea")) == ["1"]


def test_stores_with_different_prefixes_are_isolated(make_store):
    a = make_store(collection_prefix="iso-a" + make_store().collection_prefix)
    b = make_store(collection_prefix="iso-b" + make_store().collection_prefix)
    a.put(("ns",), "k", {"v": "a"})
    assert b.get(("ns",), "k") is None
    assert b.search(("ns",)) == []


def test_default_store_is_fresh_and_independent():
    one, two = ChromaStore(), ChromaStore()
    one.put(("ns",), "k", {"v": 1})
    assert two.get(("ns",), "k") is None
    assert two.list_namespaces() == []
    one.close()
    two.close()


# ---------------------------------------------------------------- batch semantics


def test_batch_results_in_input_order_and_reads_before_writes(make_store):
    store = make_store()
    store.put(("ns",), "a", {"v": 1})
    results = store.batch(
        [
            GetOp(("ns",), "a"),
            PutOp(("ns",), "a", {"v": 2}),
            SearchOp(("ns",)),
            PutOp(("ns",), "b", {"v": 3}),
            PutOp(("ns",), "b", {"v": 4}),
            ListNamespacesOp(),
            GetOp(("ns",), "b"),
        ]
    )
    assert results[0].value == {"v": 1}
    assert results[1] is None
    assert [r.value for r in results[2]] == [{"v": 1}]
    assert results[3] is None
    assert results[4] is None
    assert results[5] == [("ns",)]
    assert results[6] is None  # reads see the store as it was before the batch
    assert store.get(("ns",), "a").value == {"v": 2}
    assert store.get(("ns",), "b").value == {"v": 4}  # last write wins


def test_same_batch_as_inmemory(make_store):
    ops = [
        PutOp(("a",), "1", {"text": "x", "n": 1}),
        PutOp(("a", "b"), "2", {"text": "y", "n": 2}),
        PutOp(("c",), "3", {"text": "z", "n": 3}),
    ]
    reads = [
        SearchOp(("a",), filter={"n": {"$gte": 1}}),
        ListNamespacesOp(max_depth=1),
        GetOp(("c",), "3"),
    ]
    ref = InMemoryStore()
    store = make_store()
    for s in (ref, store):
        s.batch(ops)
    expected = ref.batch(reads)
    got = store.batch(reads)
    assert [r.value for r in got[0]] == [r.value for r in expected[0]]
    assert got[1] == expected[1]
    assert got[2].value == expected[2].value


# ---------------------------------------------------------------- search: filters


@pytest.fixture
def filled(make_store):
    store = make_store(index=index())
    rows = [
        ("a", {"text": "apple pie", "n": 1, "tag": "fruit", "meta": {"lang": "en", "x": 1}}),
        ("b", {"text": "banana bread", "n": 2, "tag": "fruit", "meta": {"lang": "fr", "x": 2}}),
        ("c", {"text": "carrot cake", "n": 3, "tag": "veg", "meta": {"lang": "en", "x": 3}}),
        ("d", {"text": "date squares", "n": 4, "tag": "fruit", "list": [1, 2]}),
    ]
    for key, value in rows:
        store.put(("food", "desserts"), key, value)
    store.put(("food", "mains"), "e", {"text": "eggplant curry", "n": 5, "tag": "veg"})
    return store


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"tag": "fruit"}, ["a", "b", "d"]),
        ({"tag": {"$eq": "veg"}}, ["c", "e"]),
        ({"tag": {"$ne": "fruit"}}, ["c", "e"]),
        ({"n": {"$gt": 3}}, ["d", "e"]),
        ({"n": {"$gte": 3}}, ["c", "d", "e"]),
        ({"n": {"$lt": 2}}, ["a"]),
        ({"n": {"$lte": 2}}, ["a", "b"]),
        ({"n": {"$gt": 1, "$lt": 4}}, ["b", "c"]),
        ({"meta": {"lang": "en"}}, ["a", "c"]),
        ({"meta": {"lang": "en", "x": 3}}, ["c"]),
        ({"list": [1, 2]}, ["d"]),
        ({"list": [2, 1]}, []),
        ({"tag": "fruit", "n": {"$gte": 2}}, ["b", "d"]),
        ({"missing": "x"}, []),
    ],
)
def test_filters_match_inmemory(filled, flt, expected):
    assert keys(filled.search(("food",), filter=flt)) == expected
    ref = InMemoryStore()
    for item in filled.search(("food",), limit=100):
        ref.put(item.namespace, item.key, item.value)
    assert keys(ref.search(("food",), filter=flt)) == expected


def test_unknown_filter_operator_is_rejected(filled):
    with pytest.raises(InvalidFilterError, match=r"\$regex"):
        filled.search(("food",), filter={"tag": {"$regex": "fr.*"}})
    with pytest.raises(InvalidFilterError, match="compares numbers"):
        filled.search(("food",), filter={"n": {"$gt": "many"}})


def test_limit_offset_and_insertion_order(filled):
    assert keys(filled.search(("food",))) == ["a", "b", "c", "d", "e"]
    assert keys(filled.search(("food",), limit=2)) == ["a", "b"]
    assert keys(filled.search(("food",), limit=2, offset=2)) == ["c", "d"]
    assert keys(filled.search(("food",), offset=10)) == []
    assert keys(filled.search(("food", "mains"))) == ["e"]
    assert keys(filled.search(("nothing",))) == []


# ---------------------------------------------------------------- search: vectors


def test_query_ranks_by_similarity_with_scores(filled):
    results = filled.search(("food",), query="banana bread")
    assert results[0].key == "b"
    scores = [r.score for r in results]
    assert all(s is not None for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert results[0].score == pytest.approx(1.0)


def test_query_scores_equal_inmemory(filled):
    ref = InMemoryStore(index=index())
    for item in filled.search(("food",), limit=100):
        ref.put(item.namespace, item.key, item.value)
    for query in ["apple", "cake bread", "curry eggplant", "unrelated words"]:
        for kwargs in ({}, {"limit": 2}, {"limit": 2, "offset": 1}, {"filter": {"tag": "veg"}}):
            got = filled.search(("food",), query=query, **kwargs)
            want = ref.search(("food",), query=query, **kwargs)
            assert keys(got) == keys(want), (query, kwargs)
            assert [g.score for g in got] == pytest.approx([w.score for w in want], abs=1e-6)


def test_items_without_vectors_fill_up_after_scored(make_store):
    store = make_store(index=index())
    store.put(("ns",), "indexed", {"text": "alpha beta"})
    store.put(("ns",), "plain", {"text": "alpha beta"}, index=False)
    store.put(("ns",), "nofield", {"other": "alpha"})
    results = store.search(("ns",), query="alpha beta")
    assert [(r.key, r.score is None) for r in results] == [
        ("indexed", False),
        ("plain", True),
        ("nofield", True),
    ]
    assert keys(store.search(("ns",), query="alpha", limit=1)) == ["indexed"]


def test_per_put_index_fields_and_paths(make_store):
    store = make_store(index=index(["title"]))
    store.put(("d",), "1", {"title": "zebra", "body": "quantum physics"})
    store.put(("d",), "2", {"title": "quantum physics", "body": "zebra"}, index=["body"])
    store.put(("d",), "3", {"a": {"b": "quantum physics"}}, index=["a.b"])
    store.put(("d",), "4", {"tags": ["zebra", "quantum physics"]}, index=["tags[*]"])
    store.put(("d",), "5", {"tags": ["quantum physics", "zebra"]}, index=["tags[-1]"])
    top = store.search(("d",), query="zebra", limit=10)
    scored = {r.key: r.score for r in top}
    assert scored["1"] == pytest.approx(1.0)  # title indexed by default
    assert scored["2"] == pytest.approx(1.0)  # body indexed by the put
    assert scored["4"] == pytest.approx(1.0)  # any list element
    assert scored["5"] == pytest.approx(1.0)  # last element
    assert scored["3"] < 0.9  # only a.b, which is about physics
    assert store.search(("d",), query="quantum physics", limit=1)[0].key in {"3", "4"}


def test_index_attributes(make_store):
    embed = HashEmbeddings(DIMS)
    store = make_store(index={"dims": DIMS, "embed": embed, "fields": ["text", "a.b"]})
    assert store.index_config["dims"] == DIMS
    assert store.index_config["fields"] == ["text", "a.b"]
    assert store.embeddings is not None
    assert store.embeddings.embed_query("x") == embed(["x"])[0]
    plain = make_store(collection_prefix="plain" + store.collection_prefix)
    assert plain.index_config is None
    assert plain.embeddings is None
    # Without an index a query is ignored, as in InMemoryStore.
    plain.put(("ns",), "k", {"text": "x"})
    assert [(r.key, r.score) for r in plain.search(("ns",), query="x")] == [("k", None)]


def test_update_reembeds_only_changed_text(make_store):
    embed = CountingEmbeddings(DIMS)
    store = make_store(index={"dims": DIMS, "embed": embed, "fields": ["text", "title"]})
    store.batch(
        [
            PutOp(("ns",), "1", {"text": "alpha", "title": "one"}),
            PutOp(("ns",), "2", {"text": "beta", "title": "one"}),
        ]
    )
    assert embed.calls == [["alpha", "one", "beta"]]  # one call, duplicates embedded once
    store.put(("ns",), "1", {"text": "alpha", "title": "uno", "extra": 1})
    assert embed.calls[-1] == ["uno"]
    calls = len(embed.calls)
    store.put(("ns",), "2", {"text": "beta", "title": "one", "extra": 2})
    assert len(embed.calls) == calls  # nothing changed: nothing embedded
    assert store.search(("ns",), query="uno")[0].key == "1"
    assert store.search(("ns",), query="one")[0].key == "2"


def test_old_vectors_do_not_match_after_update(make_store):
    store = make_store(index=index())
    store.put(("ns",), "k", {"text": "volcano eruption"})
    store.put(("ns",), "other", {"text": "gardening tips"})
    store.put(("ns",), "k", {"text": "gardening tips"})
    results = store.search(("ns",), query="volcano eruption")
    assert all(r.score < 0.99 for r in results)
    store.put(("ns",), "k", {"text": "x"}, index=False)
    assert [r.key for r in store.search(("ns",), query="gardening tips") if r.score] == ["other"]


# ---------------------------------------------------------------- list_namespaces


def test_list_namespaces(make_store):
    store = make_store()
    for ns in [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
        ("a", "c", "f"),
        ("b", "a", "f"),
        ("users", "123"),
        ("users", "456", "settings"),
    ]:
        store.put(ns, "k", {"v": 1})
    ref = InMemoryStore()
    for ns in store.list_namespaces(limit=100):
        ref.put(ns, "k", {"v": 1})
    cases: list[dict[str, Any]] = [
        {},
        {"prefix": ("a", "b")},
        {"suffix": ("f",)},
        {"prefix": ("a",), "suffix": ("f",)},
        {"prefix": ("a", "*", "f")},
        {"suffix": ("*", "f")},
        {"prefix": ("*", "b")},
        {"max_depth": 2},
        {"prefix": ("a",), "max_depth": 3},
        {"limit": 3},
        {"limit": 3, "offset": 2},
        {"prefix": ("users",), "max_depth": 2},
        {"prefix": ("zzz",)},
    ]
    for case in cases:
        assert store.list_namespaces(**case) == ref.list_namespaces(**case), case
    assert store.list_namespaces(prefix=("a", "b")) == [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
    ]
    ops = [ListNamespacesOp(match_conditions=(MatchCondition("suffix", ("f",)),), limit=10)]
    assert store.batch(ops)[0] == [("a", "b", "f"), ("a", "c", "f"), ("b", "a", "f")]


def test_deleted_namespace_disappears(make_store):
    store = make_store()
    store.put(("gone",), "k", {"v": 1})
    store.put(("kept",), "k", {"v": 1})
    store.delete(("gone",), "k")
    assert store.list_namespaces() == [("kept",)]


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "namespace",
    [(), ("a.b",), ("",), ("ok", ""), ("langgraph", "x"), ("a", 1), ("a\x00",)],
)
def test_invalid_namespaces_rejected_and_nothing_written(make_store, namespace):
    store = make_store()
    with pytest.raises(InvalidNamespaceError):
        store.put(namespace, "k", {"v": 1})
    if namespace[:1] == ("langgraph",):
        # The reserved root is put()'s rule; a PutOp in batch() passes, as in InMemoryStore
        # and SqliteStore (LangGraph's test_cannot_put_empty_namespace relies on it).
        store.batch([PutOp(namespace, "k", {"v": 1})])
        assert store.get(namespace, "k").value == {"v": 1}
        return
    with pytest.raises(InvalidNamespaceError):
        store.batch([PutOp(("fine",), "k", {"v": 1}), PutOp(namespace, "k", {"v": 1})])
    assert store.get(("fine",), "k") is None
    assert store.list_namespaces() == []


def test_invalid_namespace_in_reads(make_store):
    store = make_store()
    with pytest.raises(InvalidNamespaceError):
        store.batch([GetOp(("a.b",), "k")])
    with pytest.raises(InvalidNamespaceError):
        store.batch([SearchOp(("a.b",))])
    with pytest.raises(InvalidNamespaceError):
        store.list_namespaces(prefix=("a.b",))


class _Unserialisable:
    def __repr__(self) -> str:
        return "<Unserialisable>"


def test_non_json_value_rejected_naming_it_and_nothing_written(make_store):
    store = make_store(index=index())
    store.put(("ns",), "ok", {"text": "before"})
    with pytest.raises(InvalidValueError, match="Unserialisable"):
        store.batch(
            [
                PutOp(("ns",), "ok", {"text": "after"}),
                PutOp(("ns",), "bad", {"text": "x", "obj": _Unserialisable()}),
            ]
        )
    assert store.get(("ns",), "ok").value == {"text": "before"}
    assert store.get(("ns",), "bad") is None
    with pytest.raises(InvalidValueError, match="must be a dict"):
        store.batch([PutOp(("ns",), "bad", ["not", "a", "dict"])])  # type: ignore[arg-type]


def test_float_values_roundtrip(make_store):
    store = make_store()
    store.put(("ns",), "k", {"f": 0.1, "big": 10**18, "neg": -1.5e-300, "inf": math.inf})
    assert store.get(("ns",), "k").value == {
        "f": 0.1,
        "big": 10**18,
        "neg": -1.5e-300,
        "inf": math.inf,
    }


def test_wrong_embedding_dimension_rejected_and_nothing_written(make_store):
    good = make_store(index=index())
    good.put(("ns",), "k", {"text": "kept"})
    bad = make_store(index={"dims": DIMS, "embed": HashEmbeddings(DIMS + 1), "fields": ["text"]})
    with pytest.raises(EmbeddingDimensionError, match=f"dimension {DIMS + 1}"):
        bad.put(("ns",), "k", {"text": "replaced"})
    assert good.get(("ns",), "k").value == {"text": "kept"}
    with pytest.raises(EmbeddingDimensionError, match=f"dims={DIMS + 1}"):
        make_store(index={"dims": DIMS + 1, "embed": HashEmbeddings(DIMS + 1)})


def test_server_down_raises_store_unavailable():
    with pytest.raises(StoreUnavailableError, match="not reachable"):
        ChromaStore.from_url(f"http://127.0.0.1:{free_port()}", sql=":memory:")
    with pytest.raises(ValueError, match="http"):
        ChromaStore.from_url("ftp://example", sql=":memory:")


# ---------------------------------------------------------------- TTL


def test_ttl_expired_items_invisible_then_swept(make_store):
    store = make_store(index=index(), ttl={"default_ttl": 10.0})
    assert store.supports_ttl
    store.put(("ns",), "short", {"text": "ephemeral note"}, ttl=0.5 / 60)  # half a second
    store.put(("ns",), "default", {"text": "normal note"})
    store.put(("ns",), "forever", {"text": "permanent note"}, ttl=None)
    assert store.get(("ns",), "short") is not None
    import time

    time.sleep(0.8)
    assert store.get(("ns",), "short") is None
    assert keys(store.search(("ns",))) == ["default", "forever"]
    assert "short" not in keys(store.search(("ns",), query="ephemeral note"))
    assert store.sweep_ttl() == 1
    assert store.get(("ns",), "default") is not None


def test_ttl_refresh_on_read(make_store):
    import time

    store = make_store(ttl={"refresh_on_read": True})
    store.put(("ns",), "k", {"v": 1}, ttl=1.0 / 60)  # one second
    for _ in range(4):
        time.sleep(0.4)
        assert store.get(("ns",), "k") is not None  # each read extends the TTL
    time.sleep(0.4)
    assert store.search(("ns",), refresh_ttl=False)[0].key == "k"
    assert store.get(("ns",), "k", refresh_ttl=False) is not None
    time.sleep(1.2)
    assert store.get(("ns",), "k") is None


def test_ttl_sweeper_thread(make_store):
    store = make_store(ttl={"sweep_interval_minutes": 1})
    store.put(("ns",), "k", {"v": 1}, ttl=0.1 / 60)
    future = store.start_ttl_sweeper(sweep_interval_minutes=0.3 / 60)
    import time

    deadline = time.time() + 10
    while time.time() < deadline:
        rows = raw_item_rows(store)
        if not rows:
            break
        time.sleep(0.1)
    assert rows == []
    assert store.stop_ttl_sweeper(timeout=5)
    assert future.done()


def test_put_ttl_on_store_without_ttl_support_is_rejected():
    with pytest.raises(NotImplementedError):
        InMemoryStore().put(("ns",), "k", {"v": 1}, ttl=1)  # the contract we mirror
    store = ChromaStore()
    store.put(("ns",), "k", {"v": 1}, ttl=1)  # ChromaStore supports it
    assert store.get(("ns",), "k") is not None
    store.close()


# ---------------------------------------------------------------- async


async def test_async_api_matches_sync(make_store):
    store = make_store(index=index())
    await store.aput(("ns", "x"), "1", {"text": "red apples", "n": 1})
    await store.aput(("ns", "y"), "2", {"text": "green pears", "n": 2})
    assert (await store.aget(("ns", "x"), "1")).value["n"] == 1
    found = await store.asearch(("ns",), query="green pears")
    assert keys(found) == keys(store.search(("ns",), query="green pears"))
    assert found[0].key == "2"
    assert await store.alist_namespaces() == [("ns", "x"), ("ns", "y")]
    results = await asyncio.gather(
        *(store.aput(("ns", "z"), str(i), {"text": f"item {i}", "n": i}) for i in range(10))
    )
    assert results == [None] * 10
    assert len(await store.asearch(("ns", "z"), limit=100)) == 10
    await store.adelete(("ns", "x"), "1")
    assert await store.aget(("ns", "x"), "1") is None


def test_listener_sees_writes_and_deletes(make_store):
    store = make_store()
    seen: list[Any] = []
    remove = store.add_listener(seen.extend)
    store.put(("ns",), "k", {"v": 1})
    store.delete(("ns",), "k")
    remove()
    store.put(("ns",), "k2", {"v": 2})
    assert seen == [(("ns",), "k", {"v": 1}), (("ns",), "k", None)]


def raw_item_rows(store: ChromaStore) -> list[tuple[str, str, str]]:
    """The (ns, key, value) rows of the store's SQL item table, expired ones included."""
    table = store._engine.col.items
    return [tuple(row) for row in table.db.query(f"SELECT ns, key, value FROM {table.items}")]


def test_values_are_json_documents_in_sql(make_store):
    store = make_store()
    store.put(("ns", "a"), "k", {"v": [1, 2]})
    assert [(ns, key, json.loads(value)) for ns, key, value in raw_item_rows(store)] == [
        ("ns\x1fa", "k", {"v": [1, 2]})
    ]


def test_star_is_a_literal_label_in_search_but_a_wildcard_in_list_namespaces(make_store):
    store = make_store(index=index())
    store.put(("a",), "k", {"text": "alpha"})
    store.put(("*",), "s", {"text": "alpha"})
    assert keys(store.search(("*",))) == ["s"]
    assert keys(store.search(("*",), query="alpha")) == ["s"]
    assert store.list_namespaces(prefix=("*",)) == [("*",), ("a",)]


# ---------------------------------------------------------------- large scopes (HNSW)


def test_a_scope_past_the_exact_limit_ranks_through_the_index_and_its_backlog(make_store):
    """Over EXACT_VECTORS vectors a search takes HNSW candidates plus the rows the index does
    not have yet; both are scored with the exact cosine, and nothing outside the prefix or
    older than an item's current value comes back."""
    from langmem_plugin.store._engine import EXACT_VECTORS

    embed = HashEmbeddings(32)
    store = make_store(index=index(embed=embed))
    words = [f"w{i}" for i in range(300)]
    n = EXACT_VECTORS + 200
    texts = {
        f"k{i}": f"{words[i % 300]} {words[(i * 7) % 300]} {words[(i * 13) % 300]}"
        for i in range(n)
    }
    ops = [PutOp(("big", "u"), key, {"text": text}) for key, text in texts.items()]
    for start in range(0, n, 500):
        store.batch(ops[start : start + 500])
    store.put(("other",), "x", {"text": texts["k5"]})  # same text, outside the prefix
    store.sync_index()
    store._index._stop.set()  # keep what follows out of the index: the backlog path
    store.put(("big", "u"), "fresh", {"text": "w1 w2 w3 fresh"})
    store.put(("big", "u"), "k9", {"text": "w4 w5 w6 changed"})  # replaced after indexing
    assert store._engine.col.items.scope_vectors(("big",), unindexed=True)

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
            sum(x * x for x in a) * sum(y * y for y in b)
        )

    old_k9 = texts["k9"]
    texts["fresh"], texts["k9"] = "w1 w2 w3 fresh", "w4 w5 w6 changed"
    # old_k9: k9's indexed vector is stale; if k9 comes back, it is scored by its new text
    for query in [texts["k5"], "w1 w2 w3 fresh", texts["k1234"], "w4 w5 w6", old_k9]:
        hits = store.search(("big",), query=query, limit=10)
        assert len(hits) == 10
        assert all(tuple(h.namespace) == ("big", "u") for h in hits)
        [qvec] = embed([query])
        for hit in hits:
            assert hit.value["text"] == texts[hit.key]  # the current value, never an old one
            [vec] = embed([texts[hit.key]])
            assert hit.score == pytest.approx(cosine(qvec, vec), abs=1e-5)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        best = max(cosine(qvec, embed([t])[0]) for t in texts.values())
        assert hits[0].score == pytest.approx(best, abs=1e-5)
    assert store.search(("big",), query="w1 w2 w3 fresh", limit=1)[0].key == "fresh"


# ---------------------------------------------------------------- dump and restore


def test_dump_then_restore_keeps_values_times_ttl_and_indexing(make_store):
    source = make_store(index=index(), collection_prefix="dumpsrc" + make_store().collection_prefix)
    source.put(("a", "x"), "1", {"text": "red apples"})
    source.put(("a", "x"), "2", {"text": "not indexed"}, index=False)
    source.put(("a", "y"), "3", {"text": "green pears"}, ttl=60)
    source.put(("a", "x"), "1", {"text": "red apples, updated"})  # created_at < updated_at
    records = list(source.dump(("a",)))
    assert [(r.namespace, r.key) for r in records] == [
        (("a", "x"), "1"),
        (("a", "x"), "2"),
        (("a", "y"), "3"),
    ]
    assert records[0].created_at < records[0].updated_at
    assert [r.indexed for r in records] == [True, False, True]
    assert records[2].ttl == 60
    assert records[2].expires_at is not None

    target = make_store(index=index(), collection_prefix="dumpdst" + source.collection_prefix)
    target.restore(records)
    target.restore(records)  # idempotent
    assert list(target.dump()) == records
    assert target.get(("a", "x"), "1").created_at == source.get(("a", "x"), "1").created_at
    assert keys(target.search(("a",), query="green pears"))[0] == "3"
    assert target.search(("a", "x"), query="not indexed", limit=2)[-1].score is None

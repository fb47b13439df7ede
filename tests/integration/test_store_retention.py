"""``ChromaStore(namespace_ttl=...)`` and ``rebuild_index()`` on both backends."""

from __future__ import annotations

from typing import Any

from langgraph.store.base import PutOp

from tests._support import HashEmbeddings


def _index() -> dict[str, Any]:
    return {"dims": 32, "embed": HashEmbeddings(32), "fields": ["content"]}


def _ttls(store: Any) -> dict[tuple[tuple[str, ...], str], float | None]:
    return {(r.namespace, r.key): r.ttl for r in store.dump()}


def test_namespace_ttl_applies_by_first_label_unless_a_put_has_its_own(make_store: Any) -> None:
    store = make_store(index=_index(), namespace_ttl={"memories": 60.0, "lessons": 5.0})
    store.put(("memories", "ada"), "a", {"content": "tea"})
    store.put(("memories", "ada", "work"), "b", {"content": "report"})
    store.put(("lessons", "bot"), "c", {"content": "retry once"})
    store.put(("profile", "ada"), "d", {"content": "Lisbon"})
    store.put(("memories", "ada"), "e", {"content": "own"}, ttl=2.0)
    store.batch([PutOp(("memories", "bob"), "f", {"content": "batch put"})])
    assert _ttls(store) == {
        (("memories", "ada"), "a"): 60.0,
        (("memories", "ada", "work"), "b"): 60.0,
        (("lessons", "bot"), "c"): 5.0,
        (("profile", "ada"), "d"): None,
        (("memories", "ada"), "e"): 2.0,
        (("memories", "bob"), "f"): 60.0,
    }


def test_rebuild_index_restores_the_same_vector_search(make_store: Any) -> None:
    store = make_store(index=_index())
    words = ["tea", "coffee", "hiking", "paris", "budget", "python", "garden", "jazz"]
    store.batch(
        [
            PutOp(("notes", f"u{i % 3}"), f"k{i}", {"content": f"{words[i % 8]} {words[i % 5]}"})
            for i in range(60)
        ]
    )
    store.sync_index()
    before = [(i.namespace, i.key, i.score) for i in store.search(("notes",), query="tea jazz")]
    hnsw = store.client.get_collection(f"{store.collection_prefix}_vectors")
    assert hnsw.count() == 60
    hnsw.delete(ids=hnsw.get(include=[])["ids"])  # the index is lost (a restored SQL copy)
    assert hnsw.count() == 0
    assert store.rebuild_index() == 60
    # on a folder the rebuild drops and recreates the collection: ask for it again
    hnsw = store.client.get_collection(f"{store.collection_prefix}_vectors")
    assert hnsw.count() == 60
    assert store.sync_index() == 0
    after = [(i.namespace, i.key, i.score) for i in store.search(("notes",), query="tea jazz")]
    assert after == before

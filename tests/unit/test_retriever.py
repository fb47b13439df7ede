"""MemoryRetriever on real stores: embedded ChromaStore and LangGraph's InMemoryStore."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore
from pydantic import ValidationError

from langmem_plugin._embeddings import LocalEmbeddings
from langmem_plugin.retriever import MemoryRetriever
from langmem_plugin.retriever._scope import scope_index
from langmem_plugin.store import ChromaStore

INDEX = {"dims": 384, "embed": "local", "fields": ["content"]}
ALICE = ("memories", "alice")
BOB = ("memories", "bob")


@pytest.fixture(params=["chroma", "memory"])
def store(request: pytest.FixtureRequest) -> Iterator[BaseStore]:
    if request.param == "chroma":
        chroma = ChromaStore(index=INDEX)
        yield chroma
        chroma.close()
    else:
        yield InMemoryStore(index={**INDEX, "embed": LocalEmbeddings()})


def keys(docs: list) -> list[str]:
    return [d.metadata["key"] for d in docs]


def test_documents_carry_text_metadata_timestamps_and_score_components(
    store: BaseStore,
) -> None:
    store.put(
        ALICE,
        "cat",
        {
            "content": "Alice adopted a cat named Miso",
            "occurred_at": "2024-03-02",
            "importance": 0.8,
            "tags": ["pets"],
        },
    )
    (doc,) = MemoryRetriever(store=store, namespace=ALICE, k=1).invoke("Miso the cat")
    assert doc.page_content == "Alice adopted a cat named Miso"
    meta = doc.metadata
    assert meta["namespace"] == ALICE
    assert meta["key"] == "cat"
    assert meta["tags"] == ["pets"]
    assert meta["occurred_at"] == "2024-03-02T00:00:00+00:00"
    assert datetime.fromisoformat(meta["created_at"]) <= datetime.now(UTC)
    assert set(meta["score_components"]) == {
        "dense",
        "lexical",
        "context",
        "session",
        "time",
        "speaker",
        "recency",
        "importance",
    }
    assert meta["score_components"]["importance"] == 0.8
    assert meta["score_components"]["lexical"] == 1.0


def test_fusion_finds_what_only_one_side_would_find(store: BaseStore) -> None:
    store.put(ALICE, "lex", {"content": "Booked flight QX-4471 to Reykjavik"})
    store.put(ALICE, "dense", {"content": "Alice feels anxious before job interviews"})
    for i in range(20):
        store.put(ALICE, f"filler{i}", {"content": f"Alice watered plant number {i}"})
    r = MemoryRetriever(store=store, namespace=ALICE, k=1)
    assert keys(r.invoke("QX-4471")) == ["lex"]
    assert keys(r.invoke("she gets nervous when applying for positions")) == ["dense"]


def test_a_zero_weight_switches_a_component_off(store: BaseStore) -> None:
    store.put(ALICE, "a", {"content": "tea tea tea"})
    store.put(ALICE, "b", {"content": "Alice enjoys a warm cup of green tea in the morning"})
    dense_only = MemoryRetriever(store=store, namespace=ALICE, lexical_weight=0, recency_weight=0)
    expected = [i.key for i in store.search(ALICE, query="morning drink habit", limit=2)]
    assert keys(dense_only.invoke("morning drink habit", k=2)) == expected
    for doc in dense_only.invoke("morning drink habit", k=2):
        assert doc.metadata["score"] == pytest.approx(
            0.5 * doc.metadata["score_components"]["dense"]
        )


def test_time_range_keeps_only_memories_that_happened_inside(store: BaseStore) -> None:
    for month in range(1, 7):
        store.put(
            ALICE,
            f"m{month}",
            {
                "content": f"Alice went running in month {month}",
                "occurred_at": f"2023-{month:02d}-15",
            },
        )
    r = MemoryRetriever(store=store, namespace=ALICE, k=10)
    got = keys(r.invoke("running", start="2023-03-01", end=datetime(2023, 5, 1)))
    assert sorted(got) == ["m3", "m4"]
    scoped = MemoryRetriever(store=store, namespace=ALICE, k=10, start="2023-05-01")
    assert sorted(keys(scoped.invoke("running"))) == ["m5", "m6"]


def test_a_date_in_the_query_favours_memories_of_that_day(store: BaseStore) -> None:
    for day in (3, 10, 17, 24):
        store.put(
            ALICE,
            f"d{day}",
            {
                "content": "Alice had lunch with her sister",
                "occurred_at": f"2023-06-{day:02d}T12:00:00",
            },
        )
    r = MemoryRetriever(store=store, namespace=ALICE, k=1)
    assert keys(r.invoke("Who did Alice have lunch with on 17 June, 2023?")) == ["d17"]
    assert keys(r.invoke("Who did Alice have lunch with on June 3, 2023?")) == ["d3"]


def test_the_turn_after_a_matching_question_gets_context(store: BaseStore) -> None:
    turns = [
        ("Bob", "What did you research last week?"),
        ("Alice", "Adoption agencies, mostly."),
        ("Bob", "Cool. I repainted the kitchen."),
        ("Alice", "Nice colour choice."),
    ]
    for i, (speaker, text) in enumerate(turns):
        store.put(
            ALICE,
            f"t{i}",
            {
                "content": f"{speaker}: {text}",
                "speaker": speaker,
                "session_id": "s1",
                "seq": i,
                "occurred_at": "2023-01-01",
            },
        )
    docs = MemoryRetriever(store=store, namespace=ALICE, k=4).invoke("research")
    assert keys(docs)[:2] == ["t0", "t1"]
    assert docs[1].metadata["score_components"]["context"] > 0
    assert (
        docs[2].metadata["score_components"]["context"]
        < docs[1].metadata["score_components"]["context"]
    )


def test_a_query_naming_the_speaker_favours_their_memories(store: BaseStore) -> None:
    store.put(ALICE, "a", {"content": "I love hiking", "speaker": "Alice"})
    store.put(ALICE, "b", {"content": "I love hiking", "speaker": "Bob"})
    r = MemoryRetriever(store=store, namespace=ALICE, k=2)
    assert keys(r.invoke("What does Bob love?")) == ["b", "a"]
    assert keys(r.invoke("What does Alice love?")) == ["a", "b"]


def test_importance_breaks_ties(store: BaseStore) -> None:
    store.put(ALICE, "low", {"content": "Alice parks on level 3", "importance": 0.1})
    store.put(ALICE, "high", {"content": "Alice parks on level 3", "importance": 0.9})
    assert keys(MemoryRetriever(store=store, namespace=ALICE, k=2).invoke("parking")) == [
        "high",
        "low",
    ]


@pytest.mark.parametrize("query", ["Bob's secret code is 7731", "7731", "secret", "Bob", ""])
def test_a_user_never_sees_another_users_memories(store: BaseStore, query: str) -> None:
    store.put(BOB, "secret", {"content": "Bob's secret code is 7731"})
    store.put(("memories", "alicex"), "other", {"content": "Bob's secret code is 7731"})
    store.put(ALICE, "mine", {"content": "Alice likes jazz"})
    docs = MemoryRetriever(store=store, namespace=ALICE, k=10).invoke(query)
    assert keys(docs) == ["mine"]
    assert all(d.metadata["namespace"] == ALICE for d in docs)


def test_sub_namespaces_belong_to_the_scope(store: BaseStore) -> None:
    store.put((*ALICE, "episodes"), "e1", {"content": "Alice moved to Porto"})
    assert keys(MemoryRetriever(store=store, namespace=ALICE).invoke("Porto")) == ["e1"]


def test_writes_after_the_first_query_are_seen_and_deletes_never_returned(
    store: BaseStore,
) -> None:
    r = MemoryRetriever(store=store, namespace=ALICE, k=3)
    store.put(ALICE, "a", {"content": "Alice owns a red bicycle"})
    assert keys(r.invoke("bicycle")) == ["a"]
    store.put(ALICE, "b", {"content": "Alice sold the zx81 computer"})
    assert keys(r.invoke("zx81"))[0] == "b"
    store.put(ALICE, "b", {"content": "Alice kept the zx81 computer after all"})
    (doc, *_) = r.invoke("zx81")
    assert doc.page_content == "Alice kept the zx81 computer after all"
    store.delete(ALICE, "b")
    assert "b" not in keys(r.invoke("zx81"))
    assert "b" not in scope_index(store, ALICE).records


def test_lexical_only_matches_appear_without_waiting_for_a_resync() -> None:
    # ChromaStore reports writes through its listener, so the lexical index is current at
    # once, even for a memory the vector search ranks too low to return.
    store = ChromaStore(index=INDEX)
    r = MemoryRetriever(store=store, namespace=ALICE, k=1, candidates=1)
    r.invoke("warm up")
    for i in range(5):
        store.put(ALICE, f"f{i}", {"content": f"Alice read chapter {i} of a novel"})
    store.put(ALICE, "x", {"content": "kq7 zebra"})
    assert keys(r.invoke("novel chapters about kq7")) == ["x"]
    store.close()


def test_stores_without_listener_catch_up_after_sync_interval() -> None:
    store = InMemoryStore(index={**INDEX, "embed": LocalEmbeddings()})
    r = MemoryRetriever(store=store, namespace=ALICE, k=1, candidates=1, sync_interval=0)
    r.invoke("warm up")
    for i in range(5):
        store.put(ALICE, f"f{i}", {"content": f"Alice read chapter {i} of a novel"})
    store.put(ALICE, "x", {"content": "kq7 zebra"})
    assert keys(r.invoke("novel chapters about kq7")) == ["x"]


def test_the_index_is_shared_and_not_rebuilt_per_query() -> None:
    store = ChromaStore(index=INDEX)
    store.put(ALICE, "a", {"content": "Alice plays the cello"})
    r1 = MemoryRetriever(store=store, namespace=ALICE)
    r2 = MemoryRetriever(store=store, namespace=ALICE, k=1)
    r1.invoke("cello")
    scope = scope_index(store, ALICE)
    bm25, synced = scope.bm25, scope._synced_at
    r2.invoke("cello")
    r1.invoke("music")
    assert scope_index(store, ALICE) is scope
    assert scope.bm25 is bm25
    assert scope._synced_at == synced  # no re-listing: the listener keeps it current
    assert scope_index(store, BOB) is not scope
    store.close()


def test_the_index_is_rebuilt_from_the_store_after_a_restart(tmp_path: Path) -> None:
    first = ChromaStore(path=tmp_path / "chroma", index=INDEX)
    first.put(ALICE, "a", {"content": "Alice's passport number is XK-2291"})
    first.close()
    second = ChromaStore(path=tmp_path / "chroma", index=INDEX)
    docs = MemoryRetriever(store=second, namespace=ALICE, k=1, dense_weight=0).invoke("XK-2291")
    assert keys(docs) == ["a"]
    second.close()


async def test_async_and_sync_rank_alike(store: BaseStore) -> None:
    for i, text in enumerate(["green tea", "black coffee", "herbal tea", "hot chocolate"]):
        store.put(ALICE, f"k{i}", {"content": f"Alice drinks {text}"})
    r = MemoryRetriever(store=store, namespace=ALICE, k=3)
    assert keys(await r.ainvoke("tea")) == keys(r.invoke("tea"))
    items = await r.asearch_items("tea", k=2)
    assert [i.key for i in items] == keys(r.invoke("tea"))[:2]
    assert items[0].score == pytest.approx(r.invoke("tea")[0].metadata["score"])


def test_search_fn_scopes_each_call_to_its_namespace(store: BaseStore) -> None:
    store.put(ALICE, "a", {"content": "Alice likes jazz"})
    store.put(BOB, "b", {"content": "Bob likes jazz"})
    search = MemoryRetriever.search_fn(store)
    assert [i.key for i in search(BOB, "jazz", 5)] == ["b"]


def test_items_without_text_content_are_not_memories(store: BaseStore) -> None:
    store.put(ALICE, "profile", {"facts": {"city": "Porto"}})
    store.put(ALICE, "n", {"content": 42})
    store.put(ALICE, "ok", {"content": "Alice lives in Porto"})
    assert keys(MemoryRetriever(store=store, namespace=ALICE, k=5).invoke("Porto")) == ["ok"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"namespace": "alice"}, "'alice'"),
        ({"namespace": ()}, r"\(\)"),
        ({"namespace": ("memories", "")}, "memories"),
        ({"namespace": ALICE, "k": 0}, "k"),
        ({"namespace": ALICE, "lexical_weight": -1}, "lexical_weight"),
        ({"namespace": ALICE, "start": "2024-01-02", "end": "2024-01-01"}, "2024"),
        ({"namespace": ALICE, "start": "soon"}, "soon"),
    ],
)
def test_bad_configuration_is_rejected(store: BaseStore, kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        MemoryRetriever(store=store, **kwargs)


def test_bad_call_arguments_are_rejected(store: BaseStore) -> None:
    r = MemoryRetriever(store=store, namespace=ALICE)
    with pytest.raises(ValueError, match="-2"):
        r.invoke("x", k=-2)
    with pytest.raises(ValueError, match="start must be before end"):
        r.invoke("x", start="2024-02-01", end="2024-01-01")
    with pytest.raises(ValueError, match="next week"):
        r.invoke("x", end="next week")
    with pytest.raises(TypeError, match="42"):
        r.search_items(42)  # type: ignore[arg-type]


def test_a_reply_is_indexed_with_the_memory_before_it(store: BaseStore) -> None:
    def put(key: str, text: str, seq: int) -> None:
        value = {"content": text, "session_id": "s", "seq": seq, "occurred_at": "2024-05-01"}
        store.put(ALICE, key, value)

    put("q", "Bob: Which museum did you visit?", 0)
    put("a", "Alice: The Prado, twice.", 1)
    # sync_interval=0: InMemoryStore has no listener; re-list before every query.
    r = MemoryRetriever(store=store, namespace=ALICE, k=2, dense_weight=0, sync_interval=0)
    a = next(d for d in r.invoke("museum") if d.metadata["key"] == "a")
    assert a.metadata["score_components"]["lexical"] > 0
    put("q", "Bob: Which gallery did you visit?", 0)  # the predecessor changes ...
    a = next(d for d in r.invoke("gallery") if d.metadata["key"] == "a")
    assert a.metadata["score_components"]["lexical"] > 0
    b = [d for d in r.invoke("museum") if d.metadata["key"] == "a"]
    assert not b or b[0].metadata["score_components"]["lexical"] == 0
    store.delete(ALICE, "q")  # ... or goes away: the reply stands alone again
    docs = r.invoke("gallery")
    assert all(d.metadata["score_components"]["lexical"] == 0 for d in docs)


class _UnhashableStore(InMemoryStore):
    __hash__ = None  # type: ignore[assignment]


def test_a_store_that_cannot_be_registered_still_works() -> None:
    store = _UnhashableStore(index={**INDEX, "embed": LocalEmbeddings()})
    store.put(ALICE, "a", {"content": "Alice plays the cello"})
    r = MemoryRetriever(store=store, namespace=ALICE, k=1)
    assert keys(r.invoke("cello")) == ["a"]
    assert keys(r.invoke("cello")) == ["a"]


def test_due_re_listing_runs_in_the_background_and_catches_up() -> None:
    import time

    store = InMemoryStore(index={**INDEX, "embed": LocalEmbeddings()})
    r = MemoryRetriever(store=store, namespace=ALICE, k=1, candidates=1, sync_interval=0.01)
    r.invoke("warm up")
    for i in range(5):
        store.put(ALICE, f"f{i}", {"content": f"Alice read chapter {i} of a novel"})
    store.put(ALICE, "x", {"content": "kq7 zebra"})
    time.sleep(0.02)
    deadline = time.monotonic() + 10
    found: list[str] = []
    while time.monotonic() < deadline and found != ["x"]:
        found = keys(r.invoke("novel chapters about kq7"))
        time.sleep(0.01)
    assert found == ["x"]


def test_writes_by_another_store_object_on_the_same_chroma_are_caught(tmp_path: Path) -> None:
    # Two ChromaStore objects over one Chroma stand for two processes sharing a server:
    # the reader's listener never hears of the writer's puts and deletes.
    import chromadb

    client = chromadb.EphemeralClient(
        settings=chromadb.config.Settings(anonymized_telemetry=False, allow_reset=False)
    )
    prefix = f"xproc-{uuid.uuid4().hex[:12]}"
    sql = tmp_path / "items.sqlite3"  # one database, as two processes of one server setup
    reader = ChromaStore(client=client, sql=sql, index=INDEX, collection_prefix=prefix)
    writer = ChromaStore(client=client, sql=sql, index=INDEX, collection_prefix=prefix)
    writer.put(ALICE, "old", {"content": "Alice owns a rowing boat"})
    r = MemoryRetriever(store=reader, namespace=ALICE, k=3, sync_interval=3600)
    assert keys(r.invoke("rowing boat")) == ["old"]
    writer.put(ALICE, "new", {"content": "Alice bought a red canoe"})
    assert keys(r.invoke("canoe"))[0] == "new"  # the vector search brought it in
    writer.delete(ALICE, "old")
    assert "old" not in keys(r.invoke("rowing boat"))  # re-read before returning
    for i in range(5):
        writer.put(ALICE, f"f{i}", {"content": f"Alice read chapter {i} of a novel"})
    writer.put(ALICE, "x", {"content": "kq7 zebra"})
    narrow = MemoryRetriever(store=reader, namespace=ALICE, k=1, candidates=1, sync_interval=0)
    assert keys(narrow.invoke("novel chapters about kq7")) == ["x"]  # re-listed


def test_nested_scopes_both_follow_the_listener() -> None:
    store = ChromaStore(index=INDEX)
    everyone = MemoryRetriever(store=store, namespace=("memories",), k=5)
    alice = MemoryRetriever(store=store, namespace=ALICE, k=5)
    everyone.invoke("warm up")
    alice.invoke("warm up")
    store.put(ALICE, "a", {"content": "Alice found a qz9 fossil"})
    store.put(BOB, "b", {"content": "Bob found a qz9 fossil"})
    assert sorted(keys(everyone.invoke("qz9"))) == ["a", "b"]
    assert keys(alice.invoke("qz9")) == ["a"]
    store.close()

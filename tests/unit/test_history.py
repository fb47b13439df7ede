"""ChromaChatMessageHistory on a real embedded ChromaStore with the real local embeddings.

The history is a view over the store's ``("archive", user, session)`` items; these tests
use only its public API and the public ``BaseStore`` API.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import chromadb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import ConfigurableFieldSpec
from langchain_core.runnables.history import RunnableWithMessageHistory

from langmem_plugin._embeddings import LocalEmbeddings
from langmem_plugin._messages import trim_turns
from langmem_plugin.errors import SessionOwnershipError
from langmem_plugin.history import ChromaChatMessageHistory
from langmem_plugin.history._codec import encode_message
from langmem_plugin.store import ChromaStore
from langmem_plugin.store._client import chroma_settings as _chroma_settings
from langmem_plugin.testing import ScriptedChatModel
from tests.unit.test_messages import conversations

HistoryFactory = Callable[..., ChromaChatMessageHistory]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    chroma = chromadb.EphemeralClient(settings=_chroma_settings())
    yield chroma
    chroma.close()


@pytest.fixture(scope="module")
def embeddings() -> LocalEmbeddings:
    return LocalEmbeddings()


@pytest.fixture
def store(embeddings: LocalEmbeddings) -> Iterator[ChromaStore]:
    """A fresh in-memory store per test (unique prefix, dropped on close)."""
    chroma_store = ChromaStore(
        index={"dims": embeddings.dims, "embed": embeddings, "fields": ["content"]}
    )
    yield chroma_store
    chroma_store.close()


@pytest.fixture
def make_history(store: ChromaStore) -> HistoryFactory:
    """Histories of one fresh store, each a new object reading from it."""

    def factory(session_id: str, user_id: str = "ada") -> ChromaChatMessageHistory:
        return ChromaChatMessageHistory(session_id, user_id=user_id, store=store)

    return factory


def _drop_prefix(client: Any, prefix: str) -> None:
    for collection in client.list_collections():
        name = getattr(collection, "name", collection)
        if str(name).startswith(f"{prefix}_"):
            client.delete_collection(str(name))


def every_message_type() -> list[BaseMessage]:
    return [
        SystemMessage("You are terse.", id="s-1", additional_kwargs={"cache": True}),
        HumanMessage(
            content=[
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            ],
            id="h-1",
            name="ada",
            additional_kwargs={"lang": "en"},
        ),
        AIMessage(
            content="Let me look that up.",
            id="a-1",
            name="assistant",
            tool_calls=[
                {"name": "search", "args": {"q": "cats", "n": 3}, "id": "call-1"},
                {"name": "calc", "args": {"expr": "2+2"}, "id": "call-2"},
            ],
            invalid_tool_calls=[
                {"name": "bad", "args": "{not json", "id": "call-3", "error": "oops"}
            ],
            usage_metadata={
                "input_tokens": 12,
                "output_tokens": 7,
                "total_tokens": 19,
                "input_token_details": {"cache_read": 2},
            },
            response_metadata={"model_name": "fake-1", "finish_reason": "tool_calls"},
            additional_kwargs={"refusal": None},
        ),
        ToolMessage(
            content="3 cats",
            tool_call_id="call-1",
            id="t-1",
            name="search",
            artifact={"rows": [1, 2, 3]},
            status="success",
        ),
        ToolMessage(content="boom", tool_call_id="call-2", status="error", id="t-2"),
        AIMessage(content="ünïcødé ✓ — 3 cats, 4.", id="a-2"),
        ChatMessage(content="custom role", role="critic", id="c-1"),
        FunctionMessage(content="legacy", name="fn", id="f-1"),
    ]


def test_every_message_type_round_trips_exactly(make_history: HistoryFactory) -> None:
    history = make_history("s1")
    original = every_message_type()
    history.add_messages(original)
    restored = make_history("s1").messages  # a fresh object reads from Chroma
    assert restored == original
    assert [type(m) for m in restored] == [type(m) for m in original]
    ai = restored[2]
    assert isinstance(ai, AIMessage)
    assert ai.usage_metadata == original[2].usage_metadata  # type: ignore[attr-defined]
    assert ai.tool_calls == original[2].tool_calls  # type: ignore[attr-defined]


def test_messages_come_back_in_the_order_they_were_added(make_history: HistoryFactory) -> None:
    history = make_history("s1")
    for i in range(5):
        history.add_messages([HumanMessage(f"q{i}"), AIMessage(f"a{i}")])
    history.add_user_message("last question")
    contents = [m.content for m in make_history("s1").messages]
    expected = [x for i in range(5) for x in (f"q{i}", f"a{i}")] + ["last question"]
    assert contents == expected


def test_concurrent_threads_keep_each_writers_order_and_rounds_in_sequence(
    make_history: HistoryFactory,
) -> None:
    writers, per_writer = 6, 5

    def write(round_no: int, writer: int) -> None:
        history = make_history("shared")
        for i in range(per_writer):
            history.add_messages([HumanMessage(f"r{round_no} w{writer} m{i}")])

    for round_no in range(2):
        threads = [threading.Thread(target=write, args=(round_no, w)) for w in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    contents = [str(m.content) for m in make_history("shared").messages]
    assert len(contents) == 2 * writers * per_writer
    # Every message of round 0 was acknowledged before round 1 started: it reads first.
    assert all(c.startswith("r0") for c in contents[: writers * per_writer])
    for round_no in range(2):
        for writer in range(writers):
            mine = [c for c in contents if c.startswith(f"r{round_no} w{writer} ")]
            assert mine == [f"r{round_no} w{writer} m{i}" for i in range(per_writer)]


async def test_concurrent_async_tasks_keep_each_tasks_order(make_history: HistoryFactory) -> None:
    async def write(task: int) -> None:
        history = make_history("async")
        for i in range(4):
            await history.aadd_messages([AIMessage(f"t{task} m{i}")])

    await asyncio.gather(*(write(task) for task in range(6)))
    history = make_history("async")
    contents = [str(m.content) for m in await history.aget_messages()]
    assert len(contents) == 24
    for task in range(6):
        assert [c for c in contents if c.startswith(f"t{task} ")] == [
            f"t{task} m{i}" for i in range(4)
        ]
    await history.aclear()
    assert await history.aget_messages() == []


def test_sessions_are_isolated_from_each_other(make_history: HistoryFactory) -> None:
    first, second = make_history("s1"), make_history("s2")
    first.add_user_message("only in s1")
    second.add_user_message("only in s2")
    first.clear()
    assert first.messages == []
    assert [m.content for m in second.messages] == ["only in s2"]


def test_users_never_see_each_others_messages(make_history: HistoryFactory) -> None:
    alice = make_history("alice-chat", user_id="alice")
    bob = make_history("bob-chat", user_id="bob")
    alice.add_user_message("My bank PIN is 4242 and I love green tea")
    bob.add_user_message("I am planning a trip to Lisbon")
    # Even a query that matches Alice's message perfectly returns only Bob's.
    hits = bob.search("My bank PIN is 4242 and I love green tea", k=5)
    assert [h.message.content for h in hits] == ["I am planning a trip to Lisbon"]
    assert {h.session_id for h in hits} == {"bob-chat"}
    # Bob cannot open Alice's session, and the attempt writes nothing.
    with pytest.raises(SessionOwnershipError, match="alice-chat"):
        make_history("alice-chat", user_id="bob")
    assert [m.content for m in make_history("alice-chat", user_id="alice").messages] == [
        "My bank PIN is 4242 and I love green tea"
    ]


def test_search_spans_one_users_sessions_and_ranks_by_meaning(
    make_history: HistoryFactory,
) -> None:
    make_history("monday").add_messages(
        [HumanMessage("I adopted a kitten named Miso"), AIMessage("Congratulations!")]
    )
    make_history("tuesday").add_messages(
        [HumanMessage("Quarterly revenue grew five percent"), AIMessage("Nice growth.")]
    )
    hits = make_history("wednesday").search("what is my cat called?", k=2)
    assert hits[0].message.content == "I adopted a kitten named Miso"
    assert hits[0].session_id == "monday"
    assert hits[0].score >= hits[1].score
    assert len(make_history("x").search("revenue", k=10)) == 4


def test_trim_keep_last_deletes_whole_oldest_turns_only(make_history: HistoryFactory) -> None:
    history = make_history("s1")
    call = AIMessage(
        content="", tool_calls=[{"name": "weather", "args": {"city": "Oslo"}, "id": "w1"}]
    )
    turns = [
        SystemMessage("be brief"),
        HumanMessage("hi"),
        AIMessage("hello"),
        HumanMessage("weather in Oslo?"),
        call,
        ToolMessage("rain", tool_call_id="w1"),
        AIMessage("It rains."),
    ]
    history.add_messages(turns)
    dropped = history.trim(keep_last=3)  # the last turn has 4 messages: it cannot fit
    assert dropped == turns[1:]
    assert make_history("s1").messages == turns[:1]

    history.clear()
    history.add_messages(turns)
    assert history.trim(keep_last=4) == turns[1:3]
    assert make_history("s1").messages == [turns[0], *turns[3:]]


def test_trim_max_tokens_keeps_newest_turns_within_budget(make_history: HistoryFactory) -> None:
    history = make_history("s1")
    for i in range(6):
        history.add_messages([HumanMessage(f"question {i} " * 5), AIMessage(f"answer {i} " * 5)])
    dropped = history.trim(max_tokens=60)
    remaining = history.messages
    assert len(dropped) + len(remaining) == 12
    assert remaining[0].content.startswith("question")  # type: ignore[union-attr]
    from langchain_core.messages.utils import count_tokens_approximately

    assert count_tokens_approximately(remaining) <= 60
    assert remaining[-1].content == "answer 5 " * 5


def test_trim_needs_a_limit(make_history: HistoryFactory) -> None:
    with pytest.raises(ValueError, match="keep_last or max_tokens"):
        make_history("s1").trim()


def test_bad_input_raises_naming_the_value_and_writes_nothing(
    make_history: HistoryFactory,
) -> None:
    history = make_history("s1")
    with pytest.raises(TypeError, match="not a message"):
        history.add_messages([HumanMessage("fine"), "not a message"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        history.add_messages([HumanMessage("x", additional_kwargs={"obj": object()})])
    assert history.messages == []
    assert history.session is None
    with pytest.raises(ValueError, match="session_id"):
        make_history("")
    with pytest.raises(ValueError, match="user_id"):
        make_history("s1", user_id="  ")
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        history.search("x", k=0)


def test_session_records_track_counts_times_and_titles(make_history: HistoryFactory) -> None:
    older, newer = make_history("older"), make_history("newer")
    older.add_messages([HumanMessage("a"), AIMessage("b")])
    newer.add_messages([HumanMessage("c")])
    newer.update_session(title="Trip planning", summary="Lisbon in May")
    info = newer.session
    assert info is not None
    assert (info.user_id, info.message_count, info.title, info.summary) == (
        "ada",
        1,
        "Trip planning",
        "Lisbon in May",
    )
    assert info.created_at <= info.last_active
    older_info = older.session
    assert older_info is not None
    assert older_info.message_count == 2
    older.add_user_message("back to the old chat")  # now the most recent
    storage_listing = older._storage.list_sessions("ada")
    assert [s.session_id for s in storage_listing] == ["older", "newer"]
    assert storage_listing[0].message_count == 3


def test_delete_session_removes_messages_and_record(make_history: HistoryFactory) -> None:
    history = make_history("gone")
    history.add_messages([HumanMessage("secret")])
    history.delete_session()
    assert history.messages == []
    assert history.session is None
    assert history.search("secret", k=3) == []
    # The id is free again, for anyone.
    make_history("gone", user_id="someone-else").add_user_message("new owner")


def _history_chain(make_history: HistoryFactory, model: ScriptedChatModel) -> Any:
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You are a helpful assistant."),
            MessagesPlaceholder("history"),
            ("human", "{question}"),
        ]
    )
    return RunnableWithMessageHistory(
        prompt | model,
        lambda user_id, session_id: make_history(session_id, user_id),
        input_messages_key="question",
        history_messages_key="history",
        history_factory_config=[
            ConfigurableFieldSpec(id="user_id", annotation=str, is_shared=True),
            ConfigurableFieldSpec(id="session_id", annotation=str, is_shared=True),
        ],
    )


def test_runnable_with_message_history_end_to_end(make_history: HistoryFactory) -> None:
    model = ScriptedChatModel(script=["Nice to meet you, Ada.", "Your name is Ada."])
    chain = _history_chain(make_history, model)
    config = {"configurable": {"user_id": "ada", "session_id": "intro"}}
    chain.invoke({"question": "Hi, I'm Ada."}, config)
    answer = chain.invoke({"question": "What's my name?"}, config)
    assert answer.content == "Your name is Ada."
    # The second call saw the first exchange, loaded from Chroma.
    seen = [m.content for m in model.inputs[1]]
    assert seen == [
        "You are a helpful assistant.",
        "Hi, I'm Ada.",
        "Nice to meet you, Ada.",
        "What's my name?",
    ]
    stored = make_history("intro", "ada").messages
    assert [type(m) for m in stored] == [HumanMessage, AIMessage, HumanMessage, AIMessage]
    assert stored[-1].content == "Your name is Ada."


async def test_runnable_with_message_history_async(make_history: HistoryFactory) -> None:
    model = ScriptedChatModel(script=["first", "second"])
    chain = _history_chain(make_history, model)
    config = {"configurable": {"user_id": "bob", "session_id": "async-chat"}}
    await chain.ainvoke({"question": "one"}, config)
    await chain.ainvoke({"question": "two"}, config)
    stored = await make_history("async-chat", "bob").aget_messages()
    assert [m.content for m in stored] == ["one", "first", "two", "second"]


def test_standalone_client_path_builds_a_store_with_local_embeddings(
    client: Any, tmp_path: Any
) -> None:
    prefix = f"h{uuid.uuid4().hex[:10]}"
    where = {"client": client, "sql": str(tmp_path / "items.sqlite"), "collection_prefix": prefix}
    try:
        history = ChromaChatMessageHistory("s", user_id="u", **where)
        assert isinstance(history._storage.embeddings, LocalEmbeddings)
        history.add_messages([HumanMessage("I keep bees on the roof"), AIMessage("Lovely.")])
        again = ChromaChatMessageHistory("s", user_id="u", **where)
        assert [m.content for m in again.messages] == ["I keep bees on the roof", "Lovely."]
        hits = again.search("insects at home", k=1)
        assert hits[0].message.content == "I keep bees on the roof"
    finally:
        _drop_prefix(client, prefix)


def test_each_message_is_one_archive_item_with_the_contract_fields(
    make_history: HistoryFactory, store: ChromaStore
) -> None:
    history = make_history("s1")
    history.add_messages([HumanMessage("hi", id="m1", name="Ada"), AIMessage("hello", id="m2")])
    history.add_messages([HumanMessage("bye")])
    items = store.search(("archive", "ada", "s1"), limit=10)
    by_seq = sorted(items, key=lambda item: item.value["seq"])
    assert [i.value["seq"] for i in by_seq] == [0, 1, 2]  # consecutive across add calls
    first = by_seq[0]
    assert first.key == "m1"
    assert {k: first.value[k] for k in ("content", "role", "speaker", "session_id")} == {
        "content": "hi",
        "role": "user",
        "speaker": "Ada",
        "session_id": "s1",
    }
    assert (first.value["thread_id"], first.value["user_id"]) == ("s1", "ada")
    assert by_seq[1].value["role"] == by_seq[1].value["speaker"] == "assistant"
    assert first.value["occurred_at"].endswith("+00:00")
    # The session record and the ownership claim are store items too.
    assert store.get(("sessions", "ada"), "s1") is not None
    claim = store.get(("session_owners",), "s1")
    assert claim is not None
    assert claim.value == {"user_id": "ada"}


def test_messages_are_read_in_sequence_order_not_storage_order(
    make_history: HistoryFactory, store: ChromaStore
) -> None:
    # A slower process stored its messages after ours but had drawn earlier seq numbers
    # (ties are broken by key): every reader must order by seq, then by key.
    history = make_history("s")
    history.add_messages([HumanMessage("ours", id="m-ours")])
    template = store.get(("archive", "ada", "s"), "m-ours")
    assert template is not None
    for key, text, seq in [("b", "stored second, seq 0 b", 0), ("a", "stored third, seq 0 a", 0)]:
        value = dict(template.value, content=text, seq=seq)
        value["message"] = encode_message(HumanMessage(text))
        store.put(("archive", "ada", "s"), key, value)
    store.put(
        ("archive", "ada", "s"), "m-ours", dict(template.value, seq=5)
    )  # ours was seq 0; moved last
    assert [m.content for m in make_history("s").messages] == [
        "stored third, seq 0 a",
        "stored second, seq 0 b",
        "ours",
    ]


def test_seq_continues_after_what_another_writer_stored(
    make_history: HistoryFactory, store: ChromaStore
) -> None:
    history = make_history("s")
    history.add_messages([HumanMessage("one")])
    # Another process appended seq 1..3 since (written straight to the store here).
    template = store.search(("archive", "ada", "s"))[0].value
    for seq in (1, 2, 3):
        store.put(("archive", "ada", "s"), f"other-{seq}", dict(template, seq=seq))
    history.add_messages([HumanMessage("five")])
    seqs = {
        item.value["content"]: item.value["seq"] for item in store.search(("archive", "ada", "s"))
    }
    assert seqs["five"] == 4


def test_sequence_clock_is_strictly_increasing_across_threads() -> None:
    from langmem_plugin.history._codec import SequenceClock

    clock = SequenceClock()
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(200):
            first, _writer = clock.next_block(3)
            with lock:
                seen.append((first, first + 2))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seen.sort()
    assert len(seen) == 800
    assert all(prev[1] < cur[0] for prev, cur in itertools.pairwise(seen))  # no overlap


def test_once_per_id_stores_a_message_id_once_per_session(make_history: HistoryFactory) -> None:
    history = make_history("s")
    storage = history._storage
    message = AIMessage("archived once", id="m-1")
    assert storage.add("ada", "s", [message], once_per_id=True) == 1
    assert storage.add("ada", "s", [message, AIMessage("next", id="m-2")], once_per_id=True) == 1
    assert [m.content for m in history.messages] == ["archived once", "next"]
    # A changed message with a known id is updated in place, keeping its position.
    storage.add("ada", "s", [AIMessage("archived once, edited", id="m-1")], once_per_id=True)
    assert [m.content for m in history.messages] == ["archived once, edited", "next"]
    # The same message id in another session is another record.
    storage.add("ada", "other", [message], once_per_id=True)
    assert [m.content for m in make_history("other").messages] == ["archived once"]
    with pytest.raises(ValueError, match="anonymous"):
        storage.add("ada", "s", [HumanMessage("anonymous")], once_per_id=True)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(conversations(), st.integers(0, 12))
def test_trim_on_chroma_never_leaves_a_tool_result_without_its_call(
    make_history: HistoryFactory, messages: list[BaseMessage], keep_last: int
) -> None:
    history = make_history(f"prop-{uuid.uuid4().hex[:8]}")
    history.add_messages(messages)
    dropped = history.trim(keep_last=keep_last)
    stored = history.messages
    expected_kept, expected_dropped = trim_turns(messages, keep_last=keep_last)
    assert stored == expected_kept
    assert dropped == expected_dropped
    calls = {str(call["id"]) for m in stored if isinstance(m, AIMessage) for call in m.tool_calls}
    answered_in_input = {
        str(call["id"]) for m in messages if isinstance(m, AIMessage) for call in m.tool_calls
    }
    for message in stored:
        if isinstance(message, ToolMessage) and message.tool_call_id in answered_in_input:
            assert message.tool_call_id in calls


def test_repeated_texts_in_one_session_archive_on_langgraphs_in_memory_store(
    embeddings: LocalEmbeddings,
) -> None:
    from langgraph.store.memory import InMemoryStore

    from langmem_plugin.history._storage import HistoryStorage

    # InMemoryStore fails a batch whose puts share a text; the archive splits such batches
    store = InMemoryStore(index={"dims": 384, "embed": embeddings, "fields": ["content"]})
    storage = HistoryStorage(store)
    said = [HumanMessage("ok"), AIMessage("Noted."), HumanMessage("ok"), AIMessage("Noted.")]
    assert storage.add("ada", "s1", said) == 4
    assert [m.text for _, m in storage.read("ada", "s1")] == ["ok", "Noted.", "ok", "Noted."]
    assert len(store.search(("archive", "ada"), query="ok", limit=10)) == 4

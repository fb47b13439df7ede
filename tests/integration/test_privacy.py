"""PII redaction and encryption at rest, end to end on real files, Chroma, SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from langmem_plugin import ChromaStore, Memory
from langmem_plugin._admin._export import export_memory, import_memory
from langmem_plugin.errors import CorruptRecordError, EncryptionKeyError
from langmem_plugin.store._crypto import ENV_VAR
from langmem_plugin.testing import ScriptedChatModel
from tests._support import HashEmbeddings
from tests.integration._forget_data import scan_postgres
from tests.integration._memory_data import ADA_SECRET, assert_same_dump, full_dump, populate

EMAIL = "ada.lovelace@analytical-engine.org"
PHONE = "+44 20 7946 0958"
TOKEN = "zebracornflux"  # a word no component writes by itself
KEY = "correct horse battery staple"


class RecordingEmbeddings(Embeddings):
    """Deterministic embeddings that remember every text they were given."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._hash = HashEmbeddings(32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return self._hash(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._hash([text])[0]


def hits(root: Path, needle: str) -> int:
    """How many times ``needle`` occurs in the raw bytes of every file under ``root``."""
    raw = needle.encode()
    return sum(p.read_bytes().count(raw) for p in root.rglob("*") if p.is_file())


def all_values(memory: Any) -> str:
    """Every store item's namespace, key and value, as one string."""
    store = memory.store
    parts = [
        json.dumps([ns, item.key, item.value], ensure_ascii=False)
        for ns in store.list_namespaces(prefix=(), limit=10_000)
        for item in store.search(ns, limit=10_000)
    ]
    return "\n".join(parts)


def echo_builder() -> StateGraph:
    builder = StateGraph(MessagesState)
    builder.add_node(
        "echo", lambda state: {"messages": [AIMessage(f"noted: {state['messages'][-1].content}")]}
    )
    builder.add_edge(START, "echo")
    return builder


def config(thread_id: str, user_id: str = "ada") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id, "user_id": user_id}}


# ---------------------------------------------------------------------------------- redaction
def test_an_email_said_in_ingest_reaches_no_file_nor_the_embedder_and_recall_shows_email(
    tmp_path: Path,
) -> None:
    root = tmp_path / "mem"
    embeddings = RecordingEmbeddings()
    with Memory.from_path(root, embeddings=embeddings, redact=True) as memory:
        memory.ingest(
            [
                HumanMessage(f"My e-mail is {EMAIL} and my phone is {PHONE}."),
                AIMessage("Thanks, noted."),
            ],
            user_id="ada",
            thread_id="t1",
        )
        memory.flush()
        context = memory.recall_context("ada", "what is my e-mail address?")
        stored = all_values(memory)
    assert "[EMAIL]" in context
    assert EMAIL not in context
    assert "My e-mail is [EMAIL] and my phone is [PHONE]." in stored
    assert EMAIL not in stored
    assert PHONE not in stored
    assert embeddings.texts
    assert not any(EMAIL in t or PHONE in t for t in embeddings.texts)
    assert hits(root, EMAIL) == 0
    assert hits(root, "analytical-engine") == 0


def test_redaction_covers_the_agent_graph_history_and_direct_store_writes(tmp_path: Path) -> None:
    from langmem_plugin.agent import create_memory_agent

    root = tmp_path / "mem"
    with Memory.from_path(root, embeddings=RecordingEmbeddings(), redact=True) as memory:
        agent = create_memory_agent(ScriptedChatModel(script=[], default="Got it"), memory=memory)
        agent.invoke({"messages": [HumanMessage(f"write to {EMAIL}")]}, config("agent"))
        memory.end_session("agent")
        memory.history("chat", user_id="ada").add_user_message(f"call me on {PHONE}")
        memory.store.put(("memories", "ada"), "m1", {"content": f"Ada's mail: {EMAIL}"})
        memory.flush()
        stored = all_values(memory)
        archived = memory.history("agent", user_id="ada").messages
    assert EMAIL not in stored
    assert PHONE not in stored
    assert "write to [EMAIL]" in stored
    assert "call me on [PHONE]" in stored
    assert "Ada's mail: [EMAIL]" in stored
    assert [m.content for m in archived][:1] == ["write to [EMAIL]"]
    assert hits(root, EMAIL) == 0  # the agent's checkpoints included
    assert hits(root, "analytical-engine") == 0


def test_a_graph_sees_the_raw_text_during_its_run_and_checkpoints_keep_it_redacted(
    tmp_path: Path,
) -> None:
    seen: list[str] = []

    def reply(state: MessagesState) -> dict[str, Any]:
        seen.append(str(state["messages"][-1].content))
        return {"messages": [AIMessage(f"I will write to {EMAIL}")]}

    builder = StateGraph(MessagesState)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    root = tmp_path / "mem"
    for key in (None, KEY):  # plain and encrypted checkpoints
        folder = root / ("encrypted" if key else "plain")
        with Memory.from_path(
            folder, embeddings=RecordingEmbeddings(), redact=True, encryption_key=key
        ) as memory:
            graph = memory.compile(builder)
            graph.invoke({"messages": [HumanMessage(f"my mail is {EMAIL}")]}, config("g"))
            state = graph.get_state(config("g")).values
        assert [m.content for m in state["messages"]] == [
            "my mail is [EMAIL]",
            "I will write to [EMAIL]",
        ]
        assert hits(folder, EMAIL) == 0
    assert seen == [f"my mail is {EMAIL}", f"my mail is {EMAIL}"]


def test_a_custom_redaction_function_replaces_the_default_rules(tmp_path: Path) -> None:
    def no_cities(text: str) -> str:
        return text.replace("Lisbon", "[CITY]")

    with Memory.from_path(
        tmp_path / "mem", embeddings=RecordingEmbeddings(), redact=no_cities
    ) as memory:
        memory.store.put(("memories", "ada"), "m", {"content": f"Lisbon, {EMAIL}"})
        value = memory.store.get(("memories", "ada"), "m")
    assert value is not None
    assert value.value == {"content": f"[CITY], {EMAIL}"}


def test_identifiers_equal_to_the_namespace_or_key_are_kept(tmp_path: Path) -> None:
    index: Any = {"dims": 32, "embed": HashEmbeddings()}
    store = ChromaStore(path=tmp_path / "chroma", index=index, redact=True)
    user = "+14155552671"  # a phone number used as the user id
    value = {"user_id": user, "contact": EMAIL, "content": f"mail {EMAIL}, call {user}"}
    with store:
        store.put((user, "contacts"), EMAIL, value)
        found = store.search((user,), filter={"user_id": user, "contact": EMAIL})
    assert [item.value for item in found] == [
        {"user_id": user, "contact": EMAIL, "content": "mail [EMAIL], call [PHONE]"}
    ]


def test_the_save_memory_tool_of_an_in_memory_memory_redacts() -> None:
    from langmem_plugin.tools import create_memory_tools

    with Memory.in_memory(embeddings=RecordingEmbeddings(), redact=True) as memory:
        tools = {t.name: t for t in create_memory_tools(memory.store, user_id="ada")}
        tools["save_memory"].invoke({"content": f"Ada's card is 4111 1111 1111 1111, {EMAIL}"})
        (saved,) = memory.store.search(("memories", "ada"))
        found = tools["search_memory"].invoke({"query": "card"})
    assert saved.value["content"] == "Ada's card is [CARD], [EMAIL]"
    assert "[CARD]" in found
    assert "4111" not in found


# ---------------------------------------------------------------------------------- encryption
def seed(memory: Any, token: str = TOKEN) -> None:
    """Write ``token`` through ingest, the archive, a checkpointed graph and the store."""
    memory.ingest(
        [HumanMessage(f"My cat is called {token}."), AIMessage(f"Nice name, {token}!")],
        user_id="ada",
        thread_id="ingest",
    )
    memory.history("chat", user_id="ada").add_user_message(f"history {token}")
    memory.store.put(("memories", "ada"), "m1", {"content": f"memory {token}"})
    graph = memory.compile(echo_builder())
    graph.invoke({"messages": [HumanMessage(f"graph {token}")]}, config("g1"))
    memory.archive_thread("g1", "ada")
    memory.flush()


def test_encrypted_memory_leaves_no_token_in_any_file_and_plain_one_does(tmp_path: Path) -> None:
    for name, key in (("plain", None), ("encrypted", KEY)):
        with Memory.from_path(
            tmp_path / name, embeddings=RecordingEmbeddings(), encryption_key=key
        ) as memory:
            seed(memory)
            assert f"memory {TOKEN}" in all_values(memory)
            assert TOKEN in memory.recall_context("ada", "what is my cat called?")
    assert hits(tmp_path / "plain", TOKEN) > 0
    assert hits(tmp_path / "encrypted", TOKEN) == 0


def test_an_encrypted_graph_resumes_after_reopening(tmp_path: Path) -> None:
    root = tmp_path / "mem"
    with Memory.from_path(root, embeddings=RecordingEmbeddings(), encryption_key=KEY) as m:
        graph = m.compile(echo_builder())
        graph.invoke({"messages": [HumanMessage(f"first {TOKEN}")]}, config("g"))
    with Memory.from_path(root, embeddings=RecordingEmbeddings(), encryption_key=KEY) as m:
        graph = m.compile(echo_builder())
        state = graph.invoke({"messages": [HumanMessage("second")]}, config("g"))
    assert [msg.content for msg in state["messages"]] == [
        f"first {TOKEN}",
        f"noted: first {TOKEN}",
        "second",
        "noted: second",
    ]
    assert hits(root, TOKEN) == 0


def test_encrypted_checkpoints_work_for_async_graphs(tmp_path: Path) -> None:
    import asyncio

    async def run() -> list[str]:
        async with Memory.from_path(
            tmp_path / "mem", embeddings=RecordingEmbeddings(), encryption_key=KEY
        ) as memory:
            graph = await memory.acompile(echo_builder())
            await graph.ainvoke({"messages": [HumanMessage(f"async {TOKEN}")]}, config("a"))
            state = await graph.aget_state(config("a"))
            return [msg.content for msg in state.values["messages"]]

    assert asyncio.run(run()) == [f"async {TOKEN}", f"noted: async {TOKEN}"]
    assert hits(tmp_path / "mem", TOKEN) == 0


def digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.sqlite*")):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def encrypted_root(tmp_path: Path) -> Path:
    root = tmp_path / "mem"
    with Memory.from_path(root, embeddings=RecordingEmbeddings(), encryption_key=KEY) as m:
        seed(m)
    return root


def test_a_wrong_key_is_refused_at_open_and_writes_nothing(encrypted_root: Path) -> None:
    before = digest(encrypted_root)
    with pytest.raises(EncryptionKeyError, match="wrong encryption key"):
        Memory.from_path(
            encrypted_root, embeddings=RecordingEmbeddings(), encryption_key="not the key"
        )
    assert digest(encrypted_root) == before
    with Memory.from_path(
        encrypted_root, embeddings=RecordingEmbeddings(), encryption_key=KEY
    ) as memory:  # nothing was lost
        item = memory.store.get(("memories", "ada"), "m1")
        assert item is not None
        assert item.value == {"content": f"memory {TOKEN}"}


def test_a_missing_key_is_refused_and_the_environment_variable_supplies_it(
    encrypted_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    before = digest(encrypted_root)
    with pytest.raises(EncryptionKeyError, match=ENV_VAR):
        Memory.from_path(encrypted_root, embeddings=RecordingEmbeddings())
    assert digest(encrypted_root) == before
    monkeypatch.setenv(ENV_VAR, KEY)
    with Memory.from_path(encrypted_root, embeddings=RecordingEmbeddings()) as memory:
        found = memory.store.search(
            ("memories", "ada"), query="memory", filter={"content": f"memory {TOKEN}"}
        )
        assert [i.key for i in found] == ["m1"]


def test_a_key_on_a_memory_with_plaintext_items_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "mem"
    with Memory.from_path(root, embeddings=RecordingEmbeddings()) as memory:
        memory.store.put(("memories", "ada"), "m", {"content": "plain"})
    with pytest.raises(EncryptionKeyError, match="unencrypted data"):
        Memory.from_path(root, embeddings=RecordingEmbeddings(), encryption_key=KEY)


@pytest.fixture(scope="module")
def populated_plain(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """An export of a populated unencrypted memory and its full dump."""
    root = tmp_path_factory.mktemp("plain") / "memory"
    with Memory.from_path(root) as memory:
        populate(memory)
        path = root.parent / "plain.jsonl"
        export_memory(memory, path)
        yield path, full_dump(memory)


def test_export_and_import_across_encrypted_and_plain_memories(
    populated_plain: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    exported, want = populated_plain
    with Memory.from_path(tmp_path / "enc", encryption_key=KEY) as encrypted:
        import_memory(encrypted, exported)
        assert_same_dump(full_dump(encrypted), want)
        export_memory(encrypted, tmp_path / "from-encrypted.jsonl")
    assert hits(tmp_path / "enc", ADA_SECRET) == 0
    assert ADA_SECRET in (tmp_path / "from-encrypted.jsonl").read_text()  # exports are plaintext
    with Memory.from_path(tmp_path / "plain-again") as plain:
        import_memory(plain, tmp_path / "from-encrypted.jsonl")
        assert_same_dump(full_dump(plain), want)
    assert hits(tmp_path / "plain-again", ADA_SECRET) > 0


# ---------------------------------------------------------------------------------- PostgreSQL
def test_postgres_holds_encrypted_values_and_checkpoints(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    def open_memory(key: str | None) -> Any:
        return Memory.from_url(
            str(tmp_path / "chroma"),
            fresh_postgres_url,
            embeddings=RecordingEmbeddings(),
            encryption_key=key,
        )

    with open_memory(KEY) as memory:
        seed(memory)
        assert f"memory {TOKEN}" in all_values(memory)
    assert scan_postgres(fresh_postgres_url, "enc1:")
    assert scan_postgres(fresh_postgres_url, TOKEN) == {}
    with pytest.raises(EncryptionKeyError, match="wrong encryption key"):
        open_memory("wrong")
    with open_memory(KEY) as memory:
        graph = memory.compile(echo_builder())
        state = graph.get_state(config("g1")).values
        assert [m.content for m in state["messages"]] == [f"graph {TOKEN}", f"noted: graph {TOKEN}"]
        item = memory.store.get(("memories", "ada"), "m1")
        assert item is not None
        assert item.value == {"content": f"memory {TOKEN}"}


def test_a_ciphertext_moved_to_another_item_does_not_open(tmp_path: Path) -> None:
    import sqlite3

    from langmem_plugin.store._sql import table_base

    sql = tmp_path / "items.sqlite"
    index: Any = {"dims": 32, "embed": HashEmbeddings()}
    with ChromaStore(path=tmp_path / "c", sql=sql, index=index, encryption_key=KEY) as store:
        store.put(("a",), "1", {"content": "one"})
        store.put(("a",), "2", {"content": "two"})
    items = f"{table_base('langmem')}_items"
    with sqlite3.connect(sql) as conn:
        (sealed,) = conn.execute(f"SELECT value FROM {items} WHERE key = '1'").fetchone()
        conn.execute(f"UPDATE {items} SET value = ? WHERE key = '2'", [sealed])
    with ChromaStore(path=tmp_path / "c", sql=sql, index=index, encryption_key=KEY) as store:
        assert store.get(("a",), "1").value == {"content": "one"}  # type: ignore[union-attr]
        with pytest.raises(CorruptRecordError, match=r"'2'.*authentication failed"):
            store.get(("a",), "2")  # the item id is the AD: sealed for "1", it fails for "2"
        assert [i.key for i in store.search(("a",))] == ["1"]  # and a listing skips it


def test_the_cli_reads_the_key_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from langmem_plugin.cli import main

    root = tmp_path / "mem"
    with Memory.from_path(root, encryption_key=KEY) as memory:
        memory.store.put(("memories", "ada"), "m1", {"content": f"memory {TOKEN}"})
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert main(["stats", "--path", str(root)]) == 2
    assert ENV_VAR in capsys.readouterr().err
    monkeypatch.setenv(ENV_VAR, KEY)
    assert main(["search", "ada", "memory", "--path", str(root)]) == 0
    assert TOKEN in capsys.readouterr().out


def test_an_encrypted_store_round_trips_on_both_backends(
    make_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Embedded Chroma + SQLite, and a ``chroma run`` server + PostgreSQL."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    index: Any = {"dims": 32, "embed": HashEmbeddings()}
    store = make_store(index=index, encryption_key=KEY)
    store.put(("memories", "ada"), "cat", {"content": f"cat {TOKEN}", "n": 1})
    store.put(("memories", "ada"), "dog", {"content": "a dog", "n": 2})
    table = store._engine.col.items
    raw = [str(r[0]) for r in table.db.query(f"SELECT value FROM {table.items}")]
    assert len(raw) == 2
    assert all(value.startswith("enc1:") for value in raw)
    assert not any(TOKEN in value for value in raw)
    found = store.search(("memories",), query=f"cat {TOKEN}", filter={"n": {"$lt": 2}})
    assert [(i.key, i.value["content"]) for i in found] == [("cat", f"cat {TOKEN}")]
    prefix = store.collection_prefix
    store.close()
    with pytest.raises(EncryptionKeyError, match="wrong encryption key"):
        make_store(index=index, collection_prefix=prefix, encryption_key="wrong")
    with pytest.raises(EncryptionKeyError, match=ENV_VAR):
        make_store(index=index, collection_prefix=prefix)
    reopened = make_store(index=index, collection_prefix=prefix, encryption_key=KEY)
    assert reopened.get(("memories", "ada"), "dog").value == {"content": "a dog", "n": 2}

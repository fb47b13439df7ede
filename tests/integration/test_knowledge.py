"""Entities and relations end to end: a graph with a scripted model and offline, one call per
session, encryption and redaction of names, export/import, forget and isolation."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from langmem_plugin.knowledge import RelationDraft
from langmem_plugin.memory import Memory
from langmem_plugin.testing import ScriptedChatModel
from tests.integration._forget_data import scan, scan_postgres
from tests.integration._isolation_data import USERS

MARCH = datetime(2026, 3, 1, tzinfo=UTC)


def _graph(memory: Memory, reply: str = "Noted.") -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node(memory.nodes.recall)
    builder.add_node("model", lambda state: {"messages": [AIMessage(reply)]})
    builder.add_node(memory.nodes.extract_profile)
    builder.add_edge(START, "recall")
    builder.add_edge("recall", "model")
    builder.add_edge("model", "extract_profile")
    return memory.compile(builder)


def _session_answer(messages: list[BaseMessage]) -> dict[str, Any]:
    """The model's one answer: episode, no profile change, entities and relations."""
    prompt = messages[-1].text
    mid = prompt.split("[id=", 1)[1].split("]", 1)[0]
    return {
        "episode": {"summary": "Ada talked about her sister Lena."},
        "knowledge": {
            "entities": [{"name": "Lena", "kind": "person", "message_ids": [mid]}],
            "relations": [
                {"subject": "Lena", "predicate": "sister_of", "object": "user",
                 "object_kind": "person", "message_id": mid},
                {"subject": "Lena", "predicate": "works_at", "object": "Globex Labs",
                 "object_kind": "organisation", "message_id": mid},
            ],
        },
    }  # fmt: skip


def test_a_graph_with_a_scripted_model_stores_knowledge_in_the_one_session_call() -> None:
    llm = ScriptedChatModel(script=[_session_answer, _session_answer])
    with Memory.in_memory(llm=llm) as memory:
        graph = _graph(memory)
        config = {"configurable": {"thread_id": "t1", "user_id": "ada"}}
        for text in ("My sister has a new job.", "She is at a lab now.", "Anyway."):
            graph.invoke({"messages": [HumanMessage(text)]}, config)
        memory.end_session("t1")
        memory.flush()
        assert dict(memory.llm_calls.by_purpose) == {"session": 1}  # no extra call
        assert "knowledge:" in llm.inputs[0][0].text  # the section rides in that call
        knowledge = memory.knowledge
        lines = sorted(r.line() for r in knowledge.relations("ada"))
        assert [line.split(" (")[0] for line in lines] == [
            "Lena sister of User",
            "Lena works at Globex Labs",
        ]
        assert {r.source for r in knowledge.relations("ada")} == {"llm"}
        context = memory.recall_context("ada", "Where does Lena work these days?")
        assert "Lena works at Globex Labs" in context


def test_offline_the_rules_fill_the_graph_and_recall_follows_it() -> None:
    with Memory.in_memory() as memory:
        graph = _graph(memory)
        config = {"configurable": {"thread_id": "t1", "user_id": "ada"}}
        graph.invoke({"messages": [HumanMessage("My brother Max lives in Oslo.")]}, config)
        graph.invoke({"messages": [HumanMessage("Max works at Equinor now.")]}, config)
        memory.end_session("t1")
        memory.flush()
        relations = {(r.subject, r.predicate, r.object, r.source) for r in
                     memory.knowledge.relations("ada")}  # fmt: skip
        assert relations == {
            ("Max", "brother_of", "User", "rules"),
            ("Max", "lives_in", "Oslo", "rules"),
            ("Max", "works_at", "Equinor", "rules"),
        }
        mentions = memory.knowledge.mentions(
            "ada", [memory.knowledge.find("ada", ["Max"])["max"].id]
        )
        assert len(mentions) == 2  # both turns name Max
        assert "Max lives in Oslo" in memory.recall_context("ada", "How is Max doing?")


def test_encrypted_memory_keeps_no_entity_name_in_the_clear(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    with Memory.from_path(folder, encryption_key="k3y") as memory:
        memory.ingest(
            [HumanMessage("I work at Zyxwvcorp. My friend Quonthar lives in Porto.")],
            user_id="ada", thread_id="t1", timestamp=MARCH,
        )  # fmt: skip
        names = {r.object for r in memory.knowledge.relations("ada")}
        assert "Zyxwvcorp" in names  # opened with the key
    assert scan(folder, ["Zyxwvcorp", "Quonthar", "works_at", "friend_of"]) == {
        "Zyxwvcorp": 0, "Quonthar": 0, "works_at": 0, "friend_of": 0,
    }  # fmt: skip
    with Memory.from_path(folder, encryption_key="k3y") as reopened:
        assert reopened.knowledge.find("ada", ["quonthar"])  # hashed names still match


def test_redaction_applies_to_names_written_directly() -> None:
    with Memory.in_memory(redact=True) as memory:
        memory.knowledge.apply(
            "ada",
            relations=[RelationDraft(subject="user", predicate="emails",
                                     object="Desk ada.lovelace@example.org")],
        )  # fmt: skip
        (relation,) = memory.knowledge.relations("ada")
        assert "ada.lovelace@example.org" not in relation.object
        assert relation.object.startswith("Desk")


def test_export_and_import_move_entities_relations_and_mentions() -> None:
    with Memory.in_memory() as source:
        source.ingest([HumanMessage("I work at Acme Corp.")], user_id="ada", thread_id="t1",
                      timestamp=MARCH)  # fmt: skip
        source.ingest([HumanMessage("I work at Globex now.")], user_id="ada", thread_id="t2")
        before = source.knowledge.dump("ada")
        buffer = io.StringIO()
        counts = source.export(buffer)
        assert counts.knowledge == 1
        with Memory.in_memory() as target:
            buffer.seek(0)
            imported = target.import_from(buffer)
            assert imported.knowledge == 1
            assert target.knowledge.dump("ada") == before
            history = sorted(r.line() for r in target.knowledge.relations("ada", current=False))
            assert any("Acme Corp" in line and "until" in line for line in history)


def test_forget_user_removes_the_users_knowledge_only() -> None:
    with Memory.in_memory() as memory:
        for user in ("alice", "bob"):
            memory.ingest([HumanMessage("My sister Lena lives in Rome.")], user_id=user,
                          thread_id=f"{user}-t")  # fmt: skip
        report = memory.forget_user("alice")
        assert report.knowledge == {"entities": 3, "relations": 2, "mentions": 2}
        assert memory.knowledge.counts("alice") == {"entities": 0, "relations": 0, "mentions": 0}
        assert memory.knowledge.counts("bob")["relations"] == 2


def test_colliding_user_ids_never_see_each_others_entities() -> None:
    with Memory.in_memory() as memory:
        graph = memory.knowledge
        for n, user in enumerate(USERS):
            graph.apply(user, relations=[RelationDraft(subject="user", predicate="uses",
                                                       object=f"Tool{n}")])  # fmt: skip
        for n, user in enumerate(USERS):
            assert [r.object for r in graph.relations(user)] == [f"Tool{n}"]
            assert {e.name for e in graph.entities(user)} == {"User", f"Tool{n}"}


def test_forgetting_a_topic_takes_what_its_turns_said_about_entities(tmp_path: Path) -> None:
    with Memory.from_path(tmp_path / "memory") as memory:
        memory.ingest([HumanMessage("My brother Max lives in Oslo.")], user_id="ada",
                      thread_id="t1")  # fmt: skip
        memory.ingest([HumanMessage("I use Python every day.")], user_id="ada", thread_id="t2")
        memory.forget("ada", query="my brother Max in Oslo", dry_run=False)
        left = {(r.subject, r.object) for r in memory.knowledge.relations("ada", current=False)}
        assert left == {("User", "Python")}
        assert {e.name for e in memory.knowledge.entities("ada")} == {"User", "Python"}


def test_forget_user_leaves_no_byte_of_the_users_entities(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    with Memory.from_path(folder) as memory:
        memory.ingest([HumanMessage("I play zqknowball on Sundays.")], user_id="alice",
                      thread_id="a1")  # fmt: skip
        memory.ingest([HumanMessage("I play zqbobball too.")], user_id="bob", thread_id="b1")
        graph = memory.knowledge
        rows = graph.db.query(f"SELECT data FROM {graph.entities_table}")
        assert any("zqknowball" in str(row[0]) for row in rows)  # the tables held it
        memory.forget_user("alice")
        assert scan(folder, ["zqknowball"]) == {"zqknowball": 0}
        assert scan(folder, ["zqbobball"])["zqbobball"] > 0


def test_the_tables_work_on_postgresql_too(chroma_url: str, fresh_postgres_url: str) -> None:
    memory = Memory.from_url(chroma_url, fresh_postgres_url, collection_prefix="kg_pg")
    try:
        memory.ingest([HumanMessage("I work at Zqacmepg Corp.")], user_id="ada", thread_id="p1",
                      timestamp=MARCH)  # fmt: skip
        memory.ingest([HumanMessage("I work at Zqglobexpg now.")], user_id="ada", thread_id="p2")
        history = {(r.object, r.current) for r in memory.knowledge.relations("ada", current=False)}
        assert history == {("Zqacmepg Corp", False), ("Zqglobexpg", True)}
        assert memory.knowledge.db.kind == "postgres"
        assert scan_postgres(fresh_postgres_url, "Zqglobexpg")
        memory.forget_user("ada")
        assert scan_postgres(fresh_postgres_url, "Zqglobexpg") == {}
    finally:
        memory.close()

"""Personas end to end: real Chroma and SQLite, real LangGraph graphs, a scripted model, offline.

One user talks to one agent as several personas. What persona B was told (its turns, the
note it saved, its episode, its lessons) never reaches persona A: not in A's recall
message, not through A's tools, its retriever or a store search of its namespaces. The
profile is the user's and shared. Forgetting the user removes every persona's bytes;
export and import carry personas over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from langmem_plugin._namespaces import namespace_user, persona_namespace, user_personas
from langmem_plugin.agent import create_memory_agent
from langmem_plugin.memory import Memory
from langmem_plugin.testing import ScriptedChatModel
from tests.integration._forget_data import scan, scan_files
from tests.unit.nodes_support import memory_graph
from tests.unit.test_personas import PERSONAS, TOKENS


def call(name: str, args: dict[str, object], cid: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": cid}])


def seen_text(model: ScriptedChatModel, since: int) -> str:
    """Everything the model was shown from its ``since``-th call on."""
    return "\n".join(m.text for messages in model.inputs[since:] for m in messages)


def system_text(messages: list[BaseMessage]) -> str:
    return "\n".join(m.text for m in messages if isinstance(m, SystemMessage))


def seed_personas(memory: Memory, user: str, personas: list[str]) -> None:
    """A conversation, a note and a lesson per persona, each with the persona's token."""
    for persona in personas:
        token = TOKENS[persona]
        memory.ingest(
            [HumanMessage(f"My cat is called {token}."), AIMessage(f"{token} is a fine name.")],
            user_id=user,
            thread_id="shared-thread",
            persona_id=persona,
        )
        save = memory.tools(user_id=user, persona_id=persona)[1]
        save.invoke({"content": f"{user}'s cat is called {token}"})
        memory.reflect_on(
            f"book a trip for the cat {token}",
            f"Error: {token} sold out",
            user_id=user,
            persona_id=persona,
        )
    memory.flush()


def test_an_agent_with_two_personas_keeps_their_notes_apart_and_shares_the_profile(
    tmp_path: Path,
) -> None:
    model = ScriptedChatModel(
        script=[
            call("save_memory", {"content": "Ada's running goal is zqcoachgoal"}, "c1"),
            "Noted, coach here.",
            call("search_memory", {"query": "running goal", "k": 20}, "c2"),
            "I found nothing about that.",
            "Your goal is on file.",
            "No idea.",
        ]
    )
    with Memory.from_path(tmp_path / "memory") as memory:
        memory.configure_memory(mode="inline", every_n_turns=1)
        agent = create_memory_agent(model, memory=memory)
        agent.invoke(
            {"messages": [HumanMessage("I live in Lisbon. My running goal is zqcoachgoal.")]},
            {"configurable": {"thread_id": "c1", "user_id": "ada", "persona_id": "coach"}},
        )
        memory.flush()
        before = model.calls
        out = agent.invoke(
            {"messages": [HumanMessage("What is my running goal? Where do I live?")]},
            {"configurable": {"thread_id": "a1", "user_id": "ada", "persona_id": "accountant"}},
        )
        # nothing of the coach's conversation or note reached the accountant's model
        assert "zqcoachgoal" not in seen_text(model, before)
        (found,) = [m for m in out["messages"] if isinstance(m, ToolMessage)]
        assert "zqcoachgoal" not in found.text
        # the profile the coach's conversation taught is the user's: shared
        assert "Lisbon" in system_text(model.inputs[before])
        memory.flush()
        before = model.calls
        agent.invoke(
            {"messages": [HumanMessage("What is my running goal?")]},
            {"configurable": {"thread_id": "c2", "user_id": "ada", "persona_id": "coach"}},
        )
        assert "zqcoachgoal" in system_text(model.inputs[before])  # the coach's own
        before = model.calls
        agent.invoke(
            {"messages": [HumanMessage("What is my running goal?")]},
            {"configurable": {"thread_id": "n1", "user_id": "ada"}},
        )
        assert "zqcoachgoal" not in seen_text(model, before)  # no persona: not the coach's
        assert user_personas(memory.store, "ada") == ["accountant", "coach"]


def test_a_state_graph_recalls_per_persona_on_one_thread(tmp_path: Path) -> None:
    model = ScriptedChatModel(script=[], default="ok")
    with Memory.from_path(tmp_path / "memory") as memory:
        memory.configure_memory(mode="inline", every_n_turns=1)
        graph = memory_graph(memory, model, memory.checkpointer)
        for persona in ("a", "ab"):
            graph.invoke(
                {"messages": [HumanMessage(f"My locker code is {TOKENS[persona]}.")]},
                {
                    "configurable": {
                        "thread_id": f"t-{persona}",
                        "user_id": "u",
                        "persona_id": persona,
                    }
                },
            )
        memory.flush()
        for persona, other in (("a", "ab"), ("ab", "a")):
            before = model.calls
            graph.invoke(
                {"messages": [HumanMessage("What is my locker code?")]},
                {"configurable": {"thread_id": "later", "user_id": "u", "persona_id": persona}},
            )
            seen = system_text(model.inputs[before])
            assert TOKENS[persona] in seen
            assert TOKENS[other] not in seen


def test_one_model_call_per_persona_session(tmp_path: Path) -> None:
    def extraction(messages: list[BaseMessage]) -> dict[str, Any]:
        text = "\n".join(m.text for m in messages)
        who = "coach" if "marathon" in text else "tutor"
        return {
            "episode": {"summary": f"Ada talked to the {who}.", "topics": [who], "importance": 0.6},
            "profile": {"facts": []},
        }

    memory_model = ScriptedChatModel(script=[extraction, extraction])
    agent_model = ScriptedChatModel(script=[], default="ok")
    with Memory.from_path(tmp_path / "memory", llm=memory_model) as memory:
        agent = create_memory_agent(agent_model, memory=memory)
        for persona, words in (("coach", "marathon"), ("tutor", "algebra")):
            thread = f"t-{persona}"
            config = {
                "configurable": {"thread_id": thread, "user_id": "ada", "persona_id": persona}
            }
            for text in [f"Hi, about {words}", f"More {words}", "Bye"]:
                agent.invoke({"messages": [HumanMessage(text)]}, config)
        assert memory.llm_calls.total == 0  # nothing on the hot path
        memory.end_session("t-coach")
        memory.end_session("t-tutor")
        assert dict(memory.llm_calls.by_purpose) == {"session": 2}  # one per persona session
        for persona in ("coach", "tutor"):
            episodes = memory.store.search(persona_namespace("episodes", "ada", persona))
            assert [e.value["summary"] for e in episodes] == [f"Ada talked to the {persona}."]
        assert memory.store.search(("episodes", "ada")) == []


def test_colliding_persona_ids_never_see_each_other_through_any_surface(tmp_path: Path) -> None:
    with Memory.from_path(tmp_path / "memory") as memory:
        seed_personas(memory, "ada", PERSONAS)
        memory.ingest([HumanMessage("I live in Lisbon.")], user_id="ada", thread_id="t0")
        query = "What is my cat called? Book a trip for the cat."
        for persona in PERSONAS:
            own = TOKENS[persona]
            others = [TOKENS[p] for p in PERSONAS if p != persona]
            surfaces = {
                "recall": memory.recall_context("ada", query, persona_id=persona),
                "tool": memory.tools(user_id="ada", persona_id=persona)[0].invoke(
                    {"query": "cat name", "k": 20}
                ),
                **{
                    f"retriever {kind}": "\n".join(
                        d.page_content
                        for d in memory.retriever(
                            "ada", kind=kind, persona_id=persona, k=50
                        ).invoke("cat name")
                    )
                    for kind in ("memories", "archive", "episodes", "lessons")
                },
                "store": "\n".join(
                    str(item.value)
                    for kind in ("memories", "archive", "episodes", "lessons")
                    for item in memory.store.search(
                        persona_namespace(kind, "ada", persona), query="cat", limit=100
                    )
                ),
            }
            for name, text in surfaces.items():
                assert own in text, (persona, name)
                assert [t for t in others if t in text] == [], (persona, name)
            assert "Lisbon" in memory.recall_context("ada", "Where do I live?", persona_id=persona)
        plain = memory.recall_context("ada", query)
        assert [t for t in TOKENS.values() if t in plain] == []


def test_forget_user_removes_every_persona_and_leaves_another_users(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    ada = ["a", "ab", "*", "memories"]
    with Memory.from_path(folder) as memory:
        seed_personas(memory, "ada", ada)
        memory.ingest(
            [HumanMessage("zqbobonly likes tea")], user_id="bob", thread_id="b", persona_id="a"
        )
        memory.flush()
        tokens = [TOKENS[p] for p in ada]
        assert all(n > 0 for n in scan(folder, tokens).values())
        memory.forget_user("ada")
        assert [ns for ns in memory.store.list_namespaces() if namespace_user(ns) == "ada"] == []
        for token in tokens:
            assert scan(folder, [token])[token] == 0, scan_files(folder, token)
        assert "zqbobonly" in memory.recall_context("bob", "what does bob like?", persona_id="a")


def test_export_and_import_carry_personas_over(tmp_path: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    with Memory.from_path(tmp_path / "one") as memory:
        seed_personas(memory, "ada", ["a", "ab"])
        memory.export(dump)
    with Memory.from_path(tmp_path / "two") as memory:
        memory.import_from(dump)
        assert user_personas(memory.store, "ada") == ["a", "ab"]
        text = memory.recall_context("ada", "What is my cat called?", persona_id="ab")
        assert TOKENS["ab"] in text
        assert TOKENS["a"] not in text


def test_forget_by_query_reaches_a_personas_turns_and_their_thread(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    model = ScriptedChatModel(script=[], default="I see.")
    with Memory.from_path(folder) as memory:
        graph = memory_graph(memory, model, memory.checkpointer)
        config = {"configurable": {"thread_id": "c1", "user_id": "ada", "persona_id": "coach"}}
        graph.invoke({"messages": [HumanMessage("My divorce lawyer is zqlawyer.")]}, config)
        graph.invoke({"messages": [HumanMessage("I like hiking.")]}, config)
        memory.flush()
        assert scan(folder, ["zqlawyer"])["zqlawyer"] > 0
        preview = memory.forget("ada", query="my divorce")
        assert any(m.kind == "turn" and "zqlawyer" in m.preview for m in preview.matches)
        assert preview.threads == ["c1"]  # the persona's thread holds the words too
        memory.forget("ada", query="my divorce", dry_run=False)
        assert memory.checkpointer.get_tuple({"configurable": {"thread_id": "c1"}}) is None
        assert scan(folder, ["zqlawyer"]) == {"zqlawyer": 0}, scan_files(folder, "zqlawyer")
        assert "hiking" in memory.recall_context("ada", "what do I like?", persona_id="coach")

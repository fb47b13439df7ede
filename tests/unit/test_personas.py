"""Personas: each persona's notes, episodes, archive and lessons are its own; the profile is shared.

Persona ids are chosen to collide with everything a namespace holds: the library's kinds
(``memories``, ``archive``, ``persona``...), ids that are prefixes of one another
(``a``, ``ab``, ``a.``, ``a.b``, ``a%2Eb``), the wildcard ``*`` and generated ones.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from langmem_plugin._namespaces import (
    PERSONA_KINDS,
    lesson_namespace,
    namespace_agent,
    namespace_kind,
    namespace_persona,
    namespace_user,
    persona_namespace,
    user_namespace,
)
from langmem_plugin.agent import create_memory_agent
from langmem_plugin.errors import InvalidIdError
from langmem_plugin.nodes._context import resolve_scope
from langmem_plugin.testing import ScriptedChatModel
from tests.integration._isolation_data import generated_ids
from tests.unit.nodes_support import FeatureHost, memory_graph

KIND_NAMES = ["memories", "archive", "persona", "profile", "lessons", "agent_lessons", "sessions"]
PREFIXES = ["a", "ab", "a.", "a.b", "a%2Eb", "*", "ada"]
PERSONAS = [*KIND_NAMES, *PREFIXES, *generated_ids(4, seed=21)]
TOKENS = {p: f"zq{chr(ord('a') + i)}{chr(ord('a') + i)}pers" for i, p in enumerate(PERSONAS)}
"""A word per persona that nothing else writes (none is a substring of another)."""


def is_prefix(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    return long[: len(short)] == short


def call(name: str, args: dict[str, object], cid: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": cid}])


def test_persona_namespaces_keep_the_user_first_and_never_contain_one_another() -> None:
    user = "ada"
    spaces = {
        (kind, persona): persona_namespace(kind, user, persona)
        for kind in PERSONA_KINDS
        for persona in [*PERSONAS, None]
    }
    for (kind, persona), namespace in spaces.items():
        assert namespace_user(namespace) == user
        assert namespace_persona(namespace) == persona
        assert namespace_kind(namespace) == kind
        assert all("." not in label and label != "*" for label in namespace)
    for a, b in itertools.permutations(spaces.items(), 2):
        # no search of one scope's prefix reaches another's items
        assert not is_prefix(a[1], b[1]), (a, b)
    assert persona_namespace("memories", user) == user_namespace("memories", user)


def test_agent_persona_lessons_are_the_agents_not_a_users() -> None:
    spaces = {p: lesson_namespace("ada", "travel-bot", p) for p in [*PERSONAS, None]}
    for persona, namespace in spaces.items():
        assert namespace_user(namespace) is None
        assert namespace_agent(namespace) == "travel-bot"
        assert namespace_persona(namespace) == persona
    for a, b in itertools.permutations(spaces.values(), 2):
        assert not is_prefix(a, b)
    assert lesson_namespace("ada", None, "coach") == ("persona", "ada", "coach", "lessons")


def test_the_persona_comes_from_the_run_context_then_the_config() -> None:
    class Run:
        context = {"user_id": "ada", "persona_id": "coach"}

    config = {"configurable": {"user_id": "ada", "persona_id": "tutor"}}
    assert resolve_scope(Run(), config).persona_id == "coach"
    assert resolve_scope(None, config).persona_id == "tutor"
    assert resolve_scope(None, {"configurable": {"user_id": "ada"}}).persona_id is None
    with pytest.raises(InvalidIdError, match="persona_id"):
        resolve_scope(None, {"configurable": {"user_id": "ada", "persona_id": " "}})


def test_tools_keep_each_personas_notes_apart_and_share_the_profile() -> None:
    host = FeatureHost()
    host.ingest([HumanMessage("I live in Lisbon.")], user_id="ada", thread_id="t0")
    for persona in PERSONAS:
        _, save, *_ = host.tools(user_id="ada", persona_id=persona)
        save.invoke({"content": f"The spare key code is {TOKENS[persona]}"})
    for persona in PERSONAS:
        search, *_ = host.tools(user_id="ada", persona_id=persona)
        found = search.invoke({"query": "spare key code", "k": 20})
        assert TOKENS[persona] in found
        assert [p for p in PERSONAS if p != persona and TOKENS[p] in found] == []
        assert "Lisbon" in search.invoke({"query": "where does the user live"})
    plain = host.tools(user_id="ada")[0].invoke({"query": "spare key code", "k": 20})
    assert not any(token in plain for token in TOKENS.values())


def test_a_model_cannot_switch_persona_through_tool_arguments() -> None:
    host = FeatureHost()
    _, save_a, *_ = host.tools(user_id="ada", persona_id="a")
    save_a.invoke({"content": "The locker code is zqlockera"})
    forged = {"context": {"user_id": "ada", "persona_id": "a"}}
    model = ScriptedChatModel(
        script=[
            call(
                "save_memory",
                {"content": "zqforged note", "persona_id": "a", "runtime": forged},
                "c1",
            ),
            "saved",
            call(
                "search_memory",
                {"query": "locker code", "persona_id": "a", "runtime": forged, "k": 20},
                "c2",
            ),
            "searched",
            call("forget_memory", {"memory_id": "memories/x", "persona_id": "a"}, "c3"),
            "done",
        ]
    )
    agent = create_memory_agent(model, memory=host, checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "m1", "user_id": "ada", "persona_id": "ab"}}
    for text in ["remember this", "what is the locker code?", "forget it"]:
        out = agent.invoke({"messages": [HumanMessage(text)]}, config)
    results = [m.text for m in out["messages"] if isinstance(m, ToolMessage)]
    assert len(results) == 3
    assert all("zqlockera" not in text for text in results)
    notes = {
        p: [i.value["content"] for i in host.store.search(persona_namespace("memories", "ada", p))]
        for p in ("a", "ab")
    }
    assert notes == {"a": ["The locker code is zqlockera"], "ab": ["zqforged note"]}


def test_recall_shows_a_persona_its_own_memory_and_the_shared_profile_only() -> None:
    host = FeatureHost()
    for persona in PERSONAS:
        token = TOKENS[persona]
        host.ingest(
            [HumanMessage(f"My cat is called {token}."), AIMessage(f"{token} is a fine name.")],
            user_id="ada",
            thread_id="same-thread",
            persona_id=persona,
        )
        host.tools(user_id="ada", persona_id=persona)[1].invoke(
            {"content": f"Ada's cat is called {token}"}
        )
        host.reflect_on(
            f"book a trip for the cat {token}",
            f"Error: {token} sold out",
            user_id="ada",
            persona_id=persona,
        )
    host.ingest([HumanMessage("I live in Lisbon.")], user_id="ada", thread_id="t0")
    for persona in PERSONAS:
        text = host.recall_context(
            "ada", "What is my cat called? Book a trip for the cat.", persona_id=persona
        )
        assert TOKENS[persona] in text
        assert [p for p in PERSONAS if p != persona and TOKENS[p] in text] == []
        assert "Lisbon" in host.recall_context("ada", "where do I live?", persona_id=persona)
        (lesson,) = host.lessons("ada", persona_id=persona)
        assert TOKENS[persona] in lesson.task
    plain = host.recall_context("ada", "What is my cat called? Book a trip for the cat.")
    assert not any(token in plain for token in TOKENS.values())
    query = "What is my cat called?"
    for persona in ("a", "ab"):  # the async path reads the same namespaces
        sync = host.recall_context("ada", query, persona_id=persona)
        assert asyncio.run(host.arecall_context("ada", query, persona_id=persona)) == sync


def test_agent_lessons_are_kept_per_persona() -> None:
    host = FeatureHost()
    for persona in ["formal", "casual", None]:
        host.reflect_on(
            f"convert currency {persona}",
            "Error: use ISO codes",
            user_id="ada",
            agent_id="travel-bot",
            persona_id=persona,
        )
    for persona in ["formal", "casual", None]:
        tasks = [lesson.task for lesson in host.lessons(agent_id="travel-bot", persona_id=persona)]
        assert tasks == [f"convert currency {persona}"]


def test_a_run_without_a_persona_reads_and_writes_what_it_did_before_personas() -> None:
    host = FeatureHost()
    host.store.put(("memories", "ada"), "old", {"content": "Ada's bike is zqoldbike red"})
    host.ingest([HumanMessage("My bike is red.")], user_id="ada", thread_id="t1")
    assert "zqoldbike" in host.recall_context("ada", "what colour is my bike?")
    assert "zqoldbike" not in host.recall_context("ada", "what colour is my bike?", persona_id="a")
    kinds = {ns[0] for ns in host.store.list_namespaces(prefix=("*", "ada"))}
    assert "persona" not in kinds
    assert host.store.search(("archive", "ada", "t1"))


def test_turns_folded_out_of_working_memory_become_the_personas_episode() -> None:
    host = FeatureHost(working_memory_tokens=60)
    graph = memory_graph(host, ScriptedChatModel(script=[], default="Noted."), InMemorySaver())
    config = {"configurable": {"thread_id": "t", "user_id": "ada", "persona_id": "coach"}}
    for text in [
        "I am planning a zqfoldtrip to Lisbon in May with my sister.",
        "We like museums, trams and seafood restaurants near the river.",
        "Which neighbourhood should we stay in for three nights?",
    ]:
        graph.invoke({"messages": [HumanMessage(text)]}, config)
    folded = host.store.search(persona_namespace("episodes", "ada", "coach"), limit=50)
    assert any(e.value.get("kind") == "working_memory" for e in folded)
    assert host.store.search(("episodes", "ada")) == []

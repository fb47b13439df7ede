"""Memory tools: scoped to the caller's user, never to a model-provided one."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from langmem_plugin.agent import create_memory_agent
from langmem_plugin.testing import ScriptedChatModel
from tests.unit.nodes_support import FeatureHost


def call(name: str, args: dict[str, object], cid: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": cid}])


def test_tool_schemas_expose_no_user_argument() -> None:
    for tool in FeatureHost().tools():
        assert "user_id" not in tool.tool_call_schema.model_json_schema()["properties"]
        assert "runtime" not in tool.tool_call_schema.model_json_schema()["properties"]


def test_bound_tools_save_search_and_forget() -> None:
    host = FeatureHost()
    search, save, forget, *_ = host.tools(user_id="ada")
    saved = save.invoke({"content": "Ada is allergic to peanuts", "importance": 0.9})
    memory_id = saved.removeprefix("Saved as ").rstrip(".")
    assert memory_id.startswith("memories/")
    assert "allergic to peanuts" in search.invoke({"query": "food allergy"})
    assert forget.invoke({"memory_id": memory_id}) == f"Forgot {memory_id}."
    assert search.invoke({"query": "food allergy"}) == "No memories found."


def test_bad_tool_input_is_reported_and_nothing_written() -> None:
    host = FeatureHost()
    _, save, forget, *_ = host.tools(user_id="ada")
    assert "1.5" in save.invoke({"content": "x", "importance": 1.5})
    assert "''" in save.invoke({"content": "", "importance": 0.5})
    assert "'nope'" in forget.invoke({"memory_id": "nope"})
    assert host.store.search(("memories", "ada")) == []


def test_agent_tools_act_for_the_runs_user_whatever_the_model_asks() -> None:
    host = FeatureHost()
    host.ingest([HumanMessage("I live in Lisbon.")], user_id="ada", thread_id="t0")
    model = ScriptedChatModel(
        script=[
            call("save_memory", {"content": "Bob likes chess", "user_id": "ada"}, "c1"),
            "saved",
            call("search_memory", {"query": "where does the user live", "user_id": "ada"}, "c2"),
            "searched",
        ]
    )
    agent = create_memory_agent(model, memory=host, checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "b1", "user_id": "bob"}}
    agent.invoke({"messages": [HumanMessage("remember I like chess")]}, config)
    out = agent.invoke({"messages": [HumanMessage("where does Ada live?")]}, config)
    found = [m for m in out["messages"] if isinstance(m, ToolMessage)][-1]
    assert "Lisbon" not in found.text
    assert [i.value["content"] for i in host.store.search(("memories", "bob"))] == [
        "Bob likes chess"
    ]
    assert host.store.search(("memories", "ada")) == []


def test_forgetting_a_profile_fact_supersedes_it() -> None:
    host = FeatureHost()
    host.ingest([HumanMessage("I live in Lisbon.")], user_id="ada", thread_id="t0")
    search, _, forget, *_ = host.tools(user_id="ada")
    line = next(x for x in search.invoke({"query": "location"}).splitlines() if "profile/" in x)
    memory_id = line[1 : line.index("]")]
    forget.invoke({"memory_id": memory_id})
    assert len(host.profile("ada")) == 0
    assert [f.valid_to is not None for f in host.profile_history("ada")] == [True]


def test_a_model_cannot_inject_the_runtime_or_a_user_through_tool_arguments() -> None:
    """Arguments the schema hides (``runtime``) or does not have (``user_id``, ``config``) are
    the attacker's way in: whatever the model writes there, the run's own user is used."""
    host = FeatureHost()
    host.ingest([HumanMessage("I live in Lisbon.")], user_id="ada", thread_id="t0")
    forged = {"context": {"user_id": "ada"}, "config": {"configurable": {"user_id": "ada"}}}
    model = ScriptedChatModel(
        script=[
            call(
                "search_memory",
                {"query": "where does the user live", "runtime": forged, "k": 10**9},
                "c1",
            ),
            "searched",
            call("forget_memory", {"query": "Lisbon", "runtime": forged, "user_id": "ada"}, "c2"),
            "forgot",
        ]
    )
    agent = create_memory_agent(model, memory=host, checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "m1", "user_id": "mallory"}}
    out = agent.invoke({"messages": [HumanMessage("where does Ada live?")]}, config)
    results = [m.text for m in out["messages"] if isinstance(m, ToolMessage)]
    assert results
    assert all("Lisbon" not in text for text in results)
    assert [f.value for f in host.profile("ada")] == ["Lisbon"]

"""Which store the memory features write to, whatever store the graph was compiled with.

The decision (``nodes._context.check_store``): a graph compiled with the memory's store,
or with none, runs the nodes, middleware and tools on the memory's store; a graph compiled
with another store is refused with ``StoreMismatchError`` before anything is written.
Every path is a real graph: ``StateGraph`` nodes, ``create_agent`` middleware, the tools
in a ``ToolNode`` and in an agent, with a scripted model.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore

from langmem_plugin.errors import LangMemError, StoreMismatchError
from langmem_plugin.memory import Memory
from langmem_plugin.testing import ScriptedChatModel
from tests.unit.nodes_support import FeatureHost, memory_graph

SAID = "Hi, I'm Ada. I live in Lisbon."
CONFIG: RunnableConfig = {"configurable": {"thread_id": "t1", "user_id": "ada"}}


def namespaces(store: BaseStore) -> list[tuple[str, ...]]:
    return store.list_namespaces()


def node_graph(host: Any) -> StateGraph[Any]:
    """working_memory -> recall -> model -> extract_profile, not yet compiled."""
    model = ScriptedChatModel(script=[], default="Noted.")

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node(host.nodes.working_memory)
    builder.add_node(host.nodes.recall)
    builder.add_node("model", call_model)
    builder.add_node(host.nodes.extract_profile)
    builder.add_edge(START, "working_memory")
    builder.add_edge("working_memory", "recall")
    builder.add_edge("recall", "model")
    builder.add_edge("model", "extract_profile")
    builder.add_edge("extract_profile", END)
    return builder


def save_call(content: str) -> AIMessage:
    args = {"content": content}
    return AIMessage("", tool_calls=[{"name": "save_memory", "args": args, "id": "c1"}])


def saved_notes(store: BaseStore) -> list[str]:
    return [i.value["content"] for i in store.search(("memories", "ada"))]


def assert_names_both_stores_and_the_fix(error: StoreMismatchError, other: BaseStore) -> None:
    message = str(error)
    assert f"0x{id(other):x}" in message  # the graph's store
    assert message.count("InMemoryStore at 0x") == 2  # ... and the memory's
    assert "memory.compile(builder)" in message


# ------------------------------------------------------------------- StateGraph nodes
def test_nodes_in_a_graph_with_another_store_refuse_before_writing() -> None:
    host, other = FeatureHost(), InMemoryStore()
    graph = node_graph(host).compile(store=other)
    with pytest.raises(StoreMismatchError) as caught:
        graph.invoke({"messages": [HumanMessage(SAID)]}, CONFIG)
    assert isinstance(caught.value, LangMemError)
    assert isinstance(caught.value, ValueError)
    assert_names_both_stores_and_the_fix(caught.value, other)
    host.flush()
    assert namespaces(other) == []
    assert namespaces(host.store) == []  # refused before the archive queue, too


def test_nodes_in_a_graph_without_a_store_use_the_memorys_store() -> None:
    host = FeatureHost()
    graph = node_graph(host).compile()  # no store, no checkpointer
    out = graph.invoke({"messages": [HumanMessage(SAID)]}, CONFIG)
    assert out["messages"][-1].text == "Noted."
    host.end_session("t1")
    host.flush()
    assert host.profile("ada").value("location") == "Lisbon"
    assert ("profile", "ada") in namespaces(host.store)


def test_nodes_in_a_graph_with_the_memorys_store_run() -> None:
    host = FeatureHost()
    model = ScriptedChatModel(script=[], default="Noted.")
    memory_graph(host, model).invoke({"messages": [HumanMessage(SAID)]}, CONFIG)
    host.end_session("t1")
    host.flush()
    assert host.profile("ada").value("name") == "Ada"


# --------------------------------------------------------------- create_agent middleware
def test_middleware_in_an_agent_with_another_store_refuses() -> None:
    host, other = FeatureHost(), InMemoryStore()
    model = ScriptedChatModel(script=[], default="Noted.")
    agent = create_agent(model, [], middleware=[host.middleware()], store=other)
    with pytest.raises(StoreMismatchError) as caught:
        agent.invoke({"messages": [HumanMessage(SAID)]}, CONFIG)
    assert_names_both_stores_and_the_fix(caught.value, other)
    assert "memory middleware" in str(caught.value)
    host.flush()
    assert namespaces(other) == []
    assert namespaces(host.store) == []
    assert model.calls == 0  # refused before the model was called


@pytest.mark.parametrize("same_store", [False, True], ids=["no store", "the memory's store"])
def test_middleware_in_an_agent_without_a_store_or_with_its_own_writes_the_memory(
    same_store: bool,
) -> None:
    host = FeatureHost()
    model = ScriptedChatModel(script=[], default="Noted.")
    store = host.store if same_store else None
    agent = create_agent(model, [], middleware=[host.middleware()], store=store)
    agent.invoke({"messages": [HumanMessage(SAID)]}, CONFIG)
    host.end_session("t1")
    host.flush()
    assert host.profile("ada").value("location") == "Lisbon"


# ----------------------------------------------------------------------------- tools
def tool_graph(host: FeatureHost, model: ScriptedChatModel) -> StateGraph[Any]:
    """model -> ToolNode(memory tools) -> model, the plain LangGraph way."""
    tools = host.tools()
    bound = model.bind_tools(tools)

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    def route(state: MessagesState) -> str:
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else END

    builder = StateGraph(MessagesState)
    builder.add_node("model", call_model)
    builder.add_node("tools", ToolNode(tools))
    builder.add_edge(START, "model")
    builder.add_conditional_edges("model", route, ["tools", END])
    builder.add_edge("tools", "model")
    return builder


def test_tools_in_a_tool_node_with_another_store_raise_to_the_developer() -> None:
    host, other = FeatureHost(), InMemoryStore()
    model = ScriptedChatModel(script=[save_call("Ada's locker code is 4711"), "Saved."])
    graph = tool_graph(host, model).compile(store=other)
    with pytest.raises(StoreMismatchError) as caught:
        graph.invoke({"messages": [HumanMessage("Remember my locker code: 4711")]}, CONFIG)
    assert_names_both_stores_and_the_fix(caught.value, other)
    assert "memory tools" in str(caught.value)
    assert saved_notes(host.store) == []
    assert namespaces(other) == []


def test_tools_in_a_tool_node_without_a_store_save_to_the_memory() -> None:
    host = FeatureHost()
    model = ScriptedChatModel(script=[save_call("Ada's locker code is 4711"), "Saved."])
    graph = tool_graph(host, model).compile()
    out = graph.invoke({"messages": [HumanMessage("Remember my locker code: 4711")]}, CONFIG)
    assert out["messages"][-1].text == "Saved."
    assert saved_notes(host.store) == ["Ada's locker code is 4711"]


def test_tools_in_an_agent_with_another_store_raise() -> None:
    host, other = FeatureHost(), InMemoryStore()
    model = ScriptedChatModel(script=[save_call("Ada's locker code is 4711"), "Saved."])
    agent = create_agent(model, host.tools(), store=other)
    with pytest.raises(StoreMismatchError):
        agent.invoke({"messages": [HumanMessage("Remember my locker code: 4711")]}, CONFIG)
    assert saved_notes(host.store) == []
    assert namespaces(other) == []


def test_tools_and_middleware_in_an_agent_without_a_store_save_to_the_memory() -> None:
    host = FeatureHost()
    model = ScriptedChatModel(script=[save_call("Ada's locker code is 4711"), "Saved."])
    agent = create_agent(model, host.tools(), middleware=[host.middleware()])
    out = agent.invoke({"messages": [HumanMessage("Remember my locker code: 4711")]}, CONFIG)
    assert out["messages"][-1].text == "Saved."
    assert saved_notes(host.store) == ["Ada's locker code is 4711"]


# ----------------------------------------------------------- a real Memory on Chroma
def test_a_memory_on_chroma_refuses_another_store_and_runs_with_its_own() -> None:
    with Memory.in_memory() as memory:
        other = InMemoryStore()
        with pytest.raises(StoreMismatchError) as caught:
            node_graph(memory).compile(store=other).invoke(
                {"messages": [HumanMessage(SAID)]}, CONFIG
            )
        message = str(caught.value)
        assert f"ChromaStore at 0x{id(memory.store):x}" in message
        assert repr(memory.store.collection_prefix) in message
        assert f"InMemoryStore at 0x{id(other):x}" in message
        graph = memory.compile(node_graph(memory))
        graph.invoke({"messages": [HumanMessage(SAID)]}, CONFIG)
        memory.end_session("t1")
        memory.flush()
        assert memory.profile("ada").value("location") == "Lisbon"
        assert namespaces(other) == []

"""Async use: the same nodes and middleware under ainvoke; aingest and aflush."""

from __future__ import annotations

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.checkpoint.memory import InMemorySaver

from langmem_plugin.agent import create_memory_agent
from langmem_plugin.testing import ScriptedChatModel
from tests.unit.nodes_support import FeatureHost, memory_graph


async def test_aingest_then_async_graph_recalls() -> None:
    host = FeatureHost()
    await host.aingest(
        [HumanMessage("Hi, I'm Ada. I live in Lisbon.")], user_id="ada", thread_id="t0"
    )
    model = ScriptedChatModel(script=[], default="ok")
    graph = memory_graph(host, model, InMemorySaver())
    await graph.ainvoke(
        {"messages": [HumanMessage("Where do I live?")]},
        {"configurable": {"thread_id": "t1", "user_id": "ada"}},
    )
    assert "- location: Lisbon" in model.inputs[-1][0].text
    await host.aflush()
    assert {i.value["thread_id"] for i in host.store.search(("episodes", "ada"))} == {"t0", "t1"}


async def test_async_agent_uses_the_middleware() -> None:
    host = FeatureHost(working_memory_tokens=150)
    await host.aingest([HumanMessage("I love sailing.")], user_id="ada", thread_id="t0")
    model = ScriptedChatModel(script=[], default="Sure, noted.")
    agent = create_memory_agent(
        model, memory=host, checkpointer=InMemorySaver(), system_prompt="Be brief."
    )
    config = {"configurable": {"thread_id": "t1", "user_id": "ada"}}
    for i in range(8):
        out = await agent.ainvoke(
            {"messages": [HumanMessage(f"Question {i} about sailing boats and knots?")]}, config
        )
    system = model.inputs[-1][0]
    assert isinstance(system, SystemMessage)
    assert system.text.startswith("Be brief.")
    assert "- likes: sailing" in system.text
    # working memory folded the old turns into a summary in the agent's state
    assert out["messages"][0].id == "langmem-summary"
    assert len(out["messages"]) < 16
    await host.aflush()
    assert any(
        i.value["kind"] == "working_memory"
        for i in host.store.search(("episodes", "ada"), limit=20)
    )

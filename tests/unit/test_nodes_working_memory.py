"""Working memory: token budget, tool pairs never split, summary and archive."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph

from langmem_plugin._messages import count_tokens
from langmem_plugin.nodes.working_memory import SUMMARY_ID, WorkingMemory

WORDS = st.sampled_from(
    ["alpha", "beta", "gamma", "delta", "paris", "berlin", "python", "flight", "hotel", "tea"]
)
TEXT = st.lists(WORDS, min_size=1, max_size=30).map(" ".join)


@st.composite
def conversations(draw: st.DrawFn) -> list[BaseMessage]:
    messages: list[BaseMessage] = [SystemMessage("You are helpful.", id="sys")]
    for turn in range(draw(st.integers(1, 25))):
        messages.append(HumanMessage(draw(TEXT), id=f"h{turn}"))
        for step in range(draw(st.integers(0, 2))):
            calls = [
                {"name": "tool", "args": {"q": draw(TEXT)}, "id": f"c{turn}-{step}-{i}"}
                for i in range(draw(st.integers(1, 3)))
            ]
            messages.append(AIMessage("", tool_calls=calls, id=f"a{turn}-{step}"))
            messages += [
                ToolMessage(draw(TEXT), tool_call_id=c["id"], id=f"t-{c['id']}") for c in calls
            ]
        messages.append(AIMessage(draw(TEXT), id=f"r{turn}"))
    return messages


def tool_pairs_intact(messages: list[BaseMessage]) -> bool:
    called = {c["id"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls}
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    return called == answered


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(80, 1500))
def test_budget_respected_and_tool_pairs_never_split(
    messages: list[BaseMessage], budget: int
) -> None:
    folded = WorkingMemory(budget).fold(messages)
    if count_tokens(messages) <= budget:
        assert folded is None
        return
    turns = sum(isinstance(m, HumanMessage) for m in messages)
    if folded is None:  # only when there is nothing older than the newest turn to drop
        assert turns == 1
        return
    out = folded.messages
    assert out[0].id == "sys"  # the system message is kept, first
    assert tool_pairs_intact(out)
    assert tool_pairs_intact(folded.dropped)
    kept_ids = {m.id for m in out}
    assert {m.id for m in folded.dropped}.isdisjoint(kept_ids)
    assert {m.id for m in messages} == kept_ids - {SUMMARY_ID} | {m.id for m in folded.dropped}
    body = [m for m in out if not isinstance(m, SystemMessage)]
    assert isinstance(body[0], HumanMessage)
    last_turn_alone = sum(isinstance(m, HumanMessage) for m in body) == 1
    assert count_tokens(out) <= budget or last_turn_alone
    # the newest turn is never dropped
    assert messages[-1].id in kept_ids


@settings(max_examples=20, deadline=None)
@given(st.lists(conversations(), min_size=2, max_size=4))
def test_repeated_folding_stays_in_budget(chunks: list[list[BaseMessage]]) -> None:
    memory = WorkingMemory(400)
    state: list[BaseMessage] = []
    for index, chunk in enumerate(chunks):
        fresh = [m.model_copy(update={"id": f"{index}-{m.id}"}) for m in chunk[1:]]
        state = state + fresh if state else [chunk[0], *fresh]
        folded = memory.fold(state)
        if folded is not None:
            state = folded.messages
            assert [m.id for m in state].count(SUMMARY_ID) == 1
        body = [m for m in state if not isinstance(m, SystemMessage)]
        assert count_tokens(state) <= 400 or sum(isinstance(m, HumanMessage) for m in body) == 1


def test_node_replaces_state_with_summary() -> None:
    memory = WorkingMemory(100, summary_ratio=0.4)

    def model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("Noted: " + state["messages"][-1].text)]}

    builder = StateGraph(MessagesState)
    builder.add_node("working_memory", memory)
    builder.add_node("model", model)
    builder.add_edge(START, "working_memory")
    builder.add_edge("working_memory", "model")
    builder.add_edge("model", END)
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    for index, text in enumerate(
        [
            "I am planning a trip to Lisbon in May with my sister.",
            "We like museums, trams and seafood restaurants near the river.",
            "Which neighbourhood should we stay in for three nights?",
        ]
    ):
        first = [SystemMessage("Be brief.")] if index == 0 else []
        state = graph.invoke({"messages": [*first, HumanMessage(text)]}, config)
    messages = state["messages"]
    assert messages[0].text == "Be brief."
    assert messages[1].id == SUMMARY_ID
    assert "Lisbon" in messages[1].text
    assert messages[-2].text.startswith("Which neighbourhood")
    assert count_tokens(messages[:-1]) <= 100

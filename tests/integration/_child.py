"""Child process for the persistence tests: runs a graph or writes a history, then exits
(or is killed). Prints one JSON line per acknowledged step on stdout.

Usage: python -m tests.integration._child MODE CHROMA CHECKPOINTS THREAD [ARG]
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import Command, interrupt

from langmem_plugin.memory import Memory


class State(MessagesState):
    count: int


def step(state: State) -> dict[str, Any]:
    count = state.get("count", 0) + 1
    return {"count": count, "messages": [AIMessage(f"step {count}")]}


def approve(state: State) -> dict[str, Any]:
    answer = interrupt({"question": "continue?"})
    return {"messages": [AIMessage(f"approved: {answer}")]}


def builder(with_approval: bool) -> StateGraph:
    graph = StateGraph(State)
    graph.add_node("step", step)
    graph.add_edge(START, "step")
    if with_approval:
        graph.add_node("approve", approve)
        graph.add_edge("step", "approve")
        graph.add_edge("approve", END)
    else:
        graph.add_edge("step", END)
    return graph


def report(graph: Any, config: dict[str, Any]) -> None:
    snapshot = graph.get_state(config)
    values = snapshot.values
    print(
        json.dumps(
            {
                "count": values.get("count"),
                "messages": [m.content for m in values.get("messages", [])],
                "next": list(snapshot.next),
            }
        ),
        flush=True,
    )


def main() -> None:
    mode, chroma, checkpoints, thread = sys.argv[1:5]
    arg = sys.argv[5] if len(sys.argv) > 5 else ""
    config = {"configurable": {"thread_id": thread}}
    memory = Memory.from_url(chroma, checkpoints)
    if mode == "start":  # run until the interrupt, then exit normally
        graph = memory.compile(builder(True))
        graph.invoke({"messages": [HumanMessage(arg)]}, config)
        report(graph, config)
    elif mode == "astart":  # the same with the async saver
        graph = builder(True)

        async def run() -> None:
            compiled = await memory.acompile(graph)
            await compiled.ainvoke({"messages": [HumanMessage(arg)]}, config)
            await memory.aclose()

        asyncio.run(run())
        print(json.dumps({"done": True}), flush=True)
        return
    elif mode == "resume":
        graph = memory.compile(builder(True))
        graph.invoke(Command(resume=arg), config)
        report(graph, config)
    elif mode == "write-forever":  # checkpoints and history until killed
        graph = memory.compile(builder(False))
        history = memory.history(thread, user_id="killed-user")
        i = 0
        while True:
            graph.invoke({"messages": [HumanMessage(f"turn {i}")]}, config)
            history.add_messages([HumanMessage(f"history {i}"), AIMessage(f"reply {i}")])
            print(json.dumps({"ack": i}), flush=True)
            i += 1
    elif mode == "history-writer":  # a concurrent writer of one shared session
        history = memory.history(thread, user_id="shared-user")
        for i in range(int(arg.split(":")[1])):
            history.add_messages([HumanMessage(f"{arg.split(':')[0]} {i}")])
        print(json.dumps({"done": True}), flush=True)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    memory.close()


if __name__ == "__main__":
    main()

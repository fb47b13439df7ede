"""Child process of the backup tests: keeps a memory folder open and busy until told to stop.

Usage: ``python tests/integration/_backup_writer.py FOLDER``

Opens ``Memory.from_path(FOLDER)`` (which holds the folder's lock) and loops: each round
writes two store items in one batch (``("pairs", "u")``, keys ``a<n>`` and ``b<n>``: an
atomic pair) and runs one step of a counting graph on thread ``"busy"`` (a checkpoint whose
``count`` equals the number of ``step <n>`` messages). After each round it prints
``{"round": n}`` (flushed). It stops when stdin is closed or a line arrives.
"""

from __future__ import annotations

import json
import select
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.store.base import PutOp

from langmem_plugin.memory import Memory


class Counted(MessagesState):
    count: int


def step(state: Counted) -> dict[str, Any]:
    count = state.get("count", 0) + 1
    return {"count": count, "messages": [AIMessage(f"step {count}")]}


def counting_graph() -> StateGraph:
    """The graph of the busy thread (also compiled by the test on the restored memory)."""
    graph = StateGraph(Counted)
    graph.add_node("step", step)
    graph.add_edge(START, "step")
    graph.add_edge("step", END)
    return graph


def main() -> None:
    folder = Path(sys.argv[1])
    config = {"configurable": {"thread_id": "busy"}}
    with Memory.from_path(folder) as memory:
        graph = memory.compile(counting_graph())
        n = 0
        while True:
            memory.store.batch(
                [
                    PutOp(("pairs", "u"), f"a{n}", {"content": f"left half of pair {n}", "n": n}),
                    PutOp(("pairs", "u"), f"b{n}", {"content": f"right half of pair {n}", "n": n}),
                ]
            )
            graph.invoke({"messages": [HumanMessage(f"round {n}")]}, config)
            print(json.dumps({"round": n}), flush=True)
            n += 1
            ready, _, _ = select.select([sys.stdin], [], [], 0)
            if ready:
                return


if __name__ == "__main__":
    main()

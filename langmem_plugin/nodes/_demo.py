"""The offline memory demo: facts and an episode recalled in a later session.

``run_memory_demo()`` runs two sessions of a scripted agent against one memory directory,
closing and reopening the memory in between (as a restart would), and prints the user's
profile and the recall context the agent's model receives in session 2. No network, no
API key: the memory uses its offline rules and the agent a scripted model.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

__all__ = ["run_memory_demo"]


def _memory_class() -> Any:
    from langmem_plugin.memory import Memory
    from langmem_plugin.nodes._features import MemoryFeatures

    if issubclass(Memory, MemoryFeatures):
        return Memory
    return type("Memory", (Memory, MemoryFeatures), {})


def run_memory_demo(path: str | Path | None = None, out: Callable[[str], Any] = print) -> str:
    """Run the two-session demo; returns the recall text of session 2.

    Args:
        path: The memory directory (a temporary one by default).
        out: Where to print.
    """
    from langmem_plugin.agent import create_memory_agent
    from langmem_plugin.testing import ScriptedChatModel

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(path) if path is not None else Path(tmp) / "memory"
        memory_cls = _memory_class()
        out(f"memory directory: {root}")
        out("\n== session 1 (thread 'monday') ==")
        with memory_cls.from_path(root) as memory:
            agent = create_memory_agent(
                ScriptedChatModel(script=[], default="Nice to meet you, Ada!"), memory=memory
            )
            config = {"configurable": {"thread_id": "monday", "user_id": "ada"}}
            for text in [
                "Hi, I'm Ada. I live in Lisbon and I work as a data scientist.",
                "I love sailing and I mostly use Python and Neovim.",
                "I'm planning a sailing trip to the Azores in July.",
            ]:
                out(f"user: {text}")
                agent.invoke({"messages": [HumanMessage(text)]}, config)
            memory.end_session("monday")
        out("\n(memory closed and reopened, as after a restart)")
        out("\n== session 2 (thread 'friday') ==")
        with memory_cls.from_path(root) as memory:
            model = ScriptedChatModel(script=[], default="Welcome back, Ada!")
            agent = create_memory_agent(model, memory=memory)
            question = "Can you help me pack for my sailing trip?"
            out(f"user: {question}")
            agent.invoke(
                {"messages": [HumanMessage(question)]},
                {"configurable": {"thread_id": "friday", "user_id": "ada"}},
            )
            out("\n" + str(memory.profile("ada")))
            recall = "\n".join(m.text for m in model.inputs[0] if isinstance(m, SystemMessage))
            out("\nWhat the model saw in session 2 (recall, offline rules):\n" + recall)
            memory.flush()
    return recall

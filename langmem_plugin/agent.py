"""``create_memory_agent``: a ``create_agent`` agent with memory wired in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from langmem_plugin.nodes._features import MemoryFeatures

__all__ = ["create_memory_agent"]


def create_memory_agent(
    model: str | BaseChatModel,
    tools: Sequence[BaseTool | Callable[..., Any]] = (),
    *,
    memory: MemoryFeatures,
    system_prompt: str | None = None,
    memory_tools: bool = True,
    **kwargs: Any,
) -> Any:
    """Build a tool-calling agent that remembers its users across threads and restarts.

    It is ``langchain.agents.create_agent`` with ``memory.middleware()`` (working memory,
    recall, deferred profile/episode extraction, reflection), the memory tools
    (``search_memory``, ``save_memory``, ``forget_memory``) and the memory's store and
    checkpointer. Run it with a user and a thread:

    ```python
    agent = create_memory_agent("openai:gpt-4o-mini", [my_tool], memory=memory)
    agent.invoke(
        {"messages": [("user", "Hi, I'm Ada")]},
        {"configurable": {"thread_id": "t1", "user_id": "ada"}},
    )
    ```

    Args:
        model: A chat model or ``"provider:model"`` string.
        tools: The agent's own tools.
        memory: The ``Memory`` (anything with ``MemoryFeatures`` and a ``store``).
        system_prompt: The agent's instructions.
        memory_tools: Add the memory tools.
        **kwargs: More ``create_agent`` arguments (``middleware`` is appended to).

    Returns:
        The compiled agent graph.
    """
    middleware = [memory.middleware(), *kwargs.pop("middleware", ())]
    all_tools = [*tools, *(memory.tools() if memory_tools else [])]
    checkpointer = kwargs.pop("checkpointer", getattr(memory, "checkpointer", None))
    return create_agent(
        model,
        all_tools,
        system_prompt=system_prompt,
        middleware=middleware,
        checkpointer=checkpointer,
        store=kwargs.pop("store", memory.store),
        **kwargs,
    )

"""``MemoryMiddleware``: the memory nodes as ``langchain.agents.create_agent`` middleware.

* ``before_model``: queue the state's messages for the archive, then working memory
  (fold old turns when over budget).
* ``wrap_model_call``: recall, appended to the system message of this model call only
  (it is not stored in the state, so it never piles up in the checkpoint).
* ``after_agent``: queue the finished turn for the archive (``("archive", user,
  thread)``, written in the background, each message once) and hand it to the deferred
  pipeline (episodes, profile, lessons); no model call.
* ``wrap_tool_call`` (``catch_tool_errors=True``): a tool exception becomes an error
  ``ToolMessage``, so the agent can recover and reflection can learn from it (except a
  ``StoreMismatchError``, which is a wiring mistake for the developer).

Every hook first checks the agent's store: ``create_agent(..., store=other)`` with another
store than the memory's raises ``StoreMismatchError`` before anything is read or written;
without ``store=`` the middleware uses the memory's store (``nodes._context.check_store``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain.agents.middleware.types import ToolCallRequest
from langchain_core.messages import SystemMessage, ToolMessage
from langgraph.errors import GraphBubbleUp
from langgraph.runtime import Runtime
from langgraph.types import Command

from langmem_plugin.errors import StoreMismatchError

if TYPE_CHECKING:
    from langmem_plugin.nodes._runtime import MemoryRuntime

__all__ = ["MemoryMiddleware"]


class MemoryMiddleware(AgentMiddleware):
    """Working memory, recall, deferred extraction and reflection for ``create_agent``.

    Build it with ``memory.middleware()``. The user comes from ``context={"user_id": ...}``
    or ``config={"configurable": {"user_id": ...}}``.
    """

    def __init__(self, runtime: MemoryRuntime, *, catch_tool_errors: bool = True) -> None:
        super().__init__()
        self._rt = runtime
        self.catch_tool_errors = catch_tool_errors

    def before_model(self, state: Any, runtime: Runtime[Any]) -> dict[str, Any] | None:
        """Archive what the state holds, then fold old turns out when over budget."""
        scope = self._rt.scope(runtime, what="memory middleware")
        self._rt.archive_turns(scope, state["messages"])
        return self._rt.fold(scope, state["messages"]) or None

    def _with_recall(self, request: ModelRequest[Any]) -> ModelRequest[Any]:
        scope = self._rt.scope(request.runtime, what="memory middleware")
        text = self._rt.recall_message(scope, request.messages)
        if not text:
            return request
        base = request.system_message.text if request.system_message else ""
        merged = f"{base}\n\n{text}" if base else text
        return request.override(system_message=SystemMessage(merged))

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> Any:
        """Add the recall context to the system message of this call."""
        return handler(self._with_recall(request))

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> Any:
        """Async ``wrap_model_call`` (the store reads run in a worker thread)."""
        return await handler(await asyncio.to_thread(self._with_recall, request))

    def after_agent(self, state: Any, runtime: Runtime[Any]) -> dict[str, Any] | None:
        """Archive the finished turn and buffer it for the deferred pipeline."""
        self._rt.observe(self._rt.scope(runtime, what="memory middleware"), state["messages"])
        return None

    def _error_message(self, request: ToolCallRequest, exc: Exception) -> ToolMessage:
        call = request.tool_call
        return ToolMessage(
            content=f"Error: {type(exc).__name__}: {exc}",
            tool_call_id=call["id"] or "",
            name=call["name"],
            status="error",
        )

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]],
    ) -> ToolMessage | Command[Any]:
        """Turn a tool exception into an error ``ToolMessage`` when asked to."""
        try:
            return handler(request)
        except (GraphBubbleUp, StoreMismatchError):  # the wiring is not the agent's to fix
            raise
        except Exception as exc:
            if not self.catch_tool_errors:
                raise
            return self._error_message(request, exc)

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        """Async ``wrap_tool_call``."""
        try:
            return await handler(request)
        except (GraphBubbleUp, StoreMismatchError):  # the wiring is not the agent's to fix
            raise
        except Exception as exc:
            if not self.catch_tool_errors:
                raise
            return self._error_message(request, exc)

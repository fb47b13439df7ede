"""Agent tools over memory: search, save and forget memories; add, update and list tasks.

The task tools (``add_task``, ``update_task``, ``list_tasks``) are in
``langmem_plugin.tasks._tools``.

The user is never an argument the model fills in: it comes from the run (``ToolRuntime``:
``context={"user_id": ...}`` or ``config["configurable"]["user_id"]``) or from the
``user_id`` the application bound when creating the tools. Every read and write is under
that user's namespaces, so no prompt can reach another user's memories.

The persona (``persona_id``) comes from the run the same way, or from the ``persona_id``
bound at creation: notes and episodes are searched, saved and forgotten in the persona's
namespaces (``Scope.namespace``), the profile is the user's whatever the persona.
Forgetting by ``query`` is the user's privacy request and reaches every persona.

Memory ids shown to the model are ``"<kind>/<key>"`` with kind ``memories`` (saved by
``save_memory`` under ``("memories", user_id)``), ``profile`` or ``episodes``.
``forget_memory`` takes such an id, or a ``query`` ("my divorce") to forget everything of
the caller's about a topic (``Memory.forget``: no byte left); it answers with counts only,
since its reply is stored in the thread's checkpoints. Writes are audited as ``tool`` (or
the ``audit_as`` label given: the MCP server's are ``mcp``).

The tools read and write ``store``. Run inside a graph compiled with another store
(``ToolNode`` or ``create_agent`` with ``store=other``), every call raises
``StoreMismatchError`` (not a tool answer: the developer has to fix the wiring); inside
a graph without a store, or outside a graph, they use ``store`` (see
``nodes._context.check_store``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import uuid4

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, InjectedToolArg, StructuredTool, ToolException
from langgraph.store.base import BaseStore

from langmem_plugin._audit import audit_source
from langmem_plugin.nodes._context import Scope, check_store, resolve_scope
from langmem_plugin.nodes.profile import FactProposal, ProfileStore
from langmem_plugin.nodes.recall import score_of
from langmem_plugin.retriever._retriever import SearchFn
from langmem_plugin.tasks._tools import create_task_tools

__all__ = ["create_memory_tools"]

_SEARCHED = ("memories", "profile", "episodes")


def create_memory_tools(
    store: BaseStore,
    *,
    search: SearchFn | None = None,
    user_id: str | None = None,
    forget: Callable[[str, str], str] | None = None,
    audit_as: str = "tool",
    persona_id: str | None = None,
) -> list[BaseTool]:
    """Build the memory tools and the task tools.

    Args:
        store: The memory store. A graph running the tools must be compiled with this
            store or with none (``StoreMismatchError`` otherwise).
        search: Retrieval ``(namespace, query, k) -> items``; default ``store.search``.
        user_id: Bind the tools to one user (for use outside a graph run).
        forget: ``(user_id, query) -> summary``: forget by query (``Memory.forget``);
            without it ``forget_memory`` only takes ids.
        audit_as: The audit source of the tools' writes (``"tool"``; the MCP server
            passes ``"mcp"``, so the log tells the two paths apart).
        persona_id: Bind the tools to one persona (else the run's ``persona_id``, if any).

    Returns:
        ``[search_memory, save_memory, forget_memory, add_task, update_task, list_tasks]``.

    Example:
        ```python
        agent = create_agent(model, memory.tools(), store=memory.store)
        agent.invoke({"messages": [...]}, context={"user_id": "ada"})
        ```
    """
    find: SearchFn = search or (lambda ns, q, k: store.search(ns, query=q, limit=k))
    profiles = ProfileStore(store)

    def scope_of(runtime: Any) -> Scope:
        # a store mismatch is the developer's to fix, not an answer for the model
        check_store(runtime, store, "memory tools")
        try:
            return resolve_scope(runtime, user_id=user_id, persona_id=persona_id)
        except ValueError as exc:
            raise ToolException(str(exc)) from exc

    def search_memory(
        query: str, k: int = 5, runtime: Annotated[ToolRuntime | None, InjectedToolArg] = None
    ) -> str:
        """Search long-term memory about the current user (saved notes, profile, episodes).

        Args:
            query: What to look for.
            k: How many results per kind (1-20).
            runtime: Injected by LangGraph (gives the user); not shown to the model.
        """
        scope = scope_of(runtime)
        if not query.strip():
            raise ToolException(f"query must not be empty, got {query!r}")
        k = max(1, min(int(k), 20))
        hits: list[tuple[float, str]] = []
        for kind in _SEARCHED:
            for item in find(scope.namespace(kind), query, k):
                when = item.value.get("occurred_at") or item.value.get("valid_from") or ""
                hits.append(
                    (
                        score_of(item) or 0.0,
                        f"[{kind}/{item.key}] {when[:10]} {item.value['content']}",
                    )
                )
        hits.sort(key=lambda h: h[0], reverse=True)
        return "\n".join(line for _, line in hits[:k]) or "No memories found."

    def save_memory(
        content: str,
        importance: float = 0.5,
        runtime: Annotated[ToolRuntime | None, InjectedToolArg] = None,
    ) -> str:
        """Save a note about the current user to long-term memory.

        Args:
            content: The note, self-contained (it is read without this conversation).
            importance: 0 (trivia) to 1 (vital).
            runtime: Injected by LangGraph (gives the user); not shown to the model.
        """
        scope = scope_of(runtime)
        with audit_source(audit_as, user_id=scope.user_id):
            return _save(scope, content, importance)

    def _save(scope: Scope, content: str, importance: float) -> str:
        if not content.strip():
            raise ToolException(f"content must not be empty, got {content!r}")
        if not 0.0 <= float(importance) <= 1.0:
            raise ToolException(f"importance must be between 0 and 1, got {importance!r}")
        key = uuid4().hex
        now = datetime.now(UTC).isoformat()
        store.put(
            scope.namespace("memories"),
            key,
            {
                "content": content.strip(),
                "importance": float(importance),
                "created_at": now,
                "occurred_at": now,
                "source": "agent",
            },
        )
        return f"Saved as memories/{key}."

    def forget_memory(
        memory_id: str = "",
        query: str = "",
        runtime: Annotated[ToolRuntime | None, InjectedToolArg] = None,
    ) -> str:
        """Forget a memory of the current user by its id, or everything about a topic.

        Args:
            memory_id: An id like ``memories/<key>``, ``profile/<key>`` or ``episodes/<key>``
                shown by search_memory; or leave empty and give ``query``.
            query: A topic to forget entirely, e.g. "my divorce": every note, fact and
                past message about it is deleted for good.
            runtime: Injected by LangGraph (gives the user); not shown to the model.
        """
        scope = scope_of(runtime)
        with audit_source(audit_as, user_id=scope.user_id):
            if query.strip() and not memory_id:
                if forget is None:
                    raise ToolException("forgetting by query is not available here")
                return forget(scope.user_id, query)
            return _forget_id(scope, memory_id)

    def _forget_id(scope: Scope, memory_id: str) -> str:
        uid = scope.user_id
        kind, _, key = memory_id.partition("/")
        if kind not in _SEARCHED or not key:
            raise ToolException(f"unknown memory id {memory_id!r}")
        item = store.get(scope.namespace(kind), key)
        if item is None:
            raise ToolException(f"no memory {memory_id!r} for this user")
        if kind == "profile":  # supersede, keeping the history
            profiles.apply(
                uid,
                [
                    FactProposal(
                        action="delete", category=item.value["category"], value=item.value["value"]
                    )
                ],
                source="agent",
            )
        else:
            store.delete(scope.namespace(kind), key)
        return f"Forgot {memory_id}."

    tools: list[BaseTool] = [
        StructuredTool.from_function(fn, handle_tool_error=True, parse_docstring=True)
        for fn in (search_memory, save_memory, forget_memory)
    ]
    # tasks are the user's, whatever the persona
    return tools + create_task_tools(store, lambda runtime: scope_of(runtime).user_id)

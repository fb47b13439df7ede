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
from langmem_plugin._namespaces import user_namespace
from langmem_plugin.access._control import AccessControl
from langmem_plugin.access._policy import agent_namespace, team_namespace
from langmem_plugin.errors import AccessDeniedError
from langmem_plugin.nodes._context import Scope, check_store, resolve_scope
from langmem_plugin.nodes._fact_gate import keep_relevant_facts
from langmem_plugin.nodes.profile import FactProposal, ProfileStore
from langmem_plugin.nodes.recall import score_of
from langmem_plugin.retriever._retriever import SearchFn
from langmem_plugin.tasks._tools import create_task_tools

__all__ = ["create_memory_tools"]

_SEARCHED = ("memories", "profile", "episodes")


def scope_namespace(scope: str, run: Scope) -> tuple[str, ...]:
    """The notes namespace a tool's ``scope`` names: ``agent``, ``team:<id>``, ``user:<id>``.

    Raises:
        ValueError: If ``scope`` is none of these (or the run has no agent for ``agent``).
    """
    kind, _, ident = scope.partition(":")
    if kind == "agent" and not ident:
        if run.agent_id is None:
            raise ValueError("scope 'agent': this run has no agent_id")
        return agent_namespace(run.agent_id)
    if kind == "agent":
        return agent_namespace(ident)
    if kind == "team" and ident:
        return team_namespace(ident)
    if kind == "user" and ident:
        return user_namespace("memories", ident)
    raise ValueError(f"unknown scope {scope!r}: use 'agent', 'team:<id>' or 'user:<id>'")


def shared_id(item: Any) -> str:
    """The memory id a tool shows for an item of another scope: ``kind/label/key``."""
    return f"{item.namespace[0]}/{item.namespace[1]}/{item.key}"


def _named_scope(
    access: AccessControl | None, run: Scope, scope: str, action: str
) -> tuple[str, ...] | None:
    """The namespace a tool's ``scope`` names (None: the user's own), once the policy allows.

    Raises:
        ToolException: If the scope is unknown or the policy refuses (the message names
            the principal, the action and the scope).
    """
    if not scope.strip() or scope == "user":
        return None
    if access is None:
        raise ToolException(f"scope {scope!r}: no access control here, only your own memory")
    try:
        ns = scope_namespace(scope, run)
        if action == "read":
            access.readable_keys(run, ns)
        else:
            access.check(run, action, ns)
    except (AccessDeniedError, ValueError) as exc:
        raise ToolException(str(exc)) from exc
    return ns


def _shared_hits(
    access: AccessControl, run: Scope, ns: tuple[str, ...] | None, query: str, k: int
) -> list[tuple[float, str]]:
    """``search_memory``'s hits in one named scope, or in every scope shared with the run."""
    sources = access.shared_sources(run) if ns is None else [(ns, None)]
    hits = [
        (score_of(found) or 0.0, _line(found, shared_id(found)))
        for namespace in {n for n, _ in sources}
        for found in access.search(run, namespace, query=query, limit=k)
    ]
    hits.sort(key=lambda h: h[0], reverse=True)
    return hits


def _line(item: Any, memory_id: str) -> str:
    when = item.value.get("occurred_at") or item.value.get("valid_from") or ""
    return f"[{memory_id}] {when[:10]} {item.value.get('content', '')}"


def create_memory_tools(  # noqa: PLR0915 -- six tools, closures over one binding
    store: BaseStore,
    *,
    search: SearchFn | None = None,
    user_id: str | None = None,
    forget: Callable[[str, str], str] | None = None,
    audit_as: str = "tool",
    access: AccessControl | None = None,
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
        access: The access control (``Memory.access``): with it, ``search_memory`` also
            searches what the run's user or agent may read of other scopes, and
            ``search_memory``/``save_memory`` take a ``scope`` (``"agent"``,
            ``"team:<id>"``, ``"user:<id>"``), checked by the policy; a refusal is a tool
            error naming the principal, the action and the scope.
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

    def run_scope(runtime: Any) -> Scope:
        # a store mismatch is the developer's to fix, not an answer for the model
        check_store(runtime, store, "memory tools")
        try:
            return resolve_scope(runtime, user_id=user_id, persona_id=persona_id)
        except ValueError as exc:
            raise ToolException(str(exc)) from exc

    def owner(runtime: Any) -> str:
        return run_scope(runtime).user_id

    def other(runtime: Any, scope: str, action: str) -> tuple[Scope, tuple[str, ...] | None]:
        run = run_scope(runtime)
        return run, _named_scope(access, run, scope, action)

    def search_memory(
        query: str,
        k: int = 5,
        scope: str = "",
        runtime: Annotated[ToolRuntime | None, InjectedToolArg] = None,
    ) -> str:
        """Search long-term memory about the current user (saved notes, profile, episodes).

        Profile facts are listed only when they answer the query (nodes._fact_gate).

        Args:
            query: What to look for.
            k: How many results per kind (1-20).
            scope: Empty: your own memory and what is shared with you. Or only one scope:
                "agent" (your agent's private notes), "team:<id>", "user:<id>".
            runtime: Injected by LangGraph (gives the user); not shown to the model.
        """
        run, ns = other(runtime, scope, "read")
        uid = run.user_id
        if not query.strip():
            raise ToolException(f"query must not be empty, got {query!r}")
        k = max(1, min(int(k), 20))
        hits: list[tuple[float, str]] = []
        if access is not None:
            hits = _shared_hits(access, run, ns, query, k)
            if ns is not None:
                return "\n".join(line for _, line in hits[:k]) or "No memories found."
        for kind in _SEARCHED:
            found = find(run.namespace(kind), query, k)
            for item in keep_relevant_facts(store, uid, query, found):
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
        scope: str = "",
        runtime: Annotated[ToolRuntime | None, InjectedToolArg] = None,
    ) -> str:
        """Save a note about the current user to long-term memory.

        Args:
            content: The note, self-contained (it is read without this conversation).
            importance: 0 (trivia) to 1 (vital).
            scope: Empty: the user's memory. Or "agent" (your private notes),
                "team:<id>" (a team's shared memory), "user:<id>" (if shared for writing).
            runtime: Injected by LangGraph (gives the user); not shown to the model.
        """
        run, ns = other(runtime, scope, "write")
        with audit_source(audit_as, user_id=run.user_id, agent_id=run.agent_id):
            return _save(run, content, importance, ns)

    def _save(run: Scope, content: str, importance: float,
              ns: tuple[str, ...] | None = None) -> str:  # fmt: skip
        if not content.strip():
            raise ToolException(f"content must not be empty, got {content!r}")
        if not 0.0 <= float(importance) <= 1.0:
            raise ToolException(f"importance must be between 0 and 1, got {importance!r}")
        key = uuid4().hex
        now = datetime.now(UTC).isoformat()
        value = {
            "content": content.strip(),
            "importance": float(importance),
            "created_at": now,
            "occurred_at": now,
            "source": "agent",
        }
        if ns is not None and access is not None:
            access.put(run, ns, key, value)
            return f"Saved as {ns[0]}/{ns[1]}/{key}."
        store.put(run.namespace("memories"), key, value)
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
        run = run_scope(runtime)
        uid = run.user_id
        with audit_source(audit_as, user_id=uid):
            if query.strip() and not memory_id:
                if forget is None:
                    raise ToolException("forgetting by query is not available here")
                return forget(uid, query)
            return _forget_id(run, memory_id)

    def _forget_id(run: Scope, memory_id: str) -> str:
        uid = run.user_id
        kind, _, rest = memory_id.partition("/")
        label, _, key = rest.rpartition("/")
        if label and access is not None:
            ns = (kind, label)
            try:
                access.delete(run, ns, key)
            except AccessDeniedError as exc:
                raise ToolException(str(exc)) from exc
            return f"Forgot {memory_id}."
        key = rest
        if kind not in _SEARCHED or not key:
            raise ToolException(f"unknown memory id {memory_id!r}")
        item = store.get(run.namespace(kind), key)
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
            store.delete(run.namespace(kind), key)
        return f"Forgot {memory_id}."

    tools: list[BaseTool] = [
        StructuredTool.from_function(fn, handle_tool_error=True, parse_docstring=True)
        for fn in (search_memory, save_memory, forget_memory)
    ]
    # tasks are the user's, whatever the persona
    return tools + create_task_tools(store, owner)

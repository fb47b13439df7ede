"""Who is speaking: the user (and optional agent and persona) a memory node or tool acts for.

Every node and tool resolves its scope here, from ``runtime.context`` (a dict or an object
with attributes) first, then ``config["configurable"]``: ``user_id``, ``agent_id``,
``persona_id``. No id is ever taken from anything the model produced, so a node or tool
cannot reach outside that user's namespaces, nor outside the run's persona.

``persona_id`` names the persona the agent speaks as (``"coach"``, ``"accountant"``): its
notes, episodes, conversation archive and lessons are its own, the user's profile and
tasks are shared (``Scope.namespace``; the layout is in ``langmem_plugin._namespaces``).
A run without one is the "no persona" scope, exactly as before personas existed.

Which store: ``check_store``. A ``Memory``'s nodes, middleware and tools are bound to the
``Memory``'s store, where its deferred pipeline, ``profile()``, ``recall_context()``,
``forget_user()``, export and the inspector read. A graph compiled with a *different*
store (``builder.compile(store=InMemoryStore())``, ``create_agent(..., store=other)``) is
refused with ``StoreMismatchError`` before anything is read or written: following the
graph's store instead would split one user's memory over two stores, and forgetting the
user would leave the part no ``Memory`` operation can see. A graph compiled without a
store (plain ``builder.compile()``, ``create_agent`` without ``store=``) has declared no
long-term store, so there is nothing to disagree with: the memory features keep using the
``Memory``'s store, as their binding says. ``memory.compile(builder)`` and
``create_memory_agent`` compile with the ``Memory``'s own store and checkpointer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langmem_plugin._ids import validate_id
from langmem_plugin._namespaces import (
    PERSONA_KINDS,
    lesson_namespace,
    persona_namespace,
    user_namespace,
)
from langmem_plugin.errors import MissingUserIdError, StoreMismatchError

__all__ = ["Scope", "check_store", "make_scope", "resolve_scope"]


@dataclass(frozen=True)
class Scope:
    """The identities a memory operation runs under.

    Attributes:
        user_id: Whose memories are read and written.
        agent_id: Optional agent id; lessons are the agent's when set.
        thread_id: The conversation thread, when known.
        persona_id: Optional persona the agent speaks as; its notes, episodes, archive
            and lessons are its own (``namespace``).
    """

    user_id: str
    agent_id: str | None = None
    thread_id: str | None = None
    persona_id: str | None = None

    def namespace(self, kind: str, *ids: str) -> tuple[str, ...]:
        """The run's namespace of ``kind``: the persona's for ``PERSONA_KINDS``, else the user's.

        Example:
            >>> Scope("ada", persona_id="coach").namespace("memories")
            ('persona', 'ada', 'coach', 'memories')
            >>> Scope("ada", persona_id="coach").namespace("profile")
            ('profile', 'ada')
        """
        if kind in PERSONA_KINDS:
            return persona_namespace(kind, self.user_id, self.persona_id, *ids)
        return user_namespace(kind, self.user_id, *ids)

    @property
    def lesson_namespace(self) -> tuple[str, ...]:
        """Where lessons are kept: the agent's, else the user's (the persona's, with one).

        ``("agent_lessons", agent_id)`` when an agent is set (shared by its users, never
        read as a user's), else ``("lessons", user_id)``; with a persona see
        ``_namespaces.lesson_namespace``.
        """
        return lesson_namespace(self.user_id, self.agent_id, self.persona_id)


def make_scope(
    user_id: str,
    *,
    agent_id: str | None = None,
    persona_id: str | None = None,
    thread_id: str | None = None,
) -> Scope:
    """A scope from ids application code passes (``Memory.recall_context`` etc.), validated.

    Raises:
        InvalidIdError: If an id is not a valid id.
    """
    return Scope(
        validate_id(user_id),
        agent_id=validate_id(agent_id, "agent_id") if agent_id else None,
        thread_id=validate_id(thread_id, "thread_id") if thread_id is not None else None,
        persona_id=validate_id(persona_id, "persona_id") if persona_id is not None else None,
    )


def _lookup(source: Any, key: str) -> Any:
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source.get(key)
    return getattr(source, key, None)


def resolve_scope(
    runtime: Any = None,
    config: Mapping[str, Any] | None = None,
    *,
    user_id: str | None = None,
    persona_id: str | None = None,
) -> Scope:
    """Resolve the scope from a LangGraph runtime and/or a RunnableConfig.

    Args:
        runtime: A ``langgraph.runtime.Runtime`` or ``ToolRuntime`` (its ``context`` is read;
            a ``ToolRuntime``'s ``config`` too), or ``None``.
        config: A ``RunnableConfig``; when ``None`` the current one is used if there is one.
        user_id: An explicit user id (set by application code, never by the model); wins.
        persona_id: An explicit persona (application code binding tools to one); wins.

    Returns:
        The resolved scope.

    Raises:
        MissingUserIdError: If no user id can be found.
        ValueError: If an id is not a valid namespace label.
    """
    context = getattr(runtime, "context", None)
    if config is None:
        config = getattr(runtime, "config", None)
    if config is None:
        try:
            from langgraph.config import get_config

            config = get_config()
        except RuntimeError:
            config = None
    configurable = (config or {}).get("configurable") or {}

    def pick(key: str) -> Any:
        found = _lookup(context, key)
        return found if found is not None else configurable.get(key)

    uid = user_id if user_id is not None else pick("user_id")
    if uid is None:
        raise MissingUserIdError(
            "no user_id: pass it in the run context (context={'user_id': ...}) or in "
            "config={'configurable': {'user_id': ...}}"
        )
    agent = pick("agent_id")
    persona = persona_id if persona_id is not None else pick("persona_id")
    thread = configurable.get("thread_id")
    return Scope(
        user_id=validate_id(uid),
        agent_id=validate_id(agent, "agent_id") if agent is not None else None,
        thread_id=str(thread) if thread is not None else None,
        persona_id=validate_id(persona, "persona_id") if persona is not None else None,
    )


def _describe(store: object) -> str:
    prefix = getattr(store, "collection_prefix", None)
    where = f" (collections {prefix!r})" if isinstance(prefix, str) else ""
    return f"{type(store).__name__} at 0x{id(store):x}{where}"


def check_store(runtime: Any, store: object, what: str) -> None:
    """Refuse a run whose graph was compiled with another store than the memory's.

    Args:
        runtime: A ``langgraph.runtime.Runtime`` or ``ToolRuntime`` (its ``store`` is
            read), or ``None`` (outside a graph: nothing to check).
        store: The store the memory features write to (the ``Memory``'s).
        what: What is running, for the message ("memory nodes", "memory tools"...).

    Raises:
        StoreMismatchError: If the run has a store and it is not ``store``.
    """
    graph_store = getattr(runtime, "store", None)
    if graph_store is None or graph_store is store:
        return
    raise StoreMismatchError(
        f"the graph was compiled with store {_describe(graph_store)}, but the {what} belong "
        f"to a Memory whose store is {_describe(store)}; they would write where the graph's "
        "store never sees it. Compile with memory.compile(builder) (or "
        "builder.compile(store=memory.store, checkpointer=memory.checkpointer)); for "
        "create_agent pass store=memory.store, or use create_memory_agent(model, tools, "
        "memory=memory)"
    )

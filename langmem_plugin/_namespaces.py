"""Whose a namespace is: the one rule that ties a store namespace to a user or an agent.

Every namespace this library writes is laid out ``(kind, owner, ...)``: ``("profile", u)``,
``("profile_history", u)``, ``("episodes", u)``, ``("episodes_archive", u)``,
``("memories", u)``, ``("tasks", u)``, ``("lessons", u)``, ``("sessions", u)``,
``("archive", u, session)``, and application namespaces such as ``("projects", u, ...)``
follow it too. The user is the label at ``USER_POSITION`` (1) **and only there**: a user
id that also appears as a kind, a thread id or any deeper label of someone else's
namespace names nothing of theirs. Everything that asks "is this the user's?" (forget,
search, stats, the users listing, the inspector, export counts, the audit log, the chat
history) asks :func:`namespace_user`; nothing else derives a user from a namespace.

Ids are not labels as they are: every id in a namespace (user, session/thread, agent) is
its label ``langmem_plugin._ids.id_label(id)`` (a period and the wildcard ``"*"`` escaped,
see ``_ids``), built here by :func:`user_namespace` and :func:`lesson_namespace`, and read
back by :func:`namespace_user`, :func:`namespace_agent` and :func:`namespace_ids`, which
return the original ids. ``("archive", "maria@example%2Ecom", "s1")`` is the archive of
user ``"maria@example.com"``. Values keep the ids as they are (``{"user_id": u}``).

Two kinds of namespace name no user:

* ``("session_owners",)``: session claims, one label; the user is in the value
  (``{"user_id": u}``) and is matched by an exact value filter
  (``langmem_plugin.history._storage``).
* Agent-scoped kinds (``AGENT_KINDS``): ``("agent_lessons", agent_id)`` holds the lessons
  an agent learns from all its users (``Scope.lesson_namespace``). Their second label is
  an *agent* id, so an agent never shows up as a user, and forgetting a user whose id
  equals an agent id leaves the agent's lessons alone. A user's own lessons (a run with no
  ``agent_id``) stay under ``("lessons", user_id)`` and are the user's.
  ``("agent_memories", agent_id)`` holds an agent's private notes (``langmem_plugin.access``).
* Team kinds (``TEAM_KINDS``): ``("team_memories", team_id)`` is the memory a team or an
  organisation shares; its second label is a *team* id (:func:`namespace_team`), never a
  user's, so who may read or write it is the access policy's to say
  (``langmem_plugin.access``).

Listing a user's namespaces asks the store itself, ``list_namespaces(prefix=("*", user))``
(``"*"`` matches any kind; ``InMemoryStore`` and ``ChromaStore`` answer it alike), and keeps
the namespaces whose user label *is* the id's label. The id ``"*"`` has the label ``"%2A"``,
so no user label is a wildcard in such a listing.
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph.store.base import BaseStore

from langmem_plugin._ids import id_label, label_id
from langmem_plugin._paging import list_all_namespaces

__all__ = [
    "AGENT_KINDS",
    "AGENT_LESSONS",
    "AGENT_MEMORIES",
    "LESSONS",
    "TEAM_KINDS",
    "TEAM_MEMORIES",
    "USER_POSITION",
    "lesson_namespace",
    "namespace_agent",
    "namespace_ids",
    "namespace_team",
    "namespace_user",
    "user_label",
    "user_namespace",
    "user_namespaces",
]

USER_POSITION = 1
"""Index of the user id in a namespace: ``(kind, user_id, ...)``."""

LESSONS = "lessons"
"""Kind of a user's own lessons: ``("lessons", user_id)`` (runs without an ``agent_id``)."""

AGENT_LESSONS = "agent_lessons"
"""Kind of an agent's lessons, shared by its users: ``("agent_lessons", agent_id)``."""

AGENT_MEMORIES = "agent_memories"
"""Kind of an agent's private notes: ``("agent_memories", agent_id)``."""

AGENT_KINDS = frozenset({AGENT_LESSONS, AGENT_MEMORIES})
"""Kinds whose second label is an agent id, never a user id."""

TEAM_MEMORIES = "team_memories"
"""Kind of a team's (or organisation's) shared memory: ``("team_memories", team_id)``."""

TEAM_KINDS = frozenset({TEAM_MEMORIES})
"""Kinds whose second label is a team id, never a user id."""


def user_label(user_id: str) -> str:
    """The label that stands for ``user_id`` at ``USER_POSITION`` (``_ids.id_label``).

    Application namespaces that should count as a user's (``("projects", label, ...)``)
    put this label second.

    Raises:
        InvalidIdError: If ``user_id`` is not a valid id.
    """
    return id_label(user_id, "user_id")


def user_namespace(kind: str, user_id: str, *ids: str) -> tuple[str, ...]:
    """The namespace ``(kind, user_id, *ids)`` with every id encoded as its label.

    Example:
        >>> user_namespace("archive", "maria@example.com", "s.1")
        ('archive', 'maria@example%2Ecom', 's%2E1')

    Args:
        kind: The first label (a library kind such as ``"memories"``), as it is.
        user_id: The user.
        ids: Deeper labels that are ids too (the session of ``("archive", u, session)``).

    Raises:
        InvalidIdError: If ``user_id`` or one of ``ids`` is not a valid id.
    """
    return (kind, user_label(user_id), *(id_label(i, "session_id") for i in ids))


def namespace_ids(namespace: Sequence[str]) -> tuple[str, ...]:
    """The ids a namespace's labels after the kind stand for (``_ids.label_id``)."""
    return tuple(label_id(label) for label in namespace[USER_POSITION:])


def namespace_user(namespace: Sequence[str]) -> str | None:
    """The user a namespace belongs to: the id of its label at ``USER_POSITION``, else None.

    None for one-label namespaces (``("session_owners",)``) and agent-scoped kinds.

    Example:
        >>> namespace_user(("projects", "2", "1"))
        '2'
        >>> namespace_user(("memories", "maria@example%2Ecom"))
        'maria@example.com'
        >>> namespace_user(("agent_lessons", "travel-bot")) is None
        True
    """
    if len(namespace) <= USER_POSITION or namespace[0] in AGENT_KINDS | TEAM_KINDS:
        return None
    return label_id(namespace[USER_POSITION])


def namespace_team(namespace: Sequence[str]) -> str | None:
    """The team a team namespace belongs to (``("team_memories", t)``), else None."""
    if len(namespace) <= USER_POSITION or namespace[0] not in TEAM_KINDS:
        return None
    return label_id(namespace[USER_POSITION])


def namespace_agent(namespace: Sequence[str]) -> str | None:
    """The agent an agent-scoped namespace belongs to (``("agent_lessons", a)``), else None."""
    if len(namespace) <= USER_POSITION or namespace[0] not in AGENT_KINDS:
        return None
    return label_id(namespace[USER_POSITION])


def lesson_namespace(user_id: str, agent_id: str | None = None) -> tuple[str, str]:
    """Where lessons of a run are kept: the agent's when it has one, else the user's.

    Raises:
        InvalidIdError: If the id used is not a valid id.
    """
    if agent_id:
        return (AGENT_LESSONS, id_label(agent_id, "agent_id"))
    return (LESSONS, user_label(user_id))


def user_namespaces(store: BaseStore, user_id: str) -> list[tuple[str, ...]]:
    """Every namespace of ``store`` that belongs to ``user_id`` (holding items), sorted.

    Raises:
        InvalidIdError: If ``user_id`` is not a valid id.
    """
    listed = list_all_namespaces(store, ("*", user_label(user_id)))
    return sorted(ns for ns in listed if namespace_user(ns) == user_id)

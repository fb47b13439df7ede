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

Personas (``persona_id`` in the run scope) are a third dimension, inside the user's:
:func:`persona_namespace` is the one place that builds a persona's namespace, and
:func:`namespace_persona` the one place that reads a persona back.

* The layout is ``("persona", user, persona, kind, *ids)``: ``("persona", "ada", "coach",
  "memories")`` holds the notes persona ``"coach"`` saved about ``"ada"``, and
  ``("persona", "ada", "coach", "archive", "s1")`` its conversation ``"s1"``. The user
  stays at ``USER_POSITION``, so forgetting, exporting, counting and isolating a user
  treat a persona's memories as the user's without knowing personas exist (they ask
  :func:`namespace_user`). The persona label is ``_ids.id_label(persona_id)`` at
  ``PERSONA_POSITION`` (2), then the kind and its own ids exactly as without a persona.
* Why not ``("memories", user, persona)``: LangGraph's ``search`` and
  ``list_namespaces`` take a namespace *prefix*, so a run without a persona, which
  searches ``("memories", user)``, would read every persona's notes, and
  ``("archive", user, session)`` already uses position 2 for the session (a persona named
  like a session would be one). A kind of its own (``"persona"``) puts a persona's memory
  outside every prefix a run without a persona searches, keeps every kind's layout as it
  is under the persona, and makes ``("persona", user, persona)`` the one prefix that holds
  all of a persona's memory (what an access policy grants, what ``list_namespaces`` lists).
  Labels compare whole, so persona ``"a"`` is no prefix of persona ``"ab"``.
* A run without a persona writes and reads exactly the namespaces it did before personas
  (``persona_namespace(kind, u, None)`` is ``user_namespace(kind, u)``): existing data is
  found, and it is the "no persona" scope, which sees no persona's memory either.
* What is the persona's (``PERSONA_KINDS``): notes (``"memories"``), episodes (live and
  archived), the conversation archive and its session records, and a user's own lessons.
  A persona's conversations stay the persona's: an episode or an archived turn of
  persona B is as much B's as the note B saved from it (the note's text is in B's
  archived tool call), so recalling B's turns for A would show A what B was told.
  What is shared (the user's, whatever the persona): the profile and its history (who the
  user *is* does not change with the agent's persona) and tasks (the user's to-dos).
  Session ownership claims stay ``("session_owners",)``: a session belongs to a user.
* ``"persona"`` and ``"agent_persona"`` are reserved kinds: an application namespace must
  not start with either (one that did would read as a persona's memory).
* An agent's lessons per persona: ``("agent_persona", agent, persona, "agent_lessons")``,
  an agent-scoped kind (``AGENT_KINDS``) like ``("agent_lessons", agent)``: the lessons
  agent ``"travel-bot"`` learns as persona ``"formal"``, shared by its users, never a
  user's (:func:`lesson_namespace`).

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
    "AGENT_PERSONA",
    "LESSONS",
    "PERSONA",
    "PERSONA_KINDS",
    "PERSONA_POSITION",
    "TEAM_KINDS",
    "TEAM_MEMORIES",
    "USER_POSITION",
    "lesson_namespace",
    "namespace_agent",
    "namespace_ids",
    "namespace_kind",
    "namespace_persona",
    "namespace_team",
    "namespace_user",
    "persona_namespace",
    "user_label",
    "user_namespace",
    "user_namespaces",
    "user_personas",
]

USER_POSITION = 1
"""Index of the user id in a namespace: ``(kind, user_id, ...)``."""

LESSONS = "lessons"
"""Kind of a user's own lessons: ``("lessons", user_id)`` (runs without an ``agent_id``)."""

AGENT_LESSONS = "agent_lessons"
"""Kind of an agent's lessons, shared by its users: ``("agent_lessons", agent_id)``."""

AGENT_MEMORIES = "agent_memories"
"""Kind of an agent's private notes: ``("agent_memories", agent_id)``."""


PERSONA = "persona"
"""Kind of a persona's memory: ``("persona", user_id, persona_id, kind, *ids)``."""

AGENT_PERSONA = "agent_persona"
"""Kind of an agent persona's lessons: ``("agent_persona", agent_id, persona_id, kind)``."""

PERSONA_POSITION = 2
"""Index of the persona id in a persona namespace (after the user, or the agent)."""

PERSONA_KINDS = frozenset(
    {"memories", "episodes", "episodes_archive", "archive", "sessions", LESSONS}
)
"""Kinds a persona keeps to itself; the others (profile, tasks) are the user's, shared."""

AGENT_KINDS = frozenset({AGENT_LESSONS, AGENT_MEMORIES, AGENT_PERSONA})
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


def persona_namespace(
    kind: str, user_id: str, persona_id: str | None = None, *ids: str
) -> tuple[str, ...]:
    """The namespace of ``kind`` for a user as a persona: the one builder of persona scope.

    Without a persona (``None``) it is :func:`user_namespace` ``(kind, user_id, *ids)``,
    exactly as before personas; with one, ``("persona", user, persona, kind, *ids)``.
    It does not decide *which* kinds are a persona's (``PERSONA_KINDS``; callers ask
    ``Scope.namespace``, which does).

    Example:
        >>> persona_namespace("memories", "ada", "coach")
        ('persona', 'ada', 'coach', 'memories')
        >>> persona_namespace("archive", "ada", "a.b", "s1")
        ('persona', 'ada', 'a%2Eb', 'archive', 's1')
        >>> persona_namespace("memories", "ada")
        ('memories', 'ada')

    Raises:
        InvalidIdError: If an id is not a valid id.
    """
    if persona_id is None:
        return user_namespace(kind, user_id, *ids)
    return (
        PERSONA,
        user_label(user_id),
        id_label(persona_id, "persona_id"),
        kind,
        *(id_label(i, "session_id") for i in ids),
    )


def namespace_persona(namespace: Sequence[str]) -> str | None:
    """The persona a namespace belongs to (user's or agent's), else None.

    Example:
        >>> namespace_persona(("persona", "ada", "coach", "memories"))
        'coach'
        >>> namespace_persona(("memories", "ada")) is None
        True
    """
    if len(namespace) <= PERSONA_POSITION or namespace[0] not in (PERSONA, AGENT_PERSONA):
        return None
    return label_id(namespace[PERSONA_POSITION])


def namespace_kind(namespace: Sequence[str]) -> str:
    """What a namespace holds, persona or not (its kind under the persona).

    Example:
        >>> namespace_kind(("persona", "ada", "coach", "memories"))
        'memories'
        >>> namespace_kind(("memories", "ada"))
        'memories'
    """
    if namespace and namespace[0] in (PERSONA, AGENT_PERSONA) and len(namespace) > 3:
        return namespace[3]
    return namespace[0] if namespace else ""


def lesson_namespace(
    user_id: str, agent_id: str | None = None, persona_id: str | None = None
) -> tuple[str, ...]:
    """Where lessons of a run are kept: the agent's when it has one, else the user's.

    With a persona, the agent persona's ``("agent_persona", agent, persona,
    "agent_lessons")`` or the user's ``("persona", user, persona, "lessons")``.

    Raises:
        InvalidIdError: If the id used is not a valid id.
    """
    if agent_id:
        agent = id_label(agent_id, "agent_id")
        if persona_id is None:
            return (AGENT_LESSONS, agent)
        return (AGENT_PERSONA, agent, id_label(persona_id, "persona_id"), AGENT_LESSONS)
    return persona_namespace(LESSONS, user_id, persona_id)


def user_personas(store: BaseStore, user_id: str) -> list[str]:
    """The personas holding memories of ``user_id`` (their ids, sorted).

    Raises:
        InvalidIdError: If ``user_id`` is not a valid id.
    """
    listed = list_all_namespaces(store, (PERSONA, user_label(user_id)), PERSONA_POSITION + 1)
    return sorted({label_id(ns[PERSONA_POSITION]) for ns in listed if len(ns) > 2})


def user_namespaces(store: BaseStore, user_id: str) -> list[tuple[str, ...]]:
    """Every namespace of ``store`` that belongs to ``user_id`` (holding items), sorted.

    Raises:
        InvalidIdError: If ``user_id`` is not a valid id.
    """
    listed = list_all_namespaces(store, ("*", user_label(user_id)))
    return sorted(ns for ns in listed if namespace_user(ns) == user_id)

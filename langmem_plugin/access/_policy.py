"""Who may do what: principals, scopes, roles and the policy that joins them.

A **scope** is whose a namespace is (``langmem_plugin._namespaces``): a user's
(``("memories", u)``, ``("profile", u)``... every kind with the user at position 1), an
agent's (``("agent_memories", a)`` private notes, ``("agent_lessons", a)``) or a team's
(``("team_memories", t)``). A **principal** is who asks: the run's user and, when the run
has one, its agent; it holds a permission when either identity does (an agent acting for
Ada reads Ada's memory, as it always has, and its own private notes; a worker agent never
reads another agent's notes unless they were shared with it).

A **role** is a set of actions (``read``, ``write``, ``share``, ``forget``). A principal has:

* ``owner`` on its own scope (the user on its user scope, the agent on its agent scope);
* ``admin`` on every scope when its user is in ``Policy.admins``;
* the role of each grant naming it (``AccessControl.share``): on a whole scope, or on one
  memory (namespace and key), where the role applies to that item alone.

Team scopes have no built-in owner: the application makes one with
``memory.access.share(team_namespace(t), user, role="owner")`` (or ``"member"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langmem_plugin._ids import id_label, validate_id
from langmem_plugin._namespaces import (
    AGENT_MEMORIES,
    TEAM_MEMORIES,
    namespace_agent,
    namespace_team,
    namespace_user,
)
from langmem_plugin.errors import ConfigError

__all__ = [
    "ACTIONS",
    "DEFAULT_ROLES",
    "Action",
    "Policy",
    "Principal",
    "agent_namespace",
    "scope_of",
    "team_namespace",
]

Action = Literal["read", "write", "share", "forget"]
ACTIONS: tuple[Action, ...] = ("read", "write", "share", "forget")

DEFAULT_ROLES: Mapping[str, frozenset[str]] = {
    "owner": frozenset(ACTIONS),
    "admin": frozenset(ACTIONS),
    "member": frozenset({"read", "write"}),
    "writer": frozenset({"read", "write"}),
    "reader": frozenset({"read"}),
}
"""Roles and their actions. ``member`` and ``writer`` are alike by default; a policy may
tell them apart (``Policy(roles={"member": {"read"}})``)."""

ScopeRef = tuple[str, str]
"""``(scope kind, id)``: ``("user", u)``, ``("agent", a)`` or ``("team", t)``."""


def team_namespace(team_id: str) -> tuple[str, str]:
    """The namespace of a team's shared memory: ``("team_memories", team_label)``."""
    return (TEAM_MEMORIES, id_label(team_id, "team_id"))


def agent_namespace(agent_id: str) -> tuple[str, str]:
    """The namespace of an agent's private notes: ``("agent_memories", agent_label)``."""
    return (AGENT_MEMORIES, id_label(agent_id, "agent_id"))


def scope_of(namespace: Sequence[str]) -> ScopeRef | None:
    """Whose a namespace is, as ``(kind, id)``; None for the library's own namespaces."""
    team = namespace_team(namespace)
    if team is not None:
        return ("team", team)
    agent = namespace_agent(namespace)
    if agent is not None:
        return ("agent", agent)
    user = namespace_user(namespace)
    return ("user", user) if user is not None else None


def describe_scope(namespace: Sequence[str], key: str | None = None) -> str:
    """``"team 'research'"``, ``"memory 'k' of user 'bob'"``: a scope for a message."""
    ref = scope_of(namespace)
    whose = f"{ref[0]} {ref[1]!r}" if ref else f"namespace {tuple(namespace)!r}"
    return f"memory {key!r} of {whose}" if key else whose


@dataclass(frozen=True)
class Principal:
    """Who asks: a user, optionally acting as an agent (a run's ``Scope``).

    Attributes:
        user_id: The run's user (None for an agent acting for nobody, e.g. a deployment).
        agent_id: The run's agent, when it has one.
    """

    user_id: str | None = None
    agent_id: str | None = None

    def __post_init__(self) -> None:
        if self.user_id is None and self.agent_id is None:
            raise ConfigError("a Principal needs a user_id or an agent_id")
        if self.user_id is not None:
            validate_id(self.user_id, "user_id")
        if self.agent_id is not None:
            validate_id(self.agent_id, "agent_id")

    @classmethod
    def of(cls, who: Any) -> Principal:
        """A principal from a ``Principal``, a run ``Scope`` (user and agent) or a user id."""
        if isinstance(who, Principal):
            return who
        if isinstance(who, str):
            return cls(user_id=who)
        return cls(user_id=getattr(who, "user_id", None), agent_id=getattr(who, "agent_id", None))

    @property
    def identities(self) -> list[ScopeRef]:
        """``[("user", u), ("agent", a)]``: each identity a permission may be held by."""
        out: list[ScopeRef] = []
        if self.user_id is not None:
            out.append(("user", self.user_id))
        if self.agent_id is not None:
            out.append(("agent", self.agent_id))
        return out

    def __str__(self) -> str:
        if self.user_id is None:
            return f"agent {self.agent_id!r}"
        agent = f" as agent {self.agent_id!r}" if self.agent_id else ""
        return f"user {self.user_id!r}{agent}"


@dataclass(frozen=True)
class Policy:
    """The roles and who is an administrator.

    Attributes:
        roles: Role name to the actions it allows (default ``DEFAULT_ROLES``).
        admins: User ids with the ``admin`` role on every scope.

    Example:
        >>> policy = Policy(admins=frozenset({"ops"}), roles={"member": {"read"}})
        >>> sorted(policy.actions("member"))
        ['read']
    """

    roles: Mapping[str, frozenset[str] | set[str]] = field(default_factory=lambda: {})
    admins: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        merged = {**DEFAULT_ROLES, **{k: frozenset(v) for k, v in self.roles.items()}}
        for role, actions in merged.items():
            unknown = set(actions) - set(ACTIONS)
            if unknown:
                raise ConfigError(
                    f"role {role!r} names unknown actions {sorted(unknown)}; known: {ACTIONS}"
                )
        object.__setattr__(self, "roles", merged)
        object.__setattr__(self, "admins", frozenset(self.admins))

    def actions(self, role: str) -> frozenset[str]:
        """The actions of ``role``.

        Raises:
            ConfigError: If the role is unknown.
        """
        try:
            return frozenset(self.roles[role])
        except KeyError:
            raise ConfigError(f"unknown role {role!r}; known: {sorted(self.roles)}") from None

"""``AccessControl``: grants kept in the store, checked on every read and write path.

Grants are store items under ``("access_grants",)`` (one label: a namespace of the
library's own that names no user, like ``("session_owners",)``), one per (scope or memory,
grantee), stored with ``index=False``. A grant is read from the store at every check, so a
revocation made by another process holding the same store takes effect at once.

Every share and unshare is an audit event (``share`` / ``unshare``, the grantee and role in
``detail``) and so is every refusal (``denied``, the action in ``detail``); never content.

Forgetting a user (``Memory.forget_user``) removes every grant to or of them (their scope's
shares, their memberships) and the items they wrote in team scopes (``written_by``); what
other users wrote in a team stays.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langgraph.store.base import BaseStore, Item, SearchItem

from langmem_plugin._audit import log_of
from langmem_plugin._namespaces import TEAM_MEMORIES, user_namespace
from langmem_plugin._paging import list_all_namespaces, search_all
from langmem_plugin.access._policy import (
    Policy,
    Principal,
    ScopeRef,
    agent_namespace,
    describe_scope,
    scope_of,
)
from langmem_plugin.errors import AccessDeniedError
from langmem_plugin.retriever import MemoryRetriever

__all__ = ["GRANTS", "POLICY", "AccessControl", "Grant"]

GRANTS = ("access_grants",)
"""Where grants are kept."""

POLICY = ("access_policy",)
"""Where ``Memory.configure_access`` keeps the policy (key ``"policy"``)."""

Grant = dict[str, Any]
"""A grant's value: ``scope``/``scope_id``, ``namespace`` and ``key`` (one memory, else
None), ``to_kind``/``to_id`` (the grantee) and ``role``."""


def _grant_key(scope: ScopeRef, namespace: Sequence[str] | None, key: str | None,
               to: ScopeRef) -> str:  # fmt: skip
    text = json.dumps([scope, list(namespace) if key and namespace else None, key, to])
    return hashlib.sha256(text.encode()).hexdigest()


class AccessControl:
    """The access policy of a store, with its grants; ``memory.access`` on a ``Memory``.

    Args:
        store: The store whose namespaces it guards (and keeps its grants in).
        policy: Roles and administrators (default ``Policy()``).

    Example:
        ```python
        from langmem_plugin.access import Principal, team_namespace

        team = team_namespace("research")
        memory.access.share(team, "ada", role="owner")  # application code: trusted
        memory.access.share(team, "bob", role="member", by="ada")  # ada may share
        memory.access.put("bob", team, "k1", {"content": "the deadline is Friday"})
        memory.access.search(Principal("eve"), team, query="deadline")  # AccessDeniedError
        ```
    """

    def __init__(self, store: BaseStore, policy: Policy | None = None) -> None:
        self.store = store
        self.policy = policy or Policy()

    # ------------------------------------------------------------------ grants
    def share(
        self,
        namespace: Sequence[str],
        to: Principal | str | Any,
        *,
        role: str = "reader",
        key: str | None = None,
        by: Principal | str | Any | None = None,
    ) -> None:
        """Grant ``to`` a role on a whole scope, or on one memory (``key``); audited.

        Args:
            namespace: A namespace of the scope (``team_namespace(t)``, ``("memories", u)``).
            to: The grantee: a ``Principal`` (its agent when it has one, else its user), a
                user id, or a run ``Scope``.
            role: A role of the policy (``reader``, ``writer``, ``member``, ``owner``...).
            key: Share only this memory of ``namespace``.
            by: Who shares; must hold ``share`` on the scope. None: the application itself.

        Raises:
            AccessDeniedError: If ``by`` may not share this scope.
            ConfigError: If the role is unknown or the namespace names no scope.
        """
        self.policy.actions(role)
        scope = self._scope(namespace)
        if by is not None:
            self.check(by, "share", namespace, key)
        grantee = self._grantee(to)
        value = {
            "scope": scope[0],
            "scope_id": scope[1],
            "namespace": list(namespace) if key else None,
            "key": key,
            "to_kind": grantee[0],
            "to_id": grantee[1],
            "role": role,
            "granted_at": datetime.now(UTC).isoformat(),
        }
        self.store.put(GRANTS, _grant_key(scope, namespace, key, grantee), value, index=False)
        self._audit(namespace, key, "share", by, {"to": list(grantee), "role": role})

    def unshare(
        self,
        namespace: Sequence[str],
        to: Principal | str | Any,
        *,
        key: str | None = None,
        by: Principal | str | Any | None = None,
    ) -> bool:
        """Withdraw a grant made by :meth:`share`; audited. True when there was one.

        Raises:
            AccessDeniedError: If ``by`` may not share this scope.
        """
        scope = self._scope(namespace)
        if by is not None:
            self.check(by, "share", namespace, key)
        grant_key = _grant_key(scope, namespace, key, self._grantee(to))
        found = self.store.get(GRANTS, grant_key) is not None
        if found:
            self.store.delete(GRANTS, grant_key)
            self._audit(namespace, key, "unshare", by, {"to": list(self._grantee(to))})
        return found

    def grants(self) -> list[Grant]:
        """Every grant, as stored."""
        return [item.value for item in search_all(self.store, GRANTS)]

    def _grants_to(self, principal: Principal) -> list[Grant]:
        out: list[Grant] = []
        for kind, ident in principal.identities:
            found = search_all(self.store, GRANTS, filter={"to_kind": kind, "to_id": ident})
            out += [item.value for item in found]
        return out

    # ------------------------------------------------------------------ checks
    def _roles(self, principal: Principal, namespace: Sequence[str], key: str | None) -> set[str]:
        """Roles on the whole scope, plus (with ``key``) the roles on that one memory."""
        scope = scope_of(namespace)
        roles: set[str] = set()
        if principal.user_id is not None and principal.user_id in self.policy.admins:
            roles.add("admin")
        if scope is None:
            return roles
        if scope in principal.identities:
            roles.add("owner")
        for grant in self._grants_to(principal):
            if (grant["scope"], grant["scope_id"]) != scope:
                continue
            if grant["key"] is None or (
                key is not None
                and grant["key"] == key
                and tuple(grant["namespace"]) == tuple(namespace)
            ):
                roles.add(grant["role"])
        return roles

    def allowed(
        self, who: Principal | str | Any, action: str, namespace: Sequence[str],
        key: str | None = None,
    ) -> bool:  # fmt: skip
        """Whether ``who`` may do ``action`` on the scope of ``namespace`` (or its ``key``)."""
        principal = Principal.of(who)
        return any(action in self.policy.actions(r) for r in self._roles(principal, namespace, key))

    def check(
        self, who: Principal | str | Any, action: str, namespace: Sequence[str],
        key: str | None = None,
    ) -> None:  # fmt: skip
        """Raise unless ``who`` may do ``action``; a refusal is audited as ``denied``.

        Raises:
            AccessDeniedError: Naming the principal, the action and the scope.
        """
        principal = Principal.of(who)
        if not self.allowed(principal, action, namespace, key):
            detail = {"action": action, "by": [list(i) for i in principal.identities]}
            self._audit(namespace, key, "denied", principal, detail)
            raise AccessDeniedError(str(principal), action, describe_scope(namespace, key))

    def readable_keys(
        self, who: Principal | str | Any, namespace: Sequence[str]
    ) -> set[str] | None:
        """None when ``who`` may read the whole scope, else the keys shared with it there.

        Raises:
            AccessDeniedError: If it may read nothing in ``namespace``.
        """
        principal = Principal.of(who)
        if self.allowed(principal, "read", namespace):
            return None
        keys = {
            g["key"]
            for g in self._grants_to(principal)
            if g["key"] is not None
            and tuple(g["namespace"]) == tuple(namespace)
            and "read" in self.policy.actions(g["role"])
        }
        if not keys:
            self.check(principal, "read", namespace)  # raises, audited
        return keys

    def shared_sources(
        self, who: Principal | str | Any
    ) -> list[tuple[tuple[str, ...], set[str] | None]]:
        """What recall and ``search_memory`` add to a run's own memory, beyond the user's.

        The agent's private notes, the notes of every team scope and user scope it may
        read, and every single memory shared with it: ``(namespace, keys or None)``.
        """
        principal = Principal.of(who)
        out: dict[tuple[str, ...], set[str] | None] = {}
        if principal.agent_id is not None:
            out[agent_namespace(principal.agent_id)] = None
        for grant in self._grants_to(principal):
            if "read" not in self.policy.actions(grant["role"]):
                continue
            if grant["key"] is not None:
                ns = tuple(grant["namespace"])
                if out.get(ns, set()) is not None:
                    out.setdefault(ns, set()).add(grant["key"])  # type: ignore[union-attr]
                continue
            ns = _notes_of((grant["scope"], grant["scope_id"]))
            if ns != user_namespace("memories", principal.user_id or "-"):
                out[ns] = None
        return list(out.items())

    # ------------------------------------------------------------------ enforced store API
    def search(
        self,
        who: Principal | str | Any,
        namespace: Sequence[str],
        *,
        query: str | None = None,
        limit: int = 10,
        filter: dict[str, Any] | None = None,
    ) -> list[SearchItem]:
        """``store.search`` of ``namespace`` as ``who``: the whole scope or what was shared.

        Raises:
            AccessDeniedError: If ``who`` may read nothing there (nothing is searched).
        """
        keys = self.readable_keys(who, namespace)
        ns = tuple(namespace)
        if keys is None:
            return self.store.search(ns, query=query, limit=limit, filter=filter)
        found = self.store.search(ns, query=query, limit=max(limit, 1) * 10, filter=filter)
        return [item for item in found if item.key in keys and item.namespace == ns][:limit]

    def get(self, who: Principal | str | Any, namespace: Sequence[str], key: str) -> Item | None:
        """``store.get`` as ``who``.

        Raises:
            AccessDeniedError: If ``who`` may not read this memory.
        """
        self.check(who, "read", namespace, key)
        return self.store.get(tuple(namespace), key)

    def put(
        self, who: Principal | str | Any, namespace: Sequence[str], key: str,
        value: dict[str, Any],
    ) -> None:  # fmt: skip
        """``store.put`` as ``who``; in a team scope the value records ``written_by``.

        Raises:
            AccessDeniedError: If ``who`` may not write here.
        """
        principal = Principal.of(who)
        self.check(principal, "write", namespace, key)
        if namespace[0] == TEAM_MEMORIES and principal.user_id is not None:
            value = {**value, "written_by": principal.user_id}
        self.store.put(tuple(namespace), key, value)

    def delete(self, who: Principal | str | Any, namespace: Sequence[str], key: str) -> None:
        """``store.delete`` as ``who`` (the ``forget`` action).

        Raises:
            AccessDeniedError: If ``who`` may not forget this memory.
        """
        self.check(who, "forget", namespace, key)
        self.store.delete(tuple(namespace), key)

    def retriever(
        self, who: Principal | str | Any, namespace: Sequence[str], **options: Any
    ) -> BaseRetriever:
        """A ``MemoryRetriever`` over ``namespace`` as ``who`` (only what it may read).

        Raises:
            AccessDeniedError: If ``who`` may read nothing there.
        """
        keys = self.readable_keys(who, namespace)
        inner = MemoryRetriever(store=self.store, namespace=tuple(namespace), **options)
        if keys is None:
            return inner
        return SharedItemsRetriever(inner=inner, keys=frozenset(keys))

    # ------------------------------------------------------------------ forget
    def forget_user(self, user_id: str) -> int:
        """Remove every grant to or of ``user_id`` and their items in team scopes.

        Returns:
            How many items (grants and team memories) were removed.
        """
        removed = 0
        for item in search_all(self.store, GRANTS):
            g = item.value
            if (g["to_kind"], g["to_id"]) == ("user", user_id) or (
                (g["scope"], g["scope_id"]) == ("user", user_id)
            ):
                self.store.delete(GRANTS, item.key)
                removed += 1
        if user_id in self.policy.admins:
            from langmem_plugin.access._features import save_policy

            self.policy = Policy(roles=self.policy.roles, admins=self.policy.admins - {user_id})
            if self.store.get(POLICY, "policy") is not None:
                save_policy(self.store, self.policy)
        for ns in list_all_namespaces(self.store, (TEAM_MEMORIES,)):
            for item in search_all(self.store, ns, filter={"written_by": user_id}):
                self.store.delete(ns, item.key)
                removed += 1
        return removed

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _scope(namespace: Sequence[str]) -> ScopeRef:
        from langmem_plugin.errors import ConfigError

        scope = scope_of(namespace)
        if scope is None:
            raise ConfigError(f"namespace {tuple(namespace)!r} belongs to no user, agent or team")
        return scope

    @staticmethod
    def _grantee(to: Principal | str | Any) -> ScopeRef:
        principal = Principal.of(to)
        return principal.identities[-1]  # the agent when there is one, else the user

    def _audit(self, namespace: Sequence[str], key: str | None, operation: str,
               who: Any, detail: dict[str, Any]) -> None:  # fmt: skip
        log = log_of(self.store)
        if log is None:
            return
        user = Principal.of(who).user_id if who is not None else None
        log.record([(tuple(namespace), key or "", operation)], user_id=user, detail=detail)


def _notes_of(scope: ScopeRef) -> tuple[str, ...]:
    kind, ident = scope
    if kind == "team":
        from langmem_plugin.access._policy import team_namespace

        return team_namespace(ident)
    if kind == "agent":
        return agent_namespace(ident)
    return user_namespace("memories", ident)


class SharedItemsRetriever(BaseRetriever):
    """A retriever that returns only the memories shared one by one (``keys``)."""

    inner: MemoryRetriever
    keys: frozenset[str]

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,  # noqa: ARG002 -- BaseRetriever's signature
        **kwargs: Any,
    ) -> list[Document]:
        k = int(kwargs.get("k", self.inner.k))
        docs = self.inner.invoke(query, k=max(k, 1) * 10)
        return [d for d in docs if str(d.metadata.get("key")) in self.keys][:k]

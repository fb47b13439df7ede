"""``AccessFeatures``: ``memory.access`` and ``memory.configure_access`` on a ``Memory``."""

from __future__ import annotations

import threading
from typing import Any

from langgraph.store.base import BaseStore

from langmem_plugin.access._control import POLICY, AccessControl
from langmem_plugin.access._policy import Policy

__all__ = ["AccessFeatures", "load_policy", "save_policy"]


def save_policy(store: BaseStore, policy: Policy) -> None:
    """Keep ``policy`` in the store (``("access_policy",)``, key ``"policy"``)."""
    value = {
        "roles": {role: sorted(actions) for role, actions in policy.roles.items()},
        "admins": sorted(policy.admins),
    }
    store.put(POLICY, "policy", value, index=False)


def load_policy(store: BaseStore) -> Policy:
    """The policy kept in the store, else ``Policy()``."""
    item = store.get(POLICY, "policy")
    if item is None:
        return Policy()
    roles = {role: set(actions) for role, actions in item.value["roles"].items()}
    return Policy(roles=roles, admins=frozenset(item.value["admins"]))


class AccessFeatures:
    """Mixin: the access control of a ``Memory``'s store (see ``langmem_plugin.access``).

    Recall and the memory tools of the ``Memory`` draw on it: a run reads what is its own
    plus what the policy and the grants let its user or agent read.
    """

    store: BaseStore
    _access: AccessControl | None = None
    _access_guard = threading.Lock()

    @property
    def access(self) -> AccessControl:
        """The memory's ``AccessControl`` (grants kept in its store; ``Policy()`` by default)."""
        if self._access is None:
            with self._access_guard:
                if self._access is None:
                    self._access = AccessControl(self.store, load_policy(self.store))
        return self._access

    def configure_access(self, policy: Policy) -> AccessControl:
        """Set the access policy (roles, admins), kept in the store; grants are kept.

        Every process that opens the store (the CLI, the inspector, the MCP server) reads
        the same policy from it.
        """
        self.access.policy = policy
        save_policy(self.store, policy)
        return self.access

    def _attach_access(self, runtime: Any) -> None:
        """Give recall the run's shared sources (called when the features are built)."""
        access = self.access
        runtime.recall.shared = access.shared_sources

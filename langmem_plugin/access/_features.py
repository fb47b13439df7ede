"""``AccessFeatures``: ``memory.access`` and ``memory.configure_access`` on a ``Memory``."""

from __future__ import annotations

import threading
from typing import Any

from langgraph.store.base import BaseStore

from langmem_plugin.access._control import AccessControl
from langmem_plugin.access._policy import Policy

__all__ = ["AccessFeatures"]


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
                    self._access = AccessControl(self.store)
        return self._access

    def configure_access(self, policy: Policy) -> AccessControl:
        """Set the access policy (roles, admins); grants already made are kept."""
        self.access.policy = policy
        return self.access

    def _attach_access(self, runtime: Any) -> None:
        """Give recall the run's shared sources (called when the features are built)."""
        access = self.access
        runtime.recall.shared = access.shared_sources

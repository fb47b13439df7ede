"""Memory shared between users, agents and teams, under an access policy.

See ``_policy`` (scopes, principals, roles) and ``_control`` (grants, enforced store API).
"""

from langmem_plugin.access._control import GRANTS, AccessControl, SharedItemsRetriever
from langmem_plugin.access._features import AccessFeatures
from langmem_plugin.access._langgraph import store_auth_handler
from langmem_plugin.access._policy import (
    ACTIONS,
    DEFAULT_ROLES,
    Policy,
    Principal,
    agent_namespace,
    scope_of,
    team_namespace,
)

__all__ = [
    "ACTIONS",
    "DEFAULT_ROLES",
    "GRANTS",
    "AccessControl",
    "AccessFeatures",
    "Policy",
    "Principal",
    "SharedItemsRetriever",
    "agent_namespace",
    "scope_of",
    "store_auth_handler",
    "team_namespace",
]

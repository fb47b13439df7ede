"""The same access rules for a deployed graph: a LangGraph Platform ``@auth.on.store`` handler.

LangGraph Platform (``langgraph_sdk.Auth``) calls a store handler before every store
operation of a deployment, with the authenticated user (``ctx.user.identity``) and the
operation's value (``namespace``, ``key``...). :func:`store_auth_handler` answers from an
``AccessControl``, so a deployed graph gets the rules of ``memory.access``:

* ``get`` and ``search`` need ``read`` on the namespace's scope (``search`` the whole scope:
  a store search cannot be cut down to single shared memories from a handler);
* ``put`` needs ``write`` (``forget`` when the value is None), ``delete`` needs ``forget``;
* ``list_namespaces`` needs ``read`` on its prefix's scope; without a prefix (or one that
  names no scope), only an administrator may list.

The principal is ``Principal(user_id=ctx.user.identity)``; a permission ``"agent:<id>"`` in
``ctx.permissions`` makes it act as that agent too. A refusal raises the SDK's
``Auth.exceptions.HTTPException`` (403) whose detail is the ``AccessDeniedError`` message.

Example:
    ```python
    from langgraph_sdk import Auth
    from langmem_plugin.access import store_auth_handler

    auth = Auth()
    auth.on.store()(store_auth_handler(memory.access))
    ```
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from langmem_plugin.access._control import AccessControl
from langmem_plugin.access._policy import Principal, describe_scope, scope_of
from langmem_plugin.errors import AccessDeniedError

__all__ = ["store_auth_handler"]

_ACTIONS = {"get": "read", "search": "read", "list_namespaces": "read", "delete": "forget"}


def _principal(ctx: Any) -> Principal:
    agents = [p.partition(":")[2] for p in (ctx.permissions or ()) if p.startswith("agent:")]
    return Principal(user_id=str(ctx.user.identity), agent_id=agents[0] if agents else None)


def _decide(access: AccessControl, ctx: Any, value: dict[str, Any]) -> bool:
    principal = _principal(ctx)
    action = ctx.action
    namespace = tuple(value.get("namespace") or ())
    if action == "put":
        needed = "forget" if value.get("value") is None else "write"
    else:
        needed = _ACTIONS.get(action, "read")
    if action == "list_namespaces" and (not namespace or scope_of(namespace) is None):
        if principal.user_id in access.policy.admins:
            return True
        raise AccessDeniedError(str(principal), "list", "namespaces without a scope prefix")
    key = value.get("key") if action in ("get", "put", "delete") else None
    if scope_of(namespace) is None and principal.user_id not in access.policy.admins:
        raise AccessDeniedError(str(principal), needed, describe_scope(namespace))
    access.check(principal, needed, namespace, key)
    return True


def store_auth_handler(access: AccessControl) -> Callable[[Any, dict[str, Any]], Awaitable[bool]]:
    """An ``@auth.on.store()`` handler that applies ``access``'s policy and grants.

    Args:
        access: The access control (``memory.access``) whose grants and policy decide.

    Returns:
        ``async (ctx, value) -> True``; raises ``HTTPException(403)`` on a refusal.
    """
    from langgraph_sdk import Auth

    async def handler(ctx: Any, value: dict[str, Any]) -> bool:
        try:
            return await asyncio.to_thread(_decide, access, ctx, value)
        except AccessDeniedError as error:
            raise Auth.exceptions.HTTPException(status_code=403, detail=str(error)) from error

    return handler

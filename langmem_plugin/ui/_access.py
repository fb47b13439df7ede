"""The inspector's ``/access`` page: the grants, and a scope read as a user or agent.

``/access?scope=team:research&as=bob&as_agent=w1&q=deadline`` searches the scope through
``memory.access`` as that principal, so the page shows what the policy lets them see; a
refusal is a 403 page with the ``AccessDeniedError`` message, and nothing of the scope.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from langmem_plugin.access import Principal
from langmem_plugin.errors import AccessDeniedError, LangMemError
from langmem_plugin.nodes._context import Scope

__all__ = ["read_as"]


def read_as(pages: Any, request: Request) -> Response:
    """Render ``access.html`` for the request (see the module docstring)."""
    from langmem_plugin.tools import scope_namespace

    params = request.query_params
    scope, as_user, as_agent = (
        params.get("scope", ""),
        params.get("as", ""),
        params.get("as_agent", ""),
    )
    query = params.get("q", "")
    memory = pages.memory
    context: dict[str, Any] = {
        "scope": scope, "as_user": as_user, "as_agent": as_agent, "query": query,
        "items": None, "refused": "", "grants": memory.access.grants(),
    }  # fmt: skip
    status = 200
    if scope and (as_user or as_agent):
        try:
            who = Principal(as_user or None, as_agent or None)
            namespace = scope_namespace(scope, Scope("-"))
            context["items"] = memory.access.search(who, namespace, query=query or None)
        except AccessDeniedError as error:
            context["refused"], status = str(error), 403
        except (LangMemError, ValueError) as error:
            return pages.error(request, f"access: {error}")
    return pages.render(request, "access.html", status=status, **context)

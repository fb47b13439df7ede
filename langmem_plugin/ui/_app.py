"""The inspector's Starlette application: routes, templates and the write actions.

Pages are rendered on the server with Jinja2 (autoescaping on for every template, so a
memory holding ``<script>`` shows as text) and use plain HTML forms: no script, no build
step, nothing fetched from the network. Endpoints are plain functions, which Starlette runs
in its thread pool: the ``Memory`` API they call is synchronous and thread-safe.

Write actions answer with a redirect to the page they came from (post/redirect/get), with a
short notice in the address. Every write runs under ``audit_source("ui")``, so the audit
log says the inspector made it. Forgetting a user or a topic calls ``Memory.forget_user``
and ``Memory.forget``: the code ``langmem forget`` runs, files scrubbed included.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from langmem_plugin._admin._known import require_user
from langmem_plugin._audit import audit_source
from langmem_plugin.errors import EntityNotFoundError, UnknownUserError
from langmem_plugin.memory import Memory
from langmem_plugin.tasks._store import TRANSITIONS
from langmem_plugin.ui import _data, _knowledge, _trend_pages
from langmem_plugin.ui._http import local_path
from langmem_plugin.ui._metrics import metrics_routes
from langmem_plugin.ui._security import CSRF_FIELD, GuardedApp

__all__ = ["create_app"]

_HERE = Path(__file__).parent
_MAX_QUERY = 2000


def _templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=True,  # every template, whatever its name
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["ns"] = _data.namespace_token
    env.globals["user_url"] = lambda user: "/users/" + quote(user, safe="")
    env.globals["csrf_field"] = CSRF_FIELD
    return Jinja2Templates(env=env)


def _fmt(value: object, spec: str = ".3f") -> str:
    """A number as ``spec``; anything else (a field an older or foreign item lacks) as ``-``.

    A page shows what the store holds, and an item written by another version or by an
    application may miss a number the page formats; that must not take the page down.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "-"
    return format(value, spec)


class _Pages:
    """The endpoints, bound to one memory."""

    def __init__(self, memory: Memory, templates: Jinja2Templates) -> None:
        self.memory = memory
        self.templates = templates

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("notice", request.query_params.get("notice", "")[:300])
        context["csrf"] = request.state.csrf
        context["read_only"] = request.state.read_only
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def error(self, request: Request, message: str, status: int = 400) -> Response:
        return self.render(request, "error.html", status=status, message=message)

    # ------------------------------------------------------------------ pages
    def users(self, request: Request) -> Response:
        return self.render(request, "users.html", rows=_data.list_user_rows(self.memory))

    def user(self, request: Request) -> Response:
        user_id = _path_user(request)
        try:
            require_user(self.memory, user_id)
            page = _data.user_page(self.memory, user_id)
        except UnknownUserError as error:
            return self.error(request, str(error), 404)
        except ValueError as error:
            return self.error(request, str(error))
        return self.render(
            request, "user.html", page=page, user_id=user_id, transitions=TRANSITIONS
        )

    def _entity_page(self, request: Request) -> _knowledge.EntityPage | Response:
        """The entity page's data for ``?user=&id=``, or the error page to answer instead."""
        user_id = request.query_params.get("user", "")
        try:
            require_user(self.memory, user_id)
            return _knowledge.entity_page(self.memory, user_id, request.query_params.get("id", ""))
        except (UnknownUserError, EntityNotFoundError) as error:
            return self.error(request, str(error), 404)
        except ValueError as error:
            return self.error(request, str(error))

    def entity(self, request: Request) -> Response:
        page = self._entity_page(request)
        if isinstance(page, Response):
            return page
        user_id = request.query_params.get("user", "")
        query = urlencode({"user": user_id, "id": page.entity.id})
        return self.render(request, "entity.html", page=page, user_id=user_id, svg_query=query)

    def entity_svg(self, request: Request) -> Response:
        page = self._entity_page(request)
        if isinstance(page, Response):
            return page
        return Response(_knowledge.network_svg(page), media_type="image/svg+xml")

    def search(self, request: Request) -> Response:
        params = request.query_params
        user_id = params.get("user", "")
        query = params.get("q", "")[:_MAX_QUERY]
        message = params.get("message", "")[:_MAX_QUERY]
        try:
            sections = _data.search_memories(self.memory, user_id, query) if query else {}
            view = _data.agent_view(self.memory, user_id, message) if message.strip() else None
        except ValueError as error:
            return self.error(request, str(error))
        return self.render(
            request,
            "search.html",
            user_id=user_id,
            query=query,
            message=message,
            sections=sections,
            view=view,
        )

    def forget_user_page(self, request: Request) -> Response:
        user_id = request.query_params.get("user", "")
        try:
            report = self.memory.forget_user(user_id, dry_run=True)
        except ValueError as error:
            return self.error(request, str(error))
        return self.render(request, "forget_user.html", user_id=user_id, report=report)

    def forget_query_page(self, request: Request) -> Response:
        user_id = request.query_params.get("user", "")
        query = request.query_params.get("q", "")[:_MAX_QUERY]
        try:
            report = self.memory.forget(user_id, query=query) if query.strip() else None
        except ValueError as error:
            return self.error(request, str(error))
        return self.render(
            request, "forget_query.html", user_id=user_id, query=query, report=report
        )

    def audit_page(self, request: Request) -> Response:
        params = request.query_params
        user_id, since_text = params.get("user", ""), params.get("since", "").strip()
        try:
            limit = int(params.get("limit", "100"))
            since = datetime.fromisoformat(since_text) if since_text else None
            if since is not None and since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            events = self.memory.audit(user_id, since=since, limit=max(1, min(limit, 10_000)))
        except ValueError as error:
            return self.error(request, f"audit: {error}")
        return self.render(
            request, "audit.html", user_id=user_id, events=events, since=since_text, limit=limit
        )

    def trends(self, request: Request) -> Response:
        user_id = request.query_params.get("user", "")
        try:
            require_user(self.memory, user_id)
            page = _trend_pages.trends_page(self.memory, user_id)
        except UnknownUserError as error:
            return self.error(request, str(error), 404)
        except ValueError as error:
            return self.error(request, f"trends: {error}")
        return self.render(request, "trends.html", page=page, user_id=user_id)

    def health(self, request: Request) -> Response:
        try:
            days = int(request.query_params.get("days", "30"))
            page = _trend_pages.health_page(self.memory, max(1, min(days, 366)))
        except ValueError as error:
            return self.error(request, f"health: {error}")
        return self.render(request, "health.html", page=page, days=len(page.health.days))

    def access_page(self, request: Request) -> Response:
        """Grants, and one scope read as a principal (a refusal is a 403 with the message)."""
        from langmem_plugin.ui._access import read_as

        return read_as(self, request)

    # ------------------------------------------------------------------ actions
    async def action(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        name = request.path_params["name"]
        handler = {
            "edit-fact": self._edit_fact,
            "delete-fact": self._delete_fact,
            "rollback": self._rollback,
            "forget-item": self._forget_item,
            "forget-user": self._forget_user,
            "forget-query": self._forget_query,
            "task-status": self._task_status,
        }.get(name)
        if handler is None:
            return self.error(request, f"no action {name!r}", 404)

        def run() -> tuple[str, str]:
            assert handler is not None
            with audit_source("ui", user_id=form.get("user") or None):
                return handler(form)

        try:
            target, notice = await run_in_threadpool(run)
        except (ValueError, KeyError, LookupError) as error:
            return self.error(request, f"{name}: {error}")
        back = _safe_back(form.get("back", ""), target)
        joiner = "&" if "?" in back else "?"
        return RedirectResponse(back + joiner + urlencode({"notice": notice}), 303)

    def _edit_fact(self, form: dict[str, str]) -> tuple[str, str]:
        user, category = form["user"], form["category"]
        version = _data.edit_fact(self.memory, user, category, form["old"], form["value"])
        return _user_url(user), f"{category} changed (profile version {version})"

    def _delete_fact(self, form: dict[str, str]) -> tuple[str, str]:
        user, category = form["user"], form["category"]
        version = _data.delete_fact(self.memory, user, category, form["old"])
        return _user_url(user), f"{category}: {form['old']} deleted (profile version {version})"

    def _rollback(self, form: dict[str, str]) -> tuple[str, str]:
        user = form["user"]
        try:
            version = int(form["version"])
        except ValueError as error:
            raise ValueError(f"version must be a number, got {form['version']!r}") from error
        change = self.memory.rollback_profile(user, version)
        return _user_url(user), f"profile rolled back to version {version} (now {change.version})"

    def _forget_item(self, form: dict[str, str]) -> tuple[str, str]:
        user = form["user"]
        namespace = _data.parse_namespace_token(form["namespace"], user)
        found = _data.forget_item(self.memory, user, namespace, form["key"])
        return _user_url(user), "memory forgotten" if found else "that memory was already gone"

    def _forget_user(self, form: dict[str, str]) -> tuple[str, str]:
        user = form["user"]
        if form.get("confirm", "") != user:
            raise ValueError(f"type the user id {user!r} exactly to confirm")
        report = self.memory.forget_user(user)
        return "/", (
            f"forgot {user}: {report.total_items} items, {len(report.sessions)} sessions, "
            f"{len(report.threads)} threads"
        )

    def _task_status(self, form: dict[str, str]) -> tuple[str, str]:
        user, task_id, status = form["user"], form["task"], form["status"]
        note = form.get("note", "").strip()[:500] or None
        task = self.memory.tasks.update(user, task_id, status=status, note=note)
        return _user_url(user), f"task {task.description[:60]!r} is now {task.status}"

    def not_found(self, request: Request, exc: Exception) -> Response:
        """Unknown addresses (404) and methods (405): the inspector's own error page."""
        status = int(getattr(exc, "status_code", 404))
        if status == 405:
            return self.error(
                request, f"{request.method} is not allowed on {request.url.path}", 405
            )
        return self.error(request, f"no page at {request.url.path}", 404)

    def _forget_query(self, form: dict[str, str]) -> tuple[str, str]:
        user = form["user"]
        report = self.memory.forget(user, query=form["query"], dry_run=False)
        return _user_url(user), (
            f"forgot {report.removed} items and {len(report.threads)} threads' checkpoints"
        )


def _user_url(user_id: str) -> str:
    return "/users/" + quote(user_id, safe="")


def _path_user(request: Request) -> str:
    """The user id of a ``/users/<id>`` URL, its percent-encoding undone exactly once.

    Read from the request's raw path (the bytes the client sent): a server or test client
    that hands the route an already decoded path may decode it twice, which would turn the
    page of user ``a%2Eb`` (``/users/a%252Eb``) into the page of ``a.b``.
    """
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes):
        _, found, encoded = raw.decode("latin-1").partition("/users/")
        if found and encoded:
            return unquote(encoded)
    return str(request.path_params["user_id"])


def _safe_back(back: str, default: str) -> str:
    """Where to go after an action: a local path from the form, else ``default``."""
    return local_path(back) or default


def create_app(
    memory: Memory,
    *,
    read_only: bool = False,
    token: str | None = None,
    frame_ancestors: str = "'self'",
) -> Starlette:
    """Build the memory inspector's ASGI application.

    Serve it with uvicorn (``langmem ui`` and ``Memory.inspect`` do). It does not own the
    memory: close the memory yourself after the server stops.

    Args:
        memory: The memory to show (and correct, unless ``read_only``).
        read_only: Hide every form that changes data and refuse every change (403).
        token: Require this token on every request (header, cookie, or ``?token=`` on a
            first visit). Needed whenever the server listens on anything but loopback;
            without it only requests addressed to a loopback name and the server's own
            port are answered (see ``_http.host_problem``).
        frame_ancestors: Which pages may show the inspector in a frame (CSP
            ``frame-ancestors``); ``Memory.inspect`` widens it for notebooks.

    Returns:
        The application.

    Example:
        ```python
        import uvicorn
        from langmem_plugin import Memory
        from langmem_plugin.ui import create_app

        with Memory.from_path("./.memory") as memory:
            uvicorn.run(create_app(memory, read_only=True), host="127.0.0.1", port=8765)
        ```
    """
    pages = _Pages(memory, _templates())
    routes = [
        Route("/", pages.users, name="users"),
        Route("/users/{user_id:path}", pages.user, name="user"),
        Route("/search", pages.search, name="search"),
        Route("/entity", pages.entity, name="entity"),
        Route("/entity.svg", pages.entity_svg, name="entity_svg"),
        Route("/forget-user", pages.forget_user_page, name="forget_user"),
        Route("/forget-query", pages.forget_query_page, name="forget_query"),
        Route("/audit", pages.audit_page, name="audit"),
        Route("/trends", pages.trends, name="trends"),
        Route("/health", pages.health, name="health"),
        Route("/access", pages.access_page, name="access"),
        Route("/actions/{name}", pages.action, methods=["POST"], name="action"),
        *metrics_routes(memory),
        Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
    ]
    app = GuardedApp(routes, token=token, read_only=read_only, frame_ancestors=frame_ancestors)
    app.add_exception_handler(404, pages.not_found)
    app.add_exception_handler(405, pages.not_found)
    return app

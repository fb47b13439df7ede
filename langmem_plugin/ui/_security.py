"""The inspector's guards: access token, cross-site request checks, read-only mode.

One pure-ASGI middleware (``Guard``) checks every request before a page sees it:

1. **Request target.** Exactly one ``Host`` header, and a target that is a path (an
   absolute-form ``http://authority/path`` target is accepted only when its authority is
   the ``Host`` header byte for byte; RFC 7230 section 5.4 lets either win, so the two
   must agree). WebSocket connections are closed: the inspector has none.
2. **Host.** Without a token the server only answers requests addressed to a loopback name
   and its own port (``127.0.0.1:PORT``, ``localhost:PORT``, ``[::1]:PORT``; see
   ``_http.host_problem`` for the exact grammar): a web page cannot reach it through a
   DNS-rebinding name, nor through ``127.0.0.1:PORT@evil.example``-style tricks.
3. **Token** (when set). Every request carries it: an ``Authorization: Bearer`` or
   ``X-Langmem-Token`` header, or the ``langmem_token`` cookie. A first visit to
   ``/?token=...`` (GET or HEAD only) sets the cookie and redirects to the same path
   without the token (so it stays out of the history and of ``Referer`` headers); the
   redirect goes only to a provably local path, else to ``/``. Anything else gets 401.
4. **Read-only.** Every method other than GET and HEAD gets 403.
5. **Cross-site requests.** Any other method is accepted only when its ``Origin`` (or,
   without one, its ``Referer``) is exactly this server's own origin, and its ``csrf``
   form field matches the session's token. The session is a random ``langmem_session``
   cookie; its CSRF token is an HMAC of it under a per-process secret, so nothing is stored
   server side. Another site (even another port of 127.0.0.1, which is the *same site* to
   a browser, so ``SameSite`` cookies alone do not help) can neither read the token nor
   forge the Origin. ``Origin: null`` (sandboxed frames, ``file:`` pages) is refused.
   The guard reads such a request's body only up to ``MAX_BODY_BYTES`` (1 MiB); a larger
   one, declared or chunked, gets 413 before it is buffered.

Every response, refusals and the 500 page included, carries a strict
``Content-Security-Policy`` that allows no script at all, so a memory holding
``<script>`` could not run even if escaping failed somewhere. ``GuardedApp`` puts the
guard outside Starlette's own error handling so that this holds for its 500 page too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from langmem_plugin.ui._http import host_problem, local_path

__all__ = ["CSRF_FIELD", "SESSION_COOKIE", "TOKEN_COOKIE", "Guard", "GuardedApp", "csrf_token"]

TOKEN_COOKIE = "langmem_token"
SESSION_COOKIE = "langmem_session"
CSRF_FIELD = "csrf"
#: Listen addresses that need no token (``check_bind``): the loopback interface only.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
_SAFE_METHODS = frozenset({"GET", "HEAD"})
_COOKIE_FLAGS = "Path=/; HttpOnly; SameSite=Lax"
#: The largest request body the guard reads (its forms are short urlencoded forms; the
#: longest, a corrected memory, is a few KiB). A larger body gets 413 before it is read whole,
#: so a local page cannot make the server buffer an unbounded upload.
MAX_BODY_BYTES = 1 << 20


def csrf_token(secret: bytes, session: str) -> str:
    """The CSRF token of a session: an HMAC of its id under the server's secret."""
    return hmac.new(secret, session.encode(), hashlib.sha256).hexdigest()


def _cookies(headers: Headers) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except CookieError:  # a malformed Cookie header counts as no cookies
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _refuse(status: int, reason: str, **headers: str) -> Response:
    return PlainTextResponse(f"{status} {reason}", status, headers=headers or None)


class Guard:
    """ASGI middleware enforcing the target, host, token, read-only and CSRF rules above.

    Args:
        app: The application.
        token: The access token, or None (loopback hosts only).
        read_only: Refuse every state-changing method.
        frame_ancestors: The CSP ``frame-ancestors`` value (``'self'``; ``Memory.inspect``
            allows the notebook's page to frame it).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        read_only: bool,
        frame_ancestors: str = "'self'",
    ) -> None:
        if token is not None and len(token) < 8:
            raise ValueError("the inspector token must have at least 8 characters")
        self.app = app
        self.token = token
        self.read_only = read_only
        self.secret = secrets.token_bytes(32)
        self.csp = (
            "default-src 'none'; style-src 'self'; img-src 'self' data:; "
            f"form-action 'self'; base-uri 'none'; frame-ancestors {frame_ancestors}"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = _cookies(headers)
        session = cookies.get(SESSION_COOKIE) or ""
        new_session = None
        if len(session) < 32:
            session = new_session = secrets.token_urlsafe(32)
        send = self._with_headers(send, new_session)
        refusal = self._target_problem(scope) or self._refusal(scope, headers, cookies)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if self.token is not None and "token" in query and scope["method"] in _SAFE_METHODS:
            await self._token_login(scope, query)(scope, receive, send)
            return
        scope.setdefault("state", {})
        scope["state"]["csrf"] = csrf_token(self.secret, session)
        scope["state"]["read_only"] = self.read_only
        if scope["method"] not in _SAFE_METHODS:
            problem = self._origin_problem(headers)
            if problem is None:
                body = await _read_body(scope, receive)
                if body is None:
                    await _refuse(413, f"Content Too Large: over {MAX_BODY_BYTES} bytes")(
                        scope, receive, send
                    )
                    return
                if not self._csrf_ok(scope, body, session):
                    problem = "the form's CSRF token is missing or wrong; reload the page"
            if problem is not None:
                await _refuse(403, f"Forbidden: {problem}")(scope, receive, send)
                return
            receive = self._replay(scope, receive)
        await self.app(scope, receive, send)

    def _with_headers(self, send: Send, new_session: str | None) -> Send:
        """``send``, adding the security headers (and a new session cookie) to a response."""

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw.append((b"content-security-policy", self.csp.encode()))
                raw.append((b"x-content-type-options", b"nosniff"))
                raw.append((b"referrer-policy", b"same-origin"))
                raw.append((b"cache-control", b"no-store"))
                if new_session is not None:
                    cookie = f"{SESSION_COOKIE}={new_session}; {_COOKIE_FLAGS}"
                    raw.append((b"set-cookie", cookie.encode()))
                message["headers"] = raw
            await send(message)

        return send_with_headers

    # ------------------------------------------------------------------ checks
    @staticmethod
    def _target_problem(scope: Scope) -> Response | None:
        """Refuse anything but one Host header and a path (or an agreeing absolute URL)."""
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        if len(hosts) != 1:
            return _refuse(400, f"Bad Request: {len(hosts)} Host headers (one is required)")
        target: bytes = scope.get("raw_path") or scope["path"].encode("latin-1")
        if target.startswith(b"/"):
            return None
        parts = urlsplit(target)  # the absolute form, as h11 passes it on
        if parts.scheme.lower() not in {b"http", b"https"} or parts.netloc != hosts[0]:
            shown = target.decode("latin-1")
            return _refuse(400, f"Bad Request: request target {shown!r} disagrees with Host")
        path = parts.path or b"/"
        scope["raw_path"] = path
        scope["path"] = scope.get("root_path", "") + unquote(path.decode("latin-1"))
        return None

    def _refusal(self, scope: Scope, headers: Headers, cookies: dict[str, str]) -> Response | None:
        if self.token is None:
            host = _scope_host(scope)
            server = scope.get("server")
            problem = host_problem(host, server[1] if server else None)
            if problem is not None:
                shown = host.decode("latin-1")
                return _refuse(400, f"Bad Request: unexpected Host header {shown!r}: {problem}")
        elif not self._has_token(scope, headers, cookies):
            return _refuse(
                401,
                "Unauthorized: this inspector needs its token "
                "(open the address printed by `langmem ui`, which ends in ?token=...)",
                **{"WWW-Authenticate": "Bearer"},
            )
        if self.read_only and scope["method"] not in _SAFE_METHODS:
            return _refuse(403, "Forbidden: the inspector is read-only")
        return None

    def _has_token(self, scope: Scope, headers: Headers, cookies: dict[str, str]) -> bool:
        assert self.token is not None
        offered = [
            headers.get("x-langmem-token", ""),
            cookies.get(TOKEN_COOKIE, ""),
        ]
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            offered.append(auth[7:].strip())
        if scope["method"] in _SAFE_METHODS:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            offered.append(query.get("token", ""))
        expected = self.token.encode()
        return any(hmac.compare_digest(value.encode(), expected) for value in offered if value)

    def _token_login(self, scope: Scope, query: dict[str, str]) -> Response:
        """Set the token cookie and go back to the same path (if it is local), token removed."""
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("latin-1")
        path = local_path(scope.get("root_path", "") + raw_path.decode("latin-1")) or "/"
        rest = urlencode({k: v for k, v in query.items() if k != "token"})
        response = RedirectResponse(path + (f"?{rest}" if rest else ""), status_code=303)
        response.set_cookie(TOKEN_COOKIE, str(self.token), httponly=True, samesite="lax", path="/")
        return response

    @staticmethod
    def _origin_problem(headers: Headers) -> str | None:
        host = headers.get("host", "")
        origin = headers.get("origin")
        if origin is None or origin == "null":
            referer = headers.get("referer")
            if origin == "null" or referer is None:
                return "cross-site request refused (no Origin or Referer header)"
            parts = urlsplit(referer)
            origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in {f"http://{host}", f"https://{host}"}:
            return f"cross-site request refused (Origin {origin!r} is not this server)"
        return None

    def _csrf_ok(self, scope: Scope, body: bytes, session: str) -> bool:
        content_type = Headers(scope=scope).get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return False  # the inspector's forms are plain urlencoded forms
        fields = dict(parse_qsl(body.decode("utf-8", "replace")))
        offered = fields.get(CSRF_FIELD, "")
        return hmac.compare_digest(offered.encode(), csrf_token(self.secret, session).encode())

    @staticmethod
    def _replay(scope: Scope, original: Receive) -> Receive:
        """A ``receive`` that hands the already-read body to the app, then the real one."""
        body: bytes = scope["state"].pop("_body", b"")
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await original()

        return receive


async def _read_body(scope: Scope, receive: Receive) -> bytes | None:
    """The request's body, kept in ``scope`` for the app; None past ``MAX_BODY_BYTES``."""
    declared = Headers(scope=scope).get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    scope["state"]["_body"] = body
    return body


def _scope_host(scope: Scope) -> bytes:
    """The request's one ``Host`` header (``Guard`` has refused requests with more or none)."""
    return next((value for name, value in scope["headers"] if name == b"host"), b"")


class GuardedApp(Starlette):
    """A Starlette application whose outermost layer is a ``Guard``.

    ``add_middleware`` would put the guard inside Starlette's ``ServerErrorMiddleware``,
    whose 500 page would then go out without the security headers.

    Args:
        routes: The application's routes.
        **guard: ``Guard``'s keyword arguments.
    """

    def __init__(self, routes: Sequence[Any], **guard: Any) -> None:
        super().__init__(routes=routes)
        self.guard = Guard(self.router, **guard)  # built now, so bad options fail now

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack, wrapped in the guard."""
        self.guard.app = super().build_middleware_stack()
        return self.guard

"""The inspector's guards: access token, cross-site request checks, read-only mode.

One pure-ASGI middleware (``Guard``) checks every request before a page sees it:

1. **Host.** Without a token the server only answers requests addressed to the loopback
   names (``127.0.0.1``, ``localhost``, ``[::1]``): a web page cannot reach it through a
   DNS-rebinding name.
2. **Token** (when set). Every request carries it: an ``Authorization: Bearer`` or
   ``X-Langmem-Token`` header, or the ``langmem_token`` cookie. A first visit to
   ``/?token=...`` sets the cookie and redirects to the same address without the token (so
   it stays out of the history and of ``Referer`` headers). Anything else gets 401.
3. **Read-only.** Every method other than GET and HEAD gets 403.
4. **Cross-site requests.** A POST is accepted only when its ``Origin`` (or, without one,
   its ``Referer``) is this server's own origin, and its ``csrf`` form field matches the
   session's token. The session is a random ``langmem_session`` cookie; its CSRF token is
   an HMAC of it under a per-process secret, so nothing is stored server side. Another site
   (even another port of 127.0.0.1, which is the *same site* to a browser, so ``SameSite``
   cookies alone do not help) can neither read the token nor forge the Origin.

Pages also get a strict ``Content-Security-Policy`` (no inline or foreign scripts), so a
memory holding ``<script>`` could not run even if escaping failed somewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSRF_FIELD", "SESSION_COOKIE", "TOKEN_COOKIE", "Guard", "csrf_token"]

TOKEN_COOKIE = "langmem_token"
SESSION_COOKIE = "langmem_session"
CSRF_FIELD = "csrf"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
_SAFE_METHODS = frozenset({"GET", "HEAD"})


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


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host.split("]", maxsplit=1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


class Guard:
    """ASGI middleware enforcing the token, host, read-only and CSRF rules above.

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
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"form-action 'self'; base-uri 'none'; frame-ancestors {frame_ancestors}"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = _cookies(headers)
        refusal = self._refusal(scope, headers, cookies)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if self.token is not None and "token" in query and scope["method"] in _SAFE_METHODS:
            await self._token_login(scope, query)(scope, receive, send)
            return
        session = cookies.get(SESSION_COOKIE) or ""
        new_session = None
        if len(session) < 32:
            session = new_session = secrets.token_urlsafe(32)
        scope.setdefault("state", {})
        scope["state"]["csrf"] = csrf_token(self.secret, session)
        scope["state"]["read_only"] = self.read_only
        if scope["method"] not in _SAFE_METHODS:
            problem = self._origin_problem(headers)
            if problem is None and not await self._csrf_ok(scope, receive, session):
                problem = "the form's CSRF token is missing or wrong; reload the page"
            if problem is not None:
                await PlainTextResponse(f"403 Forbidden: {problem}", 403)(scope, receive, send)
                return
            receive = self._replay(scope, receive)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw.append((b"content-security-policy", self.csp.encode()))
                raw.append((b"x-content-type-options", b"nosniff"))
                raw.append((b"referrer-policy", b"same-origin"))
                raw.append((b"cache-control", b"no-store"))
                if new_session is not None:
                    cookie = f"{SESSION_COOKIE}={new_session}; Path=/; HttpOnly; SameSite=Lax"
                    raw.append((b"set-cookie", cookie.encode()))
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)

    # ------------------------------------------------------------------ checks
    def _refusal(self, scope: Scope, headers: Headers, cookies: dict[str, str]) -> Response | None:
        if self.token is None:
            if _host_name(headers.get("host", "")) not in LOOPBACK_HOSTS:
                return PlainTextResponse("400 Bad Request: unexpected Host header", 400)
        elif not self._has_token(scope, headers, cookies):
            return PlainTextResponse(
                "401 Unauthorized: this inspector needs its token "
                "(open the address printed by `langmem ui`, which ends in ?token=...)",
                401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        if self.read_only and scope["method"] not in _SAFE_METHODS:
            return PlainTextResponse("403 Forbidden: the inspector is read-only", 403)
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
        rest = urlencode({k: v for k, v in query.items() if k != "token"})
        target = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
        response = RedirectResponse(target, status_code=303)
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
        parts = urlsplit(origin)
        if parts.netloc != host or parts.scheme not in {"http", "https"}:
            return f"cross-site request refused (Origin {origin!r} is not this server)"
        return None

    async def _csrf_ok(self, scope: Scope, receive: Receive, session: str) -> bool:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        scope["state"]["_body"] = body
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

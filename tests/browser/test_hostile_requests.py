"""Crafted requests against a real inspector (uvicorn on 127.0.0.1), byte for byte.

Raw sockets, so the test controls every byte of the Host header, the request target and
the method. Each refusal is paired with the legitimate request next to it, so a test fails
if the refusal came from something else (a broken route, a missing session).
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from langmem_plugin._paging import search_all
from langmem_plugin.memory import Memory
from langmem_plugin.ui import BackgroundServer, create_app
from langmem_plugin.ui._data import namespace_token
from langmem_plugin.ui._security import MAX_BODY_BYTES, GuardedApp
from tests._hostile import hostile_hosts, loopback_hosts
from tests._support import free_port
from tests.browser.conftest import ServerFactory

TOKEN = "correct-horse-battery-staple"
USER = "ada"
NOTE = ("memories", USER)
ACTIONS = ("edit-fact", "delete-fact", "rollback", "forget-item", "forget-user", "forget-query")
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'self'"
)


@dataclass
class Reply:
    """A parsed HTTP response."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookies(self) -> SimpleCookie:
        jar: SimpleCookie = SimpleCookie()
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                jar.load(value)
        return jar

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Raw:
    """An HTTP/1.1 client that writes requests byte for byte (one connection each)."""

    def __init__(self, server: BackgroundServer | int) -> None:
        self.port = server if isinstance(server, int) else int(urlsplit(server.url).port or 0)
        self.host = f"127.0.0.1:{self.port}"
        self.origin = f"http://{self.host}"

    def send(self, data: bytes) -> Reply:
        with socket.create_connection(("127.0.0.1", self.port), timeout=20) as sock:
            sock.sendall(data)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
        return Reply(int(lines[0].split()[1]), headers, body)  # type: ignore[arg-type]

    def __call__(
        self,
        method: str,
        target: str,
        *,
        host: bytes | str | None = None,
        headers: Sequence[tuple[str, str]] = (),
        form: dict[str, str] | None = None,
    ) -> Reply:
        host = self.host if host is None else host
        host_bytes = host if isinstance(host, bytes) else host.encode("utf-8")
        body = urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {target} HTTP/1.1".encode(), b"Host: " + host_bytes]
        lines += [f"{k}: {v}".encode() for k, v in headers]
        if form is not None:
            lines.append(b"Content-Type: application/x-www-form-urlencoded")
        if body or method not in {"GET", "HEAD", "OPTIONS"}:
            lines.append(f"Content-Length: {len(body)}".encode())
        lines.append(b"Connection: close")
        return self.send(b"\r\n".join(lines) + b"\r\n\r\n" + body)

    def session(self) -> tuple[list[tuple[str, str]], str]:
        """A fresh session: its Cookie header and the CSRF token a page gives it."""
        cookie = [("Cookie", f"langmem_session={secrets.token_urlsafe(32)}")]
        page = self("GET", "/users/ada", headers=cookie)
        match = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
        assert match is not None, page.text[:300]
        return cookie, match.group(1)


@pytest.fixture
def note(memory: Memory) -> Iterator[str]:
    """A note of ada's that the requests below try to forget."""
    memory.store.put(NOTE, "target", {"content": "Ada keeps a spare tiller"})
    yield "target"
    memory.store.delete(NOTE, "target")


def _forget(key: str, csrf: str) -> dict[str, str]:
    return {"user": USER, "namespace": namespace_token(NOTE), "key": key, "back": "/", "csrf": csrf}


# ---------------------------------------------------------------------------- Host
def test_only_loopback_names_with_the_servers_own_port_are_answered(
    server: BackgroundServer,
) -> None:
    raw = Raw(server)
    for host in loopback_hosts(raw.port):
        reply = raw("GET", "/", host=host)
        assert reply.status == 200, host
        assert 'data-user="ada"' in reply.text
    served = {}
    for host in hostile_hosts(raw.port):
        reply = raw("GET", "/", host=host)
        if reply.status != 400 or b"ada" in reply.body:
            served[host] = reply.status
    assert served == {}


def test_the_refusal_names_the_host_and_why(server: BackgroundServer) -> None:
    raw = Raw(server)
    reply = raw("GET", "/", host=f"127.0.0.1:{raw.port}@evil.example")
    assert reply.status == 400
    assert f"'127.0.0.1:{raw.port}@evil.example'" in reply.text
    assert "is not ':' and a port number" in reply.text
    assert reply.header("content-security-policy") == CSP


def test_two_host_headers_are_refused(server: BackgroundServer, memory: Memory) -> None:
    raw = Raw(server)
    twice = f"GET / HTTP/1.1\r\nHost: {raw.host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    assert raw.send(twice.encode()).status == 400  # h11 refuses it before the app
    # Under httptools, which passes both on, the guard refuses it itself.
    port = free_port()
    config = uvicorn.Config(
        create_app(memory), host="127.0.0.1", port=port, http="httptools", log_level="warning"
    )
    httptools_server = uvicorn.Server(config)
    thread = threading.Thread(target=httptools_server.run, daemon=True)
    thread.start()
    try:
        while not httptools_server.started:
            assert thread.is_alive()
            thread.join(0.02)
        other = Raw(port)
        assert other("GET", "/").status == 200
        for second in (f"Host: {other.host}", "Host: evil.example"):
            request = (
                f"GET / HTTP/1.1\r\nHost: {other.host}\r\n{second}\r\nConnection: close\r\n\r\n"
            )
            reply = other.send(request.encode())
            assert reply.status == 400
            assert "2 Host headers" in reply.text
    finally:
        httptools_server.should_exit = True
        thread.join(10)


def test_an_absolute_form_target_must_agree_with_host(server: BackgroundServer) -> None:
    raw = Raw(server)
    agreeing = raw("GET", f"http://{raw.host}/users/ada")
    assert agreeing.status == 200
    assert 'id="user-title"' in agreeing.text
    for target in (
        "http://evil.example/users/ada",
        f"http://evil.example:{raw.port}/",
        f"http://localhost:{raw.port}/",  # a loopback name, but not the Host sent
        f"ftp://{raw.host}/",
        "*",
    ):
        reply = raw("GET", target)
        assert reply.status == 400, target
        assert "disagrees with Host" in reply.text
        assert reply.header("content-security-policy") == CSP


def test_a_websocket_is_never_accepted(server: BackgroundServer) -> None:
    raw = Raw(server)
    upgrade = [
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
    ]
    for host in (raw.host, "evil.example"):
        data = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\n"
        data += "".join(f"{k}: {v}\r\n" for k, v in upgrade) + "\r\n"
        assert raw.send(data.encode()).status == 403


# ---------------------------------------------------------------------------- token
def test_the_token_login_never_redirects_off_the_inspector(servers: ServerFactory) -> None:
    raw = Raw(servers(token=TOKEN))
    for path in (
        "//evil.example/",  # the review's open redirect
        "///evil.example/",
        "/%2F/evil.example/",
        "/%2f%2fevil.example/",
        "/%5Cevil.example/",
        "/%09/evil.example/",
        "/%252F/evil.example/",
    ):
        reply = raw("GET", f"{path}?token={TOKEN}")
        assert reply.status == 303, path
        assert reply.header("location") == "/", path
    asked = raw("GET", f"/?token={TOKEN}&next=//evil.example/")
    location = asked.header("location") or ""
    assert urlsplit(urljoin(raw.origin + "/", location)).netloc == raw.host
    assert location == "/?next=%2F%2Fevil.example%2F"  # kept as data, never followed
    # Legitimate paths keep their place, percent-encoding and all.
    assert raw("GET", f"/users/ada?token={TOKEN}&x=1").header("location") == "/users/ada?x=1"
    kept = raw("GET", f"/users/team%2Fada?token={TOKEN}").header("location")
    assert kept == "/users/team%2Fada"


def test_the_token_is_read_from_a_header_or_the_cookie_and_from_the_query_only_on_get(
    servers: ServerFactory, memory: Memory, note: str
) -> None:
    raw = Raw(servers(token=TOKEN))
    assert raw("GET", "/").status == 401
    assert raw("GET", "/").header("www-authenticate") == "Bearer"
    assert raw("GET", "/?token=wrong-token-123").status == 401
    assert raw("GET", "/", headers=[("Authorization", f"Bearer {TOKEN}")]).status == 200
    assert raw("GET", "/", headers=[("Authorization", "Bearer wrong-token-123")]).status == 401
    assert raw("GET", "/", headers=[("Authorization", f"Basic {TOKEN}")]).status == 401
    assert raw("GET", "/", headers=[("X-Langmem-Token", TOKEN)]).status == 200
    assert raw("GET", "/", headers=[("Cookie", f"langmem_token={TOKEN}")]).status == 200
    assert raw("GET", "/", headers=[("Cookie", "langmem_token=wrong-token-123")]).status == 401
    login = raw("GET", f"/?token={TOKEN}")
    assert login.status == 303
    assert login.cookies()["langmem_token"].value == TOKEN
    # A change needs the token in a header or cookie: in the address it would be logged.
    cookie = f"langmem_token={TOKEN}; langmem_session={secrets.token_urlsafe(32)}"
    page = raw("GET", "/users/ada", headers=[("Cookie", cookie)])
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
    assert csrf is not None
    session = cookie.split("; ")[1]
    origin = [("Origin", raw.origin)]
    by_query = raw(
        "POST",
        f"/actions/forget-item?token={TOKEN}",
        headers=[*origin, ("Cookie", session)],
        form=_forget(note, csrf.group(1)),
    )
    assert by_query.status == 401
    assert memory.store.get(NOTE, note) is not None
    by_cookie = raw(
        "POST",
        "/actions/forget-item",
        headers=[*origin, ("Cookie", cookie)],
        form=_forget(note, csrf.group(1)),
    )
    assert by_cookie.status == 303
    assert memory.store.get(NOTE, note) is None


def test_cookies_are_httponly_samesite_lax_and_site_wide(servers: ServerFactory) -> None:
    raw = Raw(servers(token=TOKEN))
    login = raw("GET", f"/users/ada?token={TOKEN}")
    session = raw("GET", "/", headers=[("X-Langmem-Token", TOKEN)])
    morsels = {
        "langmem_token": login.cookies()["langmem_token"],
        "langmem_session": session.cookies()["langmem_session"],
    }
    for name, morsel in morsels.items():
        assert morsel["httponly"], name
        assert morsel["samesite"].lower() == "lax", name
        assert morsel["path"] == "/", name
        assert not morsel["domain"], name  # host-only: never sent to other names
    again = raw("GET", "/", headers=[("Cookie", f"langmem_session={'s' * 43}")])
    assert "langmem_session" not in again.cookies()  # an existing session is kept


# ---------------------------------------------------------------------------- CSRF
def test_a_change_needs_exactly_this_origin(
    server: BackgroundServer, memory: Memory, note: str
) -> None:
    raw = Raw(server)
    cookie, csrf = raw.session()
    refused = {
        "no Origin or Referer": [],
        "Origin: null": [("Origin", "null")],
        "null beats a good Referer": [("Origin", "null"), ("Referer", raw.origin + "/")],
        "another port": [("Origin", f"http://127.0.0.1:{raw.port + 1}")],
        "another loopback name": [("Origin", f"http://localhost:{raw.port}")],
        "longer name": [("Origin", f"http://127.0.0.1:{raw.port}.evil.example")],
        "userinfo": [("Origin", f"http://127.0.0.1:{raw.port}@evil.example")],
        "a path": [("Origin", raw.origin + "/")],
        "another scheme": [("Origin", f"ftp://{raw.host}")],
        "a foreign Referer": [("Referer", "http://evil.example/page")],
        "a Referer on another port": [("Referer", f"http://127.0.0.1:{raw.port + 1}/")],
        "a foreign Origin, a good Referer": [
            ("Origin", "http://evil.example"),
            ("Referer", raw.origin + "/"),
        ],
    }
    for case, headers in refused.items():
        reply = raw(
            "POST", "/actions/forget-item", headers=[*cookie, *headers], form=_forget(note, csrf)
        )
        assert reply.status == 403, case
        assert "cross-site request refused" in reply.text, case
        assert memory.store.get(NOTE, note) is not None, case
    referer_only = [*cookie, ("Referer", raw.origin + "/users/ada")]
    reply = raw("POST", "/actions/forget-item", headers=referer_only, form=_forget(note, csrf))
    assert reply.status == 303  # an old browser that sends only a Referer
    assert memory.store.get(NOTE, note) is None


def test_a_change_needs_this_sessions_csrf_token_in_the_form(
    server: BackgroundServer, memory: Memory, note: str
) -> None:
    raw = Raw(server)
    cookie, csrf = raw.session()
    _, other_csrf = raw.session()
    origin = [("Origin", raw.origin)]
    form = _forget(note, csrf)
    without = {k: v for k, v in form.items() if k != "csrf"}

    def post(target: str, headers: list[tuple[str, str]], body: dict[str, str]) -> Reply:
        return raw("POST", target, headers=[*origin, *headers], form=body)

    refused = {
        "missing": post("/actions/forget-item", cookie, without),
        "empty": post("/actions/forget-item", cookie, {**form, "csrf": ""}),
        "forged": post("/actions/forget-item", cookie, {**form, "csrf": "0" * 64}),
        "another session's": post("/actions/forget-item", cookie, {**form, "csrf": other_csrf}),
        "no session cookie": post("/actions/forget-item", [], form),
        "in the query": post(f"/actions/forget-item?csrf={csrf}", cookie, without),
    }
    as_json = raw(
        "POST",
        "/actions/forget-item",
        headers=[*origin, *cookie, ("Content-Type", "application/json")],
        form=None,
    )
    refused["not a form"] = as_json
    for case, reply in refused.items():
        assert reply.status == 403, case
        assert memory.store.get(NOTE, note) is not None, case
    assert post("/actions/forget-item", cookie, form).status == 303
    assert memory.store.get(NOTE, note) is None


def test_a_body_past_the_limit_is_refused_before_it_is_read_whole(
    server: BackgroundServer, memory: Memory, note: str
) -> None:
    raw = Raw(server)
    cookie, csrf = raw.session()
    head = [
        b"POST /actions/forget-item HTTP/1.1",
        f"Host: {raw.host}".encode(),
        f"Origin: {raw.origin}".encode(),
        f"Cookie: {cookie[0][1]}".encode(),
        b"Content-Type: application/x-www-form-urlencoded",
        b"Connection: close",
    ]
    form = urlencode(_forget(note, csrf)).encode() + b"&pad="
    # Declared too large: refused on the header alone, no byte of the body sent.
    declared = raw.send(
        b"\r\n".join([*head, f"Content-Length: {MAX_BODY_BYTES + 1}".encode()]) + b"\r\n\r\n"
    )
    # Chunked, no length declared: refused once the bytes read pass the limit; the body
    # never ends (no last chunk), so only a reader that stops at the limit can answer.
    pad = b"x" * (1 << 16)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(pad), pad) for _ in range(MAX_BODY_BYTES >> 16))
    chunked = raw.send(
        b"\r\n".join([*head, b"Transfer-Encoding: chunked"])
        + b"\r\n\r\n"
        + b"%x\r\n%s\r\n" % (len(form), form)
        + chunks
    )
    for case, reply in {"declared": declared, "chunked": chunked}.items():
        assert reply.status == 413, case
        assert "content-security-policy" in {k.lower() for k, _ in reply.headers}, case
        assert memory.store.get(NOTE, note) is not None, case
    origin = [("Origin", raw.origin)]
    accepted = raw(
        "POST", "/actions/forget-item", headers=[*origin, *cookie], form=_forget(note, csrf)
    )
    assert accepted.status == 303


# ---------------------------------------------------------------------------- read-only
def _state(memory: Memory) -> str:
    """Every item (value and timestamps), the profile version and ada's audit trail."""
    items = sorted(
        (list(item.namespace), item.key, item.value, str(item.updated_at))
        for namespace in memory.store.list_namespaces(limit=100_000)
        for item in search_all(memory.store, namespace)
        if item.namespace == namespace
    )
    audit = [str(event) for event in memory.audit(USER, limit=10_000)]
    return json.dumps([items, memory.profile(USER).version, audit], default=str)


PAGES = (
    "/",
    "/users/ada",
    "/search?user=ada&q=tiller",
    "/search?user=ada&message=what+boat+does+ada+sail",
    "/forget-user?user=ada",
    "/forget-query?user=ada&q=tiller",
    "/audit?user=ada",
    "/static/style.css",
)


def test_read_only_refuses_every_method_but_get_and_head_on_every_route(
    servers: ServerFactory, memory: Memory, note: str
) -> None:
    raw = Raw(servers(read_only=True))
    cookie = [("Cookie", f"langmem_session={secrets.token_urlsafe(32)}"), ("Origin", raw.origin)]
    before = _state(memory)
    routes = [*PAGES, *(f"/actions/{name}" for name in ACTIONS), "/no-such-page"]
    allowed = {}
    for route in routes:
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"):
            form = {**_forget(note, "x"), "confirm": USER, "query": "tiller", "version": "1"}
            reply = raw(method, route, headers=cookie, form=form)
            if reply.status != 403 or "read-only" not in reply.text:
                allowed[f"{method} {route}"] = reply.status
            assert reply.header("content-security-policy") == CSP
        for method in ("GET", "HEAD"):  # reading changes nothing either
            assert raw(method, route, headers=cookie).status in {200, 404, 405}, route
    assert allowed == {}
    assert raw("GET", "/users/ada").text.count('method="post"') == 0
    assert _state(memory) == before
    assert memory.store.get(NOTE, note) is not None


# ---------------------------------------------------------------------------- CSP
def test_every_response_carries_the_security_headers(
    servers: ServerFactory, server: BackgroundServer
) -> None:
    raw, guarded = Raw(server), Raw(servers(token=TOKEN))
    replies = {
        "page": (raw("GET", "/"), 200),
        "head": (raw("HEAD", "/users/ada"), 200),
        "static": (raw("GET", "/static/style.css"), 200),
        "error page": (raw("GET", "/users/%20%20"), 400),  # a blank user id
        "not found": (raw("GET", "/no-such-page"), 404),
        "wrong method": (raw("GET", "/actions/forget-item"), 405),
        "bad host": (raw("GET", "/", host="evil.example"), 400),
        "cross-site": (raw("POST", "/actions/forget-item", form={}), 403),
        "no token": (guarded("GET", "/"), 401),
        "token login": (guarded("GET", f"/?token={TOKEN}"), 303),
    }
    for case, (reply, status) in replies.items():
        assert reply.status == status, case
        assert reply.header("content-security-policy") == CSP, case
        assert reply.header("x-content-type-options") == "nosniff", case
        assert reply.header("cache-control") == "no-store", case


def test_the_500_page_carries_them_too() -> None:
    def boom(request: Request) -> Response:
        raise RuntimeError(f"a bug in {request.url.path}")

    app = GuardedApp([Route("/boom", boom)], token=None, read_only=False)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http="h11", log_level="critical")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        while not running.started:
            assert thread.is_alive()
            thread.join(0.02)
        reply = Raw(port)("GET", "/boom")
        assert reply.status == 500
        assert reply.header("content-security-policy") == CSP
        assert "a bug in" not in reply.text  # no traceback for the client
    finally:
        running.should_exit = True
        thread.join(10)

"""The inspector's security cases, in the browser: token, cross-site posts, read-only, host.

Each refusal is paired with the same request made legitimately, so a test fails if the
refusal came from something else (a broken form, a missing route).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest

from langmem_plugin.memory import Memory
from langmem_plugin.ui import BackgroundServer, start_background
from langmem_plugin.ui._data import namespace_token
from tests.browser.conftest import ServerFactory

TOKEN = "correct-horse-battery-staple"
USER = "ada"
NOTE = ("memories", USER)
ACTIONS = ("edit-fact", "delete-fact", "rollback", "forget-item", "forget-user", "forget-query")


@pytest.fixture
def note(memory: Memory) -> Iterator[str]:
    """A note of ada's that the requests below try to forget."""
    memory.store.put(NOTE, "target", {"content": "Ada keeps a spare tiller"})
    yield "target"
    memory.store.delete(NOTE, "target")


def _origin(server: BackgroundServer) -> str:
    parts = urlsplit(server.url)
    return f"{parts.scheme}://{parts.netloc}"


def _csrf(page: Any) -> str:
    return str(page.locator("input[name='csrf']").first.get_attribute("value"))


def _forget_form(key: str, csrf: str | None = None) -> dict[str, str]:
    form = {"user": USER, "namespace": namespace_token(NOTE), "key": key, "back": "/"}
    if csrf is not None:
        form["csrf"] = csrf
    return form


# ---------------------------------------------------------------------------- token
def test_without_the_token_every_request_is_refused(
    page: Any, servers: ServerFactory, memory: Memory, note: str
) -> None:
    server = servers(token=TOKEN)
    base = _origin(server) + "/"
    response = page.goto(base)
    assert response.status == 401
    assert "needs its token" in page.inner_text("body")
    assert page.goto(base + "users/ada").status == 401
    assert page.request.get(base, headers={"X-Langmem-Token": "wrong-token-123"}).status == 401
    post = page.request.post(base + "actions/forget-item", form=_forget_form(note))
    assert post.status == 401
    assert memory.store.get(NOTE, note) is not None


def test_the_token_works_from_the_printed_address_then_by_cookie_or_header(
    page: Any, browser: Any, servers: ServerFactory
) -> None:
    server = servers(token=TOKEN)
    assert server.url.endswith(f"?token={TOKEN}")
    response = page.goto(server.url)
    assert response.status == 200
    assert "token=" not in page.url  # moved into an HttpOnly cookie, out of the address
    cookie = next(c for c in page.context.cookies() if c["name"] == "langmem_token")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    page.locator("#users").get_by_role("link", name=USER, exact=True).click()
    assert page.locator("#user-title").inner_text() == USER
    other = browser.new_context()
    try:
        base = _origin(server) + "/"
        assert other.request.get(base, headers={"Authorization": f"Bearer {TOKEN}"}).ok
        assert other.request.get(base, headers={"X-Langmem-Token": TOKEN}).ok
        assert other.request.get(base).status == 401
    finally:
        other.close()


def test_the_token_login_stays_on_the_inspector_whatever_path_it_is_given(
    page: Any, servers: ServerFactory
) -> None:
    server = servers(token=TOKEN)
    netloc = urlsplit(server.url).netloc
    for path in (
        "//evil.example/",
        "/%5Cevil.example/",
        "/%2F/evil.example/",
        "/%09/evil.example/",
    ):
        response = page.goto(f"{_origin(server)}{path}?token={TOKEN}")
        assert urlsplit(page.url).netloc == netloc, path
        assert response.status == 200, path
        assert page.locator("#users").is_visible(), path
    page.goto(f"{_origin(server)}/users/ada?token={TOKEN}")
    assert page.url == f"{_origin(server)}/users/ada"
    assert page.locator("#user-title").inner_text() == USER


def test_listening_beyond_loopback_needs_a_token(memory: Memory) -> None:
    with pytest.raises(ValueError, match="--token"):
        start_background(memory, host="0.0.0.0")


def test_without_a_token_only_loopback_host_names_are_answered(
    server: BackgroundServer,
) -> None:
    port = urlsplit(server.url).port
    assert port is not None

    def status(host: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/", headers={"Host": host})
            return connection.getresponse().status
        finally:
            connection.close()

    assert status(f"127.0.0.1:{port}") == 200
    assert status(f"localhost:{port}") == 200
    assert status(f"rebound.attacker.example:{port}") == 400  # DNS rebinding


# ---------------------------------------------------------------------------- CSRF
@contextmanager
def _site(html: bytes) -> Iterator[str]:
    """Another site: one page, served from a different port of 127.0.0.1."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        thread.join(5)


def _attack_form(server: BackgroundServer) -> str:
    target = _origin(server) + "/actions/forget-item"
    fields = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in _forget_form("target", csrf="guessed").items()
    )
    return (
        f'<form method="post" action="{escape(target)}">{fields}<button id="go">Win</button></form>'
    )


@pytest.fixture
def attacker(server: BackgroundServer) -> Iterator[str]:
    """Another site (a different port of 127.0.0.1) with a form aimed at the inspector."""
    with _site(f"<html><body>{_attack_form(server)}</body></html>".encode()) as url:
        yield url


def test_a_cross_site_form_post_is_refused(
    page: Any, server: BackgroundServer, memory: Memory, note: str, attacker: str
) -> None:
    page.goto(server.url + "users/ada")  # the victim has a session with the inspector
    page.goto(attacker)
    with page.expect_response(re.compile(r"/actions/forget-item$")) as posted:
        page.click("#go")
    assert posted.value.status == 403
    assert "cross-site request refused" in page.inner_text("body")
    assert memory.store.get(NOTE, note) is not None


def test_a_form_post_from_a_sandboxed_frame_origin_null_is_refused(
    page: Any, server: BackgroundServer, memory: Memory, note: str
) -> None:
    # The form opens its answer in a new window: the inspector's frame-ancestors would
    # keep Chromium from showing it inside the attacker's frame.
    form = _attack_form(server).replace("<form ", '<form target="_blank" ')
    frame = f'<iframe sandbox="allow-forms allow-popups" srcdoc="{escape(form)}"></iframe>'
    with _site(f"<html><body>{frame}</body></html>".encode()) as url:
        page.goto(server.url + "users/ada")
        page.goto(url)
        with (
            page.context.expect_page() as opened,
            page.context.expect_event("request", lambda r: "/actions/" in r.url) as sent,
        ):
            page.frame_locator("iframe").locator("#go").click()
        answer = opened.value
        answer.wait_for_load_state()
        assert sent.value.header_value("origin") == "null"
        assert "cross-site request refused (no Origin" in answer.inner_text("body")
    assert memory.store.get(NOTE, note) is not None


def test_a_post_needs_both_the_right_origin_and_the_session_csrf_token(
    page: Any, server: BackgroundServer, memory: Memory, note: str, attacker: str
) -> None:
    page.goto(server.url + "users/ada")
    csrf = _csrf(page)
    url = _origin(server) + "/actions/forget-item"

    def post(form: dict[str, str], origin: str) -> Any:
        return page.request.post(url, form=form, headers={"Origin": origin}, max_redirects=0)

    foreign = attacker.rstrip("/")
    assert post(_forget_form(note, csrf), foreign).status == 403  # right token, wrong origin
    assert post(_forget_form(note, "0" * 64), _origin(server)).status == 403  # wrong token
    assert post(_forget_form(note), _origin(server)).status == 403  # no token
    assert memory.store.get(NOTE, note) is not None
    assert post(_forget_form(note, csrf), _origin(server)).status == 303  # the real thing
    assert memory.store.get(NOTE, note) is None


def test_a_csrf_token_of_another_session_is_refused(
    page: Any, browser: Any, server: BackgroundServer, memory: Memory, note: str
) -> None:
    page.goto(server.url + "users/ada")
    other = browser.new_context()
    try:
        other_page = other.new_page()
        other_page.goto(server.url + "users/ada")
        stolen = _csrf(other_page)
    finally:
        other.close()
    assert stolen != _csrf(page)
    response = page.request.post(
        _origin(server) + "/actions/forget-item",
        form=_forget_form(note, stolen),
        headers={"Origin": _origin(server)},
        max_redirects=0,
    )
    assert response.status == 403
    assert memory.store.get(NOTE, note) is not None


# ---------------------------------------------------------------------------- read-only
def test_read_only_hides_every_change_and_refuses_it(
    page: Any, servers: ServerFactory, memory: Memory, note: str
) -> None:
    server = servers(read_only=True)
    version = memory.profile(USER).version
    page.goto(server.url + "users/ada")
    assert page.locator("#read-only").is_visible()
    assert page.locator("form[method='post']").count() == 0
    assert page.get_by_role("button", name=re.compile("Save|Delete|Forget|Roll back")).count() == 0
    assert page.get_by_role("link", name=re.compile("Forget")).count() == 0
    assert page.locator("#notes li.note[data-key='target']").is_visible()
    page.goto(server.url + "search?user=ada&q=tiller")
    assert page.locator("li.hit[data-key='target']").is_visible()
    assert page.locator("form[method='post']").count() == 0
    page.goto(server.url + "forget-user?user=ada")
    assert page.locator("form[method='post']").count() == 0
    page.goto(server.url + "forget-query?user=ada&q=tiller")
    assert page.locator("#forget-query-preview tr.match[data-key='target']").is_visible()
    assert page.locator("form[method='post']").count() == 0
    forms = {
        "edit-fact": {"user": USER, "category": "name", "old": "Ada", "value": "Eve"},
        "delete-fact": {"user": USER, "category": "name", "old": "Ada"},
        "rollback": {"user": USER, "version": "1"},
        "forget-item": _forget_form(note),
        "forget-user": {"user": USER, "confirm": USER},
        "forget-query": {"user": USER, "query": "tiller"},
    }
    assert set(forms) == set(ACTIONS)
    for name, form in forms.items():
        response = page.request.post(
            _origin(server) + f"/actions/{name}",
            form={**form, "csrf": "x"},
            headers={"Origin": _origin(server)},
            max_redirects=0,
        )
        assert response.status == 403, name
        assert "read-only" in response.text()
    for method in ("put", "delete", "patch"):
        assert getattr(page.request, method)(_origin(server) + "/actions/forget-item").status == 403
    assert memory.profile(USER).version == version
    assert memory.store.get(NOTE, note) is not None


def test_an_action_never_redirects_off_the_inspector(page: Any, server: BackgroundServer) -> None:
    page.goto(server.url + "users/ada")
    csrf = _csrf(page)
    for back in (
        "//attacker.example/x",
        "https://attacker.example/",
        "/\\attacker.example",
        "/\t/attacker.example",
        "/%09/attacker.example",
        "/%2F/attacker.example",
        "/%5Cattacker.example",
        " //attacker.example",
        "javascript:alert(1)",
    ):
        form = {**_forget_form("no-such-key", csrf), "back": back}
        response = page.request.post(
            _origin(server) + "/actions/forget-item",
            form=form,
            headers={"Origin": _origin(server)},
            max_redirects=0,
        )
        assert response.status == 303
        assert response.headers["location"].startswith("/users/ada?notice="), back


# ---------------------------------------------------------------------------- escaping
HOSTILE_USER = 'u"><img src=x onerror=alert(1)><script>alert(2)</script>'
HOSTILE_KEY = "k'><img src=x onerror=alert(3)>"
HOSTILE_VALUE = '<b id="pwn">bold</b><img src=x onerror=alert(4)> & "quotes" tiller'


@pytest.fixture
def hostile(memory: Memory) -> Iterator[str]:
    """A user whose id, memory key and memory text are all markup."""
    namespace = ("memories", HOSTILE_USER)
    memory.store.put(namespace, HOSTILE_KEY, {"content": HOSTILE_VALUE})
    yield HOSTILE_USER
    memory.store.delete(namespace, HOSTILE_KEY)


def test_user_controlled_text_is_shown_as_text_on_every_page(
    page: Any, server: BackgroundServer, hostile: str
) -> None:
    query = urlencode({"user": hostile, "q": "tiller"})
    pages = {
        "users": "",
        "user": "users/" + quote(hostile, safe=""),
        "search": f"search?{query}",
        "agent view": "search?" + urlencode({"user": hostile, "message": "tiller"}),
        "forget user": "forget-user?" + urlencode({"user": hostile}),
        "forget query": f"forget-query?{query}",
        "audit": "audit?" + urlencode({"user": hostile}),
        "notice": "?" + urlencode({"notice": HOSTILE_VALUE}),
        "error": "users/" + quote(hostile + ".", safe=""),  # an unknown user: the 404 page
    }
    for name, path in pages.items():
        response = page.goto(server.url + path)
        assert response.status == (404 if name == "error" else 200), name
        assert page.locator("img[src='x']").count() == 0, name  # no element was injected
        assert page.locator("#pwn").count() == 0, name
        assert page.locator("script").count() == 0, name
        assert "<img src=x" not in response.text(), name  # escaped in the HTML itself
        assert page.dialogs == [], name
    page.goto(server.url)
    assert page.locator("#users").get_by_role("link", name=hostile, exact=True).is_visible()
    page.goto(server.url + pages["user"])
    assert page.locator("#user-title").inner_text() == hostile
    assert HOSTILE_VALUE in page.locator("#notes").inner_text()
    assert page.locator(f"#notes li.note[data-key={json.dumps(HOSTILE_KEY)}]").count() == 1
    page.goto(server.url + pages["notice"])
    assert page.locator("#notice").inner_text() == HOSTILE_VALUE

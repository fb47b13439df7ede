"""Users whose ids hold URL and label characters, clicked through in headless Chromium.

``a.b`` and ``a%2Eb`` are two users a naive label encoding would merge; ``acme.eu/4?2#x``
holds every character a URL path treats specially. Each user's link opens that user's
page, and forgetting one from the page leaves the other's records exactly as they were.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from langchain_core.messages import AIMessage, HumanMessage

from langmem_plugin._admin import list_users
from langmem_plugin._namespaces import namespace_user
from langmem_plugin.memory import Memory
from langmem_plugin.ui import BackgroundServer

USERS = {"a.b": "qxalphatok", "a%2Eb": "qxbetatok", "acme.eu/4?2#x": "qxgammatok"}


def test_each_encoded_user_has_its_own_page_and_forgetting_one_leaves_its_twin(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    for user, token in USERS.items():
        memory.ingest(
            [HumanMessage(f"My boat is called {token}."), AIMessage(f"{token}, noted.")],
            user_id=user,
            thread_id=f"trip.{token}",
        )
    memory.flush()
    for user, token in USERS.items():
        page.goto(server.url)
        page.locator("#users").get_by_role("link", name=user, exact=True).click()
        page.wait_for_url(re.compile(re.escape("/users/" + quote(user, safe="")) + "$"))
        text = page.locator("main").inner_text()
        assert token in text, user
        assert [t for u, t in USERS.items() if u != user and t in text] == [], user
    twin = {
        (r.namespace, r.key): r
        for r in memory.store.dump()
        if namespace_user(r.namespace) == "a%2Eb"
    }
    assert twin
    page.goto(server.url + "users/" + quote("a.b", safe=""))
    page.get_by_role("link", name="Forget this user…").click()
    page.get_by_label("Type the user id").fill("a.b")
    page.get_by_role("button", name="Forget this user for good").click()
    page.wait_for_url(re.compile(r"notice=forgot"))
    assert page.locator("#users tr[data-user='a.b']").count() == 0
    assert page.locator("#users tr[data-user='a%2Eb']").count() == 1
    users = {u.user_id for u in list_users(memory)}
    assert "a.b" not in users
    assert {"a%2Eb", "acme.eu/4?2#x"} <= users
    after = {(r.namespace, r.key): r for r in memory.store.dump()}
    assert {k: after.get(k) for k in twin} == twin

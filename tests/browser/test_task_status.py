"""The inspector's task status form, and its pages for unknown users and addresses."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from typing import Any

import pytest

from langmem_plugin.memory import Memory
from langmem_plugin.ui import BackgroundServer

USER = "ada"


def test_a_task_status_is_changed_with_the_allowed_moves_only(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    task = memory.tasks.add(USER, "renew the boat insurance", due="2031-03-01")
    page.goto(f"{server.url}users/{USER}")
    row = page.locator(f"#tasks tr.task[data-key='{task.id}']")
    select = row.locator("select[name=status]")
    options = select.locator("option").all_inner_texts()
    assert options == ["blocked", "cancelled", "completed", "in_progress"]  # from open
    select.select_option("completed")
    row.locator("input[name=note]").fill("paid on the phone")
    row.get_by_role("button", name="Change").click()
    page.wait_for_url(re.compile(r"notice=task.+now\+completed"))
    row = page.locator(f"#tasks tr.task[data-key='{task.id}']")
    assert row.locator("td").nth(1).inner_text() == "completed"
    # from completed, reopening is the only move offered
    assert row.locator("select[name=status] option").all_inner_texts() == ["open"]
    stored = next(t for t in memory.tasks.list(USER) if t.id == task.id)
    assert stored.status == "completed"
    assert stored.history[-1].note == "paid on the phone"
    events = [e for e in memory.audit(USER, limit=20) if e.key == task.id]
    assert events[-1].source == "ui"
    assert events[-1].operation == "put"


def test_a_move_the_lifecycle_forbids_is_refused_and_changes_nothing(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    task = memory.tasks.add(USER, "scrape the hull")
    memory.tasks.update(USER, task.id, status="cancelled")
    page.goto(f"{server.url}users/{USER}")
    form = page.locator(f"#tasks tr.task[data-key='{task.id}'] form.task-status")
    # a forged option (the page only offers "open"): the server checks the lifecycle
    form.locator("select[name=status]").evaluate(
        "s => { const o = document.createElement('option'); o.value = 'completed';"
        " s.appendChild(o); s.value = 'completed'; }"
    )
    form.get_by_role("button", name="Change").click()
    assert "cannot become completed" in page.locator("#error").inner_text()
    assert next(t for t in memory.tasks.list(USER) if t.id == task.id).status == "cancelled"


def test_the_read_only_inspector_shows_no_status_form(
    page: Any, servers: Any, memory: Memory
) -> None:
    memory.tasks.add(USER, "varnish the tiller")
    read_only = servers(read_only=True)
    page.goto(f"{read_only.url}users/{USER}")
    assert page.locator("#tasks tr.task").count() >= 1
    assert page.locator("form.task-status").count() == 0


def test_an_unknown_user_is_a_404_page_that_says_so(page: Any, server: BackgroundServer) -> None:
    response = page.goto(f"{server.url}users/nobody-here")
    assert response.status == 404
    assert "unknown user 'nobody-here'" in page.locator("#error").inner_text()
    assert page.get_by_role("link", name="Back to the users").count() == 1


def test_an_unknown_address_renders_the_inspector_page(page: Any, server: BackgroundServer) -> None:
    response = page.goto(f"{server.url}no/such/page")
    assert response.status == 404
    assert "no page at /no/such/page" in page.locator("#error").inner_text()
    assert page.locator("link[rel=stylesheet]").count() >= 1  # the inspector's own layout
    with pytest.raises(urllib.error.HTTPError) as refused:  # GET of a POST-only action
        urllib.request.urlopen(f"{server.url}actions/forget-user", timeout=10)
    assert refused.value.code == 405
    assert "GET is not allowed on /actions/forget-user" in refused.value.read().decode()

"""Forget by query (with its preview) and the audit log, in the browser.

Both pages call the privacy API the command line uses (``Memory.forget``,
``Memory.audit``); every change made from the inspector is labelled ``ui`` in the log.
"""

from __future__ import annotations

import re
from typing import Any

from langmem_plugin.memory import Memory
from langmem_plugin.ui import BackgroundServer

USER = "ada"
NOTES = ("memories", USER)


def test_forget_by_query_previews_then_deletes_only_the_matches(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    memory.store.put(NOTES, "divorce", {"content": "Ada's divorce was finalised in May"})
    memory.store.put(NOTES, "figs", {"content": "Ada grows figs on her balcony"})
    expected = memory.forget(USER, query="my divorce", dry_run=True)
    assert "divorce" in {m.key for m in expected.matches}
    page.goto(server.url + "users/ada")
    page.get_by_role("link", name="Forget by query…").click()
    page.get_by_label("Topic").fill("my divorce")
    page.get_by_role("button", name="Preview what would go").click()
    shown = page.locator("#forget-query-preview tr.match").evaluate_all(
        "rows => rows.map(r => r.dataset.key)"
    )
    assert sorted(shown) == sorted(m.key for m in expected.matches)
    assert "figs" not in shown
    assert memory.store.get(NOTES, "divorce") is not None  # a preview deletes nothing
    page.get_by_role("button", name="Delete these for good").click()
    page.wait_for_url(re.compile(r"/users/ada\?notice=forgot"))
    assert memory.store.get(NOTES, "divorce") is None
    assert memory.store.get(NOTES, "figs") is not None
    assert page.locator("#notes li.note[data-key='divorce']").count() == 0
    assert page.locator("#notes li.note[data-key='figs']").count() == 1
    events = memory.audit(USER, limit=1000)
    assert any(e.operation == "forget_query" and e.source == "ui" for e in events)
    memory.store.delete(NOTES, "figs")


def test_changes_made_in_the_inspector_are_audited_as_ui(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    memory.store.put(NOTES, "audited", {"content": "Ada collects maps"})
    page.goto(server.url + "users/ada")
    page.locator("#notes li.note[data-key='audited']").get_by_role("button", name="Forget").click()
    page.wait_for_url(re.compile(r"notice="))
    deletes = [
        e for e in memory.audit(USER, limit=1000) if e.operation == "delete" and e.key == "audited"
    ]
    assert [(e.source, e.namespace) for e in deletes] == [("ui", NOTES)]
    page.get_by_role("link", name="Audit log").click()
    rows = page.locator("#audit tr.event", has_text="memories/ada/audited")
    seen = rows.evaluate_all("r => r.map(x => [x.dataset.operation, x.dataset.source])")
    assert seen == [["put", "api"], ["delete", "ui"]]  # the test's put, the page's delete
    assert "Ada collects maps" not in page.inner_text("#audit")  # never the content
    sources = set(page.locator("#audit tr.event").evaluate_all("r => r.map(x => x.dataset.source)"))
    assert {"ui", "node"} <= sources  # the demo's agent wrote through its nodes

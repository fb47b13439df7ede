"""The entity page in headless Chromium: relations over time, mentions, the network picture."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langmem_plugin.memory import Memory
from langmem_plugin.ui import BackgroundServer


@pytest.fixture(scope="module")
def memory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Memory]:
    """Ada's memory: her sister Lena moves from Acme to Globex."""
    with Memory.from_path(tmp_path_factory.mktemp("entities") / "memory") as opened:
        opened.ingest(
            [HumanMessage("My sister Lena works at Acme Corp. She lives in Berlin.")],
            user_id="ada",
            thread_id="t1",
            timestamp=datetime(2026, 3, 1, tzinfo=UTC),
        )
        opened.ingest(
            [HumanMessage("Lena works at Globex now.")],
            user_id="ada",
            thread_id="t2",
            timestamp=datetime(2026, 5, 1, tzinfo=UTC),
        )
        yield opened


def test_the_entity_page_shows_relations_over_time_mentions_and_a_picture(
    page: Any, server: BackgroundServer, memory: Memory, screenshots: Path
) -> None:
    page.goto(f"{server.url}users/ada")
    page.locator("#entities").get_by_role("link", name="Lena", exact=True).click()
    page.wait_for_url(re.compile(r"/entity\?user=ada&id=\w+$"))
    assert page.locator("#entity-title").inner_text().startswith("Lena")
    now = page.locator("#relations tr.relation").all_inner_texts()
    assert len(now) == 2
    assert any("works at\tGlobex" in row for row in now)
    assert any("sister of\tUser" in row for row in now)
    history = page.locator("#relation-history li").all_inner_texts()
    acme = next(item for item in history if "Acme Corp" in item)
    assert "2026-03-01 → 2026-05-01" in acme
    assert "superseded" in acme
    assert page.locator("#relation-history li.superseded").count() == 1
    mentions = page.locator("#mentions li.turn").all_inner_texts()
    assert len(mentions) == 2
    # the picture is an image the server drew, loaded (naturalWidth > 0) under the CSP
    image = page.locator("#network img.network")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    svg = page.request.get(server.url + image.get_attribute("src").lstrip("/"))
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "Globex" in svg.text()
    assert "Acme" not in svg.text()
    page.screenshot(path=str(screenshots / "ui-entity.png"), full_page=True)


def test_an_unknown_or_foreign_entity_is_not_found(
    page: Any, server: BackgroundServer, memory: Memory
) -> None:
    entity = memory.knowledge.find("ada", ["Lena"])["lena"]
    memory.ingest([HumanMessage("I use Python.")], user_id="bob", thread_id="b1")
    assert page.goto(f"{server.url}entity?user=bob&id={entity.id}").status == 404
    assert page.goto(f"{server.url}entity?user=ada&id=nope").status == 404
    assert page.goto(f"{server.url}entity.svg?user=bob&id={entity.id}").status == 404

"""The inspector shows items that lack the numbers its pages format (older or foreign items)."""

from __future__ import annotations

from starlette.testclient import TestClient

from langmem_plugin import Memory
from langmem_plugin.ui import create_app


def test_an_episode_without_importance_or_tone_does_not_take_the_user_page_down() -> None:
    with Memory.in_memory() as memory:
        memory.store.put(
            ("episodes", "ada"),
            "bare",
            {"content": "Ada talked about her boat", "summary": "Ada talked about her boat"},
        )
        memory.store.put(
            ("episodes", "ada"),
            "odd",
            {"content": "Ada fixed the tiller", "summary": "Ada fixed the tiller",
             "importance": "high"},
        )  # fmt: skip
        client = TestClient(create_app(memory), base_url="http://127.0.0.1")
        page = client.get("/users/ada")
        assert page.status_code == 200
        assert "Ada talked about her boat" in page.text
        assert "Ada fixed the tiller" in page.text
        assert "importance -" in page.text

"""``/metrics`` of the inspector over real HTTP: ``langmem ui`` in a subprocess, and the
same app in a thread beside a memory the test changes, scraped and parsed with
``prometheus_client.parser`` as a Prometheus server would."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from langmem_plugin.memory import Memory
from langmem_plugin.ui import BackgroundServer, start_background
from tests._hostile import hostile_hosts, loopback_hosts
from tests._support import free_port, running_langmem
from tests.browser.test_hostile_requests import Raw

TOKEN = "metrics-scraper-token-1234"


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[Memory, BackgroundServer]]:
    with Memory.from_path(tmp_path / "memory") as memory:
        server = start_background(memory)
        try:
            yield memory, server
        finally:
            server.stop()


def test_values_change_as_the_memory_is_used(fresh: tuple[Memory, BackgroundServer]) -> None:
    memory, server = fresh
    raw = Raw(server)
    first = raw("GET", "/metrics")
    assert first.status == 200, first.text[:300]
    assert (first.header("content-type") or "").startswith("text/plain; version=")
    before = parse(first.text)
    assert before[("langmem_memory_users", ())] == 0
    memory.store.put(("memories", "ada"), "n1", {"content": "Ada drinks green tea"})
    memory.store.put(("memories", "ada"), "n2", {"content": "Ada sails"})
    memory.recall_context("ada", "tea")
    after = parse(raw("GET", "/metrics").text)
    put = ("langmem_store_ops_total", (("op", "put"),))
    assert after[put] - before[put] == 2
    assert after[("langmem_memory_items", (("user", "ada"),))] == 2
    assert (
        after[("langmem_recall_seconds_count", ())]
        == before[("langmem_recall_seconds_count", ())] + 1
    )
    assert raw("HEAD", "/metrics").status == 200


def test_metrics_pass_the_host_check(fresh: tuple[Memory, BackgroundServer]) -> None:
    _memory, server = fresh
    raw = Raw(server)
    for host in loopback_hosts(raw.port):
        assert raw("GET", "/metrics", host=host).status == 200, host
    for host in hostile_hosts(raw.port):
        reply = raw("GET", "/metrics", host=host)
        assert reply.status == 400, host
        assert "langmem_" not in reply.text
    assert raw("POST", "/metrics", headers=[("Origin", raw.origin)]).status in {403, 405}


def test_metrics_need_the_token_when_one_is_set(tmp_path: Path) -> None:
    with Memory.from_path(tmp_path / "memory") as memory:
        memory.store.put(("memories", "ada"), "n1", {"content": "x"})
        server = start_background(memory, token=TOKEN)
        try:
            raw = Raw(server)
            refused = raw("GET", "/metrics")
            assert refused.status == 401
            assert "langmem_" not in refused.text
            assert raw("GET", "/metrics", headers=[("Authorization", "Bearer wrong")]).status == (
                401
            )
            bearer = raw("GET", "/metrics", headers=[("Authorization", f"Bearer {TOKEN}")])
            assert bearer.status == 200
            assert parse(bearer.text)[("langmem_memory_items", (("user", "ada"),))] == 1
            header = raw("GET", "/metrics", headers=[("X-Langmem-Token", TOKEN)])
            assert header.status == 200
        finally:
            server.stop()


def test_langmem_ui_serves_metrics_of_the_demo_memory(demo_template: Path, tmp_path: Path) -> None:
    root = tmp_path / "memory"
    shutil.copytree(demo_template, root)
    port = free_port()
    with running_langmem("ui", "--path", str(root), "--port", str(port), "--token", TOKEN) as line:
        assert re.search(rf"http://127\.0\.0\.1:{port}/", line), line
        raw = Raw(port)
        assert raw("GET", "/metrics").status == 401
        reply = raw("GET", "/metrics", headers=[("Authorization", f"Bearer {TOKEN}")])
        assert reply.status == 200, reply.text[:300]
        samples = parse(reply.text)
        assert samples[("langmem_memory_items", (("user", "ada"),))] > 0
        assert samples[("langmem_memory_users", ())] == 1
        assert ("langmem_index_lag_vectors", ()) in samples

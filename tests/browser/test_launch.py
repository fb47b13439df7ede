"""Starting the inspector: ``langmem ui`` in a subprocess and ``Memory.inspect()``."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from langmem_plugin.memory import Memory
from langmem_plugin.ui._notebook import stop_inspector
from tests._support import free_port, langmem_command, running_langmem


@pytest.fixture
def demo_copy(demo_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "memory"
    shutil.copytree(demo_template, root)
    return root


def test_langmem_ui_serves_the_demo_memory_and_prints_its_address(
    demo_copy: Path, page: Any
) -> None:
    port = free_port()
    with running_langmem(
        "ui", "--path", str(demo_copy), "--port", str(port), "--read-only"
    ) as line:
        address = f"http://127.0.0.1:{port}/"
        assert line.startswith(f"memory inspector (read-only): {address}"), line
        page.goto(address)
        page.locator("#users").get_by_role("link", name="ada", exact=True).click()
        assert page.locator("#profile tr.fact[data-category='location'] td.value").inner_text() == (
            "Berlin"
        )
        assert page.locator("#episodes li.episode").count() == 3
        assert page.locator("#lessons tr.lesson").count() == 1
        assert page.locator("#archive details.session").count() == 3
        assert page.locator("#read-only").is_visible()


def test_langmem_ui_token_without_a_value_makes_a_random_one(demo_copy: Path) -> None:
    port = free_port()
    with running_langmem("ui", "--path", str(demo_copy), "--port", str(port), "--token") as line:
        found = re.search(rf"http://127\.0\.0\.1:{port}/\?token=([\w-]+)", line)
        assert found is not None, line
        assert len(found.group(1)) >= 24
        base = f"http://127.0.0.1:{port}/"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base, timeout=10)
        assert refused.value.code == 401
        request = urllib.request.Request(base, headers={"X-Langmem-Token": found.group(1)})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200


def test_langmem_ui_refuses_a_public_address_without_a_token(demo_copy: Path) -> None:
    done = subprocess.run(
        langmem_command("ui", "--path", str(demo_copy), "--host", "0.0.0.0"),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert "pass --token" in done.stderr


@pytest.fixture
def notebook_page() -> Iterator[Any]:
    """A stand-in notebook page on another port of 127.0.0.1 that frames a given URL."""
    framed: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f'<iframe id="inspector" src="{framed["src"]}" width="1000" height="700">'
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def show(src: str) -> str:
        framed["src"] = src
        return f"http://127.0.0.1:{httpd.server_address[1]}/"

    yield show
    httpd.shutdown()
    thread.join(5)


def test_memory_inspect_returns_an_iframe_a_notebook_page_can_show(
    memory: Memory, page: Any, notebook_page: Any
) -> None:
    from IPython.display import IFrame

    try:
        frame = memory.inspect()
        assert isinstance(frame, IFrame)
        assert frame.src.startswith("http://localhost:")
        with urllib.request.urlopen(frame.src, timeout=10) as response:
            assert response.status == 200
        assert memory.inspect().src == frame.src  # one server per memory
        page.goto(notebook_page(frame.src))
        inner = page.frame_locator("#inspector")
        inner.locator("#users").get_by_role("link", name="ada", exact=True).click()
        assert inner.locator("#user-title").inner_text() == "ada"
        read_only = memory.inspect(read_only=True)
        assert read_only.src != frame.src  # a new mode, a new server
        page.goto(notebook_page(read_only.src))
        assert page.frame_locator("#inspector").locator("#read-only").is_visible()
    finally:
        stop_inspector(memory)

"""Fixtures of the browser tests: Debian's headless Chromium driven by Playwright.

The memory is real (the offline demo's Chroma folder and SQLite file, copied per module),
served by the real inspector app under uvicorn in a thread; nothing is downloaded. Without
the ``chromium`` package these tests fail (``make test`` installs it when it can: see
``scripts/system_deps.sh``), never skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from langmem_plugin._admin import open_memory
from langmem_plugin.memory import Memory
from langmem_plugin.ui import BackgroundServer, start_background

CHROMIUM_MISSING = (
    "the browser tests need Debian's chromium (`apt-get install chromium`; `make test` installs "
    "it when run as root, see scripts/system_deps.sh); Playwright launches it with "
    "executable_path and never downloads a browser"
)

ServerFactory = Callable[..., BackgroundServer]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The memory folder written by the offline demo (user ``ada``), built once."""
    from langmem_plugin.cli._demo import run_memory_demo

    saved = os.environ.pop("OPENAI_API_KEY", None)
    try:
        root = tmp_path_factory.mktemp("demo-template") / "memory"
        run_memory_demo(root, out=lambda _line: None)
    finally:
        if saved is not None:
            os.environ["OPENAI_API_KEY"] = saved
    return root


@pytest.fixture(scope="module")
def memory(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Memory]:
    """A copy of the demo's memory for this module (tests here may change it)."""
    root = tmp_path_factory.mktemp("memory") / "memory"
    shutil.copytree(demo_template, root)
    with open_memory(path=root) as opened:
        yield opened


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def servers(memory: Memory) -> Iterator[ServerFactory]:
    """Start inspector servers on ``memory`` (``servers(read_only=..., token=...)``)."""
    started: list[BackgroundServer] = []

    def factory(**options: Any) -> BackgroundServer:
        server = start_background(memory, **options)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def server(servers: ServerFactory) -> BackgroundServer:
    """The default inspector: 127.0.0.1, no token, writable."""
    return servers()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; JavaScript dialogs are recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    opened.dialogs = []
    opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests save screenshots ($LANGMEM_UI_SCREENSHOTS, else a temporary dir)."""
    target = os.environ.get("LANGMEM_UI_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        return Path(target)
    return tmp_path_factory.mktemp("screenshots")

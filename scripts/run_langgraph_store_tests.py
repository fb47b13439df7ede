"""Run LangGraph's own store test suites against ``ChromaStore``.

LangGraph's packages ship their store tests in their source distributions. This script
downloads the sdists of the *installed* versions of ``langgraph-checkpoint`` and
``langgraph-checkpoint-sqlite`` with pip, unpacks them into a cache directory, writes a
``conftest.py`` next to their tests that swaps their store for a ``ChromaStore``, and runs
them with pytest. Their test code is used as published; nothing of it is copied into this
repository.

The two suites:

* ``core``: ``langgraph-checkpoint``'s ``tests/test_store.py``. Its tests build
  ``InMemoryStore(**kwargs)`` themselves (directly or inside its ``MockAsyncBatchedStore``);
  the conftest replaces the module's ``InMemoryStore`` name with a ``ChromaStore`` subclass
  (a class, since some tests spy on ``InMemoryStore.batch``) that opens
  ``ChromaStore(path=<fresh temp dir>, **kwargs)``. Their ``index=`` (``dims``, ``embed``
  as their ``CharacterEmbeddings`` or a plain function, ``fields``) goes to ``ChromaStore``
  as given. A few tests exercise no store at all (``get_text_at_path``,
  ``validate_op_namespace``, batching with a ``mocker`` store); the summary line
  ``ChromaStore used by N of M tests`` says how many did exercise ours.
* ``sqlite``: ``langgraph-checkpoint-sqlite``'s ``tests/test_store.py``, the tests that take
  its ``store`` fixture, on both of its parameters: ``memory`` becomes ``ChromaStore()``
  (ephemeral Chroma, SQLite ``:memory:``), ``file`` becomes ``ChromaStore(path=<temp dir>)``.
  Its other tests (vector search through the ``sqlite-vec`` extension, SQL helpers of
  ``SqliteStore``) test ``SqliteStore`` itself and are deselected.

``pytest-mock`` (imported by the core suite, not a dependency of ours) is installed with
``pip install --target`` into the cache directory, not into the environment.

Not part of ``make test``: it needs PyPI. Everything after the download runs offline.

Usage:
    .venv/bin/python scripts/run_langgraph_store_tests.py [--suite core|sqlite|all]
                                                          [--cache DIR] [-- PYTEST_ARGS...]

    # e.g. one test, with the full traceback:
    .venv/bin/python scripts/run_langgraph_store_tests.py --suite core -- -k basic --tb=long

Prints each suite's pytest summary and exits with pytest's exit code (the first non-zero
one when several suites run).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Suite:
    """One of LangGraph's test suites: which sdist, which test file, how to swap the store."""

    name: str
    distribution: str
    test_file: str
    mode: str  # "core": replace InMemoryStore; "sqlite": replace the ``store`` fixture


SUITES = {
    "core": Suite("core", "langgraph-checkpoint", "tests/test_store.py", "core"),
    "sqlite": Suite("sqlite", "langgraph-checkpoint-sqlite", "tests/test_store.py", "sqlite"),
}

# Written next to their tests as ``tests/conftest.py``. It patches the test module as it is
# collected (before pytest reads its fixtures), so their own ``store`` fixture is replaced
# rather than shadowing ours.
CONFTEST = '''\
"""Written by langmem_plugin's scripts/run_langgraph_store_tests.py: run on ChromaStore."""

import os
import shutil
import tempfile
import uuid
from typing import Any

import pytest

from langmem_plugin import ChromaStore

MODE = os.environ["LANGMEM_PEER_MODE"]
_ROOT = tempfile.mkdtemp(prefix="langmem-peer-")
_open: list[ChromaStore] = []
_used: set[str] = set()
_current: list[str] = [""]


def _new_store(*, persistent: bool) -> ChromaStore:
    _used.add(_current[0])
    if persistent:
        store = ChromaStore(path=os.path.join(_ROOT, uuid.uuid4().hex))
    else:
        store = ChromaStore()
    _open.append(store)
    return store


class _ChromaInMemoryStore(ChromaStore):
    """Stands in for ``InMemoryStore(**kwargs)``: a class, since tests spy on its methods."""

    def __init__(self, **kwargs: Any) -> None:
        _used.add(_current[0])
        super().__init__(path=os.path.join(_ROOT, uuid.uuid4().hex), **kwargs)
        _open.append(self)


@pytest.fixture(scope="function", params=["memory", "file"])
def store(request: Any) -> Any:
    """Stands in for the SQLite suite's ``store`` fixture."""
    yield _new_store(persistent=request.param == "file")


class _OnChroma(pytest.Module):
    def _getobj(self) -> Any:
        module = super()._getobj()
        if MODE == "core" and hasattr(module, "InMemoryStore"):
            module.InMemoryStore = _ChromaInMemoryStore
        if MODE == "sqlite" and hasattr(module, "store"):
            module.store = store
        return module


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Any, parent: Any) -> Any:
    if module_path.name.startswith("test_"):
        return _OnChroma.from_parent(parent, path=module_path)
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if MODE != "sqlite":
        return
    keep = [item for item in items if "store" in getattr(item, "fixturenames", ())]
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(autouse=True)
def _close_stores(request: Any) -> Any:
    _current[0] = request.node.nodeid
    yield
    while _open:
        _open.pop().close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    ran = {
        report.nodeid
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
    }
    terminalreporter.write_line(f"ChromaStore used by {len(_used & ran)} of {len(ran)} tests")


def pytest_unconfigure(config: Any) -> None:
    shutil.rmtree(_ROOT, ignore_errors=True)
'''


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def fetch_sdist(distribution: str, cache: Path) -> Path:
    """Download and unpack the sdist of the installed version; returns its root folder."""
    version = importlib.metadata.version(distribution)
    folder = cache / "src" / f"{distribution}-{version}"
    if (folder / "tests").is_dir():
        return folder
    downloads = cache / "sdists"
    downloads.mkdir(parents=True, exist_ok=True)
    stem = distribution.replace("-", "_")
    found = sorted(downloads.glob(f"{stem}-{version}.tar.gz"))
    if not found:
        _pip(
            "download",
            "--quiet",
            "--no-binary",
            ":all:",
            "--no-deps",
            "--dest",
            str(downloads),
            f"{distribution}=={version}",
        )
        found = sorted(downloads.glob(f"{stem}-{version}.tar.gz"))
    if not found:
        raise SystemExit(f"pip did not leave an sdist of {distribution}=={version} in {downloads}")
    unpack = cache / "src" / ".unpack"
    with tarfile.open(found[0]) as archive:
        archive.extractall(unpack, filter="data")
    (unpack / f"{stem}-{version}").rename(folder)
    return folder


def install_test_dependencies(cache: Path) -> Path:
    """``pytest-mock`` for the core suite, installed into the cache, not the environment."""
    target = cache / "deps"
    if not (target / "pytest_mock").is_dir():
        _pip("install", "--quiet", "--no-deps", "--target", str(target), "pytest-mock")
    return target


def run_suite(suite: Suite, cache: Path, deps: Path, pytest_args: list[str]) -> int:
    """Write the conftest into the suite's tests folder and run pytest there."""
    root = fetch_sdist(suite.distribution, cache)
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    env = dict(os.environ)
    env["LANGMEM_PEER_MODE"] = suite.mode
    env["ANONYMIZED_TELEMETRY"] = "False"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(deps), str(REPO), env.get("PYTHONPATH", "")) if p
    )
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "-q",
        "-rfEs",
        "--tb=short",
        suite.test_file,
        *pytest_args,
    ]
    version = importlib.metadata.version(suite.distribution)
    print(f"=== {suite.name}: {suite.distribution} {version} {suite.test_file}", flush=True)
    return subprocess.run(command, cwd=root, env=env, check=False).returncode


def main() -> int:
    """Parse the arguments, run the chosen suites, return the first non-zero exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=[*SUITES, "all"], default="all")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "langmem-langgraph-store-tests",
        help="where the sdists and pytest-mock are kept between runs",
    )
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args()
    cache: Path = args.cache.resolve()
    deps = install_test_dependencies(cache)
    chosen = list(SUITES.values()) if args.suite == "all" else [SUITES[args.suite]]
    codes = [run_suite(suite, cache, deps, args.pytest_args) for suite in chosen]
    return next((code for code in codes if code != 0), 0)


if __name__ == "__main__":
    sys.exit(main())

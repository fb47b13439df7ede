"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from tests._support import chroma_server, have_chroma_cli

StoreFactory = Callable[..., Any]


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real Chroma server started for this test session on 127.0.0.1."""
    if not have_chroma_cli():
        pytest.fail("the chroma command of the chromadb package is missing")
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("server", marks=[pytest.mark.server, pytest.mark.postgres]),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    """Runs a test once on embedded Chroma and once on a Chroma server (marked ``server``)."""
    return str(request.param)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the Chroma server (or PostgreSQL) fixture as such.

    So that ``-m "not server"`` (``make test-unit``) deselects exactly the tests that
    start a ``chroma run`` server, whether they ask for it directly or through ``backend``.
    """
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if "chroma_url" in names:
            item.add_marker(pytest.mark.server)
        if names & {"postgres_url", "fresh_postgres_url"}:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def make_store(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[StoreFactory]:
    """Factory of ChromaStores on the test's backend; every store of a test shares one Chroma.

    ``make_store(**kwargs)`` passes ``index``/``ttl``/``collection_prefix`` to ChromaStore;
    two calls with the same ``collection_prefix`` see the same data (a reopen). The server
    backend is the scale-out setup: vectors on a ``chroma run`` server, items in PostgreSQL.
    """
    from langmem_plugin import ChromaStore

    created: list[Any] = []
    unique = f"t{uuid.uuid4().hex[:10]}"
    if backend == "server":
        url = request.getfixturevalue("chroma_url")
        sql = request.getfixturevalue("postgres_url")

        def factory(**kwargs: Any) -> Any:
            kwargs.setdefault("collection_prefix", unique)
            store = ChromaStore.from_url(url, sql=sql, **kwargs)
            created.append(store)
            return store
    else:

        def factory(**kwargs: Any) -> Any:
            kwargs.setdefault("collection_prefix", unique)
            store = ChromaStore(path=tmp_path / "chroma", **kwargs)
            created.append(store)
            return store

    yield factory
    for store in created:
        store.close()

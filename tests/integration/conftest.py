"""Fixtures of the integration tests: a real PostgreSQL 15 (see tests/_pg.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests._pg import postgres_unavailable_reason, running_postgres


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL 15 on 127.0.0.1 for this test session.

    Skips when the server binaries are missing, unless LANGMEM_REQUIRE_POSTGRES=1 (CI),
    in which case the test fails.
    """
    reason = postgres_unavailable_reason()
    if reason is not None:
        if os.environ.get("LANGMEM_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"LANGMEM_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    with running_postgres() as url:
        yield url


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> str:
    """A URL of a new, empty database on the session's PostgreSQL server."""
    import psycopg

    database = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    return postgres_url.rsplit("/", 1)[0] + f"/{database}"

"""Checkpointer wiring: LangGraph's own savers, opened from a path or a URL.

Nothing here checkpoints by itself; it only opens and closes LangGraph's savers:

- a SQLite file path (or ``sqlite:///path``): ``SqliteSaver`` on a connection with
  ``check_same_thread=False`` (the saver serialises access with its own lock), and
  ``AsyncSqliteSaver`` on an ``aiosqlite`` connection for async graphs;
- ``postgresql://...``: ``PostgresSaver`` on a ``psycopg_pool.ConnectionPool`` and
  ``AsyncPostgresSaver`` on an ``AsyncConnectionPool`` (needs the ``postgres`` extra);
- ``":memory:"``: one ``InMemorySaver`` that serves sync and async graphs alike.

Every saver is ``setup()`` before it is returned.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from langmem_plugin._extras import missing_extra

__all__ = ["CheckpointSpec", "OpenedSaver", "aopen_saver", "open_saver", "parse_checkpoint_url"]

_PG_PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_POOL_KWARGS: dict[str, Any] = {"autocommit": True, "prepare_threshold": 0}


@dataclass(frozen=True)
class CheckpointSpec:
    """Where checkpoints live.

    Attributes:
        kind: ``"sqlite"``, ``"postgres"`` or ``"memory"``.
        target: The SQLite file path, or the PostgreSQL URL (empty for memory).
        serde: Serializer given to the savers (None: LangGraph's default).
        read_only: Open an existing SQLite file for reads only, beside a writer in another
            process (no ``setup()``; SQLite refuses writes with ``query_only``).
    """

    kind: str
    target: str = ""
    read_only: bool = False
    serde: Any = field(default=None, compare=False, repr=False)
    """The savers' serializer (LangGraph's ``EncryptedSerializer`` when encrypted), or None."""


def parse_checkpoint_url(url: str | Path) -> CheckpointSpec:
    """Turn a checkpoint location into a ``CheckpointSpec``.

    Args:
        url: ``postgresql://...``, ``sqlite:///path``, a file path, or ``":memory:"``.

    Returns:
        The spec.

    Raises:
        ValueError: If ``url`` is empty or uses an unsupported scheme.
    """
    if isinstance(url, Path):
        return CheckpointSpec("sqlite", str(url))
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"checkpoint_url must be a non-empty string or Path, got {url!r}")
    if url == ":memory:":
        return CheckpointSpec("memory")
    if url.startswith(_PG_PREFIXES):
        return CheckpointSpec("postgres", url.replace("postgresql+psycopg://", "postgresql://"))
    if url.startswith("sqlite:///"):
        return CheckpointSpec("sqlite", url[len("sqlite:///") :])
    if "://" in url:
        raise ValueError(f"checkpoint_url {url!r} is not postgresql://, sqlite:/// nor a file path")
    return CheckpointSpec("sqlite", url)


@dataclass
class OpenedSaver:
    """A saver together with what must be closed when it is no longer needed."""

    saver: BaseCheckpointSaver[Any]
    resources: list[Any] = field(default_factory=list)

    def close(self) -> None:
        """Close the underlying connection or pool (sync resources only)."""
        for resource in reversed(self.resources):
            resource.close()
        self.resources.clear()

    async def aclose(self) -> None:
        """Close the underlying async connection or pool (in its own event loop)."""
        for resource in reversed(self.resources):
            await resource.close()
        self.resources.clear()


def _import_postgres() -> Any:
    try:
        import psycopg_pool
        from langgraph.checkpoint.postgres import PostgresSaver
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg.rows import dict_row
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise missing_extra("a postgresql:// checkpoint_url", "postgres") from error
    return psycopg_pool, PostgresSaver, AsyncPostgresSaver, dict_row


def _read_only_connection(target: str) -> sqlite3.Connection:
    """A connection to an existing SQLite file that never writes to it.

    Without a transaction open, every read sees what the writer committed before it.
    """
    from langmem_plugin.errors import MemoryNotFoundError

    if not Path(target).is_file():
        raise MemoryNotFoundError(f"no checkpoint database at {target!r} to open read-only")
    uri = f"{Path(target).resolve().as_uri()}?mode=rw"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only=ON")
    return conn


def open_saver(spec: CheckpointSpec, shared_memory: InMemorySaver | None = None) -> OpenedSaver:
    """Open the sync saver for ``spec`` and set it up.

    Args:
        spec: Where checkpoints live.
        shared_memory: The ``InMemorySaver`` to return for ``"memory"`` specs.

    Returns:
        The opened saver.
    """
    if spec.kind == "memory":
        return OpenedSaver(
            shared_memory if shared_memory is not None else InMemorySaver(serde=spec.serde)
        )
    if spec.kind == "sqlite":
        from langgraph.checkpoint.sqlite import SqliteSaver

        if spec.read_only:
            conn = _read_only_connection(spec.target)
            sqlite_saver = SqliteSaver(conn, serde=spec.serde)
            sqlite_saver.is_setup = True  # the writer set the tables up; a reader creates none
            return OpenedSaver(sqlite_saver, [conn])
        Path(spec.target).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(spec.target, check_same_thread=False)
        conn.execute("PRAGMA secure_delete=ON")  # deleted checkpoints leave no bytes
        sqlite_saver = SqliteSaver(conn, serde=spec.serde)
        sqlite_saver.setup()
        return OpenedSaver(sqlite_saver, [conn])
    psycopg_pool, postgres_saver_cls, _, dict_row = _import_postgres()
    pool = psycopg_pool.ConnectionPool(
        spec.target,
        min_size=1,
        max_size=8,
        kwargs={**_POOL_KWARGS, "row_factory": dict_row},
        open=True,
    )
    try:
        saver = postgres_saver_cls(pool, serde=spec.serde)
        saver.setup()
    except BaseException:
        pool.close()
        raise
    return OpenedSaver(saver, [pool])


async def aopen_saver(
    spec: CheckpointSpec, shared_memory: InMemorySaver | None = None
) -> OpenedSaver:
    """Open the async saver for ``spec`` in the running event loop and set it up.

    Args:
        spec: Where checkpoints live.
        shared_memory: The ``InMemorySaver`` to return for ``"memory"`` specs.

    Returns:
        The opened saver; close it with ``aclose`` in the same event loop.
    """
    if spec.kind == "memory":
        return OpenedSaver(
            shared_memory if shared_memory is not None else InMemorySaver(serde=spec.serde)
        )
    if spec.kind == "sqlite" and spec.read_only:
        from langmem_plugin.errors import ReadOnlyMemoryError

        raise ReadOnlyMemoryError(
            f"the checkpoints in {spec.target!r} are open read-only; async savers run graphs, "
            "which write: open the memory without read_only"
        )
    if spec.kind == "sqlite":
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        Path(spec.target).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(spec.target)
        await conn.execute("PRAGMA secure_delete=ON")
        sqlite_saver = AsyncSqliteSaver(conn, serde=spec.serde)
        await sqlite_saver.setup()
        return OpenedSaver(sqlite_saver, [conn])
    psycopg_pool, _, async_saver_cls, dict_row = _import_postgres()
    pool = psycopg_pool.AsyncConnectionPool(
        spec.target,
        min_size=1,
        max_size=8,
        kwargs={**_POOL_KWARGS, "row_factory": dict_row},
        open=False,
    )
    await pool.open()
    try:
        saver = async_saver_cls(pool, serde=spec.serde)
        await saver.setup()
    except BaseException:
        await pool.close()
        raise
    return OpenedSaver(saver, [pool])

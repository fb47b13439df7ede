"""The SQL databases under ChromaStore's tables: one SQLite file or PostgreSQL.

``open_database`` picks the kind from the location; both kinds offer the same small
``Database`` protocol (``query``, ``transaction``, ``close``) with ``?`` placeholders, so
the tables (``_sql``) and the audit log (``_audit``) are written once for both.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from os import PathLike
from pathlib import Path
from typing import Any, Protocol, TypeVar

from langmem_plugin._extras import missing_extra
from langmem_plugin.errors import MemoryNotFoundError, ReadOnlyMemoryError

__all__ = [
    "CACHE_KIB",
    "Cursor",
    "Database",
    "PostgresDatabase",
    "SqliteDatabase",
    "open_database",
]

T = TypeVar("T")
_PG_PREFIXES = ("postgresql://", "postgres://")
CACHE_KIB = 65536
"""SQLite page cache per connection (64 MiB; memory is only used as pages are read)."""


class Cursor(Protocol):
    """The part of a DB-API cursor the tables use (``?`` placeholders)."""

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Database(Protocol):
    """A connection (or pool) that runs queries and transactions."""

    kind: str
    read_only: bool
    """Queries only: ``transaction`` raises ``ReadOnlyMemoryError`` (see ``SqliteDatabase``)."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    def transaction(self, work: Callable[[Cursor], T]) -> T: ...

    def close(self) -> None: ...


class SqliteDatabase:
    """One SQLite connection shared by the store's threads under a lock.

    Another process may use the same file at the same time: writers wait for each other
    (``busy_timeout``) and readers never block (WAL).

    ``read_only=True`` opens an existing file for queries only, beside a writer in another
    process: the connection is in autocommit mode, so each query is its own read
    transaction and sees everything committed before it started (WAL readers neither wait
    for the writer nor block it); ``PRAGMA query_only`` makes SQLite itself refuse writes,
    and ``transaction`` raises ``ReadOnlyMemoryError`` before trying one.
    """

    kind = "sqlite"

    def __init__(self, path: str | PathLike[str], *, read_only: bool = False) -> None:
        target = str(path)
        self.read_only = read_only
        if read_only:
            if target == ":memory:" or not Path(target).is_file():
                raise MemoryNotFoundError(f"no SQLite database at {target!r} to open read-only")
            # mode=rw: never create the file; query_only: never write to it
            uri = f"{Path(target).resolve().as_uri()}?mode=rw"
            self._conn = sqlite3.connect(
                uri, uri=True, check_same_thread=False, isolation_level=None, timeout=30.0
            )
            self._conn.execute("PRAGMA query_only=ON")
        else:
            if target != ":memory:":
                Path(target).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                target, check_same_thread=False, isolation_level=None, timeout=30.0
            )
        self._lock = threading.RLock()
        if target != ":memory:" and not read_only:
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA secure_delete=ON")
        # SQLite's default page cache is 2 MB; the item and vector indexes of a store with
        # 100k items outgrow it, and every insert then reads its B-tree pages from disk.
        self._conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run one read and return its rows."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def transaction(self, work: Callable[[Cursor], T]) -> T:
        """Run ``work`` in one immediate transaction; roll back if it raises.

        Raises:
            ReadOnlyMemoryError: The database was opened ``read_only``.
        """
        if self.read_only:
            raise ReadOnlyMemoryError(
                "this memory is open read-only (another process holds the folder): writes "
                "go through that process, or stop it and run the command again"
            )
        with self._lock:
            cursor = self._conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                result = work(cursor)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
            return result

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


class _PgCursor:
    """A psycopg cursor that takes ``?`` placeholders."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> Any:
        return self._cursor.executemany(sql.replace("?", "%s"), list(params))

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())


class PostgresDatabase:
    """A psycopg connection pool (needs the ``postgres`` extra)."""

    kind = "postgres"
    read_only = False

    def __init__(self, url: str) -> None:
        try:
            import psycopg_pool
        except ImportError as error:  # pragma: no cover - depends on the installed extras
            raise missing_extra("a postgresql:// sql location", "postgres") from error
        self._pool = psycopg_pool.ConnectionPool(
            url, min_size=1, max_size=8, kwargs={"autocommit": True}, open=True
        )

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run one read and return its rows."""
        with self._pool.connection() as conn:
            return list(conn.execute(sql.replace("?", "%s"), params).fetchall())

    def transaction(self, work: Callable[[Cursor], T]) -> T:
        """Run ``work`` in one transaction; roll back if it raises."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            return work(_PgCursor(cursor))

    def close(self) -> None:
        """Close the pool."""
        self._pool.close()


def open_database(location: str | PathLike[str], *, read_only: bool = False) -> Database:
    """A SQLite file or ``":memory:"``, or a ``postgresql://`` URL.

    Args:
        location: Where the tables are.
        read_only: Open an existing SQLite file for queries only (see ``SqliteDatabase``).

    Raises:
        ValueError: ``location`` is another kind of URL, or a PostgreSQL URL with
            ``read_only`` (PostgreSQL serves many processes: open it normally).
    """
    text = str(location)
    if text.startswith(_PG_PREFIXES):
        if read_only:
            raise ValueError(
                "read_only applies to a memory folder's SQLite file; a PostgreSQL database "
                "serves every process at once, open it without read_only"
            )
        return PostgresDatabase(text)
    if text.startswith("sqlite:///"):
        return SqliteDatabase(text[len("sqlite:///") :], read_only=read_only)
    if "://" in text:
        raise ValueError(
            f"sql location {text!r} is neither a postgresql:// URL, sqlite:///path nor a path"
        )
    return SqliteDatabase(text, read_only=read_only)

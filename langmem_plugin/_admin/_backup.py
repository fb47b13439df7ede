"""``langmem backup`` / ``langmem restore``: a consistent copy of a memory folder in use.

A memory folder holds two things: ``checkpoints.sqlite``, the record (LangGraph's
checkpoints and writes, and the store's items, vectors and namespaces: see
``langmem_plugin.store._sql``), and ``chroma/``, Chroma's HNSW index of those vectors,
which the store can always rebuild from SQL (``ChromaStore.rebuild_index``).

Backup therefore copies only the SQLite file, with SQLite's online backup API
(``sqlite3.Connection.backup``) inside one read transaction: the copy is the database as
it was at one instant (every acknowledged store batch and checkpoint whole, nothing
half-written), taken while another process keeps writing (the file is in WAL mode, so
the writer is not blocked). It does not open the folder as a ``Memory``: a running app
holds the folder's lock (``FolderInUseError``), and backup must not need it. The output
is one SQLite file with a ``langmem_backup`` table (format, version, time, source), in
rollback-journal mode so that it is self-contained, and vacuumed: pages the memory had
freed (deleted data) are not carried into it. A backup holds what the memory held when it
was taken; ``langmem forget`` does not reach into backup files.

Restore copies the backup into a new folder's ``checkpoints.sqlite`` (again with the
backup API), drops the ``langmem_backup`` table, then opens the store and rebuilds
Chroma's index from the vectors in SQL (about 1 ms per vector; the texts are not
embedded again). The embeddings and collection prefix must be those of the backed-up
memory (``Memory.from_config`` / ``langmem.toml`` keep them in one place).

For a memory on a Chroma server and PostgreSQL, use ``langmem export`` (logical, with
checkpoints) or PostgreSQL's own ``pg_dump``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from langmem_plugin.errors import BackupError

if TYPE_CHECKING:
    from langmem_plugin._admin._export import TransferCounts

__all__ = [
    "BACKUP_FORMAT",
    "BACKUP_VERSION",
    "BackupInfo",
    "RestoreInfo",
    "backup_folder",
    "restore_folder",
]

BACKUP_FORMAT = "langmem-backup"
BACKUP_VERSION = 1
DATABASE = "checkpoints.sqlite"
_META = "langmem_backup"
_PAGES_PER_STEP = 1024  # 4 MiB of 4 KiB pages between two progress updates


@dataclass(frozen=True)
class BackupInfo:
    """What ``backup_folder`` wrote.

    Attributes:
        path: The backup file.
        bytes: Its size.
        pages: SQLite pages copied.
        seconds: How long the copy took.
    """

    path: Path
    bytes: int
    pages: int
    seconds: float


@dataclass(frozen=True)
class RestoreInfo:
    """What ``restore_folder`` restored.

    Attributes:
        path: The new memory folder.
        counts: Items, sessions, messages and checkpoints restored, counted as
            ``langmem export`` counts them (``count_records``), so the two report the
            same numbers for the same memory.
        vectors: Vectors indexed into the new Chroma index.
        created_at: When the backup was taken (epoch seconds).
    """

    path: Path
    counts: TransferCounts
    vectors: int
    created_at: float


@contextmanager
def _bar(desc: str, enabled: bool) -> Iterator[Any]:
    with tqdm(desc=desc, unit="page", file=sys.stderr, disable=not enabled) as bar:
        yield bar


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, desc: str, progress: bool) -> int:
    """Copy ``source`` into ``target`` from one read snapshot; returns the page count."""
    pages = 0
    with _bar(desc, progress) as bar:

        def step(_status: int, remaining: int, total: int) -> None:
            nonlocal pages
            pages = total
            bar.total = total
            bar.n = total - remaining
            bar.refresh()

        # One read transaction for the whole copy: every step reads the same snapshot, so
        # writes of other processes meanwhile neither tear the copy nor restart it.
        source.execute("BEGIN")
        try:
            source.execute("SELECT count(*) FROM sqlite_master").fetchall()
            source.backup(target, pages=_PAGES_PER_STEP, progress=step)
        finally:
            source.execute("COMMIT")
    return pages


def backup_folder(directory: str | Path, out: str | Path, *, progress: bool = False) -> BackupInfo:
    """Take a consistent backup of a memory folder, even while another process uses it.

    Args:
        directory: The memory folder (``from_path``'s directory).
        out: The backup file to write (replaced atomically if it exists).
        progress: Show a progress bar (SQLite pages) on stderr.

    Returns:
        What was written.

    Raises:
        BackupError: ``directory`` holds no memory, or ``out`` cannot be written (its
            folder is missing, it is a folder, no permission).
    """
    started = time.monotonic()
    database = Path(directory) / DATABASE
    if not database.is_file():
        raise BackupError(f"no memory at {str(directory)!r} ({DATABASE} is missing)")
    target = Path(out)
    if target.is_dir():
        raise BackupError(f"backup target {str(out)!r} is a folder; name a file in it")
    if not target.parent.is_dir():
        raise BackupError(
            f"cannot write the backup {str(out)!r}: folder {str(target.parent)!r} does not exist"
        )
    partial = target.with_name(target.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        copy_connection = sqlite3.connect(partial, isolation_level=None)
    except (OSError, sqlite3.Error) as error:
        raise BackupError(f"cannot write the backup {str(out)!r}: {error}") from error
    try:
        pages = _write_backup(database, Path(directory), copy_connection, progress)
    except sqlite3.Error as error:  # e.g. a folder without write permission
        partial.unlink(missing_ok=True)
        raise BackupError(
            f"backup of {str(directory)!r} to {str(out)!r} failed: {error}"
        ) from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return BackupInfo(target, target.stat().st_size, pages, time.monotonic() - started)


def _write_backup(
    database: Path, directory: Path, copy_connection: sqlite3.Connection, progress: bool
) -> int:
    """Copy ``database`` into ``copy_connection``'s file, vacuumed, with the meta table."""
    with (
        closing(sqlite3.connect(database, isolation_level=None, timeout=30.0)) as source,
        closing(copy_connection) as copy,
    ):
        pages = _copy(source, copy, "backup", progress)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        copy.execute("VACUUM")  # free pages (deleted data) are not carried into the backup
        copy.execute(f"CREATE TABLE {_META} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        meta = {
            "format": BACKUP_FORMAT,
            "version": BACKUP_VERSION,
            "created_at": time.time(),
            "source": str(directory.resolve()),
        }
        copy.executemany(
            f"INSERT INTO {_META} VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()]
        )
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":  # pragma: no cover - a corrupt source database
            raise BackupError(f"the copy of {str(database)!r} fails SQLite's check: {check}")
    return pages


def _read_meta(backup: Path) -> dict[str, Any]:
    if not backup.is_file():
        raise BackupError(f"no backup file at {str(backup)!r}")
    try:
        with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as conn:
            rows = conn.execute(f"SELECT key, value FROM {_META}").fetchall()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{str(backup)!r} is not a langmem backup ({error})") from error
    meta = {key: json.loads(value) for key, value in rows}
    if meta.get("format") != BACKUP_FORMAT or meta.get("version") != BACKUP_VERSION:
        raise BackupError(
            f"{str(backup)!r} is not a {BACKUP_FORMAT} version {BACKUP_VERSION} file: {meta}"
        )
    return meta


def restore_folder(
    backup: str | Path,
    directory: str | Path,
    *,
    embeddings: Any = "local",
    collection_prefix: str = "langmem",
    progress: bool = False,
) -> RestoreInfo:
    """Restore a backup into a new memory folder and rebuild its Chroma index.

    Args:
        backup: A file written by ``backup_folder``.
        directory: The new memory folder; must not hold a memory yet.
        embeddings: The embeddings of the backed-up memory (for the index's dimension).
        collection_prefix: Its collection prefix.
        progress: Show a progress bar (SQLite pages) on stderr.

    Returns:
        What was restored.

    Raises:
        BackupError: ``backup`` is not a backup, or ``directory`` already holds a memory.
    """
    from langmem_plugin._admin._export import count_records
    from langmem_plugin.memory import Memory

    source = Path(backup)
    meta = _read_meta(source)
    root = Path(directory)
    database = root / DATABASE
    if database.exists() or (root / "chroma").exists():
        raise BackupError(
            f"{str(root)!r} already holds a memory; restore into a new folder "
            "(restore never overwrites)"
        )
    root.mkdir(parents=True, exist_ok=True)
    partial = root / (DATABASE + ".partial")
    partial.unlink(missing_ok=True)
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, isolation_level=None)) as src,
        closing(sqlite3.connect(partial, isolation_level=None)) as copy,
    ):
        _copy(src, copy, "restore", progress)
        copy.execute(f"DROP TABLE {_META}")
        copy.execute("PRAGMA journal_mode=WAL")
    os.replace(partial, database)
    with Memory.from_path(
        root, embeddings=embeddings, collection_prefix=collection_prefix
    ) as memory:
        vectors = memory.store.rebuild_index()
        counts = count_records(memory)
    return RestoreInfo(root, counts, vectors, float(meta["created_at"]))

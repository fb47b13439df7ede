"""Connecting ChromaStore to Chroma: clients, connection errors, the folder lock, migration.

* ``make_client`` / ``http_client``: an embedded (or in-memory) or HTTP chromadb client,
  telemetry off;
* ``translate_errors``: a Chroma call whose connection failure becomes
  ``StoreUnavailableError`` naming the server;
* ``FolderLock``: one writing process at a time on an embedded store's folder;
* ``migrate_legacy_items``: items of the layout before items moved to SQL, moved into SQL.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

import numpy as np

from langmem_plugin.errors import ChromaStoreError, FolderInUseError, StoreUnavailableError
from langmem_plugin.store import _records as rec
from langmem_plugin.store._sql import ItemTable, join_namespace

__all__ = [
    "FolderLock",
    "chroma_settings",
    "http_client",
    "make_client",
    "migrate_legacy_items",
    "translate_errors",
]

logger = logging.getLogger(__name__)


def chroma_settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def make_client(path: str | PathLike[str] | None) -> Any:
    import chromadb

    if path is None:
        return chromadb.EphemeralClient(settings=chroma_settings())
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings())


def http_client(url: str) -> Any:
    """A chromadb ``HttpClient`` for ``http(s)://host:port``, with telemetry off.

    Raises:
        ValueError: The URL is not http(s).
        StoreUnavailableError: Nothing answers at that address.
    """
    import chromadb

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"Expected an http(s)://host:port Chroma URL, got {url!r}.")
    port = parsed.port or (443 if parsed.scheme == "https" else 8000)
    try:
        return chromadb.HttpClient(
            host=parsed.hostname,
            port=port,
            ssl=parsed.scheme == "https",
            settings=chroma_settings(),
        )
    except Exception as exc:
        raise StoreUnavailableError(f"Chroma server at {url!r} is not reachable: {exc}") from exc


def translate_errors(call: Callable[[], Any], client: Any) -> Any:
    """Run a Chroma call; connection failures become :class:`StoreUnavailableError`."""
    try:
        return call()
    except ChromaStoreError:
        raise
    except Exception as exc:
        if _is_connection_error(exc):
            where = _describe_client(client)
            raise StoreUnavailableError(f"Chroma at {where} is not reachable: {exc}") from exc
        raise


def _is_connection_error(exc: BaseException) -> bool:
    import httpx

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (ConnectionError, httpx.TransportError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _describe_client(client: Any) -> str:
    settings = getattr(client, "get_settings", lambda: None)()
    host = getattr(settings, "chroma_server_host", None)
    port = getattr(settings, "chroma_server_http_port", None)
    return f"{host}:{port}" if host else type(client).__name__


def migrate_legacy_items(
    client: Any, collection_prefix: str, table: ItemTable, collection: Any
) -> None:
    """Move items of the previous layout (a ``<prefix>_items`` collection) into SQL.

    Stores written before items moved to SQL kept them in Chroma. Their ids, versions
    and sequences are copied as they are, with the current versions' vectors (which
    Chroma's index already holds); the old collection is deleted once the rows are
    committed (a crash in between migrates again, and the copy is idempotent).
    """
    name = f"{collection_prefix}_items"
    if name not in {c.name for c in client.list_collections()}:
        return
    old = client.get_collection(name, embedding_function=None)
    items = rec.decode_legacy_items(old.get(include=["metadatas", "documents"]))
    if items:
        namespaces: dict[str, int] = {}
        for item in items:
            ns = join_namespace(item.namespace)
            namespaces[ns] = min(namespaces.get(ns, item.nseq), item.nseq)
        vectors = []
        if collection is not None:
            current = {(i.iid, i.version): join_namespace(i.namespace) for i in items}
            held = collection.get(include=["metadatas", "embeddings"])
            for vid, meta, emb in zip(
                held["ids"], held["metadatas"], held["embeddings"], strict=True
            ):
                found = current.get((str(meta.get("item")), str(meta.get("ver"))))
                if found is not None:
                    embedding = np.asarray(emb, dtype="<f4").tobytes()
                    vectors.append(
                        (vid, meta["item"], found, int(meta["ord"]), meta["th"], embedding)
                    )
        table.import_rows(items, namespaces, vectors)
        logger.info("ChromaStore migrated %d items of %r into SQL", len(items), name)
    client.delete_collection(name)


class FolderLock:
    """An exclusive lock on an embedded store's folder, shared by the stores of a process.

    chromadb keeps one in-process system per folder and writes its vector index files from
    it; two processes writing one folder would corrupt them. ``flock`` is released by the
    operating system when the process dies, so a killed process never leaves a stale lock.
    """

    _held: ClassVar[dict[Path, FolderLock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, folder: Path, fd: int) -> None:
        self.folder = folder
        self.fd = fd
        self.count = 1

    @classmethod
    def acquire(cls, folder: Path) -> FolderLock:
        folder.mkdir(parents=True, exist_ok=True)
        folder = folder.resolve()
        with cls._guard:
            held = cls._held.get(folder)
            if held is not None:
                held.count += 1
                return held
            lock_path = folder / "langmem.lock"
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another"
                os.close(fd)
                error = FolderInUseError(
                    f"The memory folder {str(folder)!r} is open in process {owner}. An "
                    "embedded store has one writer at a time; to look at it meanwhile, "
                    "open it with read_only=True; to share it between writers, run "
                    f"`chroma run --path {folder}` and open it with ChromaStore.from_url "
                    "(or Memory.from_url / langmem --chroma-url)."
                )
                error.folder, error.owner = str(folder), owner
                raise error from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            lock = cls(folder, fd)
            cls._held[folder] = lock
            return lock

    def release(self) -> None:
        with self._guard:
            self.count -= 1
            if self.count > 0:
                return
            self._held.pop(self.folder, None)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)

"""Keeps Chroma's HNSW index in step with the vectors in SQL.

The SQL vector table is the record; Chroma is an index of it, written after the commit so
that a put costs an SQL insert and not a Chroma upsert (about 1 ms per vector). A sync copies
rows not yet indexed into Chroma, marks them indexed, then deletes from Chroma the vectors
whose rows were deleted (tombstones). It runs in a background thread once writes pause, and
on ``close()`` for at most ``CLOSE_SECONDS`` (what is left is indexed by the next open).

Searches never depend on the sync having run: a large scope is ranked from HNSW candidates
*and* the scope's rows not yet indexed (``BatchEngine._hnsw``), and HNSW hits are checked
against the items' current versions, so a vector Chroma still holds after its item changed
never matches. Two processes syncing one server store at once upsert the same rows (an
idempotent upsert); a vector they race on can be left in Chroma after its tombstone was
cleared, and ``sweep_orphans`` (part of ``ChromaStore.sweep_ttl``) removes such leftovers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from langmem_plugin._paging import chunks
from langmem_plugin.store import _records as rec
from langmem_plugin.store._sql import ItemTable, split_namespace

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.2
"""The background sync starts once writes pause this long (bulk loads are not slowed)."""
YIELD_FACTOR = 3.0
"""While writes keep coming during a background sync, it rests this many times as long as
its last batch took after each batch: it takes at most a quarter of the time from the
writers (a bulk load of 100k items ran at 1,056 acknowledged puts/s with the sync catching
up beside it, 6,221/s when it did not), and still makes progress under a steady load."""
CLOSE_SECONDS = 30.0
"""How long ``close()`` keeps indexing what is left before it leaves it for the next open."""


class IndexSync:
    """Copies new vectors from SQL into a Chroma collection and removes deleted ones.

    Args:
        table: The store's SQL tables.
        collection: The Chroma collection that holds the HNSW index.
        max_batch: Largest number of records per Chroma call.
        guard: Runs a Chroma call, translating connection errors.
    """

    def __init__(
        self,
        table: ItemTable,
        collection: Any,
        max_batch: int,
        guard: Callable[[Callable[[], Any]], Any],
    ) -> None:
        self.table = table
        self.collection = collection
        self.max_batch = max(1, min(max_batch, 1000))
        self._guard = guard
        self._lock = threading.Lock()  # one sync at a time in this process
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self, deadline: float | None = None, *, stoppable: bool = False) -> int:
        """Sync until nothing is left (or ``deadline``, a ``time.monotonic()``, passes).

        Args:
            deadline: When to stop, between two batches.
            stoppable: Also stop, between two batches, once ``close()`` was called (the
                background thread's runs).

        Returns:
            How many vectors were indexed.
        """
        done = 0
        with self._lock:
            while (deadline is None or time.monotonic() < deadline) and not (
                stoppable and self._stop.is_set()
            ):
                started = time.monotonic()
                rows = self.table.to_index(self.max_batch)
                if rows:
                    self._guard(partial(self._upsert, rows))
                    self.table.mark_indexed([row[0] for row in rows])
                    done += len(rows)
                dead = self.table.tombstoned(self.max_batch)
                if dead:
                    self._guard(partial(self.collection.delete, ids=dead))
                    self.table.clear_tombstones(dead)
                if len(rows) < self.max_batch and len(dead) < self.max_batch:
                    return done
                if stoppable and self._wake.is_set():  # writers are busy: give them the time
                    self._wake.clear()
                    self._stop.wait(YIELD_FACTOR * (time.monotonic() - started))
            return done

    def _upsert(self, rows: list[tuple[str, str, str, int, str, bytes]]) -> None:
        embeddings = np.frombuffer(b"".join(r[5] for r in rows), dtype="<f4").reshape(len(rows), -1)
        # Only the namespace, for ``where`` prefix filters: the id (``iid:version:ordinal``)
        # names the rest, which the engine reads from it.
        metadatas = [rec.namespace_metadata(split_namespace(row[2])) for row in rows]
        self.collection.upsert(ids=[r[0] for r in rows], embeddings=embeddings, metadatas=metadatas)

    def notify(self) -> None:
        """Ask the background thread to sync soon (starts it on first use)."""
        if self._stop.is_set():
            return
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._loop, name="ChromaStore-index", daemon=True
            )
            self._thread.start()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            # Debounce: while writes keep coming, let them run (the rows wait safely in SQL
            # and searches score them exactly); index once they pause.
            while not self._stop.is_set():
                self._wake.clear()
                if not self._wake.wait(DEBOUNCE_SECONDS):
                    break
            if self._stop.is_set():
                return
            try:
                self.run(stoppable=True)
            except Exception:  # the rows stay unindexed; searches still score them exactly
                logger.exception("ChromaStore index sync failed; it is retried on next write")

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Stop the thread and sync what is left for at most ``timeout`` seconds.

        Best effort: rows not indexed by then are safe in SQL, scored exactly by searches,
        and indexed by the next store that opens the same tables.
        """
        deadline = time.monotonic() + timeout
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)  # the thread stops after its current batch
            if self._thread.is_alive():
                logger.warning("ChromaStore index sync still busy at close; it resumes on reopen")
                return
        try:
            self.run(deadline)
        except Exception:
            logger.exception("ChromaStore index sync on close failed; it resumes on reopen")

    def rebuild(self, recreate: Callable[[], Any] | None = None) -> int:
        """Empty the collection and index every vector again; returns how many there are.

        Args:
            recreate: Drops the collection and returns a new, empty one, instead of deleting
                its ids one batch at a time. Only for a folder this process alone writes:
                a dropped collection's files go (with the bytes of deleted vectors that
                HNSW keeps), but another client's handle to it would break.

        Under the sync lock, so that a background run cannot mark a row indexed whose
        vector was just removed from the collection.
        """
        with self._lock:
            if recreate is not None:
                self.collection = self._guard(recreate)
            else:
                held = self._guard(lambda: self.collection.get(include=[]))["ids"]
                for chunk in chunks(held, self.max_batch):
                    self._guard(partial(self.collection.delete, ids=chunk))
            vectors = self.table.reset_index()
        self.run()
        return vectors

    def sweep_orphans(self) -> int:
        """Delete vectors Chroma holds that SQL no longer has; returns how many.

        Reads every id on both sides: maintenance, not a hot path.
        """
        with self._lock:
            current = self.table.vector_ids()
            held = self._guard(lambda: self.collection.get(include=[]))["ids"]
            stale = [vid for vid in held if vid not in current]
            for chunk in chunks(stale, self.max_batch):
                self._guard(partial(self.collection.delete, ids=chunk))
            return len(stale)

r"""Where ``ChromaStore`` keeps items, namespaces and TTL: SQL tables (SQLite or PostgreSQL).

Chroma is the vector *index*; the data, vectors included, lives in SQL tables:

* ``<t>_items``: one row per item, keyed by ``(ns, key)`` (``ns`` is the namespace with its
  labels joined by ``\\x1f``, so that a namespace prefix is an index range and string order
  is tuple order), with the JSON value, timestamps, insertion sequences, TTL, and the
  *version* and number of the item's vectors in Chroma.
* ``<t>_namespaces``: one row per namespace that holds items, with the sequence that orders
  it (``search`` without a query lists namespaces in the order they were first written).
* ``<t>_vectors``: one row per indexed text of an item version (id ``<iid>:<ver>:<ord>``),
  its embedding as float32 bytes, and ``indexed``: whether Chroma's HNSW index has it yet.
* ``<t>_tombstones``: ids of vectors deleted here that Chroma may still hold.

Vectors are written to SQL in the batch's transaction and copied into Chroma after it by a
background sync (``_index``). A Chroma upsert costs about 1 ms per vector (50 ms for a batch
of 50, with or without metadata, measured with chromadb 1.5 on this 2-core machine), which
capped puts at a few hundred items/s; an SQL insert costs a few microseconds. Searches over a
small scope (one user's memories) rank the scope's vectors read from SQL exactly; a large
scope takes HNSW candidates from Chroma plus the vectors not yet indexed, scored exactly, so
a search never misses a write that the index has not caught up with.

Why SQL and not Chroma metadata (measured with ``benchmarks/store_scale.py``, 200 users x 50
memories, before the change): every Chroma call costs about 1-2 ms of fixed overhead, and its
metadata filters scan. A get took 2.3 ms against 0.04 ms in LangGraph's ``SqliteStore``,
``list_namespaces`` 1,640 ms (a scan of every item's metadata) and a filtered search 34 ms.
An indexed table answers each in O(log n + result), and its transactions make a batch that
mixes puts and deletes all-or-nothing (values and vectors), which Chroma calls cannot be.

The default is a SQLite file (WAL, ``synchronous=NORMAL``: a commit survives the process
being killed; ``secure_delete`` so that deleted values do not linger in free pages);
``postgresql://`` URLs put the tables in PostgreSQL, for stores shared between machines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from langmem_plugin._paging import chunks
from langmem_plugin.errors import MemoryNotFoundError
from langmem_plugin.store._crypto import ValueCipher, plain_decode
from langmem_plugin.store._damaged import DamagedRows
from langmem_plugin.store._db import Cursor, Database
from langmem_plugin.store._rows import (
    SEP,
    ItemRow,
    StoredItem,
    VectorRow,
    iid_of,
    join_namespace,
    prefix_clause,
    split_namespace,
    table_base,
)

__all__ = [  # the row types and naming live in _rows; importable from here as before
    "SEP",
    "ItemRow",
    "ItemTable",
    "StoredItem",
    "VectorRow",
    "iid_of",
    "join_namespace",
    "prefix_clause",
    "split_namespace",
    "table_base",
]


_SQL_IN = 400
"""Values per ``IN (...)`` list: well under the SQLite and PostgreSQL parameter limits."""
_COLUMNS = "ns, key, iid, value, created_at, updated_at, nseq, kseq, ver, nvec, ttl, expires_at"
_LIVE = "(expires_at = 0 OR expires_at > ?)"


class ItemTable(DamagedRows):
    """The SQL side of one ``ChromaStore``: every method is one blocking round of I/O."""

    def __init__(self, db: Database, prefix: str) -> None:
        self.db = db
        base = table_base(prefix)
        self.items = f"{base}_items"
        self.namespaces = f"{base}_namespaces"
        self.vectors = f"{base}_vectors"
        self.tombstones = f"{base}_tombstones"
        self.meta = f"{base}_meta"
        self.cipher: ValueCipher | None = None
        """Seals values when the store is encrypted (set by ``_crypto.attach_encryption``)."""
        self.audit: Callable[[Cursor, list[tuple[tuple[str, ...], str, str]]], None] | None = None
        """Called inside every write transaction with ``(namespace, key, operation)``."""
        self.on_corrupt: Callable[[list[tuple[tuple[str, ...], str, str]]], None] | None = None
        """Called with ``(namespace, key, reason)`` of corrupt items when first met (audit)."""
        self._reported: set[tuple[str, str]] = set()
        self._opened: dict[str, str] = {}
        """Encrypted store: the stored value last seen to open, by item id (``_skip``)."""
        self._setup()

    def _item(self, row: Sequence[Any]) -> StoredItem:
        return StoredItem.from_row(row, self.cipher.decrypt if self.cipher else plain_decode)

    def _seal(self, iid: str, document: str) -> str:
        return self.cipher.encrypt(iid, document) if self.cipher else document

    def _setup(self) -> None:
        if self.db.read_only:  # a reader creates nothing: the writer made the tables
            if not self.db.query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [self.items]
            ):
                raise MemoryNotFoundError(
                    f"the database holds no store table {self.items!r} to read (open the "
                    "memory once without read_only to create it)"
                )
            return
        pg = self.db.kind == "postgres"
        text = 'TEXT COLLATE "C"' if pg else "TEXT"
        real = "DOUBLE PRECISION" if pg else "REAL"
        rowid = "" if pg else " WITHOUT ROWID"
        blob = "BYTEA" if pg else "BLOB"
        statements = [
            f"""CREATE TABLE IF NOT EXISTS {self.items} (
                ns {text} NOT NULL, key {text} NOT NULL, iid TEXT NOT NULL,
                value TEXT NOT NULL, created_at {real} NOT NULL, updated_at {real} NOT NULL,
                nseq BIGINT NOT NULL, kseq BIGINT NOT NULL, ver TEXT NOT NULL,
                nvec INTEGER NOT NULL, ttl {real} NOT NULL, expires_at {real} NOT NULL,
                PRIMARY KEY (ns, key)){rowid}""",
            f"CREATE INDEX IF NOT EXISTS {self.items}_iid ON {self.items} (iid)",
            f"CREATE INDEX IF NOT EXISTS {self.items}_exp ON {self.items} (expires_at) "
            "WHERE expires_at > 0",
            f"""CREATE TABLE IF NOT EXISTS {self.namespaces} (
                ns {text} PRIMARY KEY, nseq BIGINT NOT NULL){rowid}""",
            f"""CREATE TABLE IF NOT EXISTS {self.vectors} (
                vid TEXT PRIMARY KEY, iid TEXT NOT NULL, ns {text} NOT NULL,
                ord INTEGER NOT NULL, th TEXT NOT NULL, embedding {blob} NOT NULL,
                indexed INTEGER NOT NULL DEFAULT 0)""",
            f"CREATE INDEX IF NOT EXISTS {self.vectors}_ns ON {self.vectors} (ns)",
            f"CREATE INDEX IF NOT EXISTS {self.vectors}_iid ON {self.vectors} (iid)",
            f"CREATE INDEX IF NOT EXISTS {self.vectors}_todo ON {self.vectors} (ns) "
            "WHERE indexed = 0",
            f"CREATE TABLE IF NOT EXISTS {self.tombstones} (vid TEXT PRIMARY KEY)",
            f"CREATE TABLE IF NOT EXISTS {self.meta} (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]

        def create(cursor: Cursor) -> None:
            for statement in statements:
                cursor.execute(statement)

        if pg:  # concurrent CREATE IF NOT EXISTS can collide on the catalog: serialise
            lock = int.from_bytes(hashlib.blake2b(self.items.encode(), digest_size=4).digest())

            def locked(cursor: Cursor) -> None:
                cursor.execute("SELECT pg_advisory_xact_lock(?)", [lock])
                create(cursor)

            self.db.transaction(locked)
        else:
            self.db.transaction(create)

    # ------------------------------------------------------------------ reads
    def fetch(self, keys: Iterable[tuple[tuple[str, ...], str]]) -> dict[str, StoredItem]:
        """Items by ``(namespace, key)``, keyed by their ``iid`` (expired ones included).

        One query per namespace (``ns = ? AND key IN (...)``), which the primary key answers;
        a row-value ``(ns, key) IN (VALUES ...)`` made SQLite scan the whole table.
        """
        by_namespace: dict[str, list[str]] = {}
        for ns, key in dict.fromkeys(keys):
            by_namespace.setdefault(join_namespace(ns), []).append(key)
        sql = f"SELECT {_COLUMNS} FROM {self.items} WHERE ns = ? AND key IN (<in>)"
        rows = [
            row
            for joined, names in by_namespace.items()
            for row in self._query_in(sql, names, joined)
        ]
        return {item.iid: item for item in map(self._item, rows)}

    def _query_in(self, sql: str, values: Sequence[Any], *before: Any) -> list[Any]:
        """Rows of ``sql`` whose ``IN (<in>)`` takes ``values``, ``_SQL_IN`` at a time."""
        rows: list[Any] = []
        for chunk in chunks(values, _SQL_IN):
            marks = ", ".join("?" for _ in chunk)
            rows += self.db.query(sql.replace("<in>", marks), [*before, *chunk])
        return rows

    def fetch_iids(self, iids: Iterable[str]) -> dict[str, StoredItem]:
        """Items by ``iid`` (the id their vectors name)."""
        rows = self._rows_by_iid(list(dict.fromkeys(iids)))
        return {item.iid: item for item in self.readable(map(self._item, rows))}

    def _rows_by_iid(self, iids: Sequence[str]) -> list[Any]:
        return self._query_in(f"SELECT {_COLUMNS} FROM {self.items} WHERE iid IN (<in>)", iids)

    def scope(
        self,
        prefix: Sequence[str],
        now: float,
        *,
        limit: int | None = None,
        offset: int = 0,
        unindexed: bool = False,
    ) -> list[StoredItem]:
        """Live, readable items under ``prefix`` in insertion order (optionally a page).

        Values are decoded here (every caller reads them), and corrupt items are left out
        and reported (:meth:`readable`). A page counts readable items only, so that paging
        with ``offset += len(page)`` until a short page sees every readable item exactly
        once: the rows before ``offset`` are decoded too (a page at offset 0 costs nothing
        extra; paging by 1,000 through 10,000 items decodes 45,000 more values than it
        returns).
        """
        if limit is None:
            return self.readable(map(self._item, self._scope_rows(prefix, now, unindexed)))
        return self._page(prefix, now, unindexed, limit, offset)

    def _scope_rows(
        self,
        prefix: Sequence[str],
        now: float,
        unindexed: bool,
        limit: int | None = None,
        offset: int = 0,
        columns: str = _COLUMNS,
    ) -> list[Any]:
        where, params = prefix_clause(prefix)
        sql = f"SELECT {columns} FROM {self.items} WHERE {where} AND {_LIVE}"
        params.append(now)
        if unindexed:
            sql += " AND nvec = 0"
        sql += " ORDER BY nseq, kseq"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return self.db.query(sql, params)

    def count_vectors(self, prefix: Sequence[str], at_most: int) -> int:
        """How many vectors lie under ``prefix``, counted up to ``at_most``.

        Counts rows of the vector table's namespace index and stops at ``at_most``: a
        search only needs to know whether the scope is small, and summing the item rows of a
        10k-item scope read every value (5 ms). Vectors of expired, unswept items count too.
        """
        where, params = prefix_clause(prefix)
        rows = self.db.query(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {self.vectors} WHERE {where} LIMIT ?) AS s",
            [*params, at_most],
        )
        return int(rows[0][0])

    def scope_vectors(
        self, prefix: Sequence[str], *, unindexed: bool = False
    ) -> list[tuple[str, str, int, bytes]]:
        """``(vid, iid, ord, embedding)`` of the vectors under ``prefix``.

        With ``unindexed``, only those that Chroma's index does not have yet.
        """
        where, params = prefix_clause(prefix)
        sql = f"SELECT vid, iid, ord, embedding FROM {self.vectors} WHERE {where}"
        if unindexed:
            sql += " AND indexed = 0"
        return [(str(v), str(i), int(o), bytes(e)) for v, i, o, e in self.db.query(sql, params)]

    def embeddings_by_hash(self, iids: Iterable[str], hashes: set[str]) -> dict[str, bytes]:
        """Embeddings of the given items' current vectors whose text hash is wanted."""
        sql = f"SELECT th, embedding FROM {self.vectors} WHERE iid IN (<in>)"
        rows = self._query_in(sql, list(dict.fromkeys(iids)))
        return {str(th): bytes(e) for th, e in rows if th in hashes}

    def count_unindexed(self) -> int:
        """How many vectors Chroma's index does not have yet (the ``_todo`` partial index)."""
        return int(self.db.query(f"SELECT COUNT(*) FROM {self.vectors} WHERE indexed = 0")[0][0])

    def count_by_namespace(self, now: float) -> list[tuple[tuple[str, ...], int]]:
        """``(namespace, live items)`` for every namespace holding any: one grouped count."""
        rows = self.db.query(
            f"SELECT ns, COUNT(*) FROM {self.items} WHERE {_LIVE} GROUP BY ns", [now]
        )
        return [(split_namespace(str(ns)), int(n)) for ns, n in rows]

    def created_per_day(self, now: float) -> list[tuple[int, str, int]]:
        """``(day number, namespace, live items created that day)``: one grouped count.

        The day number counts UTC days since 1970-01-01 (the inspector's memory growth,
        ``_health``).
        """
        # SQLite's CAST truncates (times are positive); PostgreSQL's rounds, so FLOOR there
        day = "FLOOR(created_at / 86400.0)" if self.db.kind == "postgres" else "created_at / 86400"
        rows = self.db.query(
            f"SELECT CAST({day} AS BIGINT) AS d, ns, COUNT(*) "
            f"FROM {self.items} WHERE {_LIVE} GROUP BY d, ns",
            [now],
        )
        return [(int(d), str(ns), int(n)) for d, ns, n in rows]

    def to_index(self, limit: int) -> list[tuple[str, str, str, int, str, bytes]]:
        """Vectors Chroma does not have yet: ``(vid, iid, ns, ord, th, embedding)``."""
        rows = self.db.query(
            f"SELECT vid, iid, ns, ord, th, embedding FROM {self.vectors} "
            "WHERE indexed = 0 LIMIT ?",
            [limit],
        )
        return [(str(a), str(b), str(c), int(d), str(e), bytes(f)) for a, b, c, d, e, f in rows]

    def mark_indexed(self, vids: Sequence[str]) -> None:
        """Record that Chroma holds these vectors."""
        self.db.transaction(
            lambda cursor: cursor.executemany(
                f"UPDATE {self.vectors} SET indexed = 1 WHERE vid = ?", [(v,) for v in vids]
            )
        )

    def reset_index(self) -> int:
        """Mark every vector as not in Chroma's index yet, forget the tombstones; count them."""

        def apply(cursor: Cursor) -> int:
            cursor.execute(f"UPDATE {self.vectors} SET indexed = 0")
            cursor.execute(f"DELETE FROM {self.tombstones}")
            cursor.execute(f"SELECT count(*) FROM {self.vectors}")
            return int(cursor.fetchall()[0][0])

        return self.db.transaction(apply)

    def tombstoned(self, limit: int) -> list[str]:
        """Ids of deleted vectors to remove from Chroma."""
        return [
            str(r[0]) for r in self.db.query(f"SELECT vid FROM {self.tombstones} LIMIT ?", [limit])
        ]

    def clear_tombstones(self, vids: Sequence[str]) -> None:
        """Forget tombstones once Chroma no longer holds their vectors."""
        self.db.transaction(
            lambda cursor: cursor.executemany(
                f"DELETE FROM {self.tombstones} WHERE vid = ?", [(v,) for v in vids]
            )
        )

    def vector_ids(self) -> set[str]:
        """Every current vector id (for the orphan sweep of the index)."""
        return {str(r[0]) for r in self.db.query(f"SELECT vid FROM {self.vectors}")}

    def list_namespaces(
        self, prefix: Sequence[str], now: float, *, limit: int | None = None, offset: int = 0
    ) -> list[tuple[str, ...]]:
        """Namespaces under ``prefix`` that hold a live item, in tuple order."""
        where, params = prefix_clause(prefix, "n.ns")
        sql = (
            f"SELECT n.ns FROM {self.namespaces} n WHERE {where} AND EXISTS ("
            f"SELECT 1 FROM {self.items} i WHERE i.ns = n.ns AND "
            "(i.expires_at = 0 OR i.expires_at > ?)) ORDER BY n.ns"
        )
        params.append(now)
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [split_namespace(row[0]) for row in self.db.query(sql, params)]

    def expired(self, now: float) -> list[StoredItem]:
        """Items whose TTL has run out."""
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM {self.items} WHERE expires_at > 0 AND expires_at <= ?",
            [now],
        )
        return [self._item(row) for row in rows]

    # ------------------------------------------------------------------ writes
    def write(
        self,
        rows: Sequence[ItemRow],
        deletes: Sequence[tuple[tuple[str, ...], str]],
        now: float,
        new_sequence: Callable[[], int],
    ) -> None:
        """Apply a batch's puts and deletes in one transaction (all or nothing).

        An existing live item keeps its ``created_at`` and insertion place; an expired one
        is replaced as if new. A namespace keeps its place while it holds items.
        """
        written = list(dict.fromkeys(join_namespace(r.namespace) for r in rows))
        removed = [(join_namespace(ns), key) for ns, key in deletes]
        upsert = (
            f"INSERT INTO {self.items} ({_COLUMNS}) VALUES "
            f"(?, ?, ?, ?, ?, ?, (SELECT nseq FROM {self.namespaces} WHERE ns = ?), "
            "?, ?, ?, ?, ?) "
            "ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at, nseq = excluded.nseq, ver = excluded.ver, "
            "nvec = excluded.nvec, ttl = excluded.ttl, expires_at = excluded.expires_at, "
            f"created_at = CASE WHEN {self.items}.expires_at > 0 AND "
            f"{self.items}.expires_at <= ? THEN excluded.created_at "
            f"ELSE {self.items}.created_at END, "
            f"kseq = CASE WHEN {self.items}.expires_at > 0 AND "
            f"{self.items}.expires_at <= ? THEN excluded.kseq ELSE {self.items}.kseq END"
        )
        params: list[list[Any]] = []
        vector_params: list[tuple[Any, ...]] = []
        for r in rows:
            ns = join_namespace(r.namespace)
            expires = r.now + r.ttl * 60.0 if r.ttl else 0.0
            sealed = self._seal(r.iid, r.document)
            row = [ns, r.key, r.iid, sealed, r.now, r.now, ns, r.kseq, r.version]
            params.append([*row, len(r.vectors), r.ttl, expires, now, now])
            vector_params.extend(
                (v.vid, r.iid, ns, v.ordinal, v.text_hash, v.embedding) for v in r.vectors
            )
        replaced = [r.iid for r in rows] + [iid_of(ns, key) for ns, key in deletes]

        def apply(cursor: Cursor) -> None:
            if written:
                cursor.executemany(
                    f"INSERT INTO {self.namespaces} (ns, nseq) VALUES (?, ?) "
                    "ON CONFLICT (ns) DO NOTHING",
                    [(ns, new_sequence()) for ns in written],
                )
            if removed:
                cursor.executemany(f"DELETE FROM {self.items} WHERE ns = ? AND key = ?", removed)
            self._drop_vectors(cursor, replaced)
            if params:
                cursor.executemany(upsert, params)
            if vector_params:
                cursor.executemany(
                    f"INSERT INTO {self.vectors} (vid, iid, ns, ord, th, embedding) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    vector_params,
                )
            if removed:
                self._drop_empty_namespaces(cursor, {ns for ns, _ in removed})
            if self.audit is not None:
                self.audit(
                    cursor,
                    [(r.namespace, r.key, "put") for r in rows]
                    + [(tuple(ns), key, "delete") for ns, key in deletes],
                )

        self.db.transaction(apply)

    def _drop_vectors(self, cursor: Cursor, iids: Sequence[str]) -> None:
        """Delete the vectors of these items, leaving tombstones for the index."""
        for chunk in chunks(iids, _SQL_IN):
            marks = ", ".join("?" for _ in chunk)
            cursor.execute(
                f"INSERT INTO {self.tombstones} (vid) SELECT vid FROM {self.vectors} "
                f"WHERE iid IN ({marks}) ON CONFLICT (vid) DO NOTHING",
                chunk,
            )
            cursor.execute(f"DELETE FROM {self.vectors} WHERE iid IN ({marks})", chunk)

    def delete_iids(self, iids: Sequence[str], namespaces: Iterable[tuple[str, ...]]) -> None:
        """Delete items by ``iid`` (TTL sweep) in one transaction."""

        def apply(cursor: Cursor) -> None:
            if self.audit is not None:
                gone: list[tuple[tuple[str, ...], str, str]] = []
                for chunk in chunks(iids, _SQL_IN):
                    marks = ", ".join("?" for _ in chunk)
                    cursor.execute(
                        f"SELECT ns, key FROM {self.items} WHERE iid IN ({marks})", chunk
                    )
                    gone += [
                        (split_namespace(str(n)), str(k), "expire") for n, k in cursor.fetchall()
                    ]
                self.audit(cursor, gone)
            cursor.executemany(f"DELETE FROM {self.items} WHERE iid = ?", [(i,) for i in iids])
            self._drop_vectors(cursor, list(iids))
            self._drop_empty_namespaces(cursor, {join_namespace(ns) for ns in namespaces})

        if iids:
            self.db.transaction(apply)

    def refresh(self, expiries: dict[str, float]) -> None:
        """Set new expiry times, by ``iid`` (TTL refresh on read)."""
        if not expiries:
            return
        self.db.transaction(
            lambda cursor: cursor.executemany(
                f"UPDATE {self.items} SET expires_at = ? WHERE iid = ? AND expires_at > 0",
                [(when, iid) for iid, when in expiries.items()],
            )
        )

    def set_times(self, times: Sequence[tuple[tuple[str, ...], str, float, float, float]]) -> None:
        """Set ``(namespace, key, created_at, updated_at, expires_at)`` (a restore)."""
        self.db.transaction(
            lambda cursor: cursor.executemany(
                f"UPDATE {self.items} SET created_at = ?, updated_at = ?, expires_at = ? "
                "WHERE ns = ? AND key = ?",
                [(c, u, e, join_namespace(ns), key) for ns, key, c, u, e in times],
            )
        )

    def _drop_empty_namespaces(self, cursor: Cursor, namespaces: Iterable[str]) -> None:
        cursor.executemany(
            f"DELETE FROM {self.namespaces} WHERE ns = ? AND NOT EXISTS "
            f"(SELECT 1 FROM {self.items} i WHERE i.ns = ?)",
            [(ns, ns) for ns in namespaces],
        )

    def import_rows(
        self,
        items: Sequence[StoredItem],
        namespaces: dict[str, int],
        vectors: Sequence[tuple[str, str, str, int, str, bytes]],
    ) -> None:
        """Insert items and their vectors as they are (migration from the previous layout).

        ``vectors`` are ``(vid, iid, ns, ord, th, embedding)`` already in Chroma's index.
        """

        def apply(cursor: Cursor) -> None:
            cursor.executemany(
                f"INSERT INTO {self.vectors} (vid, iid, ns, ord, th, embedding, indexed) "
                "VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT (vid) DO NOTHING",
                list(vectors),
            )
            cursor.executemany(
                f"INSERT INTO {self.namespaces} (ns, nseq) VALUES (?, ?) "
                "ON CONFLICT (ns) DO NOTHING",
                list(namespaces.items()),
            )
            cursor.executemany(
                f"INSERT INTO {self.items} ({_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ns, key) DO NOTHING",
                [
                    (
                        join_namespace(i.namespace),
                        i.key,
                        i.iid,
                        self._seal(i.iid, i.document),
                        i.created_at,
                        i.updated_at,
                        i.nseq,
                        i.kseq,
                        i.version,
                        i.n_vectors,
                        i.ttl,
                        i.expires_at,
                    )
                    for i in items
                ],
            )

        self.db.transaction(apply)

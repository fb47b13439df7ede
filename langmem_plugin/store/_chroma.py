"""``ChromaStore``: LangGraph's long-term memory store (``BaseStore``) on Chroma."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from os import PathLike
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langgraph.store.base import (
    BaseStore,
    IndexConfig,
    Op,
    PutOp,
    Result,
    TTLConfig,
    tokenize_path,
)

from langmem_plugin._redact import resolve_redactor
from langmem_plugin._tracing import batch_span
from langmem_plugin.errors import (
    EmbeddingDimensionError,
)
from langmem_plugin.store._client import (
    FolderLock,
    http_client,
    make_client,
    migrate_legacy_items,
    translate_errors,
)
from langmem_plugin.store._crypto import attach_encryption, resolve_key
from langmem_plugin.store._db import open_database
from langmem_plugin.store._engine import BatchEngine, Change, Collections, Embed, Step
from langmem_plugin.store._index import IndexSync
from langmem_plugin.store._records import CorruptItem, StoredRecord
from langmem_plugin.store._sql import ItemTable

logger = logging.getLogger(__name__)

Listener = Callable[[list[Change]], None]
_PREFIX = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,200}$")


class ChromaStore(BaseStore):
    """A LangGraph ``BaseStore`` on SQL and Chroma: items in SQL, vector search on Chroma.

    It answers every operation the way ``langgraph.store.memory.InMemoryStore`` does (the
    contract the test suite checks with random operation sequences), and adds durability,
    sharing through a Chroma server, and TTL.

    Storage: items (values as JSON, namespaces, times, TTL) and their embeddings live in SQL
    tables, in a SQLite file by default or in PostgreSQL (``sql=``); Chroma's
    ``<prefix>_vectors`` collection is the HNSW index of the embeddings, brought up to date
    by a background thread after each write (see ``_sql`` and ``_index`` for the
    measurements behind this split). A batch is one SQL transaction: a crash at any point
    leaves every item of the batch old or every item new, each with its own vectors, and
    an acknowledged batch is committed.

    One writer at a time: an embedded store (``path=``) holds a lock on its folder until
    ``close()``; another process that opens the folder gets :class:`FolderInUseError`. To
    share a memory between writing processes (several workers), run a Chroma server
    (``chroma run --path DIR``) and open it with :meth:`from_url`. To *look* at a folder
    another process is using (the ``langmem`` CLI, an inspector beside a running app), open
    it with ``read_only=True``.

    Differences from ``InMemoryStore``, where its behaviour is an artefact and not a contract:

    * ``list_namespaces`` lists namespaces that hold items. ``InMemoryStore`` also lists
      namespaces that were only read (``get``) or whose items were all deleted.
    * Search without a query orders items by insertion, like ``InMemoryStore``; a namespace
      whose items were all deleted takes a new place when it is written again.
    * ``created_at`` is kept when an item is updated (as LangGraph's SQLite and Postgres
      stores do); ``InMemoryStore`` resets it.
    * A put replaces all vectors of an item; ``InMemoryStore`` keeps the vectors of fields
      the new value no longer has (and of the whole old value after ``index=False``).
    * Values round-trip through JSON: tuples come back as lists. A value that JSON cannot
      hold raises :class:`~langmem_plugin.errors.InvalidValueError`.
    * A numeric comparison (``$gt`` ...) on a field that is missing or not a number does not
      match; ``InMemoryStore`` raises in the middle of the search.
    * A filter key is one field name, as in ``InMemoryStore``: ``{"a.b": 1}`` matches a
      field named ``"a.b"``, not ``b`` inside ``a`` (LangGraph's SQLite and Postgres stores
      read it as a path). Nest the filter instead: ``{"a": {"b": 1}}``.
    * A ``PutOp`` with an empty namespace is refused in ``batch`` too (``InMemoryStore``
      stores it); the reserved root label ``"langgraph"`` is refused by ``put``/``aput``
      only, as in LangGraph's own stores.
    * Vector search takes its candidates from Chroma's HNSW index and scores them exactly;
      with hundreds of thousands of vectors under a prefix the ranking is approximate.
    * An item whose stored value does not decode (a damaged row) is left out of searches
      and dumps, and a ``get`` of it raises ``CorruptRecordError``; see ``corrupt_items``.

    Args:
        path: Directory of an embedded, persistent Chroma; the items go to
            ``store.sqlite3`` in it unless ``sql`` says otherwise.
        client: Any chromadb client (``PersistentClient``, ``HttpClient``, ...); needs
            ``sql``.
        sql: Where the items live: a SQLite file, ``sqlite:///path``, ``":memory:"``, or a
            ``postgresql://`` URL (needs the ``postgres`` extra). Tables are named after
            ``collection_prefix``, so several stores can share one database.
        index: LangGraph ``IndexConfig``: ``dims``, ``embed`` (an ``Embeddings``, a
            function, ``"local"`` for the bundled MiniLM model, or ``"provider:model"``),
            ``fields`` (paths such as ``"content"``, ``"a.b"``, ``"arr[*]"``).
        ttl: LangGraph ``TTLConfig`` (``default_ttl`` minutes, ``refresh_on_read``,
            ``sweep_interval_minutes``).
        namespace_ttl: TTL in minutes by first namespace label, e.g. ``{"episodes":
            43200}``: a put into such a namespace that carries no TTL (neither its own
            ``ttl`` nor ``default_ttl``, which LangGraph's ``put`` fills in) gets it. How
            ``Memory.from_config`` enforces retention per kind of memory.
        collection_prefix: Prefix of the collection and table names, so that several stores
            can share one Chroma and one database. Defaults to ``"langmem"``; a store
            created with neither ``path`` nor ``client`` gets a unique prefix so that it
            starts empty.
        redact: ``True`` replaces personal data and secrets in every value with typed
            placeholders (``[EMAIL]``, ``[PHONE]``...) before it is stored or embedded; a
            ``str -> str`` function applies your own rules (see ``langmem_plugin._redact``).
        encryption_key: Encrypts values at rest (AES-256-GCM, key derived with scrypt; see
            ``langmem_plugin.store._crypto``). Defaults to ``$LANGMEM_ENCRYPTION_KEY``. A
            wrong or missing key for an encrypted store raises ``EncryptionKeyError``.
        read_only: Open an existing store for reading beside the process that holds its
            folder: no folder lock, the SQL file opened for queries only, and Chroma's
            folder never opened (its HNSW files belong to the writer, and chromadb's
            in-process view of them would go stale). Every search is then ranked exactly
            from the vectors in SQL, whatever the scope's size: up to ``EXACT_VECTORS``
            as the writer does, past it by scoring every vector of the scope and reading
            only the best candidates' items (10,000 vectors: ~200 ms against the writer's
            4 ms through HNSW, ``benchmarks/read_only_search.py``). Every read sees what
            the writer had committed when it began. Writes
            (put, delete, TTL sweeps) raise :class:`ReadOnlyMemoryError` and TTLs are not
            refreshed by reads. Default False. Needs ``path`` or a SQLite ``sql``.

    Example:
        ```python
        from langmem_plugin import ChromaStore

        store = ChromaStore(path="./.memory/chroma", index={"dims": 384, "embed": "local"})
        store.put(("memories", "alice"), "1", {"content": "Alice likes green tea"})
        store.search(("memories", "alice"), query="what does she drink?")
        ```
    """

    supports_ttl = True

    def __init__(  # noqa: PLR0912, PLR0915 -- validates each option where it is set
        self,
        *,
        path: str | PathLike[str] | None = None,
        client: Any = None,
        sql: str | PathLike[str] | None = None,
        index: IndexConfig | None = None,
        ttl: TTLConfig | None = None,
        collection_prefix: str | None = None,
        namespace_ttl: dict[str, float] | None = None,
        redact: bool | Callable[[str], str] | None = None,
        encryption_key: str | None = None,
        read_only: bool = False,
    ) -> None:
        if path is not None and client is not None:
            raise ValueError("Pass either path= or client=, not both.")
        if read_only and (client is not None or (path is None and sql is None)):
            raise ValueError(
                "read_only=True opens an existing folder (path=) or SQLite file (sql=); a "
                "Chroma server is shared by every process already: open it normally"
            )
        if client is not None and sql is None:
            raise ValueError(
                "A ChromaStore on a Chroma client needs sql=: where its items live, a "
                "postgresql:// URL to share the store between machines, or a SQLite file."
            )
        owns_collections = False
        prefix = collection_prefix or "langmem"
        if not _PREFIX.match(prefix):
            raise ValueError(
                f"collection_prefix {prefix!r} must be 2-201 characters of [a-zA-Z0-9._-], "
                "starting with a letter or digit."
            )
        self._folder_lock: FolderLock | None = None
        self._owns_client = client is None and not read_only
        self.read_only = read_only
        """Opened with ``read_only=True``: reads only, ranked exactly from SQL."""
        if path is not None and not read_only:
            self._folder_lock = FolderLock.acquire(Path(path))
        try:
            if client is None and path is None and collection_prefix is None:
                prefix = f"langmem-{uuid.uuid4().hex[:12]}"
                owns_collections = True
            if sql is None:
                sql = ":memory:" if path is None else Path(path) / "store.sqlite3"
            # the SQL side and the encryption key are checked before Chroma is opened, so a
            # wrong or missing key fails without writing a byte
            self._db = open_database(sql, read_only=read_only)
            try:
                table = ItemTable(self._db, prefix)
                where = f"store {prefix!r}"
                self.encryption = attach_encryption(table, resolve_key(encryption_key), where)
            except BaseException:
                self._db.close()
                raise
            if client is None and not read_only:
                client = make_client(path)
            self.client = client
            self.collection_prefix = prefix
            self.index_config, self.embeddings = _resolve_index(index)
            self.ttl_config = ttl
            self._drop_on_close = owns_collections
            self._listeners: list[Listener] = []
            self.observer: Callable[[list[Op], float], None] | None = None
            """Called with every finished batch's ops and seconds (the memory's metrics)."""
            self._listeners_lock = threading.Lock()
            self._sweeper: threading.Thread | None = None
            self._sweeper_stop = threading.Event()
            self._closed = False
            self.redactor = resolve_redactor(redact)
            """The PII redaction function of every write (None: off)."""
            try:
                if read_only:  # no Chroma: an HNSW index is the writer's (see read_only)
                    collections = Collections(table, None, _DUMP_PAGE)
                else:
                    collections = self._open_collections(table)
            except BaseException:
                self._db.close()
                raise
        except BaseException:
            if self._owns_client and client is not None:
                client.close()
            if self._folder_lock is not None:
                self._folder_lock.release()
            raise
        self._engine = BatchEngine(
            collections,
            self.index_config,
            ttl,
            embeddings_available=self.embeddings is not None,
            namespace_ttl=namespace_ttl,
            redact=self.redactor,
            read_only=read_only,
        )
        self._index: IndexSync | None = None
        if collections.vectors is not None:
            self._index = IndexSync(
                collections.items,
                collections.vectors,
                collections.max_batch,
                lambda call: translate_errors(call, self.client),
            )
            self._index.notify()  # catch up with writes a previous process left unindexed

    @classmethod
    def from_url(cls, url: str, *, sql: str | PathLike[str], **kwargs: Any) -> ChromaStore:
        """A store on a Chroma server, e.g. ``from_url("http://127.0.0.1:8000", sql=PG_URL)``.

        Args:
            url: ``http://host:port`` or ``https://host:port``.
            sql: Where the items live: a ``postgresql://`` URL (shared between machines, the
                scale-out setup) or a SQLite file (shared between processes of one machine).
            **kwargs: ``index``, ``ttl``, ``collection_prefix``, ``namespace_ttl`` as for
                the constructor.

        Raises:
            StoreUnavailableError: The server does not answer.
        """
        return cls(client=http_client(url), sql=sql, **kwargs)

    # ------------------------------------------------------------------ collections
    def _open_collections(self, table: ItemTable) -> Collections:
        def open_all() -> Collections:
            vectors = None
            if self.index_config and self.embeddings is not None:
                dims = int(self.index_config["dims"])
                vectors = self.client.get_or_create_collection(
                    f"{self.collection_prefix}_vectors",
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"dims": dims},
                )
                existing = (vectors.metadata or {}).get("dims")
                if existing is not None and int(existing) != dims:
                    raise EmbeddingDimensionError(
                        f"Collection {vectors.name!r} holds vectors of dimension {existing}; "
                        f"this store is configured with dims={dims}. Use another "
                        "collection_prefix for a different embedding model."
                    )
            return Collections(table, vectors, int(self.client.get_max_batch_size()))

        collections: Collections = translate_errors(open_all, self.client)
        translate_errors(
            lambda: migrate_legacy_items(
                self.client, self.collection_prefix, collections.items, collections.vectors
            ),
            self.client,
        )
        return collections

    # ------------------------------------------------------------------ batch
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Execute operations in one go (sync); see ``BaseStore.batch``."""
        ops = list(ops)
        started = time.perf_counter()
        with batch_span(ops):
            results, changes = self._drive(self._engine.run(ops))
        self._notify(changes)
        self._observe(ops, started)
        return list(results)

    def _observe(self, ops: list[Op], started: float) -> None:
        """Tell ``observer`` (the memory's metrics, when on) about a finished batch."""
        observer = self.observer
        if observer is not None:
            observer(ops, time.perf_counter() - started)

    def index_lag(self) -> int:
        """Vectors written to SQL that Chroma's HNSW index does not hold yet (0 without one).

        One ``COUNT`` over the partial index of unindexed rows: cheap enough per scrape.
        """
        return self._index.table.count_unindexed() if self._index is not None else 0

    def items_by_namespace(self) -> list[tuple[tuple[str, ...], int]]:
        """Live items per namespace: one grouped ``COUNT`` (the metrics' size gauge)."""
        return self._engine.col.items.count_by_namespace(time.time())

    def _drive(self, plan: Generator[Step, Any, Any]) -> Any:
        """Run an engine plan with blocking I/O; returns what the plan returns."""
        answer: Any = None
        while True:
            try:
                step = plan.send(answer)
            except StopIteration as stop:
                return stop.value
            answer = self._do(step)

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Execute operations in one go (async); see ``BaseStore.abatch``.

        Embeddings are awaited natively; Chroma's client is synchronous, so its calls run in a
        worker thread and never block the event loop.
        """
        ops = list(ops)
        started = time.perf_counter()
        plan = self._engine.run(ops)
        answer: Any = None
        with batch_span(ops):
            while True:
                try:
                    step = plan.send(answer)
                except StopIteration as stop:
                    results, changes = stop.value
                    break
                answer = await self._ado(step)
        self._notify(changes)
        self._observe(ops, started)
        return list(results)

    def _do(self, step: Step) -> Any:
        if isinstance(step, Embed):
            assert self.embeddings is not None
            if step.query:
                return [self.embeddings.embed_query(t) for t in step.texts]
            return self.embeddings.embed_documents(step.texts)
        return translate_errors(step.call, self.client)

    async def _ado(self, step: Step) -> Any:
        if isinstance(step, Embed):
            assert self.embeddings is not None
            if step.query:
                return await asyncio.gather(*(self.embeddings.aembed_query(t) for t in step.texts))
            return await self.embeddings.aembed_documents(step.texts)
        return await asyncio.to_thread(translate_errors, step.call, self.client)

    # ------------------------------------------------------------------ dump and restore
    def dump(
        self,
        namespace_prefix: tuple[str, ...] = (),
        *,
        skipped: list[CorruptItem] | None = None,
    ) -> Iterator[StoredRecord]:
        """Every live item under ``namespace_prefix`` with its times and TTL, in insertion order.

        For backups and exports: unlike ``search``, it reads ``created_at``, ``updated_at``
        and the TTL as stored, refreshes no TTL, and pages through the table.

        Args:
            namespace_prefix: Only items under this prefix (default: all).
            skipped: A list to which each item whose value does not open (altered,
                truncated, moved from another row) is appended as a :class:`CorruptItem`;
                such items are left out of the dump (and logged) either way.

        Example:
            ```python
            records = list(store.dump(("memories", "ada")))
            other.restore(records)  # same values, times and TTLs
            ```
        """
        offset = 0
        while True:
            rows, page, corrupt = self._engine.col.items.raw_page(
                namespace_prefix, time.time(), _DUMP_PAGE, offset
            )
            if skipped is not None:
                skipped.extend(
                    CorruptItem(item.namespace, item.key, item.problem() or "") for item in corrupt
                )
            for item in page:
                yield StoredRecord(
                    namespace=item.namespace,
                    key=item.key,
                    value=item.value,
                    created_at=item.created_at,
                    updated_at=item.updated_at,
                    ttl=item.ttl or None,
                    expires_at=item.expires_at or None,
                    indexed=item.n_vectors > 0,
                )
            if rows < _DUMP_PAGE:
                return
            offset += rows

    def corrupt_items(self, namespace_prefix: tuple[str, ...] = ()) -> list[CorruptItem]:
        """Every live item under ``namespace_prefix`` whose value does not open (reads all).

        Searches and dumps skip such an item, a ``get`` of it raises ``CorruptRecordError``,
        a ``put`` or ``delete`` of its key repairs it.
        """
        found: list[CorruptItem] = []
        for _ in self.dump(namespace_prefix, skipped=found):
            pass
        return found

    def restore(self, records: Iterable[StoredRecord]) -> None:
        """Write records from :meth:`dump` (of this or another store) with their times.

        Values are put (and their texts embedded with this store's index) in batches, then
        ``created_at``, ``updated_at`` and the expiry are set as recorded. An item whose
        recorded expiry has passed is restored expired (invisible, swept later). Restoring
        the same records twice leaves the same state.
        """
        batch: list[StoredRecord] = []
        for record in records:
            batch.append(record)
            if len(batch) == _DUMP_PAGE:
                self._restore_batch(batch)
                batch = []
        if batch:
            self._restore_batch(batch)

    def _restore_batch(self, records: list[StoredRecord]) -> None:
        self.batch(
            [
                PutOp(
                    tuple(r.namespace),
                    r.key,
                    dict(r.value),
                    index=None if r.indexed else False,
                    ttl=r.ttl,
                )
                for r in records
            ]
        )
        times = [
            (tuple(r.namespace), r.key, r.created_at, r.updated_at, r.expires_at or 0.0)
            for r in records
        ]
        translate_errors(lambda: self._engine.col.items.set_times(times), self.client)

    # ------------------------------------------------------------------ listeners
    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(changes)`` after every batch that wrote, in this process.

        ``changes`` is a list of ``(namespace, key, value)``; ``value`` is None for a delete
        (including TTL expiry). Used to keep derived indexes (e.g. a lexical index) current.
        Writes made by other processes to a shared Chroma server are not seen.

        Returns:
            A function that removes the listener.
        """
        with self._listeners_lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def _notify(self, changes: list[Change]) -> None:
        if not changes:
            return
        if self._index is not None:
            self._index.notify()
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(changes)
            except Exception:  # a broken listener must not fail an acknowledged write
                logger.exception("ChromaStore listener %r failed", listener)

    # ------------------------------------------------------------------ TTL
    def sweep_ttl(self) -> int:
        """Delete expired items now (they are already invisible); returns how many.

        Also brings the vector index up to date and removes vectors it holds that no item
        has any more.
        """
        expired: list[Change] = self._drive(self._engine.sweep(time.time()))
        self._notify(expired)
        if self._index is not None:
            self._index.run()
            self._index.sweep_orphans()
        return len(expired)

    def sync_index(self) -> int:
        """Copy vectors not yet in Chroma's HNSW index into it now; returns how many.

        A background thread does this after every write; searches never wait for it (they
        score the vectors not yet indexed exactly). Call it to make the index complete,
        e.g. before a backup of the Chroma folder.
        """
        return self._index.run() if self._index is not None else 0

    def rebuild_index(self) -> int:
        """Rebuild Chroma's HNSW index from the vectors in SQL; returns how many it holds.

        The SQL tables are the record and Chroma only an index of them, so a store whose
        SQL database was copied (``langmem restore`` of a backup) or whose Chroma folder
        was lost is made whole by this, and a forget leaves no vector bytes behind: every
        vector is marked unindexed, the collection is emptied, and every vector is indexed
        again (about 1 ms per vector). On a folder (which this process holds alone) the
        collection is dropped and created anew, so its old files go; on a server, whose
        collection other clients hold, its ids are deleted instead.
        """
        if self._index is None:
            return 0
        return self._index.rebuild(self._recreate_vectors if self._folder_lock else None)

    def _recreate_vectors(self) -> Any:
        old = self._index.collection if self._index is not None else None
        name = f"{self.collection_prefix}_vectors"
        metadata = dict(old.metadata or {}) if old is not None else {}
        self.client.delete_collection(name)
        fresh = self.client.get_or_create_collection(
            name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata=metadata or None,
        )
        self._engine.col.vectors = fresh
        return fresh

    def start_ttl_sweeper(
        self, sweep_interval_minutes: float | None = None
    ) -> concurrent.futures.Future[None]:
        """Sweep expired items in a background thread every interval (default 5 minutes).

        Returns:
            A future that completes when the sweeper stops; cancelling it stops the sweeper.
        """
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        if self._sweeper is not None and self._sweeper.is_alive():
            future.add_done_callback(lambda f: self._sweeper_stop.set() if f.cancelled() else None)
            return future
        interval = float(
            sweep_interval_minutes or (self.ttl_config or {}).get("sweep_interval_minutes") or 5
        )
        self._sweeper_stop.clear()

        def loop() -> None:
            while not self._sweeper_stop.wait(interval * 60.0):
                try:
                    swept = self.sweep_ttl()
                    if swept:
                        logger.info("ChromaStore swept %d expired items", swept)
                except Exception:
                    logger.exception("ChromaStore TTL sweep failed")
            if not future.done():
                future.set_result(None)

        future.add_done_callback(lambda f: self._sweeper_stop.set() if f.cancelled() else None)
        self._sweeper = threading.Thread(target=loop, name="ChromaStore-ttl", daemon=True)
        self._sweeper.start()
        return future

    def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the background sweeper; returns True when it has stopped."""
        self._sweeper_stop.set()
        if self._sweeper is None:
            return True
        self._sweeper.join(timeout)
        stopped = not self._sweeper.is_alive()
        if stopped:
            self._sweeper = None
        return stopped

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Stop the sweeper and release what the store opened.

        An in-memory store with its own collections drops them. A store that created its
        Chroma client closes it, which releases chromadb's per-path cache: a store opened
        again later reads the directory afresh, with what other processes wrote meanwhile.
        """
        if self._closed:
            return
        self._closed = True
        self.stop_ttl_sweeper()
        if self._index is not None:
            self._index.close()
        if self._drop_on_close:
            try:
                self.client.delete_collection(f"{self.collection_prefix}_vectors")
            except Exception:
                logger.debug("no vector collection to drop for %s", self.collection_prefix)
        self._db.close()
        if self._owns_client:
            self.client.close()
        if self._folder_lock is not None:
            self._folder_lock.release()
            self._folder_lock = None

    def __enter__(self) -> ChromaStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> ChromaStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


def _resolve_index(index: IndexConfig | None) -> tuple[IndexConfig | None, Embeddings | None]:
    """Copy the index config, resolve its embeddings and tokenize its field paths."""
    if not index:
        return None, None
    from langmem_plugin._embeddings import resolve_embeddings

    config: dict[str, Any] = dict(index)
    if "dims" not in config:
        raise ValueError(f"An index config needs 'dims'; got {sorted(config)}.")
    embeddings = resolve_embeddings(config.get("embed", "local"))
    config["embed"] = embeddings
    config["__tokenized_fields"] = [
        (p, tokenize_path(p)) if p != "$" else (p, p) for p in (config.get("fields") or ["$"])
    ]
    return config, embeddings  # type: ignore[return-value]


_DUMP_PAGE = 1000

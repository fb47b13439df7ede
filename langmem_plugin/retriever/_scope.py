"""What the retriever knows about one namespace: its memories, their BM25 index, their order.

A :class:`ScopeIndex` mirrors the memories under one namespace prefix of one store. It is
shared by every retriever over that store and prefix (see :func:`scope_index`, a registry
keyed weakly by store), built lazily from the store on first use (so it survives a restart
without a file of its own), and then kept current incrementally:

* **Writes in this process.** When the store offers ``add_listener(fn)`` (``ChromaStore``
  does), every batch's puts and deletes are queued by the listener and applied before the
  next query. The listener never blocks (it only appends to a queue), so it cannot deadlock
  with a store that calls it while holding its own lock.
* **Writes the listener cannot see** (other processes on a shared Chroma server, or stores
  without listeners such as ``InMemoryStore``). Three mechanisms, cheapest first:
  items the dense search returns that are new or newer than the mirror are taken in at once;
  the retriever re-reads the values of the documents it returns (one batched ``get``), so a
  deleted memory is never returned and an updated one is returned as it is now; and the whole
  namespace is re-listed at most every ``sync_interval`` seconds (default: 1 s without a
  listener, 5 minutes with one), which catches memories that only the lexical side would find.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
import time
import weakref
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from langgraph.store.base import BaseStore, Item

from langmem_plugin._paging import search_all
from langmem_plugin._text import analyze
from langmem_plugin.retriever._lexical import BM25Index
from langmem_plugin.retriever._time import parse_time
from langmem_plugin.store._engine import Change

__all__ = ["DocId", "Record", "ScopeIndex", "scope_index", "speaker_terms"]

logger = logging.getLogger(__name__)

DocId = tuple[tuple[str, ...], str]

#: Items read per ``store.search`` call when (re)building a mirror.
PAGE_SIZE = 10_000
#: Deletions remembered while a re-listing may be running (pruned past this many, by age).
TOMBSTONES = 10_000
TOMBSTONE_AGE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Record:
    """One memory as the retriever sees it.

    Attributes:
        namespace: The item's namespace.
        key: The item's key.
        value: The item's value (``value["content"]`` is the text).
        created_at: When the item was first stored.
        updated_at: When it was last written.
        occurred_at: When the remembered thing happened (``value["occurred_at"]``, else
            ``created_at``).
        session: ``value["session_id"]`` when present: memories of one session are
            neighbours in time order.
        order: Sort key inside the session: (occurred_at, ``value["seq"]``, key).
        speaker_terms: Analysed terms of ``value["speaker"]`` (empty when absent).
    """

    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    occurred_at: datetime
    session: Hashable | None
    order: tuple[float, float, str]
    speaker_terms: frozenset[str]

    @property
    def doc_id(self) -> DocId:
        """The (namespace, key) pair identifying the memory."""
        return (self.namespace, self.key)

    @property
    def content(self) -> str:
        """The memory's text."""
        return str(self.value["content"])


def is_memory(value: dict[str, Any] | None) -> bool:
    """Whether a stored value is a memory the retriever can rank (text under "content")."""
    return isinstance(value, dict) and isinstance(value.get("content"), str)


def make_record(
    namespace: tuple[str, ...],
    key: str,
    value: dict[str, Any],
    created_at: datetime,
    updated_at: datetime,
) -> Record:
    """Build a :class:`Record`, reading the time and session conventions from ``value``."""
    try:
        occurred = parse_time(value.get("occurred_at")) or created_at
    except ValueError:
        occurred = created_at
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    session = value.get("session_id")
    if session is not None and not isinstance(session, Hashable):
        session = str(session)
    seq = value.get("seq")
    seq_f = float(seq) if isinstance(seq, int | float) and not isinstance(seq, bool) else 0.0
    return Record(
        namespace=namespace,
        key=key,
        value=value,
        created_at=created_at,
        updated_at=updated_at,
        occurred_at=occurred,
        session=session,
        order=(occurred.timestamp(), seq_f, key),
        speaker_terms=speaker_terms(value),
    )


#: Roles that stand in for a speaker's name in chat messages.
ROLES = frozenset(["user", "assistant", "human", "ai", "system", "tool"])
#: A message that names its speaker at the start ("Caroline: ...", "Dr Ana Lima: ...").
NAMED = re.compile(r"^([A-Z][\w'.-]*(?: [A-Z][\w'.-]*){0,2}): ")


def speaker_terms(value: dict[str, Any]) -> frozenset[str]:
    """Analysed terms of who said a memory.

    ``value["speaker"]``, or, when that is only a role, the name the message starts with
    (apps that prefix names, e.g. group chats), so that a query naming them finds it.
    """
    speaker = value.get("speaker")
    if not isinstance(speaker, str):
        return frozenset()
    if speaker.lower() in ROLES:
        named = NAMED.match(str(value.get("content", "")))
        if named:
            return frozenset(analyze(named.group(1)))
    return frozenset(analyze(speaker))


class ScopeIndex:
    """The mirror of one namespace prefix of one store (see the module docstring).

    Args:
        namespace: The namespace prefix; items in sub-namespaces belong to the scope too.
        listened: Whether the store reports this process's writes through a listener.
    """

    def __init__(self, namespace: tuple[str, ...], *, listened: bool) -> None:
        self.namespace = namespace
        self.listened = listened
        self.records: dict[DocId, Record] = {}
        self.bm25 = BM25Index()
        self._sessions: dict[Hashable, list[tuple[tuple[float, float, str], DocId]]] = {}
        self._pending: deque[Change] = deque()
        self._deleted: dict[DocId, datetime] = {}
        self._loaded = False
        self._synced_at = 0.0
        self._refreshing = threading.Event()
        self.lock = threading.RLock()

    # ------------------------------------------------------------------ keeping current
    def enqueue(self, changes: Iterable[Change]) -> None:
        """Queue writes reported by the store's listener (never blocks)."""
        self._pending.extend(changes)

    def ensure_current(self, store: BaseStore, sync_interval: float | None) -> None:
        """Load the mirror on first use, apply queued writes, re-list when it is due.

        The first load happens in the caller's thread. Later re-listings run in a background
        thread (a query never waits for one) unless ``sync_interval`` is 0, which re-lists
        before every query.

        Args:
            store: The store the mirror follows.
            sync_interval: Seconds after which the namespace is re-listed; None never
                (after the first load).
        """
        with self.lock:
            loaded = self._loaded
        if not loaded or sync_interval == 0:
            self._resync(store)
        elif (
            sync_interval is not None
            and time.monotonic() - self._synced_at > sync_interval
            and not self._refreshing.is_set()
        ):
            self._refreshing.set()
            threading.Thread(
                target=self._background_resync, args=(store,), daemon=True, name="scope-resync"
            ).start()
        with self.lock:
            self._drain()

    def _background_resync(self, store: BaseStore) -> None:
        try:
            self._resync(store)
        except Exception:  # the next due query tries again; queries go on meanwhile
            logger.exception("re-listing %r for the lexical index failed", self.namespace)
            self._synced_at = time.monotonic()
        finally:
            self._refreshing.clear()

    def _resync(self, store: BaseStore) -> None:
        """List the namespace (without holding the lock), then reconcile the mirror with it.

        The listing may be older than writes applied meanwhile through the listener, so an
        item replaces the mirror's only if it is newer, a missing memory is added only if it
        was not deleted after the listing began, and a memory absent from the listing is
        dropped only if the mirror's copy predates the listing.
        """
        started = datetime.now(UTC)
        items = search_all(store, self.namespace, page_size=PAGE_SIZE)  # reads extend no TTL
        with self.lock:
            self._drain()
            seen: set[DocId] = set()
            for item in items:
                doc_id = (tuple(item.namespace), item.key)
                seen.add(doc_id)
                old = self.records.get(doc_id)
                if old is None:
                    deleted = self._deleted.get(doc_id)
                    if deleted is not None and deleted >= started:
                        continue
                elif old.updated_at >= item.updated_at:
                    continue
                self.observe(item)
            for doc_id in [d for d, r in self.records.items() if d not in seen]:
                if self.records[doc_id].updated_at < started:
                    self._remove(doc_id)
            self._deleted = {d: t for d, t in self._deleted.items() if t >= started}
            self._loaded = True
            self._synced_at = time.monotonic()

    def _drain(self) -> None:
        now = datetime.now(UTC)
        while self._pending:
            namespace, key, value = self._pending.popleft()
            doc_id = (tuple(namespace), key)
            if not is_memory(value):
                self._remove(doc_id)
                self._tombstone(doc_id)
                continue
            assert value is not None
            old = self.records.get(doc_id)
            self._add(make_record(doc_id[0], key, value, old.created_at if old else now, now))

    def observe(self, item: Item) -> None:
        """Take in an item read from the store if the mirror lacks it or holds an older one."""
        doc_id = (tuple(item.namespace), item.key)
        with self.lock:
            old = self.records.get(doc_id)
            if not is_memory(item.value):
                self._remove(doc_id)
                return
            if old is not None and old.updated_at >= item.updated_at and old.value == item.value:
                return
            self._add(
                make_record(doc_id[0], item.key, item.value, item.created_at, item.updated_at)
            )

    def forget(self, doc_id: DocId) -> None:
        """Drop a memory the store no longer has."""
        with self.lock:
            self._remove(doc_id)
            self._tombstone(doc_id)

    def _tombstone(self, doc_id: DocId) -> None:
        """Remember a deletion, so that a re-listing begun before it does not revive it."""
        now = datetime.now(UTC)
        self._deleted[doc_id] = now
        if len(self._deleted) > TOMBSTONES:
            horizon = now - TOMBSTONE_AGE
            self._deleted = {d: t for d, t in self._deleted.items() if t >= horizon}

    def _add(self, record: Record) -> None:
        self._remove(record.doc_id)
        self.records[record.doc_id] = record
        if record.session is not None:
            bisect.insort(
                self._sessions.setdefault(record.session, []), (record.order, record.doc_id)
            )
        self._index(record.doc_id)
        self._index(self.neighbours(record.doc_id)[1])

    def _remove(self, doc_id: DocId) -> None:
        record = self.records.get(doc_id)
        if record is None:
            return
        following = self.neighbours(doc_id)[1]
        del self.records[doc_id]
        self.bm25.remove(doc_id)
        if record.session is not None:
            entries = self._sessions[record.session]
            i = bisect.bisect_left(entries, (record.order, doc_id))
            if i < len(entries) and entries[i][1] == doc_id:
                del entries[i]
            if not entries:
                del self._sessions[record.session]
        self._index(following)

    def _index(self, doc_id: DocId | None) -> None:
        """(Re)index a memory's lexical text: its content, then its predecessor's.

        In a conversation a reply often leaves out the words of what it answers; indexing
        the previous memory of the session with it lets "what did you research?" find
        "Adoption agencies". Measured on LoCoMo: +1.6 points of Recall@10.
        """
        if doc_id is None or doc_id not in self.records:
            return
        text = self.records[doc_id].content
        previous = self.neighbours(doc_id)[0]
        if previous is not None:
            text = f"{text}\n{self.records[previous].content}"
        self.bm25.add(doc_id, text)

    # ------------------------------------------------------------------ reading
    def neighbours(self, doc_id: DocId) -> tuple[DocId | None, DocId | None]:
        """The memories just before and just after ``doc_id`` in its session."""
        record = self.records.get(doc_id)
        if record is None or record.session is None:
            return None, None
        entries = self._sessions.get(record.session, [])
        i = bisect.bisect_left(entries, (record.order, doc_id))
        prev = entries[i - 1][1] if i > 0 else None
        nxt = entries[i + 1][1] if i + 1 < len(entries) else None
        return prev, nxt


class _StoreScopes:
    """The scopes of one store, and the listener that feeds them."""

    def __init__(self) -> None:
        self.scopes: dict[tuple[str, ...], ScopeIndex] = {}
        self.listened = False
        self.lock = threading.Lock()

    def dispatch(self, changes: list[Change]) -> None:
        by_scope: dict[tuple[str, ...], list[Change]] = {}
        scopes = self.scopes
        for change in changes:
            namespace = tuple(change[0])
            for i in range(len(namespace) + 1):
                if namespace[:i] in scopes:
                    by_scope.setdefault(namespace[:i], []).append(change)
        for prefix, scoped in by_scope.items():
            scopes[prefix].enqueue(scoped)


_REGISTRY: weakref.WeakKeyDictionary[BaseStore, _StoreScopes] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def scope_index(store: BaseStore, namespace: tuple[str, ...]) -> ScopeIndex:
    """The shared mirror of ``namespace`` in ``store``, created (empty, unloaded) on demand.

    Every retriever over the same store object and namespace gets the same index, so the
    memories are indexed once per process. Entries go away with the store. A store that
    cannot be weakly referenced (or hashed) gets a new, unshared index on every call: the
    retriever keeps its own.
    """
    with _REGISTRY_LOCK:
        try:
            entry = _REGISTRY.get(store)
        except TypeError:  # a store class that is not hashable or weakly referenceable
            entry = None
            shared = False
        else:
            shared = True
        if entry is None:
            entry = _StoreScopes()
            add_listener = getattr(store, "add_listener", None)
            if callable(add_listener):
                add_listener(entry.dispatch)
                entry.listened = True
            if shared:
                _REGISTRY[store] = entry
        scope = entry.scopes.get(namespace)
        if scope is None:
            scope = ScopeIndex(namespace, listened=entry.listened)
            entry.scopes[namespace] = scope
        return scope

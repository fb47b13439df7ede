"""Forget that leaves no byte: a whole user, or the memories that match a query.

``forget_user`` removes what ``langmem_plugin._admin.delete_user_data`` finds (every item in
a namespace of the user, see ``langmem_plugin._namespaces``, their sessions and archive, the
checkpoints of every thread run with their ``user_id``), then :func:`scrub` makes the
deleted bytes unrecoverable from the files. ``forget_query`` finds the user's memories,
archived turns and profile facts (with every version of them) that match a query, and the
threads whose checkpoints hold a matching message, and removes them the same way.

What :func:`scrub` does, and why (every step was checked by scanning the raw bytes of every
file under the memory folder for a unique token; see ``tests/integration/test_forget_bytes``):

* **Chroma's own database** (``chroma/chroma.sqlite3``) keeps every vector upsert, with its
  metadata (the namespace labels, hence the user id and session ids), in its log
  (``embeddings_queue``) until the HNSW segment is persisted, which happens every
  ``sync_threshold`` (1,000) records; ``chroma vacuum --path`` only purges the log up to
  the segments' persisted sequence, so it removes nothing before that, and the HNSW files
  keep deleted vectors' bytes (a deleted label is only marked). Chroma is an *index* of
  the vectors this library keeps in SQL, so an embedded store rebuilds it: every vector is
  marked unindexed in SQL (one transaction), the collection is deleted (its log rows,
  metadata rows and HNSW folder go with it), created again and filled from SQL, then
  ``chroma.sqlite3`` is ``VACUUM``-ed so that no freed page keeps the old rows. Cost: one
  Chroma upsert per remaining vector (about 1 ms each), i.e. seconds for ten thousand.
  A crash anywhere leaves vectors marked unindexed, which the next open indexes again; a
  second forget scrubs again.
* **The items and checkpoint database** (SQLite): ``secure_delete`` zeroes deleted rows
  (set on the store's and the checkpointer's connections), ``VACUUM`` rewrites the file
  without free pages, and ``wal_checkpoint(TRUNCATE)`` empties the write-ahead log, which
  otherwise keeps old page images (the deleted rows) until the next checkpoint.
* **PostgreSQL**: rows are deleted in every table (the store's, ``checkpoints``,
  ``checkpoint_blobs``, ``checkpoint_writes``) and the tables are ``VACUUM``-ed, which
  makes the dead tuples' space reusable; the bytes stay in the data files and the WAL
  segments until overwritten (``VACUUM FULL`` and a WAL switch are the operator's call).
* **A Chroma server**: the vectors are deleted through the API; the server's log and files
  are the server's (run ``chroma vacuum`` there).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import struct
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.store.base import PutOp

from langmem_plugin._admin._open import chroma_store
from langmem_plugin._admin._users import ForgetReport, user_namespaces
from langmem_plugin._admin._users import delete_user_data as _find_and_delete_user
from langmem_plugin._audit import audit_source, current_context, log_of
from langmem_plugin._ids import label_id, validate_id
from langmem_plugin._namespaces import namespace_kind, user_namespace
from langmem_plugin._paging import WRITE_BATCH, chunks, search_all
from langmem_plugin._text import analyze
from langmem_plugin._tracing import forget_attributes, forget_query_attributes, traced
from langmem_plugin.history._storage import ARCHIVE, SESSIONS
from langmem_plugin.knowledge._graph import knowledge_of
from langmem_plugin.nodes._usage import usage_of

logger = logging.getLogger(__name__)

__all__ = [
    "ForgetMatch",
    "QueryForgetReport",
    "forget_query",
    "forget_user",
    "scrub",
    "zero_index_slack",
]

DENSE_GATE = 0.55
"""Cosine similarity from which a memory matches a forget query without sharing a word.

Measured with the bundled MiniLM for the query "my divorce" over one user's turns: the
turns about it scored 0.55-0.58 ("My ex-husband and I split up after ten years of
marriage" 0.58, without the word), the nearest unrelated ones 0.36 (custody papers), 0.27
(a cousin's wedding), 0.18 (work) and below. The gate sits at the bottom of the on-topic
band; the lexical test (a shared stemmed word) catches on-topic turns below it.
"""
_CANDIDATES = 1000
_FORGET_WORDS = frozenset(
    {"forget", "forgot", "told", "tell", "said", "say", "remember", "about", "everything"}
)


# ---------------------------------------------------------------------------- scrub
def scrub(memory: Any) -> None:
    """Make deleted data unrecoverable from the memory's files (see the module docstring)."""
    store = chroma_store(memory)
    store.sync_index()
    lock = getattr(store, "_folder_lock", None)
    if lock is not None:  # embedded: this process alone writes the folder
        store.rebuild_index()  # a new collection: the old one's HNSW files go
        _vacuum_sqlite_file(Path(lock.folder) / "chroma.sqlite3")
        _remove_orphan_segments(Path(lock.folder))
        zero_index_slack(Path(lock.folder))
    _vacuum_database(store._db)
    saver = memory.checkpointer
    conn = getattr(saver, "conn", None)
    if isinstance(conn, sqlite3.Connection):
        with getattr(saver, "lock", None) or contextlib.nullcontext():
            _vacuum_connection(conn)
        _vacuum_database(store._db)  # the checkpointer's VACUUM went through the WAL
    elif memory._spec.kind == "postgres" and store._db.kind != "postgres":
        _vacuum_postgres_url(memory._spec.target)


def _remove_orphan_segments(folder: Path) -> None:
    """Delete HNSW folders of segments Chroma no longer lists (a deleted collection's).

    Chroma leaves the folder of a deleted collection's vector segment on disk, with the
    vectors and the ids in ``data_level0.bin``; the files are zeroed, then removed.
    """
    database = folder / "chroma.sqlite3"
    if not database.exists():
        return
    conn = sqlite3.connect(str(database), timeout=30.0)
    try:
        live = {str(row[0]) for row in conn.execute("SELECT id FROM segments")}
    finally:
        conn.close()
    for child in folder.iterdir():
        if not child.is_dir() or child.name in live or not _is_uuid(child.name):
            continue
        for file in child.rglob("*"):
            if file.is_file():
                size = file.stat().st_size
                with file.open("r+b") as handle:
                    handle.write(b"\0" * size)
                    handle.flush()
                    os.fsync(handle.fileno())
        shutil.rmtree(child, ignore_errors=True)


_HNSW_HEADER = struct.Struct("<iQQQQQQiI")
"""The start of Chroma's hnswlib ``header.bin``: version, offsetLevel0, max_elements,
cur_element_count, size_data_per_element, label_offset, offsetData, maxlevel, enterpoint."""


def zero_index_slack(folder: Path) -> None:
    """Zero the unused capacity of every HNSW segment in an embedded Chroma ``folder``.

    Run by forget, and by ``Memory.close`` (Chroma persists an index only at creation and
    every ``sync_threshold`` writes; the slack it writes is the process's old heap).
    """
    for segment in folder.iterdir():
        if segment.is_dir() and _is_uuid(segment.name):
            _zero_hnsw_slack(segment)


def _zero_hnsw_slack(segment: Path) -> None:
    """Zero the unused capacity of a persisted HNSW index (``data_level0.bin``, ``length.bin``).

    hnswlib allocates its element array with ``malloc`` and Chroma writes the whole array,
    so the slots past ``cur_element_count`` hold whatever the process's heap held before:
    measured, a freshly rebuilt index file carried a forgotten user's vectors (freed
    memory of the deleted index) in about one run in twelve. Only unused slots are
    zeroed; a layout this code does not recognise is left alone (and logged).
    """
    header, data, lengths = (segment / n for n in ("header.bin", "data_level0.bin", "length.bin"))
    if not (header.exists() and data.exists()):
        return
    raw = header.read_bytes()
    if len(raw) < _HNSW_HEADER.size:
        return
    version, _, capacity, count, size, *_ = _HNSW_HEADER.unpack_from(raw)
    length = data.stat().st_size
    # Written elements: ``capacity`` slots for an index persisted empty, else ``count``.
    if version != 1 or size <= 0 or length % size or not count * size <= length <= capacity * size:
        logger.warning("unrecognised HNSW layout in %s: unused slots not zeroed", segment)
        return
    _zero_from(data, count * size)
    if lengths.exists() and lengths.stat().st_size == length // size * 4:
        _zero_from(lengths, count * 4)


def _zero_from(path: Path, offset: int) -> None:
    size = path.stat().st_size
    if offset >= size:
        return
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(b"\0" * (size - offset))
        handle.flush()
        os.fsync(handle.fileno())


def _is_uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True


def _vacuum_sqlite_file(path: Path) -> None:
    if not path.exists():
        return
    conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
    try:
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("PRAGMA temp_store=MEMORY")  # no temporary copy outside the folder
        conn.execute("VACUUM")
        _truncate_wal(conn)
    finally:
        conn.close()


def _vacuum_connection(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.commit()
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("VACUUM")
    _truncate_wal(conn)


def _truncate_wal(conn: sqlite3.Connection, attempts: int = 50) -> None:
    """Copy the WAL into the database and empty it; retry while a reader holds it.

    ``wal_checkpoint(TRUNCATE)`` does not raise when another connection is reading: it
    answers ``busy`` and leaves the WAL (and the old pages in it) as it is.

    Raises:
        TimeoutError: If the WAL stayed busy for ``attempts`` tries (5 s).
    """
    for _ in range(attempts):
        row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if row is None or int(row[0]) == 0:
            return
        time.sleep(0.1)
    raise TimeoutError("the SQLite write-ahead log stayed busy; run forget again")


def _vacuum_database(db: Any) -> None:
    if db.kind == "sqlite":
        with db._lock:
            _vacuum_connection(db._conn)
        return
    with db._pool.connection() as conn:
        _vacuum_postgres(conn)


def _vacuum_postgres_url(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        _vacuum_postgres(conn)


def _vacuum_postgres(conn: Any) -> None:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND "
        "(tablename LIKE 'langmem_store_%' OR tablename LIKE 'checkpoint%' "
        "OR tablename = 'store')"
    ).fetchall()
    for row in rows:
        table = row[0] if not isinstance(row, dict) else row["tablename"]
        conn.execute(f'VACUUM "{table}"')


def _record(memory: Any, operation: str, user_id: str, detail: dict[str, Any]) -> None:
    log = log_of(memory.store)
    if log is not None:
        log.record([((), "", operation)], user_id=user_id, detail=detail)


# ---------------------------------------------------------------------------- a whole user
@traced("langmem.forget_user", forget_attributes)
def forget_user(memory: Any, user_id: str, *, dry_run: bool = False) -> ForgetReport:
    """Remove every trace of a user and scrub the files (see the module docstring).

    Args:
        memory: The memory.
        user_id: The user.
        dry_run: Only report what would be removed.

    Returns:
        What was removed; the audit log gets a ``forget`` event with the counts.
    """
    with audit_source(str(current_context()["source"]), user_id=user_id):
        report = _find_and_delete_user(memory, user_id, dry_run=dry_run)
    if dry_run:
        return report
    usage_of(memory.store).discard(user_id)  # buffered recall counts (nodes._usage)
    access = getattr(memory, "access", None)
    if access is not None:  # grants to or of the user, their writes in team scopes
        with audit_source("forget", user_id=user_id):
            access.forget_user(user_id)
    _record(
        memory,
        "forget",
        user_id,
        {
            "items": report.total_items,
            "sessions": len(report.sessions),
            "messages": report.messages,
            "threads": len(report.threads),
        },
    )
    scrub(memory)
    return report


# ---------------------------------------------------------------------------- by query
@dataclass(frozen=True)
class ForgetMatch:
    """A memory that matches a forget query.

    Attributes:
        kind: ``turn`` (an archived message), ``fact`` (a profile fact, with every version),
            or ``memory`` (a note, episode, lesson...).
        namespace: Its namespace.
        key: Its key.
        preview: The start of its text (shown by the preview, never stored).
        score: Its similarity to the query (None: matched on a shared word only).
    """

    kind: str
    namespace: tuple[str, ...]
    key: str
    preview: str
    score: float | None


@dataclass
class QueryForgetReport:
    """What ``forget_query`` found (and removed unless ``dry_run``).

    Attributes:
        user_id: The user.
        matches: The matching memories, turns and facts.
        threads: Threads whose checkpoints hold a match (their checkpoints are removed).
        kept_threads: Matching threads whose checkpoints name other users (kept).
        removed: Store items removed (fact versions included); 0 with ``dry_run``.
        dry_run: Nothing was deleted.
    """

    user_id: str
    matches: list[ForgetMatch] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)
    kept_threads: list[str] = field(default_factory=list)
    removed: int = 0
    dry_run: bool = True

    def counts(self) -> dict[str, int]:
        """Matches per kind, and threads."""
        counts = {"turn": 0, "fact": 0, "memory": 0}
        for match in self.matches:
            counts[match.kind] += 1
        return {**counts, "threads": len(self.threads)}

    def summary(self) -> str:
        """The counts in one line, without any content (what the agent tool answers)."""
        verb = "would forget" if self.dry_run else "forgot"
        counts = self.counts()
        return (
            f"{verb} for {self.user_id!r}: {counts['turn']} archived turns, {counts['fact']} "
            f"profile facts, {counts['memory']} memories, {counts['threads']} threads"
        )

    def render(self) -> str:
        """The summary, one line per match (with a preview of its text), then the threads."""
        lines = [self.summary()]
        for match in self.matches:
            score = f"{match.score:.2f}" if match.score is not None else "word"
            where = "/".join((*match.namespace, match.key))
            lines.append(f"  [{match.kind}] {where} ({score}): {match.preview}")
        lines.extend(f"  [thread] {thread} (its checkpoints)" for thread in self.threads)
        if self.kept_threads:
            lines.append("  kept (checkpoints name other users): " + ", ".join(self.kept_threads))
        return "\n".join(lines)


def _text_of(value: dict[str, Any]) -> str:
    for name in ("content", "text", "summary", "value"):
        text = value.get(name)
        if isinstance(text, str) and text:
            return text
    return ""


def _kind(namespace: tuple[str, ...]) -> str:
    kind = namespace_kind(namespace)  # a persona's archive is turns too
    if kind == ARCHIVE:
        return "turn"
    if kind in ("profile", "profile_history"):
        return "fact"
    return "memory"


def _message_texts(messages: Any) -> list[str]:
    texts = []
    for message in messages or []:
        text = getattr(message, "text", None)  # a str (also callable, deprecated, in 0.3)
        if isinstance(text, str) and text:
            texts.append(str(text))
    return texts


@traced("langmem.forget_query", forget_query_attributes)
def forget_query(  # noqa: PLR0912 -- one branch per kind of match, in reading order
    memory: Any, user_id: str, query: str, *, dry_run: bool = True
) -> QueryForgetReport:
    """Find (and unless ``dry_run``, remove) what a user's memory holds about ``query``.

    A memory, archived turn or profile fact matches when it shares a stemmed word with the
    query (words like "forget", "told", "about" and stop words aside), or when its cosine
    similarity to the query reaches ``DENSE_GATE``. A matching fact goes with every version
    in ``profile_history``; a thread whose archived turns or latest checkpoint messages
    match loses its checkpoints (the checkpoint history holds the same words; its other
    archived turns stay). The removal is scrubbed like ``forget_user``'s.

    Args:
        memory: The memory.
        user_id: The user; nothing of another user is searched or removed.
        query: What to forget, e.g. ``"my divorce"``.
        dry_run: Only report the matches (the default: preview first).

    Returns:
        The matches; the audit log gets a ``forget_query`` event with counts (never the
        query).

    Raises:
        ValueError: If ``user_id`` or ``query`` is empty.
    """
    validate_id(user_id, "user_id")
    if not isinstance(query, str) or not query.strip():
        raise ValueError(f"query must be a non-empty string, got {query!r}")
    if getattr(memory, "_memory_runtime", None) is not None:
        memory.flush()
    store = memory.store
    terms = set(analyze(query, drop=_FORGET_WORDS))
    report = QueryForgetReport(user_id=user_id, dry_run=dry_run)

    def lexical(text: str) -> bool:
        return bool(terms) and bool(terms & set(analyze(text)))

    sessions: set[str] = set()
    fact_keys: set[str] = set()
    for namespace in user_namespaces(memory, user_id):
        if namespace_kind(namespace) == SESSIONS:  # session records: no content to match
            continue
        items = search_all(store, namespace)
        scores = {
            hit.key: hit.score
            for hit in store.search(
                namespace,
                query=query,
                limit=min(max(len(items), 1), _CANDIDATES),
                refresh_ttl=False,
            )
        }
        for item in items:
            text = _text_of(item.value)
            score = scores.get(item.key)
            dense = score is not None and score >= DENSE_GATE
            if not (dense or lexical(text)):
                continue
            kind = _kind(namespace)
            report.matches.append(
                ForgetMatch(kind, namespace, item.key, " ".join(text.split())[:80], score)
            )
            if kind == "turn" and len(namespace) > 2:  # the session is the last label
                sessions.add(label_id(namespace[-1]))
            if kind == "fact":
                fact_keys.add(item.key.split("@", 1)[0])
    _match_threads(memory, user_id, sessions, lexical, report)
    if dry_run:
        return report

    doomed = {(m.namespace, m.key) for m in report.matches if m.kind != "fact"}
    for key in fact_keys:
        doomed.add((user_namespace("profile", user_id), key))
        for item in search_all(store, user_namespace("profile_history", user_id)):
            if item.key.split("@", 1)[0] == key:
                doomed.add((user_namespace("profile_history", user_id), item.key))
    ordered = sorted(doomed)
    with audit_source(str(current_context()["source"]), user_id=user_id):
        for chunk in chunks(ordered, WRITE_BATCH):
            store.batch([PutOp(ns, key, None) for ns, key in chunk])
    turns = [(label_id(ns[2]), key) for ns, key in ordered if ns[0] == ARCHIVE and len(ns) > 2]
    graph = knowledge_of(store)
    if graph is not None and turns:  # what the forgotten turns said about entities goes too
        graph.forget_turns(user_id, turns)
    for thread in report.threads:
        memory.checkpointer.delete_thread(thread)
    report.removed = len(ordered)
    _record(memory, "forget_query", user_id, {**report.counts(), "removed": report.removed})
    scrub(memory)
    return report


def _match_threads(
    memory: Any, user_id: str, sessions: set[str], lexical: Any, report: QueryForgetReport
) -> None:
    """Threads to clear: sessions with a matching turn, or user threads whose messages match."""
    saver = memory.checkpointer
    candidates = set(sessions)
    for snapshot in saver.list(None, filter={"user_id": user_id}):
        thread = str(snapshot.config["configurable"]["thread_id"])
        if thread in candidates:
            continue
        messages = snapshot.checkpoint.get("channel_values", {}).get("messages")
        if any(lexical(text) for text in _message_texts(messages)):
            candidates.add(thread)
    for thread in sorted(candidates):
        config: RunnableConfig = {"configurable": {"thread_id": thread}}
        owners = {
            str(s.metadata["user_id"])
            for s in saver.list(config)
            if s.metadata and "user_id" in s.metadata
        }
        if owners - {user_id}:
            report.kept_threads.append(thread)
        elif saver.get_tuple(config) is not None:
            report.threads.append(thread)

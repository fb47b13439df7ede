"""The audit log: who wrote, deleted, forgot (and optionally recalled) which memory, and when.

Every write and delete of a memory item, every forget, and (opt-in) every recall is one
row of an append-only SQL table ``<store tables>_audit`` in the memory's own database: the
SQLite file beside the checkpoints, or the PostgreSQL database when scaled out. A row holds
the time, the user, the agent, the thread, the path that did it (``node``, ``tool``,
``ingest``, ``pipeline`` (episodes, profile, lessons and tasks the deferred extraction
wrote), ``cli``, ``ui``, ``api``, ``forget``...), the namespace, the key and the
operation. It never holds content (no value, no message text, no query), so the log never
has to be scrubbed when a user is forgotten; it keeps the user id and keys, which is what
an audit log is for.

Choke point: the store's item table calls :meth:`AuditLog.record_in` *inside the SQL
transaction of every batch* (``ItemTable.audit``), so whatever path wrote (graph nodes, the
middleware, tools, ``ingest``, the background pipeline, the CLI, the inspector page, a user
calling ``store.put``), the audit rows commit with the write or not at all: a SIGKILL can
never leave a write without its audit row, nor an audit row for a write that was rolled
back. A store listener (``ChromaStore.add_listener``) was the other candidate; it runs after
the commit, so a kill in between would lose the event. TTL expiry is recorded as
``expire`` by the sweep's transaction the same way.

Labels: callers name their path with ``with audit_source("cli"):`` (a contextvar, so it
follows ``asyncio`` tasks and ``asyncio.to_thread``); inside a LangGraph run, the user,
agent and thread come from the run's ``configurable`` and the source defaults to ``node``;
otherwise it is ``api``. The user of a row is the namespace's user
(``langmem_plugin._namespaces.namespace_user``: the label at the user position of every
memory kind, ``("profile", user)``, ``("archive", user, session)``...), else the context's
user; an agent's lessons (``("agent_lessons", agent)``) belong to no user, so their rows
name the user whose run wrote them and the agent.

Retention: ``retention_days`` drops older rows, at most once an hour, in the transaction of
a write (and on ``Memory.audit``). Recalls (``recalls=True``) add a row per recalled key.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langmem_plugin._ids import label_id
from langmem_plugin._namespaces import (
    namespace_agent,
    namespace_kind,
    namespace_user,
)
from langmem_plugin.store._db import Cursor, Database
from langmem_plugin.store._sql import join_namespace, split_namespace, table_base

__all__ = ["AuditEvent", "AuditLog", "audit_source", "current_context"]

SOURCES = frozenset(
    {
        "node",
        "tool",
        "ingest",
        "pipeline",
        "cli",
        "ui",
        "api",
        "forget",
        "import",
        "cleanup",
        "middleware",
        "mcp",
        "usage",
    }
)
"""The paths a caller may name (``audit_source``)."""

_SOURCE: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "langmem_audit_source", default=None
)
_PRUNE_EVERY = 3600.0
_REGISTRY: weakref.WeakKeyDictionary[Any, AuditLog] = weakref.WeakKeyDictionary()


@contextmanager
def audit_source(
    source: str,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    thread_id: str | None = None,
) -> Iterator[None]:
    """Label the memory writes made inside the block with their path (and who).

    Args:
        source: One of ``SOURCES`` (``"cli"``, ``"ui"``, ``"tool"``...).
        user_id: The user acting, when the namespace does not say it.
        agent_id: The agent acting.
        thread_id: The thread (conversation) concerned.

    Raises:
        ValueError: If ``source`` is not one of ``SOURCES``.

    Example:
        ```python
        with audit_source("ui"):
            memory.store.delete(("memories", "ada"), key)
        ```
    """
    if source not in SOURCES:
        raise ValueError(f"audit source must be one of {sorted(SOURCES)}, got {source!r}")
    outer = _SOURCE.get() or {}
    labels = {**outer, "source": source}
    for name, value in (("user_id", user_id), ("agent_id", agent_id), ("thread_id", thread_id)):
        if value is not None:
            labels[name] = str(value)
    token = _SOURCE.set(labels)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def background(target: Callable[[], None]) -> Callable[[], None]:
    """``target`` labelled ``node`` (the memory nodes' background archive and pipeline)."""

    def run() -> None:
        with audit_source("node"):
            target()

    return run


def current_context() -> dict[str, str | None]:
    """``source``, ``user_id``, ``agent_id`` and ``thread_id`` of the running code."""
    labels = _SOURCE.get() or {}
    configurable: dict[str, Any] = {}
    try:
        from langchain_core.runnables.config import var_child_runnable_config

        config = var_child_runnable_config.get()
        if config:
            configurable = dict(config.get("configurable") or {})
    except ImportError:  # pragma: no cover - langchain_core is a dependency
        pass

    def pick(name: str) -> str | None:
        value = labels.get(name) or configurable.get(name)
        return str(value) if value else None

    source = labels.get("source") or ("node" if configurable else "api")
    return {
        "source": source,
        "user_id": pick("user_id"),
        "agent_id": pick("agent_id"),
        "thread_id": pick("thread_id"),
    }


@dataclass(frozen=True)
class AuditEvent:
    """One audit row.

    Attributes:
        at: When (UTC).
        operation: ``put``, ``delete``, ``expire``, ``forget``, ``forget_query``,
            ``recall``, ``consolidate`` (``Memory.consolidate``, with its counts), or
            ``corrupt`` (a read met an item whose value does not open).
        user_id: Whose memory.
        namespace: The item's namespace (``()`` for a forget).
        key: The item's key (``""`` for a forget).
        source: The path that did it (``node``, ``tool``, ``cli``...).
        agent_id: The agent, when known.
        thread_id: The thread, when known.
        detail: Counts for a forget or a consolidation, the reason for ``corrupt``
            (never content), else empty.
    """

    at: datetime
    operation: str
    user_id: str | None
    namespace: tuple[str, ...]
    key: str
    source: str
    agent_id: str | None = None
    thread_id: str | None = None
    detail: dict[str, Any] | None = None

    def line(self) -> str:
        """``ISO-time operation namespace/key [source]``: one line of ``langmem audit``."""
        where = "/".join((*self.namespace, self.key)) if self.key else "/".join(self.namespace)
        extra = f" {json.dumps(self.detail, sort_keys=True)}" if self.detail else ""
        return f"{self.at.isoformat()} {self.operation} {where or '-'} [{self.source}]{extra}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the event."""
        return {
            "at": self.at.isoformat(),
            "operation": self.operation,
            "user_id": self.user_id,
            "namespace": list(self.namespace),
            "key": self.key,
            "source": self.source,
            "agent_id": self.agent_id,
            "thread_id": self.thread_id,
            "detail": self.detail,
        }


ItemOperation = tuple[tuple[str, ...], str, str]
"""``(namespace, key, operation)`` of one item."""


class AuditLog:
    """The audit table of one store (see the module docstring).

    Args:
        db: The store's database (its items' SQLite file or PostgreSQL).
        prefix: The store's collection prefix (names the table).
        retention_days: Drop events older than this; None keeps them forever.
        recalls: Also record recalls (``record_recall``).
    """

    def __init__(
        self,
        db: Database,
        prefix: str,
        *,
        retention_days: float | None = None,
        recalls: bool = False,
    ) -> None:
        if retention_days is not None and (
            isinstance(retention_days, bool)
            or not isinstance(retention_days, int | float)
            or not retention_days > 0
        ):
            raise ValueError(f"audit_retention_days must be positive, got {retention_days!r}")
        self.db = db
        self.table = f"{table_base(prefix)}_audit"
        self.retention_days = retention_days
        self.recalls = recalls
        self._last_prune = 0.0
        self._prune_lock = threading.Lock()
        pg = db.kind == "postgres"
        ident = "BIGSERIAL PRIMARY KEY" if pg else "INTEGER PRIMARY KEY AUTOINCREMENT"
        real = "DOUBLE PRECISION" if pg else "REAL"
        statements = [
            f"""CREATE TABLE IF NOT EXISTS {self.table} (
                id {ident}, at {real} NOT NULL, user_id TEXT, agent_id TEXT,
                thread_id TEXT, source TEXT NOT NULL, operation TEXT NOT NULL,
                ns TEXT NOT NULL, key TEXT NOT NULL, detail TEXT)""",
            f"CREATE INDEX IF NOT EXISTS {self.table}_user ON {self.table} (user_id, at)",
            f"CREATE INDEX IF NOT EXISTS {self.table}_at ON {self.table} (at)",
        ]

        self.present = True
        """False when a read-only database has no audit table yet (no events to show)."""
        if db.read_only:  # a reader creates nothing and records nothing
            tables = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
            self.present = bool(db.query(tables, [self.table]))
            return

        def create(cursor: Cursor) -> None:
            if pg:
                digest = hashlib.blake2b(self.table.encode(), digest_size=4).digest()
                cursor.execute("SELECT pg_advisory_xact_lock(?)", [int.from_bytes(digest)])
            for statement in statements:
                cursor.execute(statement)

        db.transaction(create)

    # ------------------------------------------------------------------ writing
    def record_in(self, cursor: Cursor, changes: Sequence[ItemOperation]) -> None:
        """Insert one row per change with the running code's labels (inside a transaction)."""
        if not changes:
            return
        context = current_context()
        now = time.time()
        rows = []
        for namespace, key, operation in changes:
            thread = context["thread_id"]
            if thread is None and len(namespace) > 2 and namespace_kind(namespace) == "archive":
                thread = label_id(namespace[-1])  # an archived turn names its session (= thread)
            rows.append(
                (
                    now,
                    namespace_user(namespace) or context["user_id"],
                    context["agent_id"] or namespace_agent(namespace),
                    thread,
                    context["source"],
                    operation,
                    join_namespace(namespace),
                    key,
                    None,
                )
            )
        cursor.executemany(
            f"INSERT INTO {self.table} (at, user_id, agent_id, thread_id, source, operation, "
            "ns, key, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self._maybe_prune(cursor, now)

    def record(
        self,
        changes: Sequence[ItemOperation],
        *,
        user_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record events in their own (committed) transaction.

        Args:
            changes: ``(namespace, key, operation)`` per event.
            user_id: The user of events whose namespace does not name one.
            detail: Counts to keep with the events (never content).
        """
        if not changes or self.db.read_only:  # a reader writes nothing, recalls included
            return
        context = current_context()
        now = time.time()
        text = json.dumps(detail, sort_keys=True) if detail else None
        rows = [
            (
                now,
                namespace_user(namespace) or user_id or context["user_id"],
                context["agent_id"] or namespace_agent(namespace),
                context["thread_id"],
                context["source"],
                operation,
                join_namespace(namespace),
                key,
                text,
            )
            for namespace, key, operation in changes
        ]
        self.db.transaction(
            lambda cursor: cursor.executemany(
                f"INSERT INTO {self.table} (at, user_id, agent_id, thread_id, source, "
                "operation, ns, key, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        )

    def record_corrupt(self, found: Sequence[tuple[tuple[str, ...], str, str]]) -> None:
        """Record ``corrupt`` events: items whose value did not open, with what failed.

        Args:
            found: ``(namespace, key, reason)`` per item; the reason (``"not JSON"``,
                ``"authentication failed ..."``) goes in ``detail``, never any content.
        """
        for namespace, key, reason in found:
            self.record([(namespace, key, "corrupt")], detail={"reason": reason})

    def record_recall(self, user_id: str, keys: Sequence[tuple[tuple[str, ...], str]]) -> None:
        """Record what a recall returned (when ``recalls`` is on)."""
        if self.recalls and keys:
            self.record([(ns, key, "recall") for ns, key in keys], user_id=user_id)

    def _maybe_prune(self, cursor: Cursor, now: float) -> None:
        if self.retention_days is None or now - self._last_prune < _PRUNE_EVERY:
            return
        with self._prune_lock:
            self._last_prune = now
        cursor.execute(
            f"DELETE FROM {self.table} WHERE at < ?", [now - self.retention_days * 86400.0]
        )

    def prune(self, now: float | None = None) -> None:
        """Drop the events older than ``retention_days`` now (no-op without retention)."""
        if self.retention_days is None or self.db.read_only:
            return
        moment = time.time() if now is None else now
        self._last_prune = moment
        cutoff = moment - self.retention_days * 86400.0
        self.db.transaction(
            lambda cursor: cursor.execute(f"DELETE FROM {self.table} WHERE at < ?", [cutoff])
        )

    # ------------------------------------------------------------------ reading
    def events(
        self, user_id: str | None, *, since: datetime | None = None, limit: int = 100
    ) -> list[AuditEvent]:
        """A user's events (every user's with None), oldest first, at most ``limit``.

        ``limit`` keeps the most recent events.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        if not self.present:
            return []
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if user_id is not None:
            where.append("user_id = ?")
            params.append(user_id)
        if since is not None:
            moment = since if since.tzinfo else since.replace(tzinfo=UTC)
            where.append("at >= ?")
            params.append(moment.timestamp())
        rows = self.db.query(
            f"SELECT at, operation, user_id, ns, key, source, agent_id, thread_id, detail "
            f"FROM {self.table} WHERE {' AND '.join(where)} ORDER BY at DESC, id DESC LIMIT ?",
            [*params, limit],
        )
        events = [
            AuditEvent(
                at=datetime.fromtimestamp(float(at), UTC),
                operation=str(op),
                user_id=user,
                namespace=split_namespace(str(ns)),
                key=str(key),
                source=str(source),
                agent_id=agent,
                thread_id=thread,
                detail=json.loads(detail) if detail else None,
            )
            for at, op, user, ns, key, source, agent, thread, detail in rows
        ]
        events.reverse()
        return events


def install(store: Any, log: AuditLog) -> None:
    """Make ``store`` (a ``ChromaStore``) record its writes in ``log``."""
    store._engine.col.items.audit = log.record_in
    store._engine.col.items.on_corrupt = log.record_corrupt
    _REGISTRY[store] = log


def log_of(store: Any) -> AuditLog | None:
    """The audit log installed on ``store``, if any."""
    try:
        return _REGISTRY.get(store)
    except TypeError:  # not weak-referenceable
        return None


_RECALL_KINDS = {"fact": "profile", "episode": "episodes", "note": "memories"}


def note_recall(store: Any, scope: Any, chosen: Sequence[Any]) -> None:
    """Record what a recall put in the context, if ``store``'s audit log records recalls.

    Args:
        store: The store recalled from.
        scope: The recall's ``Scope`` (user, agent, thread).
        chosen: The recall's entries (``kind``, ``key``, ``turn``).
    """
    log = log_of(store)
    if log is None or not log.recalls or not chosen:
        return
    user = scope.user_id
    keys: list[tuple[tuple[str, ...], str]] = []
    for entry in chosen:
        if entry.turn is not None:
            keys.append((tuple(entry.turn.session[0]), entry.key))
        elif entry.kind == "lesson":
            keys.append((scope.lesson_namespace, entry.key))
        else:  # the persona's notes and episodes, the shared profile (Scope.namespace)
            keys.append((scope.namespace(_RECALL_KINDS.get(entry.kind, entry.kind)), entry.key))
    with audit_source(
        current_context()["source"] or "api",
        user_id=user,
        agent_id=scope.agent_id,
        thread_id=scope.thread_id,
    ):
        try:
            log.record_recall(user, keys)
        except Exception:  # an audit failure must not fail the model call
            import logging

            logging.getLogger(__name__).exception("audit: recording a recall failed")

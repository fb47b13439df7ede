"""Daily health figures that outlive the process: recalls and their latency, model calls, tokens.

Prometheus metrics (``_metrics``) are per process and start at zero on every restart; the
inspector's health page needs days of history from every process that used the memory.
So each ``Memory`` adds up, in memory, per UTC day:

* ``recall``: recalls built (``n``), their total and slowest time in seconds (``total``,
  ``peak``): the mean latency per day is ``total / n``;
* ``llm_calls`` and ``llm_tokens``: the memory's own model calls and the tokens they
  reported (the difference of ``memory.llm_calls`` since the last flush);

and a background thread flushes them every ``FLUSH_EVERY`` seconds (and on ``close``) into
one small table ``<store tables>_daily`` of the memory's own database (SQLite beside the
checkpoints, or PostgreSQL), one row per day and figure, added to by every process
(``INSERT ... ON CONFLICT DO UPDATE``). A recall only adds to a dict under a lock: no write
on its path. A process killed between flushes loses at most that minute's figures.

The rows hold counts and times, no user id and no content, so forgetting a user has
nothing to remove here, and exports (user data) leave them out. Memory growth comes from
the items themselves (their ``created_at``), not from this table: see ``Health``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from langmem_plugin._namespaces import namespace_user
from langmem_plugin.errors import InvalidValueError
from langmem_plugin.store._db import Cursor, Database
from langmem_plugin.store._sql import split_namespace, table_base

if TYPE_CHECKING:
    from langmem_plugin.nodes._runtime import MemoryRuntime
    from langmem_plugin.store import ChromaStore

__all__ = ["DailyStats", "DayFigures", "Health", "HealthFeatures"]

#: Seconds between flushes of the day's figures (a kill loses at most this much).
FLUSH_EVERY = 60.0


def _day(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).date().isoformat()


class DailyStats:
    """The ``_daily`` table of one memory and the figures not flushed to it yet.

    Args:
        db: The store's database.
        prefix: The store's collection prefix (names the table).
    """

    def __init__(self, db: Database, prefix: str) -> None:
        self.db = db
        self.table = f"{table_base(prefix)}_daily"
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], list[float]] = {}
        self._counter: Any = None
        self._seen_calls = 0
        self._seen_tokens = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.present = True
        """False when a read-only database has no daily table (no figures to show)."""
        if db.read_only:
            found = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
            self.present = bool(db.query(found, [self.table]))
            return
        real = "DOUBLE PRECISION" if db.kind == "postgres" else "REAL"
        db.transaction(
            lambda cursor: cursor.execute(
                f"""CREATE TABLE IF NOT EXISTS {self.table} (
                    day TEXT NOT NULL, metric TEXT NOT NULL, n BIGINT NOT NULL,
                    total {real} NOT NULL, peak {real} NOT NULL, PRIMARY KEY (day, metric))"""
            )
        )

    # ------------------------------------------------------------------ recording
    def _add(self, metric: str, n: float, total: float, peak: float, moment: float) -> None:
        row = self._pending.setdefault((_day(moment), metric), [0.0, 0.0, 0.0])
        row[0] += n
        row[1] += total
        row[2] = max(row[2], peak)

    def observe_recall(self, seconds: float) -> None:
        """Count one recall and its time (no I/O: flushed later)."""
        with self._lock:
            self._add("recall", 1, seconds, seconds, time.time())

    def watch(self, runtime: MemoryRuntime) -> None:
        """Observe a runtime's recalls and model calls, and start the flushing thread."""
        if self.db.read_only:
            return
        runtime.on_recall_daily = self.observe_recall
        with self._lock:
            self._counter = runtime.pipeline.counter
            self._seen_calls, self._seen_tokens = self._calls()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="langmem-daily-stats", daemon=True
                )
                self._thread.start()

    def _calls(self) -> tuple[int, int]:
        counter = self._counter
        if counter is None:
            return 0, 0
        with counter._lock:
            return sum(counter.by_purpose.values()), sum(counter.tokens.values())

    def _collect_calls(self) -> None:
        """Add the model calls and tokens since the last look to today's figures (locked)."""
        calls, tokens = self._calls()
        now = time.time()
        if calls > self._seen_calls:
            self._add("llm_calls", calls - self._seen_calls, 0.0, 0.0, now)
        if tokens > self._seen_tokens:
            self._add("llm_tokens", tokens - self._seen_tokens, 0.0, 0.0, now)
        self._seen_calls, self._seen_tokens = calls, tokens

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_EVERY):
            try:
                self.flush()
            except Exception:  # a busy or closed database: the figures stay pending
                import logging

                logging.getLogger(__name__).debug("daily stats: flush failed", exc_info=True)

    def flush(self) -> None:
        """Write the pending figures (added to what other processes wrote)."""
        if self.db.read_only:
            return
        with self._lock:
            self._collect_calls()
            pending, self._pending = self._pending, {}
        if not pending:
            return
        greatest = "GREATEST" if self.db.kind == "postgres" else "MAX"
        rows = [
            (day, metric, int(n), total, peak)
            for (day, metric), (n, total, peak) in pending.items()
        ]

        def write(cursor: Cursor) -> None:
            cursor.executemany(
                f"INSERT INTO {self.table} (day, metric, n, total, peak) VALUES (?, ?, ?, ?, ?) "
                f"ON CONFLICT (day, metric) DO UPDATE SET n = {self.table}.n + excluded.n, "
                f"total = {self.table}.total + excluded.total, "
                f"peak = {greatest}({self.table}.peak, excluded.peak)",
                rows,
            )

        try:
            self.db.transaction(write)
        except Exception:
            with self._lock:  # put them back: the next flush tries again
                for (day, metric), (n, total, peak) in pending.items():
                    row = self._pending.setdefault((day, metric), [0.0, 0.0, 0.0])
                    row[0] += n
                    row[1] += total
                    row[2] = max(row[2], peak)
            raise

    def close(self) -> None:
        """Stop the thread and flush what is pending (``Memory.close`` does, first)."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self.flush()

    # ------------------------------------------------------------------ reading
    def rows(self, since: str) -> list[tuple[str, str, int, float, float]]:
        """``(day, metric, n, total, peak)`` from day ``since`` on, pending figures included."""
        found: dict[tuple[str, str], list[float]] = {}
        if self.present:
            for day, metric, n, total, peak in self.db.query(
                f"SELECT day, metric, n, total, peak FROM {self.table} WHERE day >= ?", [since]
            ):
                found[str(day), str(metric)] = [float(n), float(total), float(peak)]
        with self._lock:
            self._collect_calls()
            for key, (n, total, peak) in self._pending.items():
                if key[0] >= since:
                    row = found.setdefault(key, [0.0, 0.0, 0.0])
                    row[0] += n
                    row[1] += total
                    row[2] = max(row[2], peak)
        return sorted((d, m, int(n), t, p) for (d, m), (n, t, p) in found.items())


@dataclass(frozen=True)
class DayFigures:
    """One UTC day of a memory's health.

    Attributes:
        day: ``YYYY-MM-DD``.
        new_items: Live items created that day, by kind (the namespace's first label:
            ``archive``, ``episodes``, ``profile``...).
        items: Live items created up to the end of that day (memory size over time).
        recalls: Recalls built that day.
        recall_ms: Their mean time, milliseconds (None without recalls).
        recall_peak_ms: The slowest, milliseconds.
        llm_calls: The memory's own model calls.
        llm_tokens: The tokens those calls reported.
    """

    day: str
    new_items: dict[str, int] = field(default_factory=dict)
    items: int = 0
    recalls: int = 0
    recall_ms: float | None = None
    recall_peak_ms: float = 0.0
    llm_calls: int = 0
    llm_tokens: int = 0


@dataclass(frozen=True)
class Health:
    """A memory's health over its last days, oldest day first (``Memory.health``).

    Memory growth (``items``, ``new_items``) is read from the live items' ``created_at``:
    an item deleted or forgotten since no longer counts on the day it was made, and an
    item updated keeps its first day. Recalls, model calls and tokens come from the
    ``_daily`` table (see the module docstring); days before this version, or before a
    process recorded anything, show zero.

    Attributes:
        days: One entry per day, every day of the period (zeros included).
        users: Users with live items now.
    """

    days: list[DayFigures]
    users: int = 0


class HealthFeatures:
    """``memory.health()``: a mixin of ``Memory`` (needs ``store`` and the features)."""

    store: ChromaStore
    daily_stats: DailyStats

    def _open_daily_stats(self) -> None:
        self.daily_stats = DailyStats(self.store._db, self.store.collection_prefix)

    def _watch_health(self, runtime: MemoryRuntime) -> None:
        """Called by the features when they build their runtime."""
        self.daily_stats.watch(runtime)

    def health(self, days: int = 30) -> Health:
        """Memory growth, recalls and their latency, model calls and tokens per day.

        Args:
            days: How many days, ending today (UTC).

        Returns:
            ``Health``: one ``DayFigures`` per day, oldest first.

        Raises:
            InvalidValueError: If ``days`` is not a positive integer (at most 3660).
        """
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
            raise InvalidValueError(f"days must be an integer from 1 to 3660, got {days!r}")
        today = datetime.now(UTC).date()
        period = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
        first = period[0].isoformat()
        created: dict[str, Counter[str]] = {}
        before = 0
        users: set[str] = set()
        for day_number, ns, count in self.store._engine.col.items.created_per_day(time.time()):
            namespace = split_namespace(ns)
            user = namespace_user(namespace)
            if user is not None:
                users.add(user)
            day = date.fromordinal(date(1970, 1, 1).toordinal() + int(day_number)).isoformat()
            if day < first:
                before += count
                continue
            created.setdefault(day, Counter())[namespace[0] if namespace else ""] += count
        figures: dict[tuple[str, str], tuple[int, float, float]] = {
            (d, m): (n, total, peak) for d, m, n, total, peak in self.daily_stats.rows(first)
        }
        out, size = [], before
        for moment in period:
            day = moment.isoformat()
            new = dict(sorted(created.get(day, Counter()).items()))
            size += sum(new.values())
            recalls, total, peak = figures.get((day, "recall"), (0, 0.0, 0.0))
            out.append(
                DayFigures(
                    day=day,
                    new_items=new,
                    items=size,
                    recalls=recalls,
                    recall_ms=round(1000 * total / recalls, 2) if recalls else None,
                    recall_peak_ms=round(1000 * peak, 2),
                    llm_calls=figures.get((day, "llm_calls"), (0, 0.0, 0.0))[0],
                    llm_tokens=figures.get((day, "llm_tokens"), (0, 0.0, 0.0))[0],
                )
            )
        return Health(out, len(users))

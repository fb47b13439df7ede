"""Usage counts: how often, and when last, each memory was recalled.

Recall notes what it put in the context (profile facts, episodes, notes, the user's own
lessons; not archived turns, which are the transcript rather than a memory, nor an agent's
lessons, which belong to no user and have their own ``weight``). The counts feed ranking
(``usage_factor``: a memory recalled often ranks a little higher) and retention
(``strength``: an episode's importance decays from its last *use*, not its creation, and
slower the more it was used), both read by consolidation (``nodes._consolidate``).

Hot path: recall only adds to an in-process buffer (a dict update under a lock; no store
read or write). The buffer is written by ``flush``: at the end of every pipeline run (for
that run's user), by ``Memory.flush`` and ``close`` (every user), and by
``Memory.consolidate``. One item per user, ``("usage", user_id)`` key ``"recalls"``, holds
``{namespace kind: {memory key: [count, last recalled ISO time]}}``, written with
``index=False`` (no embedding) and audited with the source ``usage`` (a flush at ``close``
runs after the path whose recalls it counts has returned, so it cannot carry that path's
label). Being a store item under the user's namespace, it is
exported and imported with the rest, isolated like every user namespace, and deleted (and
scrubbed) by ``forget_user``, which also drops the buffer (``UsageLog.discard``). Counts
noted since the last flush are lost if the process dies: they are a ranking signal, not a
record. Recall reads the counts from a per-process cache, loaded once per user (one store
get) and kept current by the buffer and by each flush (which re-reads the item, so counts
other processes flushed meanwhile are merged, not overwritten).
"""

from __future__ import annotations

import contextvars
import math
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langgraph.store.base import BaseStore

from langmem_plugin._audit import audit_source
from langmem_plugin._namespaces import LESSONS, user_namespace

__all__ = [
    "USAGE",
    "Usage",
    "UsageLog",
    "importance_factor",
    "note_usage",
    "strength",
    "uncounted",
    "usage_factor",
    "usage_of",
    "weigh",
]

USAGE = "usage"
"""Kind of the usage item: ``("usage", user_id)``, key ``"recalls"``."""
_KEY = "recalls"

#: Recall entry kind -> the namespace kind its counts are kept under.
_KINDS = {"fact": "profile", "episode": "episodes", "note": "memories", "lesson": LESSONS}

USAGE_WEIGHT = 0.02
"""Ranking boost per ``log1p(recalls)``: 1 recall x1.014, 10 x1.048, capped at x1.05.

Small on purpose: usage is a tie-breaker between similarly relevant memories, and a large
boost feeds on itself (recalled because recalled). Measured on LoCoMo dev
(``benchmarks/locomo_context.py``, 760 questions asked in a row, so every recall boosts what
it chose for the later ones): with 0.1 (cap x1.3) evidence-in-context fell from 0.9235 to
0.9182, with 0.05 (cap x1.15) to 0.9208; with 0.02 (cap x1.05) it is 0.9235, answers
0.8314, as without the boost.
"""
_MAX_FACTOR = 1.05


@dataclass(frozen=True)
class Usage:
    """How often a memory was recalled, and when last (ISO time)."""

    count: int = 0
    last: str | None = None


_Counts = dict[str, dict[str, list[Any]]]  # kind -> key -> [count, last]


def usage_factor(usage: Usage | None) -> float:
    """The ranking multiplier of a memory's usage (1.0 when never recalled)."""
    if usage is None or usage.count <= 0:
        return 1.0
    return min(1.0 + USAGE_WEIGHT * math.log1p(usage.count), _MAX_FACTOR)


def strength(
    importance: float,
    *,
    occurred_at: datetime,
    now: datetime,
    half_life_days: float,
    usage: Usage | None = None,
) -> float:
    """Importance decayed by time since last use; each use slows the decay.

    ``importance * 0.5 ** (age / (half_life * (1 + log1p(count))))`` where ``age`` counts
    from the later of ``occurred_at`` and the last recall: a memory never recalled halves
    every ``half_life_days``; recalled once, every 1.7 half-lives; ten times, every 3.4
    (the spacing effect: what is used is kept).
    """
    last = occurred_at
    if usage is not None and usage.last:
        recalled = _time(usage.last)
        last = max(last, recalled)
    age = max((now - last).total_seconds() / 86400.0, 0.0)
    count = usage.count if usage is not None else 0
    return float(importance) * 0.5 ** (age / (half_life_days * (1.0 + math.log1p(count))))


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class UsageLog:
    """The usage counts of one store (see the module docstring); get it with ``usage_of``."""

    def __init__(self, store: BaseStore) -> None:
        self._store = weakref.ref(store)
        self._lock = threading.Lock()
        self._pending: dict[str, _Counts] = {}
        self._cache: dict[str, _Counts] = {}

    # ----------------------------------------------------------------- hot path
    def note(
        self, user_id: str, entries: Iterable[tuple[str, str]], at: datetime | None = None
    ) -> None:
        """Count one recall of each ``(recall kind, key)`` (no I/O).

        Args:
            user_id: Whose memories.
            entries: ``(kind, key)`` with kind ``fact``, ``episode``, ``note`` or ``lesson``;
                other kinds (turns, tasks) are not counted.
            at: When (default now).
        """
        when = (at or datetime.now(UTC)).isoformat()
        with self._lock:
            pending = self._pending.setdefault(user_id, {})
            cached = self._cache.get(user_id)
            for kind, key in entries:
                ns_kind = _KINDS.get(kind)
                if ns_kind is None:
                    continue
                for counts in (pending, cached):
                    if counts is None:
                        continue
                    slot = counts.setdefault(ns_kind, {}).setdefault(key, [0, None])
                    slot[0] += 1
                    slot[1] = when

    def counts(self, user_id: str) -> dict[str, dict[str, Usage]]:
        """``{namespace kind: {key: Usage}}``: flushed and pending counts together.

        The first call for a user reads the store once; later calls read the cache.
        """
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is None:
            stored = self._read(user_id)
            with self._lock:
                if user_id not in self._cache:
                    merged = _merge(stored, self._pending.get(user_id, {}))
                    self._cache[user_id] = merged
                cached = self._cache[user_id]
        with self._lock:
            return {
                kind: {key: Usage(int(n), last) for key, (n, last) in keys.items()}
                for kind, keys in cached.items()
            }

    def usage(self, user_id: str, kind: str, key: str) -> Usage | None:
        """One memory's usage (``kind`` is the namespace kind, e.g. ``"episodes"``)."""
        return self.lookup(user_id)(kind, key)

    def lookup(self, user_id: str) -> Callable[[str, str], Usage | None]:
        """``(kind, key) -> Usage | None`` over the user's counts, without copying them.

        What recall uses: after the first call for a user (one store read), a dict lookup.
        """
        with self._lock:
            loaded = user_id in self._cache
        if not loaded:
            self.counts(user_id)

        def find(kind: str, key: str) -> Usage | None:
            with self._lock:
                slot = self._cache.get(user_id, {}).get(kind, {}).get(key)
                return Usage(int(slot[0]), slot[1]) if slot is not None else None

        return find

    # ----------------------------------------------------------------- writing
    def flush(self, user_id: str | None = None) -> int:
        """Write the pending counts (of one user, or all); returns how many users were written.

        Re-reads each user's item and adds the pending counts to it, so that counts flushed
        by another process in between are kept.
        """
        store = self._store()
        if store is None or getattr(store, "read_only", False):
            return 0
        with self._lock:
            users = [user_id] if user_id is not None else list(self._pending)
            batches = {u: self._pending.pop(u) for u in users if self._pending.get(u)}
        for user, pending in batches.items():
            try:
                merged = _merge(self._read(user), pending)
                with audit_source("usage", user_id=user):  # whatever path's recall counted
                    store.put(user_namespace(USAGE, user), _KEY, {"counts": merged}, index=False)
            except Exception:
                with self._lock:  # not lost: counted again at the next flush
                    self._pending[user] = _merge(self._pending.get(user, {}), pending)
                raise
            with self._lock:
                self._cache[user] = _merge(merged, self._pending.get(user, {}))
        return len(batches)

    def prune(self, user_id: str, live: Mapping[str, set[str]]) -> int:
        """Drop the counts of memories that no longer exist; returns how many were dropped.

        Args:
            user_id: Whose counts.
            live: ``{namespace kind: keys that exist}``; kinds not named are left alone.
        """
        self.flush(user_id)
        store = self._store()
        stored = self._read(user_id)
        dropped = 0
        for kind, keys in live.items():
            counted = stored.get(kind, {})
            for key in [k for k in counted if k not in keys]:
                del counted[key]
                dropped += 1
        if dropped and store is not None and not getattr(store, "read_only", False):
            with audit_source("usage", user_id=user_id):
                store.put(user_namespace(USAGE, user_id), _KEY, {"counts": stored}, index=False)
            with self._lock:
                self._cache[user_id] = _merge(stored, self._pending.get(user_id, {}))
        return dropped

    def discard(self, user_id: str) -> None:
        """Forget a user's buffered and cached counts (``forget_user``)."""
        with self._lock:
            self._pending.pop(user_id, None)
            self._cache.pop(user_id, None)

    def _read(self, user_id: str) -> _Counts:
        store = self._store()
        item = store.get(user_namespace(USAGE, user_id), _KEY) if store is not None else None
        counts = item.value.get("counts") if item is not None else None
        if not isinstance(counts, dict):
            return {}
        return {
            str(kind): {str(k): [int(v[0]), v[1]] for k, v in keys.items()}
            for kind, keys in counts.items()
            if isinstance(keys, dict)
        }


def _merge(base: _Counts, extra: _Counts) -> _Counts:
    """Counts added, the later of the last times kept (neither argument is changed)."""
    out = {kind: {k: list(v) for k, v in keys.items()} for kind, keys in base.items()}
    for kind, keys in extra.items():
        target = out.setdefault(kind, {})
        for key, (n, last) in keys.items():
            slot = target.setdefault(key, [0, None])
            slot[0] += n
            if last and (slot[1] is None or last > slot[1]):
                slot[1] = last
    return out


_LOGS: weakref.WeakKeyDictionary[Any, UsageLog] = weakref.WeakKeyDictionary()
_LOGS_GUARD = threading.Lock()


def usage_of(store: BaseStore) -> UsageLog:
    """The one ``UsageLog`` of ``store`` in this process (recall, pipeline and forget share it)."""
    with _LOGS_GUARD:
        log = _LOGS.get(store)
        if log is None:
            log = UsageLog(store)
            _LOGS[store] = log
        return log


IMPORTANCE_WEIGHT = 0.2
"""Ranking spread of importance: x0.9 for importance 0, x1.0 for 0.5 (the default), x1.1 for 1."""


def importance_factor(value: Mapping[str, Any]) -> float:
    """The ranking multiplier of a memory's ``importance`` (1.0 without one)."""
    importance = value.get("importance")
    if not isinstance(importance, int | float) or isinstance(importance, bool):
        return 1.0
    return 1.0 + IMPORTANCE_WEIGHT * (min(max(float(importance), 0.0), 1.0) - 0.5)


def weigh(
    entries: Sequence[Any],
    items: Mapping[str, Sequence[Any]],
    usage: Callable[[str, str], Usage | None],
    agent_id: str | None = None,
) -> None:
    """Multiply recall candidates' relevance by their importance and usage factors.

    Args:
        entries: Recall's candidates (``kind``, ``key``, ``relevance``), changed in place.
        items: The search hits by recall kind (for their values' ``importance``).
        usage: ``UsageLog.lookup`` of the user.
        agent_id: The run's agent: an agent's lessons are not the user's to count.
    """
    importance = {
        (kind, item.key): importance_factor(item.value)
        for kind, hits in items.items()
        for item in hits
    }
    for entry in entries:
        ns_kind = _KINDS.get(entry.kind)
        if ns_kind is None:
            continue
        factor = importance.get((entry.kind, entry.key), 1.0)
        if not (entry.kind == "lesson" and agent_id):
            factor *= usage_factor(usage(ns_kind, entry.key))
        entry.relevance *= factor


_UNCOUNTED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "langmem_usage_uncounted", default=False
)


@contextmanager
def uncounted() -> Iterator[None]:
    """Recalls inside the block are previews, not uses: they count no usage.

    The inspector's "what the agent would see" runs a real recall for an operator; counting
    it would let looking at a memory make it rank higher, and a read-only inspector would
    change what it shows.
    """
    token = _UNCOUNTED.set(True)
    try:
        yield
    finally:
        _UNCOUNTED.reset(token)


def note_usage(
    store: BaseStore, user_id: str, chosen: Sequence[Any], agent_id: str | None = None
) -> None:
    """Count what a recall put in the context (``UsageLog.note``: a buffer, no I/O).

    Nothing is counted inside :func:`uncounted`.
    """
    if _UNCOUNTED.get():
        return
    entries = [
        (e.kind, e.key)
        for e in chosen
        if getattr(e, "turn", None) is None and not (e.kind == "lesson" and agent_id)
    ]
    if entries:
        usage_of(store).note(user_id, entries)

"""Maintenance scans behind ``Memory.stats`` and ``Memory.cleanup``.

They use only public APIs: ``BaseStore.list_namespaces`` / ``search`` (paged),
``BaseCheckpointSaver.list`` / ``delete_thread`` and the history storage (whose sessions
and archived messages are store items too, see ``langmem_plugin.history._storage``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore

from langmem_plugin._admin._export_checkpoints import readable_checkpoints
from langmem_plugin._namespaces import namespace_user
from langmem_plugin._paging import list_all_namespaces, search_all
from langmem_plugin.history._storage import HistoryStorage

__all__ = ["CleanupResult", "cleanup_idle", "count_memories", "disk_size", "thread_activity"]


@dataclass(frozen=True)
class CleanupResult:
    """What ``Memory.cleanup`` deleted.

    Attributes:
        sessions: Ids of the chat sessions deleted (archived messages, record and claim).
        threads: Ids of the checkpointer threads deleted.
    """

    sessions: list[str] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)


def _namespaces(store: BaseStore) -> list[tuple[str, ...]]:
    return list_all_namespaces(store)


def _count_items(store: BaseStore, namespace: tuple[str, ...]) -> int:
    return len(search_all(store, namespace))  # without refreshing TTLs: counting is no read


def count_memories(store: BaseStore) -> tuple[dict[str, int], set[str]]:
    """Items per first namespace label, and the users the namespaces belong to.

    Users as ``langmem_plugin._namespaces.namespace_user`` reads them: an agent's lessons
    and the session claims belong to no user.
    """
    memories: dict[str, int] = {}
    owners: set[str] = set()
    for namespace in _namespaces(store):
        memories[namespace[0]] = memories.get(namespace[0], 0) + _count_items(store, namespace)
        user = namespace_user(namespace)
        if user is not None:
            owners.add(user)
    return memories, owners


def disk_size(path: Path) -> int:
    """Total size in bytes of the files under ``path``."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:  # removed while walking
                continue
    return total


def thread_activity(checkpointer: BaseCheckpointSaver[Any]) -> dict[str, datetime]:
    """Latest checkpoint time of every thread (reads every checkpoint once).

    A checkpoint whose blob does not open is skipped (and logged): a thread whose every
    checkpoint is damaged is left out, so one such blob cannot fail stats or cleanup.
    """
    latest: dict[str, datetime] = {}
    for snapshot in readable_checkpoints(checkpointer):  # a damaged one is skipped, logged
        thread_id = str(snapshot.config["configurable"]["thread_id"])
        when = datetime.fromisoformat(snapshot.checkpoint["ts"])
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if thread_id not in latest or when > latest[thread_id]:
            latest[thread_id] = when
    return latest


def cleanup_idle(
    storage: HistoryStorage, checkpointer: BaseCheckpointSaver[Any], cutoff: datetime
) -> CleanupResult:
    """Delete sessions and threads whose last activity is not after ``cutoff``."""
    sessions = {info.session_id: info for info in storage.list_sessions(None)}
    threads = thread_activity(checkpointer)
    result = CleanupResult()
    for conversation in sorted(set(sessions) | set(threads)):
        info = sessions.get(conversation)
        times = [t for t in (info and info.last_active, threads.get(conversation)) if t]
        if max(times) > cutoff:
            continue
        if info is not None:
            storage.delete_session(info.user_id, conversation)
            result.sessions.append(conversation)
        if conversation in threads:
            checkpointer.delete_thread(conversation)
            result.threads.append(conversation)
    return result

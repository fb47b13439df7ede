"""``Memory``'s privacy methods: the audit log, forgetting a user, forgetting by query.

Kept out of ``memory.py`` (a mixin, like ``MemoryFeatures``); the logic lives in
``langmem_plugin._audit`` and ``langmem_plugin._admin._forget``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langmem_plugin._audit import AuditEvent, AuditLog, install

if TYPE_CHECKING:
    from langmem_plugin._admin import ForgetReport
    from langmem_plugin._admin._forget import QueryForgetReport

__all__ = ["PrivacyFeatures"]


class PrivacyFeatures:
    """Audit log and forget methods of ``Memory`` (see ``_audit`` and ``_forget``)."""

    store: Any
    audit_log: AuditLog

    def _open_audit(self, recalls: bool, retention_days: float | None) -> None:
        """Create the audit table in the store's database and hook it into every write."""
        self.audit_log = AuditLog(
            self.store._db,
            self.store.collection_prefix,
            retention_days=retention_days,
            recalls=recalls,
        )
        install(self.store, self.audit_log)
        lock = getattr(self.store, "_folder_lock", None)
        self._chroma_folder: Path | None = Path(lock.folder) if lock is not None else None

    def _zero_index_slack(self) -> None:
        """After close: zero the unused capacity of the HNSW files (heap garbage)."""
        folder = getattr(self, "_chroma_folder", None)
        if folder is None or not folder.is_dir():
            return
        from langmem_plugin._admin._forget import zero_index_slack

        zero_index_slack(folder)

    def audit(
        self, user_id: str | None, since: datetime | None = None, limit: int = 100
    ) -> list[AuditEvent]:
        """The audit events of a user (every user with None), oldest first.

        Each event says when, which user, agent and thread, which path (``node``,
        ``tool``, ``ingest``, ``pipeline``, ``cli``, ``ui``, ``api``...), the namespace and
        key, and the operation (``put``, ``delete``, ``expire``, ``forget``, ``forget_query``,
        ``recall``); never any content.

        Args:
            user_id: The user.
            since: Only events at or after this time.
            limit: At most this many (the most recent).

        Returns:
            The events.
        """
        self.audit_log.prune()
        return self.audit_log.events(user_id, since=since, limit=limit)

    def forget_user(self, user_id: str, *, dry_run: bool = False) -> ForgetReport:
        """Remove every trace of a user, leaving no byte of it in the memory's files.

        Every item of a namespace whose user label is ``user_id`` (memories, profile
        with its history, episodes, notes, tasks, the user's own lessons; see
        ``langmem_plugin._namespaces``: an id at any other position, or an agent's
        ``("agent_lessons", id)``, is not the user's), chat sessions and archive, and the
        checkpoints of every thread run with the user's ``user_id``; then the files are
        scrubbed (see ``_forget``). An audit event ``forget`` records the counts.

        Args:
            user_id: The user.
            dry_run: Only report what would be removed.

        Returns:
            What was removed.
        """
        from langmem_plugin._admin._forget import forget_user

        return forget_user(self, user_id, dry_run=dry_run)

    def forget(self, user_id: str, *, query: str, dry_run: bool = True) -> QueryForgetReport:
        """Forget one thing: the user's memories, turns and facts that match ``query``.

        With ``dry_run`` (the default) only lists the matches; without, deletes them (facts
        with their version history, and the checkpoints of threads that hold them) and
        scrubs the files like ``forget_user``.

        Args:
            user_id: The user.
            query: What to forget, e.g. ``"my divorce"``.
            dry_run: Only list the matches.

        Returns:
            The matches and what was removed.
        """
        from langmem_plugin._admin._forget import forget_query

        return forget_query(self, user_id, query, dry_run=dry_run)

    async def aforget_user(self, user_id: str, *, dry_run: bool = False) -> ForgetReport:
        """``forget_user`` off the event loop."""
        return await asyncio.to_thread(self.forget_user, user_id, dry_run=dry_run)

    async def aforget(self, user_id: str, *, query: str, dry_run: bool = True) -> QueryForgetReport:
        """``forget`` off the event loop."""
        return await asyncio.to_thread(self.forget, user_id, query=query, dry_run=dry_run)

    async def aaudit(
        self, user_id: str | None, since: datetime | None = None, limit: int = 100
    ) -> list[AuditEvent]:
        """``audit`` off the event loop."""
        return await asyncio.to_thread(self.audit, user_id, since, limit)

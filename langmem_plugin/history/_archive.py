"""``ArchiveWriter``: every turn seen by the memory nodes is archived once, off the hot path.

The graph nodes and the middleware only call ``submit`` (a deque append and a condition
notify); one background thread drains the queue, groups the messages per session and
writes them with ``HistoryStorage.add(..., once_per_id=True)``: one ``store.batch`` per
chunk, so the store embeds the new messages in one call. No model call.

A LangGraph graph re-sends its whole message list every step; the writer remembers the
keys it archived per session (in this process) and the store skips ids it already holds
(across processes), so each message is written, and embedded, once.

A run with a ``persona_id`` archives into that persona's sessions (``HistoryStorage`` for
the persona: ``("persona", user, persona, "archive", session)``), so that its
conversations are recalled for it alone.

Messages the memory itself injects are not conversation and are never archived: the
recall message (id prefix ``langmem-recall-``) and the working-memory summary.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from langchain_core.messages import BaseMessage

from langmem_plugin._audit import background
from langmem_plugin.errors import SessionOwnershipError
from langmem_plugin.history._codec import encode_message
from langmem_plugin.history._storage import HistoryStorage

__all__ = ["DERIVED_ID_PREFIXES", "ArchiveWriter", "archivable", "content_id"]

logger = logging.getLogger(__name__)

#: Ids of messages the memory writes itself (recall context, working-memory summary).
DERIVED_ID_PREFIXES = ("langmem-recall-", "langmem-summary")
_REMEMBERED_SESSIONS = 1024


def content_id(message: BaseMessage) -> str:
    """A deterministic id for a message without one (same content, same id)."""
    digest = hashlib.sha256(encode_message(message).encode()).hexdigest()
    return f"archived-{digest[:32]}"


def archivable(messages: Iterable[object]) -> list[BaseMessage]:
    """The conversation messages of a state, each with an id (derived if missing)."""
    kept = []
    for message in messages:
        if not isinstance(message, BaseMessage):
            continue
        if (message.id or "").startswith(DERIVED_ID_PREFIXES):
            continue
        kept.append(
            message if message.id else message.model_copy(update={"id": content_id(message)})
        )
    return kept


@dataclass
class _Job:
    user_id: str
    session_id: str
    messages: list[BaseMessage]
    occurred_at: datetime | None = None
    persona_id: str | None = None


class ArchiveWriter:
    """Background, batched, idempotent archiving of conversation turns.

    Args:
        storage: Where the turns go.

    Example:
        ```python
        writer = ArchiveWriter(HistoryStorage(store))
        writer.submit("ada", "thread-1", state["messages"])  # returns at once
        writer.flush()  # everything submitted is in the store
        ```
    """

    def __init__(self, storage: HistoryStorage) -> None:
        self.storage = storage
        self._queue: deque[_Job] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._errors: list[BaseException] = []
        self._archived: dict[tuple[str, str, str | None], set[str]] = {}
        self._personas: dict[str, HistoryStorage] = {}

    def storage_for(self, persona_id: str | None) -> HistoryStorage:
        """The history storage of a persona's sessions (``storage`` without one)."""
        if persona_id is None:
            return self.storage
        with self._cond:
            found = self._personas.get(persona_id)
            if found is None:
                found = HistoryStorage(self.storage.store, persona_id)
                self._personas[persona_id] = found
            return found

    def submit(
        self,
        user_id: str,
        session_id: str,
        messages: Sequence[object],
        *,
        occurred_at: datetime | None = None,
        persona_id: str | None = None,
    ) -> None:
        """Queue a session's messages for archiving (the hot path: an append, no I/O)."""
        job = _Job(user_id, session_id, list(messages), occurred_at, persona_id)  # type: ignore[arg-type]
        with self._cond:
            if self._closed:
                raise RuntimeError("the archive writer is closed")
            self._queue.append(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=background(self._run), name="langmem-archive", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                jobs = list(self._queue)
                self._queue.clear()
                self._busy = True
            try:
                self._write(jobs)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _write(self, jobs: list[_Job]) -> None:
        grouped: dict[tuple[str, str, datetime | None, str | None], list[BaseMessage]] = {}
        for job in jobs:
            at = (job.user_id, job.session_id, job.occurred_at, job.persona_id)
            grouped.setdefault(at, []).extend(archivable(job.messages))
        for (user_id, session_id, occurred_at, persona_id), messages in grouped.items():
            try:
                self.write_now(
                    user_id, session_id, messages, occurred_at=occurred_at, persona_id=persona_id
                )
            except SessionOwnershipError as error:
                logger.warning("not archived: %s", error)
                self._remember_error(error)
            except Exception as error:  # the store failed: report at flush
                logger.exception("archiving session %r failed", session_id)
                self._remember_error(error)

    def _remember_error(self, error: BaseException) -> None:
        with self._cond:
            self._errors.append(error)

    def write_now(
        self,
        user_id: str,
        session_id: str,
        messages: Sequence[BaseMessage],
        *,
        occurred_at: datetime | None = None,
        persona_id: str | None = None,
    ) -> int:
        """Archive messages synchronously (each id once); the count written."""
        key = (user_id, session_id, persona_id)
        with self._cond:
            seen = set(self._archived.get(key, ()))
        fresh: list[BaseMessage] = []
        for message in archivable(messages):
            if str(message.id) not in seen:
                seen.add(str(message.id))
                fresh.append(message)
        if not fresh:
            return 0
        written = self.storage_for(persona_id).add(
            user_id, session_id, fresh, once_per_id=True, occurred_at=occurred_at
        )
        with self._cond:
            if key not in self._archived and len(self._archived) >= _REMEMBERED_SESSIONS:
                self._archived.pop(next(iter(self._archived)))
            self._archived.setdefault(key, set()).update(str(m.id) for m in fresh)
        return written

    def forget(
        self, *, user_id: str | None = None, session_ids: Iterable[str] | None = None
    ) -> None:
        """Drop the in-process memory of what was archived, after a delete.

        Args:
            user_id: Every session of this user.
            session_ids: These sessions (of any user).
        """
        sessions = set(session_ids or ())
        with self._cond:
            for key in list(self._archived):
                if key[0] == user_id or key[1] in sessions:
                    del self._archived[key]

    def flush(self) -> None:
        """Wait until everything submitted is written.

        Raises:
            Exception: The first error a write met since the last flush (the other
                sessions were still written).
        """
        with self._cond:
            while self._queue or self._busy:
                self._cond.wait()
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0]

    def close(self) -> None:
        """Write what is queued, then stop the thread. Idempotent."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

"""Chat histories as a view over LangGraph store items: one mechanism for history and archive.

Every message a user exchanges with the agent is stored, and embedded, exactly once: as
an item of the memory's ``BaseStore`` (in practice its ``ChromaStore``). The LangChain
chat history (``ChromaChatMessageHistory``), the conversation archive that recall searches
with ``MemoryRetriever``, stats, cleanup, forget and export all read the same items. Why one
mechanism: a second copy would double the embedding cost, and a raw side collection
escapes the store's guarantees (speed work, atomic batches, TTL, forget leaving no trace,
export), which is how the archive once ended up invisible to recall.

Layout (every namespace carries the user id, so nothing is reachable across users):

- ``("archive", user_id, session_id)``, key = the message id (a message without an id gets
  a uuid4 key, and the message itself is stored unchanged). Value::

      content      search_text(message): the only embedded field (store index ["content"])
      role         "user" | "assistant" | "tool" | "system" (or a ChatMessage's own role)
      speaker      message.name if set, else the role
      session_id   the session (== LangGraph thread id)
      thread_id    the same id, under the name recall uses
      user_id      the owner
      seq          int, 0, 1, 2 ... in the session: consecutive turns have consecutive seq
      occurred_at  ISO-8601 UTC: the ``timestamp`` given to ``Memory.ingest``, else the time
                   the message was added (a whole ingested session shares one date; ``seq``
                   orders it)
      message      encode_message(message): the exact JSON, for a lossless round trip
      stored_at    epoch seconds when it was written (a session's last activity; kept
                   by export/import, unlike the store's own item times)
      sentiment    user turns only: VADER's compound score of the text, -1 to +1
                   (``langmem_plugin._sentiment``; computed here, on the archive's
                   background writer, so it costs no extra write; absent on turns
                   archived by earlier versions)

  Messages with no text (an assistant message holding only tool calls) are stored with
  ``index=False``: nothing to recall, no embedding spent.
- ``("sessions", user_id)``, key = session id: ``title``, ``summary``, ``created_at`` and
  ``last_active`` (epoch seconds), ``user_id`` (the owner).
- ``("session_owners",)``, key = session id: ``{"user_id": owner}``. This claim makes
  "does this session id belong to another user?" one get by key instead of a scan over
  every user. It holds identifiers only, never content, and is deleted with the session.

``message_count`` and the exact ``last_active`` of a session are derived from its archive
items when sessions are listed (newest ``stored_at``), so they stay right with several
writers; the session item itself is only written when a session starts or is updated.

Order: ``seq`` is handed out under a process-wide lock per session, continuing after the
largest ``seq`` the store holds (re-checked with one filtered search before each block),
so it strictly increases across ``add`` calls, threads and processes that write one
after the other. Two processes appending to the same session at the same instant could
draw the same ``seq`` (the store has no atomic counter); readers then order by key.
Idempotence: ``add(..., once_per_id=True)`` (the archive path) skips a message whose id
the session already holds, so the graph re-sending its whole message list every turn
archives each message once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import BaseMessage, ChatMessage
from langgraph.store.base import BaseStore, GetOp, Item, PutOp, SearchItem

from langmem_plugin._ids import label_id
from langmem_plugin._namespaces import namespace_user, persona_namespace
from langmem_plugin._paging import WRITE_BATCH, list_all_namespaces, search_all
from langmem_plugin._sentiment import turn_sentiment
from langmem_plugin.errors import SessionOwnershipError
from langmem_plugin.history._codec import decode_message, encode_message, search_text

__all__ = [
    "ARCHIVE",
    "HISTORY_LABELS",
    "OWNERS",
    "SESSIONS",
    "HistoryStorage",
    "MessageHit",
    "SessionInfo",
    "archive_value",
]

#: First namespace label of archived messages: ``("archive", user_id, session_id)``.
ARCHIVE = "archive"
#: First namespace label of session records: ``("sessions", user_id)``.
SESSIONS = "sessions"
#: Namespace of session ownership claims: ``("session_owners",)``, key = session id.
OWNERS = "session_owners"
#: Labels of the history's own namespaces (reported as sessions/messages, not memories).
HISTORY_LABELS = frozenset({ARCHIVE, SESSIONS, OWNERS})


def _batches(ops: Sequence[PutOp]) -> Iterator[list[PutOp]]:
    """Batches of at most ``WRITE_BATCH`` puts, no two of them with the same content.

    LangGraph's ``InMemoryStore`` embeds each distinct text of a batch once, then fails
    ("Number of embeddings ... does not match number of indices") when two puts of the
    batch hold the same text, as two "ok" messages of one session do. A repeated text
    starts a new batch; on ``ChromaStore`` that is rare and changes nothing.
    """
    chunk: list[PutOp] = []
    texts: set[str] = set()
    for op in ops:
        text = op.value.get("content") if isinstance(op.value, dict) else None
        if len(chunk) >= WRITE_BATCH or (isinstance(text, str) and text in texts):
            yield chunk
            chunk, texts = [], set()
        chunk.append(op)
        if isinstance(text, str):
            texts.add(text)
    if chunk:
        yield chunk


_ROLES = {"human": "user", "ai": "assistant", "tool": "tool", "function": "tool"}


@dataclass(frozen=True)
class SessionInfo:
    """One chat session as listed by ``Memory.sessions``.

    Attributes:
        session_id: The session id (by convention also the LangGraph ``thread_id``).
        user_id: The owner.
        created_at: When the session was first written (UTC).
        last_active: When a message was last added or the session was updated (UTC).
        message_count: Messages currently stored.
        title: Optional title.
        summary: Optional summary.
    """

    session_id: str
    user_id: str
    created_at: datetime
    last_active: datetime
    message_count: int
    title: str | None = None
    summary: str | None = None


@dataclass(frozen=True)
class MessageHit:
    """A message returned by ``ChromaChatMessageHistory.search``.

    Attributes:
        message: The stored message, exactly as it was added.
        session_id: The session it belongs to.
        created_at: When it was stored (UTC).
        score: Similarity to the query (higher is closer).
    """

    message: BaseMessage
    session_id: str
    created_at: datetime
    score: float


def role_of(message: BaseMessage) -> str:
    """``"user"``, ``"assistant"``, ``"tool"``, ``"system"`` or a ChatMessage's own role."""
    if isinstance(message, ChatMessage):
        return str(message.role)
    return _ROLES.get(message.type, message.type)


def iso_utc(when: datetime | None) -> str:
    """ISO-8601 in UTC (a naive datetime is taken as UTC); now when ``when`` is None."""
    if when is None:
        return datetime.now(UTC).isoformat()
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat()


def archive_value(
    message: BaseMessage,
    *,
    user_id: str,
    session_id: str,
    seq: int,
    occurred_at: str,
    encoded: str | None = None,
    stored_at: float | None = None,
) -> dict[str, Any]:
    """The store value of one archived message (see the module docstring)."""
    role = role_of(message)
    value: dict[str, Any] = {
        "content": search_text(message),
        "role": role,
        "speaker": message.name or role,
        "session_id": session_id,
        "thread_id": session_id,
        "user_id": user_id,
        "seq": seq,
        "occurred_at": occurred_at,
        "message": encoded if encoded is not None else encode_message(message),
        "stored_at": time.time() if stored_at is None else stored_at,
    }
    if role == "user" and message.text:
        value["sentiment"] = turn_sentiment(message.text)
    return value


def _when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _stored_at(item: Item) -> float:
    stored = item.value.get("stored_at")
    if isinstance(stored, int | float) and not isinstance(stored, bool):
        return float(stored)
    return item.updated_at.timestamp()


def _store_key(store: BaseStore) -> tuple[int, str]:
    client = getattr(store, "client", None)
    prefix = getattr(store, "collection_prefix", None)
    if client is not None and isinstance(prefix, str):
        return id(client), prefix  # every ChromaStore on one client and prefix
    return id(store), ""


class _Sequences:
    """Process-wide next ``seq`` per (store, user, session), under one lock per session."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._next: dict[tuple[Any, ...], int] = {}

    def lock(self, key: tuple[Any, ...]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, key: tuple[Any, ...]) -> int:
        return self._next.get(key, 0)

    def set(self, key: tuple[Any, ...], value: int) -> None:
        self._next[key] = value

    def forget(self, key: tuple[Any, ...]) -> None:
        self._next.pop(key, None)


_SEQUENCES = _Sequences()


class HistoryStorage:
    """Chat sessions and archived messages as items of a LangGraph ``BaseStore``.

    Thread-safe: the store is, and ``seq`` is handed out under a per-session lock.

    Args:
        store: The store (a ``ChromaStore`` indexed on ``["content"]`` in practice; any
            ``BaseStore`` works, ``search`` needs an index).
        persona_id: The persona whose sessions these are: its archive and session
            records are ``("persona", user, persona, "archive", session)`` and
            ``("persona", user, persona, "sessions")`` (``_namespaces.persona_namespace``);
            ownership claims stay ``("session_owners",)``. ``users`` and ``counts`` read
            the sessions without a persona.
    """

    def __init__(self, store: BaseStore, persona_id: str | None = None) -> None:
        self.store = store
        self.persona_id = persona_id
        self._key = (*_store_key(store), persona_id or "")

    def _ns(self, kind: str, user_id: str, *ids: str) -> tuple[str, ...]:
        return persona_namespace(kind, user_id, self.persona_id, *ids)

    @property
    def embeddings(self) -> Any:
        """The store's embeddings (None for a store without an index)."""
        return getattr(self.store, "embeddings", None)

    # -- paging helpers ----------------------------------------------------------------
    def _all(
        self, namespace: tuple[str, ...], filter: dict[str, Any] | None = None
    ) -> list[SearchItem]:
        return search_all(self.store, namespace, filter)

    def _namespaces(self, prefix: tuple[str, ...], depth: int) -> list[tuple[str, ...]]:
        return [ns for ns in list_all_namespaces(self.store, prefix, depth) if len(ns) == depth]

    def _write(self, ops: Sequence[PutOp]) -> None:
        for chunk in _batches(ops):
            self.store.batch(chunk)

    # -- sessions ---------------------------------------------------------------------
    def owner(self, session_id: str) -> str | None:
        """The user owning ``session_id`` (one get by key), or None if it does not exist."""
        claim = self.store.get((OWNERS,), session_id, refresh_ttl=False)
        return None if claim is None else str(claim.value["user_id"])

    def check_owner(self, user_id: str, session_id: str) -> None:
        """Raise ``SessionOwnershipError`` if another user owns ``session_id``."""
        self._raise_if_foreign(user_id, session_id, self.owner(session_id))

    @staticmethod
    def _raise_if_foreign(user_id: str, session_id: str, owner: str | None) -> None:
        if owner is not None and owner != user_id:
            raise SessionOwnershipError(
                f"session_id {session_id!r} belongs to another user than {user_id!r}"
            )

    def _claim_ops(self, user_id: str, session_id: str, now: float) -> list[PutOp]:
        record = {
            "session_id": session_id,
            "user_id": user_id,
            "created_at": now,
            "last_active": now,
        }
        return [
            PutOp((OWNERS,), session_id, {"user_id": user_id}, index=False),
            PutOp(self._ns(SESSIONS, user_id), session_id, record, index=False),
        ]

    def ensure_session(self, user_id: str, session_id: str) -> None:
        """Create the session (claim and record) if missing, and check its owner."""
        owner = self.owner(session_id)
        self._raise_if_foreign(user_id, session_id, owner)
        if owner is None:
            self._write(self._claim_ops(user_id, session_id, time.time()))
            self.check_owner(user_id, session_id)  # a concurrent claim may have won

    def update_session(
        self,
        user_id: str,
        session_id: str,
        *,
        title: str | None = None,
        summary: str | None = None,
    ) -> None:
        """Create the session if needed, then set the given fields and ``last_active``."""
        self.ensure_session(user_id, session_id)
        found = self.store.get(self._ns(SESSIONS, user_id), session_id, refresh_ttl=False)
        record = dict(found.value) if found is not None else {}
        now = time.time()
        record.setdefault("session_id", session_id)
        record.setdefault("user_id", user_id)
        record.setdefault("created_at", now)
        record["last_active"] = now
        if title is not None:
            record["title"] = title
        if summary is not None:
            record["summary"] = summary
        self.store.put(self._ns(SESSIONS, user_id), session_id, record, index=False)

    def _info(self, record: Item, archived: Sequence[Item]) -> SessionInfo:
        value = record.value
        newest = max((_stored_at(item) for item in archived), default=0.0)
        return SessionInfo(
            session_id=record.key,
            user_id=str(value.get("user_id") or namespace_user(record.namespace)),
            created_at=_when(float(value.get("created_at", record.created_at.timestamp()))),
            last_active=_when(max(float(value.get("last_active", 0.0)), newest)),
            message_count=len(archived),
            title=value.get("title"),
            summary=value.get("summary"),
        )

    def session(self, user_id: str, session_id: str) -> SessionInfo | None:
        """One session's record, or None if it was never written."""
        record = self.store.get(self._ns(SESSIONS, user_id), session_id, refresh_ttl=False)
        if record is None:
            return None
        return self._info(record, self._all(self._ns(ARCHIVE, user_id, session_id)))

    def users(self) -> list[str]:
        """Every user owning a session, sorted."""
        users = (namespace_user(ns) for ns in self._namespaces((SESSIONS,), 2))
        return sorted(user for user in users if user is not None)

    def list_sessions(self, user_id: str | None = None) -> list[SessionInfo]:
        """Sessions of ``user_id`` (all users if None), most recently active first."""
        users = [user_id] if user_id is not None else self.users()
        infos = [
            self._info(record, self._all(self._ns(ARCHIVE, user, record.key)))
            for user in users
            for record in self._all(self._ns(SESSIONS, user))
        ]
        infos.sort(key=lambda info: (info.last_active, info.session_id), reverse=True)
        return infos

    def delete_session(self, user_id: str, session_id: str) -> None:
        """Delete a session's messages, its record and its claim (no-op if missing)."""
        self.check_owner(user_id, session_id)
        keys = [item.key for item in self._all(self._ns(ARCHIVE, user_id, session_id))]
        ops = [PutOp(self._ns(ARCHIVE, user_id, session_id), key, None) for key in keys]
        ops.append(PutOp(self._ns(SESSIONS, user_id), session_id, None))
        if self.owner(session_id) == user_id:
            ops.append(PutOp((OWNERS,), session_id, None))
        self._write(ops)
        _SEQUENCES.forget((*self._key, user_id, session_id))

    # -- messages ---------------------------------------------------------------------
    def _next_seq(self, user_id: str, session_id: str, count: int) -> int:
        """Reserve ``count`` consecutive ``seq`` after every one the store holds."""
        key = (*self._key, user_id, session_id)
        with _SEQUENCES.lock(key):
            first = _SEQUENCES.get(key)
            later = self._all(self._ns(ARCHIVE, user_id, session_id), {"seq": {"$gte": first}})
            for item in later:
                seq = item.value.get("seq")
                if isinstance(seq, int) and seq >= first:
                    first = seq + 1
            _SEQUENCES.set(key, first + count)
            return first

    def add(
        self,
        user_id: str,
        session_id: str,
        messages: Sequence[BaseMessage],
        *,
        once_per_id: bool = False,
        occurred_at: datetime | None = None,
    ) -> int:
        """Append messages to a session; durable once this returns.

        Args:
            user_id: The owner.
            session_id: The session.
            messages: The messages, in order.
            once_per_id: Require every message to have an ``id`` (the archive path). In
                any case a message whose id the session already holds is not stored
                twice: unchanged, it is skipped; changed, it is updated in place (same
                ``seq`` and ``occurred_at``).
            occurred_at: When the messages happened (default: now).

        Returns:
            How many messages were written (new or changed).

        Raises:
            TypeError: If an element is not a ``BaseMessage`` or is not JSON-serialisable
                (nothing is written).
            ValueError: If ``once_per_id`` and a message has no id.
            SessionOwnershipError: If the session belongs to another user.
        """
        encoded = [encode_message(message) for message in messages]  # validates first
        if once_per_id:
            missing = [m for m in messages if not m.id]
            if missing:
                raise ValueError(f"once_per_id needs message ids; {missing[0]!r:.120} has none")
        if not messages:
            return 0
        namespace = self._ns(ARCHIVE, user_id, session_id)
        rows: dict[str, tuple[BaseMessage, str]] = {}
        for message, document in zip(messages, encoded, strict=True):
            key = str(message.id) if message.id else uuid.uuid4().hex
            rows.setdefault(key, (message, document))
        known = [key for key, (message, _) in rows.items() if message.id]
        found = self.store.batch(
            [
                GetOp((OWNERS,), session_id, refresh_ttl=False),
                *(GetOp(namespace, key, refresh_ttl=False) for key in known),
            ]
        )
        claim = found[0]
        owner = None if claim is None else str(claim.value["user_id"])  # type: ignore[union-attr]
        self._raise_if_foreign(user_id, session_id, owner)
        if owner is None:
            self.ensure_session(user_id, session_id)
        existing: dict[str, Item] = {
            item.key: item
            for item in found[1:]
            if isinstance(item, Item)  # GetOp results are Item | None
        }
        ops: list[PutOp] = []
        new: list[tuple[str, BaseMessage, str]] = []
        for key, (message, document) in rows.items():
            old = existing.get(key)
            if old is None:
                new.append((key, message, document))
            elif old.value.get("message") != document:
                ops.append(self._put(namespace, key, message, document, old.value))
        when = iso_utc(occurred_at)
        if new:
            first = self._next_seq(user_id, session_id, len(new))
            for offset, (key, message, document) in enumerate(new):
                value = archive_value(
                    message,
                    user_id=user_id,
                    session_id=session_id,
                    seq=first + offset,
                    occurred_at=when,
                    encoded=document,
                )
                ops.append(self._put(namespace, key, message, document, value))
        self._write(ops)
        return len(ops)

    @staticmethod
    def _put(
        namespace: tuple[str, ...],
        key: str,
        message: BaseMessage,
        document: str,
        base: dict[str, Any],
    ) -> PutOp:
        value = archive_value(
            message,
            user_id=str(base["user_id"]),
            session_id=str(base["session_id"]),
            seq=int(base["seq"]),
            occurred_at=str(base["occurred_at"]),
            encoded=document,
        )
        return PutOp(namespace, key, value, index=None if message.text else False)

    def _sorted(self, user_id: str, session_id: str) -> list[SearchItem]:
        items = self._all(self._ns(ARCHIVE, user_id, session_id))
        items.sort(key=lambda item: (int(item.value.get("seq", 0)), item.key))
        return items

    def read(self, user_id: str, session_id: str) -> list[tuple[str, BaseMessage]]:
        """A session's ``(key, message)`` pairs in chronological (``seq``) order."""
        return [
            (item.key, decode_message(str(item.value["message"])))
            for item in self._sorted(user_id, session_id)
        ]

    def message_ids(self, user_id: str, session_id: str) -> set[str]:
        """The key (message id) of every stored message of a session."""
        return {item.key for item in self._all(self._ns(ARCHIVE, user_id, session_id))}

    def delete_records(self, user_id: str, session_id: str, keys: Iterable[str]) -> None:
        """Delete messages of a session by key."""
        namespace = self._ns(ARCHIVE, user_id, session_id)
        self._write([PutOp(namespace, key, None) for key in keys])

    def clear(self, user_id: str, session_id: str) -> None:
        """Delete a session's messages, keeping the session record (``seq`` continues)."""
        self.delete_records(user_id, session_id, self.message_ids(user_id, session_id))

    def search(self, user_id: str, query: str, k: int) -> list[MessageHit]:
        """The ``k`` messages of ``user_id`` (any session) closest to ``query``."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        if not isinstance(query, str):
            raise TypeError(f"query must be a string, got {type(query).__name__}: {query!r:.80}")
        found = self.store.search(
            self._ns(ARCHIVE, user_id), query=query, limit=k, refresh_ttl=False
        )
        return [
            MessageHit(
                message=decode_message(str(item.value["message"])),
                session_id=str(item.value.get("session_id", label_id(item.namespace[-1]))),
                created_at=item.created_at,
                score=float(item.score),
            )
            for item in found
            if item.score is not None
        ]

    def counts(self) -> tuple[int, int, int]:
        """``(users, sessions, messages)`` over every user."""
        users = self.users()
        sessions = sum(len(self._all(self._ns(SESSIONS, user))) for user in users)
        messages = sum(len(self._all(ns)) for ns in self._namespaces((ARCHIVE,), 3))
        return len(users), sessions, messages

"""Chroma I/O for chat histories: one collection of messages, one of sessions.

Both collections live in the same Chroma client as the ``ChromaStore`` (no third
database):

- ``f"{prefix}_messages"``: one record per message. Document = the message as JSON
  (exact round trip), embedding = the message text (for ``search``), metadata =
  ``user_id``, ``session_id``, ``seq`` / ``writer`` (sort key), ``ts`` (seconds since
  the epoch), ``type`` and ``message_id`` (when the message has an id).
- ``f"{prefix}_sessions"``: one record per session, id = the session id, metadata =
  ``user_id`` (the owner), ``created_at``, ``last_active`` and optional ``title`` /
  ``summary``. It is never searched, so its embedding is a constant 1-d vector.

``message_count`` and the exact ``last_active`` of a session are derived from its
message records when sessions are listed, so they stay right under concurrent writers
in several processes (no read-modify-write counter).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.messages import BaseMessage

from langmem_plugin.history._codec import CLOCK, decode_message, encode_message, search_text

__all__ = [
    "HistoryStorage",
    "MessageHit",
    "SessionInfo",
    "SessionOwnershipError",
    "check_id",
]

_DUMMY_VECTOR = [1.0]


class SessionOwnershipError(PermissionError):
    """A session id already belongs to another user; nothing was read or written."""


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
        score: Cosine similarity to the query (higher is closer).
    """

    message: BaseMessage
    session_id: str
    created_at: datetime
    score: float


def check_id(name: str, value: object) -> str:
    """Validate a user or session id.

    Args:
        name: The parameter name, for the error message.
        value: The value to check.

    Returns:
        The value.

    Raises:
        ValueError: If ``value`` is not a non-empty string.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _scope(user_id: str, session_id: str | None = None) -> dict[str, Any]:
    if session_id is None:
        return {"user_id": user_id}
    return {"$and": [{"user_id": user_id}, {"session_id": session_id}]}


class HistoryStorage:
    """The two Chroma collections behind every ``ChromaChatMessageHistory``.

    Thread-safe: the chromadb client is, and the only local state is created once
    under a lock.

    Args:
        client: A chromadb client (embedded or HTTP).
        embeddings: Embeds message text for ``search``.
        collection_prefix: Prefix of the two collection names.
    """

    def __init__(self, client: Any, embeddings: Embeddings, collection_prefix: str) -> None:
        self.client = client
        self.embeddings = embeddings
        self.collection_prefix = collection_prefix
        self._lock = threading.Lock()
        self._collections: tuple[Any, Any] | None = None

    # -- collections ------------------------------------------------------------------
    def _get(self) -> tuple[Any, Any]:
        with self._lock:
            if self._collections is None:
                messages = self.client.get_or_create_collection(
                    f"{self.collection_prefix}_messages",
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                )
                sessions = self.client.get_or_create_collection(
                    f"{self.collection_prefix}_sessions", embedding_function=None
                )
                self._collections = (messages, sessions)
            return self._collections

    @property
    def messages(self) -> Any:
        """The chromadb collection of messages."""
        return self._get()[0]

    @property
    def sessions(self) -> Any:
        """The chromadb collection of sessions."""
        return self._get()[1]

    # -- sessions ---------------------------------------------------------------------
    def owner(self, session_id: str) -> str | None:
        """The user owning ``session_id``, or None if the session does not exist."""
        found = self.sessions.get(ids=[session_id], include=["metadatas"])
        if not found["ids"]:
            return None
        return str(found["metadatas"][0]["user_id"])

    def check_owner(self, user_id: str, session_id: str) -> None:
        """Raise ``SessionOwnershipError`` if another user owns ``session_id``."""
        owner = self.owner(session_id)
        if owner is not None and owner != user_id:
            raise SessionOwnershipError(
                f"session_id {session_id!r} belongs to another user than {user_id!r}"
            )

    def ensure_session(self, user_id: str, session_id: str, now: float) -> None:
        """Create the session record if missing (first writer wins) and check the owner."""
        owner = self.owner(session_id)
        if owner is not None:
            if owner != user_id:
                self.check_owner(user_id, session_id)
            return
        self.sessions.add(
            ids=[session_id],
            embeddings=[_DUMMY_VECTOR],
            metadatas=[
                {
                    "user_id": user_id,
                    "session_id": session_id,
                    "created_at": now,
                    "last_active": now,
                }
            ],
        )
        self.check_owner(user_id, session_id)

    def update_session(
        self,
        user_id: str,
        session_id: str,
        *,
        title: str | None = None,
        summary: str | None = None,
        last_active: float | None = None,
    ) -> None:
        """Create the session if needed, then set the given fields."""
        now = time.time()
        self.ensure_session(user_id, session_id, now)
        fields: dict[str, Any] = {"last_active": last_active if last_active else now}
        if title is not None:
            fields["title"] = title
        if summary is not None:
            fields["summary"] = summary
        self.sessions.update(ids=[session_id], metadatas=[fields])

    def list_sessions(self, user_id: str | None = None) -> list[SessionInfo]:
        """Sessions of ``user_id`` (all users if None), most recently active first."""
        where = {"user_id": user_id} if user_id is not None else None
        records = self.sessions.get(where=where, include=["metadatas"])
        counts: dict[str, int] = {}
        newest: dict[str, float] = {}
        message_meta = self.messages.get(where=where, include=["metadatas"])["metadatas"]
        for meta in message_meta:
            session = str(meta["session_id"])
            counts[session] = counts.get(session, 0) + 1
            newest[session] = max(newest.get(session, 0.0), float(meta["ts"]))
        infos = []
        for session_id, meta in zip(records["ids"], records["metadatas"], strict=True):
            last = max(float(meta["last_active"]), newest.get(session_id, 0.0))
            infos.append(
                SessionInfo(
                    session_id=session_id,
                    user_id=str(meta["user_id"]),
                    created_at=_when(float(meta["created_at"])),
                    last_active=_when(last),
                    message_count=counts.get(session_id, 0),
                    title=meta.get("title"),
                    summary=meta.get("summary"),
                )
            )
        infos.sort(key=lambda info: (info.last_active, info.session_id), reverse=True)
        return infos

    def delete_session(self, user_id: str, session_id: str) -> None:
        """Delete a session's messages and its record (no-op if it does not exist)."""
        self.check_owner(user_id, session_id)
        self.messages.delete(where=_scope(user_id, session_id))
        self.sessions.delete(ids=[session_id])

    # -- messages ---------------------------------------------------------------------
    def add(
        self,
        user_id: str,
        session_id: str,
        messages: Sequence[BaseMessage],
        *,
        once_per_id: bool = False,
    ) -> None:
        """Append messages to a session; durable once this returns.

        Args:
            user_id: The owner.
            session_id: The session.
            messages: The messages, in order.
            once_per_id: Key each record by the message's ``id`` (which must be set), so
                that adding a message whose id the session already holds is a no-op,
                even when several processes do it at once (Chroma ignores an ``add``
                of an existing record id).

        Raises:
            ValueError: If ``once_per_id`` and a message has no id.
        """
        if once_per_id:
            missing = [m for m in messages if not m.id]
            if missing:
                raise ValueError(f"once_per_id needs message ids; {missing[0]!r:.120} has none")
        if not messages:
            return
        documents = [encode_message(message) for message in messages]  # validates first
        vectors = self.embeddings.embed_documents([search_text(m) for m in messages])
        now = time.time()
        self.ensure_session(user_id, session_id, now)
        first, writer = CLOCK.next_block(len(messages))
        ids, metadatas = [], []
        for offset, message in enumerate(messages):
            seq = first + offset
            if once_per_id:
                key = f"{len(session_id)}:{session_id}:{message.id}".encode()
                ids.append(f"id.{hashlib.sha256(key).hexdigest()[:40]}")
            else:
                ids.append(f"{seq:020d}.{writer}")
            meta: dict[str, Any] = {
                "user_id": user_id,
                "session_id": session_id,
                "seq": seq,
                "writer": writer,
                "ts": now,
                "type": message.type,
            }
            if message.id:
                meta["message_id"] = message.id
            metadatas.append(meta)
        batch = max(1, int(self.client.get_max_batch_size()))
        for start in range(0, len(ids), batch):
            stop = start + batch
            self.messages.add(
                ids=ids[start:stop],
                documents=documents[start:stop],
                embeddings=vectors[start:stop],
                metadatas=metadatas[start:stop],
            )
        self.sessions.update(ids=[session_id], metadatas=[{"last_active": now}])

    def read(self, user_id: str, session_id: str) -> list[tuple[str, BaseMessage]]:
        """A session's ``(record_id, message)`` pairs in chronological order."""
        found = self.messages.get(
            where=_scope(user_id, session_id), include=["documents", "metadatas"]
        )
        rows = sorted(
            zip(found["metadatas"], found["ids"], found["documents"], strict=True),
            key=lambda row: (int(row[0]["seq"]), str(row[0]["writer"])),
        )
        return [(record_id, decode_message(document)) for _, record_id, document in rows]

    def message_ids(self, user_id: str, session_id: str) -> set[str]:
        """The ``id`` of every stored message of a session that has one."""
        metas = self.messages.get(where=_scope(user_id, session_id), include=["metadatas"])
        return {str(m["message_id"]) for m in metas["metadatas"] if "message_id" in m}

    def delete_records(self, ids: Iterable[str]) -> None:
        """Delete message records by record id."""
        ids = list(ids)
        if ids:
            self.messages.delete(ids=ids)

    def clear(self, user_id: str, session_id: str) -> None:
        """Delete a session's messages, keeping the session record."""
        self.messages.delete(where=_scope(user_id, session_id))

    def search(self, user_id: str, query: str, k: int) -> list[MessageHit]:
        """The ``k`` messages of ``user_id`` (any session) closest to ``query``."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        if not isinstance(query, str):
            raise TypeError(f"query must be a string, got {type(query).__name__}: {query!r:.80}")
        vector = self.embeddings.embed_query(query)
        found = self.messages.query(
            query_embeddings=[vector],
            n_results=k,
            where={"user_id": user_id},
            include=["documents", "metadatas", "distances"],
        )
        hits = []
        for document, meta, distance in zip(
            found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
        ):
            score = 1.0 - float(distance) if math.isfinite(distance) else float("-inf")
            hits.append(
                MessageHit(
                    message=decode_message(document),
                    session_id=str(meta["session_id"]),
                    created_at=_when(float(meta["ts"])),
                    score=score,
                )
            )
        return hits

    def counts(self) -> tuple[int, int, int]:
        """``(users, sessions, messages)`` over every user."""
        records = self.sessions.get(include=["metadatas"])
        users = {str(meta["user_id"]) for meta in records["metadatas"]}
        return len(users), len(records["ids"]), int(self.messages.count())

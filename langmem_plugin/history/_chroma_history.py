"""``ChromaChatMessageHistory``: a LangChain chat history over the memory store's archive."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.embeddings import Embeddings
from langchain_core.messages import BaseMessage
from langgraph.store.base import BaseStore

from langmem_plugin._embeddings import resolve_embeddings
from langmem_plugin._ids import validate_id
from langmem_plugin._messages import TokenCounter, trim_turns
from langmem_plugin.history._storage import (
    HistoryStorage,
    MessageHit,
    SessionInfo,
)

__all__ = ["ChromaChatMessageHistory"]


class ChromaChatMessageHistory(BaseChatMessageHistory):
    """Chat history of one session of one user: a view over the store's archive items.

    Each message is one item of the memory's store in ``("archive", user_id,
    session_id)`` (see ``langmem_plugin.history._storage``): stored and embedded once,
    and the very items recall searches with ``MemoryRetriever``, that stats, cleanup,
    forget and export see. No third database, no second copy. Every message round-trips
    exactly (``messages_to_dict`` JSON in the item's ``message`` field).

    Order: each message gets the next ``seq`` of its session (0, 1, 2 ...), handed out
    under a process-wide lock after the largest ``seq`` in the store; ``messages`` sorts
    on it, so a write that returned before another started always reads back first.

    Ownership: a session id belongs to the user who first wrote to it; opening it for
    another user raises ``SessionOwnershipError``. By convention the session id is
    also the LangGraph ``thread_id`` (see ``Memory.cleanup``).

    Async: ``aget_messages``, ``aadd_messages`` and ``aclear`` are LangChain's
    defaults, which run the sync methods in an executor.

    Durability: ``add_messages`` returns after the store has committed the write.

    Note: langchain-core 1.6.4 marked ``BaseChatMessageHistory`` (and
    ``RunnableWithMessageHistory``) deprecated in favour of LangGraph checkpointers,
    with removal planned for 2.0. This class keeps working for existing LangChain apps;
    LangGraph apps using the memory nodes, middleware or ``create_memory_agent`` fill
    the same archive without calling it.

    Args:
        session_id: The session (conversation) id.
        user_id: The owner; nothing of another user is ever read or written.
        store: The store holding the items (normally ``Memory.store``); replaces
            ``client``, ``path``, ``embeddings`` and ``collection_prefix``.
        client: A chromadb client (``PersistentClient``, ``EphemeralClient`` or
            ``HttpClient``): a ``ChromaStore`` indexed on ``"content"`` is opened on it.
        path: Or the directory of an embedded Chroma.
        sql: Where the store keeps its items (see ``ChromaStore``); needed with
            ``client``.
        embeddings: Embeddings for ``search`` in the ``client``/``path`` form: anything
            ``resolve_embeddings`` accepts; defaults to the offline ``LocalEmbeddings``.
        collection_prefix: Prefix of the store's collections (``client``/``path`` form).
        storage: A shared ``HistoryStorage`` (used by ``Memory``); replaces the rest.

    Raises:
        ValueError: If ``session_id`` or ``user_id`` is not a non-empty string, or no
            storage is given.
        SessionOwnershipError: If ``session_id`` belongs to another user.

    Example:
        ```python
        from langmem_plugin.history import ChromaChatMessageHistory

        history = ChromaChatMessageHistory("chat-1", user_id="ada", path="./.memory/chroma")
        history.add_user_message("I prefer green tea")
        history.add_ai_message("Noted!")
        history.search("what drinks does she like?", k=1)[0].message.content
        history.trim(keep_last=10)
        ```
    """

    def __init__(
        self,
        session_id: str,
        *,
        user_id: str,
        store: BaseStore | None = None,
        client: Any = None,
        path: str | Path | None = None,
        sql: str | Path | None = None,
        embeddings: Embeddings | str | None = None,
        collection_prefix: str = "langmem",
        storage: HistoryStorage | None = None,
    ) -> None:
        super().__init__()
        self.session_id = validate_id(session_id, "session_id")
        self.user_id = validate_id(user_id, "user_id")
        if storage is None:
            if store is None:
                store = _open_store(client, path, sql, embeddings, collection_prefix)
            storage = HistoryStorage(store)
        self._storage = storage
        storage.check_owner(self.user_id, self.session_id)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(session_id={self.session_id!r}, user_id={self.user_id!r})"

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """The session's messages, oldest first."""
        return [message for _, message in self._storage.read(self.user_id, self.session_id)]

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append messages (one Chroma write; validated before anything is written).

        Args:
            messages: The messages, in order.

        Raises:
            TypeError: If an element is not a ``BaseMessage`` or is not JSON-serialisable.
        """
        self._storage.add(self.user_id, self.session_id, list(messages))

    def clear(self) -> None:
        """Delete every message of the session (the session record stays)."""
        self._storage.clear(self.user_id, self.session_id)

    def trim(
        self,
        *,
        keep_last: int | None = None,
        max_tokens: int | None = None,
        counter: TokenCounter | None = None,
    ) -> list[BaseMessage]:
        """Delete the oldest whole turns until the rest fits the limits.

        Never separates an AI tool call from its tool messages; leading system
        messages are kept. See ``langmem_plugin._messages.trim_turns``.

        Args:
            keep_last: Keep at most this many (non-system) messages.
            max_tokens: Keep at most this many tokens.
            counter: Token counter; defaults to ``count_tokens_approximately``.

        Returns:
            The deleted messages, oldest first.

        Raises:
            ValueError: If neither limit is given, or a limit is invalid.
        """
        if keep_last is None and max_tokens is None:
            raise ValueError("trim needs keep_last or max_tokens, got neither")
        rows = self._storage.read(self.user_id, self.session_id)
        _, dropped = trim_turns(
            [message for _, message in rows],
            keep_last=keep_last,
            max_tokens=max_tokens,
            counter=counter,
        )
        dropped_ids = {id(message) for message in dropped}
        self._storage.delete_records(
            self.user_id,
            self.session_id,
            (key for key, message in rows if id(message) in dropped_ids),
        )
        return dropped

    def search(self, query: str, k: int = 4) -> list[MessageHit]:
        """Semantic search over this user's messages in every one of their sessions.

        Args:
            query: Natural-language query.
            k: How many messages to return at most.

        Returns:
            The closest messages, best first.

        Raises:
            ValueError: If ``k`` is not a positive integer.
            TypeError: If ``query`` is not a string.
        """
        return self._storage.search(self.user_id, query, k)

    def delete_session(self) -> None:
        """Delete the session: its messages and its record."""
        self._storage.delete_session(self.user_id, self.session_id)

    @property
    def session(self) -> SessionInfo | None:
        """The session's record, or None before anything was written."""
        return self._storage.session(self.user_id, self.session_id)

    def update_session(self, *, title: str | None = None, summary: str | None = None) -> None:
        """Set the session's title and/or summary (creating the session if needed).

        Args:
            title: New title, or None to keep the current one.
            summary: New summary, or None to keep the current one.
        """
        self._storage.update_session(self.user_id, self.session_id, title=title, summary=summary)


def _open_store(
    client: Any,
    path: str | Path | None,
    sql: str | Path | None,
    embeddings: Embeddings | str | None,
    prefix: str,
) -> BaseStore:
    """A ``ChromaStore`` on ``client`` or ``path``, indexed on ``"content"``."""
    from langmem_plugin.store import ChromaStore

    if client is None and path is None:
        raise ValueError("pass store=, client= (a chromadb client) or path=, got none of them")
    resolved = resolve_embeddings(embeddings)
    dims = getattr(resolved, "dims", None)
    if not isinstance(dims, int) or dims < 1:
        dims = len(resolved.embed_query("dimension probe"))
    index: Any = {"dims": dims, "embed": resolved, "fields": ["content"]}
    options: dict[str, Any] = {"sql": sql} if sql is not None else {}
    return ChromaStore(client=client, path=path, index=index, collection_prefix=prefix, **options)

"""``Memory``: one object that gives a LangGraph app everything persistent it needs.

``Memory.from_path("./.memory")`` opens (or creates) ``./.memory/chroma`` (the vectors of
the long-term ``ChromaStore``) and ``./.memory/checkpoints.sqlite`` (LangGraph's
``SqliteSaver``, and the store's items beside the checkpoints).
``Memory.from_url("http://chroma:8000", "postgresql://...")`` does the
same against a Chroma server and PostgreSQL. ``Memory.in_memory()`` is for tests and
notebooks. ``Memory.from_config()`` opens what a ``langmem.toml`` describes (backend,
models, budgets, retention; see ``langmem_plugin._config``).

Convention: a chat session id is the LangGraph ``thread_id`` of the same conversation.
Every message of it is archived once as a store item in ``("archive", user_id,
thread_id)`` by whichever path it took (``ingest``, the memory nodes, the middleware,
``create_memory_agent``); ``history(thread_id)`` is a view over those items, and
``cleanup``, ``stats``, forget and export see them like any other item.
``archive_thread`` remains as an explicit, idempotent call but is no longer needed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.base import TTLConfig

from langmem_plugin._checkpoint import (
    CheckpointSpec,
    OpenedSaver,
    aopen_saver,
    open_saver,
    parse_checkpoint_url,
)
from langmem_plugin._embeddings import resolve_embeddings
from langmem_plugin._health import HealthFeatures
from langmem_plugin._ids import validate_id
from langmem_plugin._memory_ops import MemoryOperations
from langmem_plugin._metrics import MetricsFeatures
from langmem_plugin._privacy import PrivacyFeatures
from langmem_plugin.access._features import AccessFeatures
from langmem_plugin.errors import ConfigError, MemoryClosedError, ThreadNotFoundError
from langmem_plugin.history._archive import archivable
from langmem_plugin.history._chroma_history import ChromaChatMessageHistory
from langmem_plugin.history._storage import HistoryStorage, SessionInfo
from langmem_plugin.nodes._context import make_scope
from langmem_plugin.nodes._features import MemoryFeatures
from langmem_plugin.retriever import MemoryRetriever
from langmem_plugin.store import ChromaStore
from langmem_plugin.store._crypto import checkpoint_serde

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_MODEL", "Memory"]

DEFAULT_MODEL = "openai:gpt-4o-mini"
"""The chat model used when none is given and ``OPENAI_API_KEY`` is set (memory, CLI, demo)."""


def resolve_llm(llm: BaseChatModel | str | None) -> BaseChatModel | None:
    """Resolve the chat model used by the memory nodes.

    Args:
        llm: A chat model (returned as is), a ``"provider:model"`` string (built with
            ``init_chat_model``), or None: ``DEFAULT_MODEL`` when ``OPENAI_API_KEY``
            is set, otherwise no model (the nodes then run their offline rules).

    Returns:
        The chat model or None.

    Raises:
        TypeError: If ``llm`` is of another type.
    """
    if isinstance(llm, BaseChatModel):
        return llm
    if llm is None and not os.environ.get("OPENAI_API_KEY"):
        return None
    if llm is not None and not isinstance(llm, str):
        raise TypeError(
            f"llm must be a BaseChatModel, a 'provider:model' string or None, got {llm!r:.80}"
        )
    from langchain.chat_models import init_chat_model

    return init_chat_model(llm or DEFAULT_MODEL)


def _dims(embeddings: Embeddings) -> int:
    dims = getattr(embeddings, "dims", None)
    if isinstance(dims, int) and dims > 0:
        return dims
    return len(embeddings.embed_query("dimension probe"))


class Memory(
    MemoryFeatures,
    MemoryOperations,
    PrivacyFeatures,
    MetricsFeatures,
    HealthFeatures,
    AccessFeatures,
):
    """Long-term store, checkpointer and chat histories of a LangGraph app, wired together.

    Build one with ``from_path``, ``from_url`` or ``in_memory`` rather than with the
    constructor. A ``Memory`` is safe to share between threads; close it (or use it as a
    sync or async context manager) to close every connection it opened.

    Attributes:
        store: The ``ChromaStore`` (long-term memories), indexed on ``"content"``.
        embeddings: The embeddings of the store and of history search.
        llm: The chat model for memory extraction, or None (offline rules).
        path: The directory given to ``from_path``, else None.

    Example:
        ```python
        from langgraph.graph import MessagesState, StateGraph
        from langmem_plugin.memory import Memory

        with Memory.from_path("./.memory") as memory:
            builder = StateGraph(MessagesState)
            ...
            graph = memory.compile(builder)
            config = {"configurable": {"thread_id": "chat-1", "user_id": "ada"}}
            graph.invoke({"messages": [("user", "hi")]}, config)
            memory.flush()  # the turns are archived in the background
            memory.history("chat-1", user_id="ada").search("greeting")
        ```

    For async graphs use ``graph = await memory.acompile(builder)`` (LangGraph's
    ``AsyncSqliteSaver`` / ``AsyncPostgresSaver``, opened in the running event loop) and
    ``async with`` or ``await memory.aclose()``.

    Args:
        store: The long-term store; it also holds the chat histories (archive items).
        checkpoint: Where checkpoints live (see ``_checkpoint.parse_checkpoint_url``).
        llm: See ``resolve_llm``.
        path: The data directory, for ``stats()``'s size on disk.
        owns_client: Close the store's chromadb client on ``close()``.
        audit_recalls: Also record recalls in the audit log (see ``_audit``).
        audit_retention_days: Drop audit events older than this (None: keep them).
        session_token_budget: Tokens the memory's own model calls may spend per session
            before that session falls back to the offline rules (None: no limit); see
            ``PipelineOptions.session_token_budget``.
    """

    store: ChromaStore  # the mixin only needs a BaseStore; Memory always has a ChromaStore

    def __init__(
        self,
        *,
        store: ChromaStore,
        checkpoint: CheckpointSpec | str | Path,
        llm: BaseChatModel | str | None = None,
        path: str | Path | None = None,
        owns_client: bool = False,
        audit_recalls: bool = False,
        audit_retention_days: float | None = None,
        session_token_budget: int | None = None,
    ) -> None:
        if store.embeddings is None:
            raise ValueError(f"store {store!r} has no index; Memory needs an indexed store")
        budget = session_token_budget
        if budget is not None and (type(budget) is not int or budget <= 0):
            raise ConfigError(
                f"session_token_budget must be a positive int or None, got {budget!r}"
            )
        self.store = store
        self.embeddings: Embeddings = store.embeddings
        self.llm = resolve_llm(llm)
        self.path = Path(path) if path is not None else None
        self._spec = (
            checkpoint
            if isinstance(checkpoint, CheckpointSpec)
            else parse_checkpoint_url(checkpoint)
        )
        serde = checkpoint_serde(store.encryption, store.redactor)  # as the store does
        if serde is not None:
            self._spec = replace(self._spec, serde=serde)
        self._history_storage = HistoryStorage(store)
        self._owns_client = owns_client
        self._lock = threading.RLock()
        self._closed = False
        self._shared_memory_saver = (
            InMemorySaver(serde=self._spec.serde) if self._spec.kind == "memory" else None
        )
        self._sync_saver: OpenedSaver = open_saver(self._spec, self._shared_memory_saver)
        self._async_savers: dict[asyncio.AbstractEventLoop, asyncio.Task[OpenedSaver]] = {}
        self._open_audit(audit_recalls, audit_retention_days)
        self._open_daily_stats()
        if session_token_budget is not None:
            self.configure_memory(session_token_budget=session_token_budget)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_path(
        cls,
        directory: str | Path,
        *,
        embeddings: Embeddings | str | Any = "local",
        llm: BaseChatModel | str | None = None,
        collection_prefix: str = "langmem",
        ttl: TTLConfig | None = None,
        namespace_ttl: dict[str, float] | None = None,
        redact: bool | Callable[[str], str] | None = None,
        encryption_key: str | None = None,
        audit_recalls: bool = False,
        audit_retention_days: float | None = None,
        read_only: bool = False,
        session_token_budget: int | None = None,
    ) -> Memory:
        """Open or create a memory in ``directory`` (``chroma/`` and ``checkpoints.sqlite``).

        Args:
            directory: The data directory; created if missing.
            embeddings: Anything ``resolve_embeddings`` accepts; ``"local"`` by default.
            llm: See ``resolve_llm``.
            collection_prefix: Prefix of the Chroma collection names.
            ttl: The store's LangGraph ``TTLConfig``.
            namespace_ttl: Store TTL (minutes) by kind, see ``ChromaStore``.
            redact: PII redaction before anything is stored or embedded (``True`` or a
                ``str -> str`` function); see ``ChromaStore``.
            encryption_key: Encrypts values, archived turns and checkpoints at rest
                (default ``$LANGMEM_ENCRYPTION_KEY``); see ``ChromaStore``.
            audit_recalls: As for the class.
            audit_retention_days: As for the class.
            read_only: Look at a memory that another process holds (a running app): no
                folder lock, every read sees what that process has committed (SQLite WAL
                readers), searches are ranked exactly from the vectors in SQL (Chroma's
                folder is not opened), and every write raises ``ReadOnlyMemoryError``.
                The folder must exist. Default False: one process writes a folder.
            session_token_budget: As for the class.

        Returns:
            The memory.

        Raises:
            MemoryNotFoundError: ``read_only`` and the folder holds no memory.
        """
        root = Path(directory)
        checkpoints = str(root / "checkpoints.sqlite")
        if read_only:
            if not Path(checkpoints).is_file():
                from langmem_plugin.errors import MemoryNotFoundError

                raise MemoryNotFoundError(f"no memory at {str(root)!r} to open read-only")
        else:
            root.mkdir(parents=True, exist_ok=True)
        store = ChromaStore(
            path=root / "chroma",
            sql=checkpoints,
            index=cls._index(embeddings),
            collection_prefix=collection_prefix,
            ttl=ttl,
            namespace_ttl=namespace_ttl,
            redact=redact,
            encryption_key=encryption_key,
            read_only=read_only,
        )
        return cls._build(
            store,
            CheckpointSpec("sqlite", checkpoints, read_only=read_only),
            llm=llm,
            path=root,
            owns_client=not read_only,
            audit_recalls=audit_recalls,
            audit_retention_days=audit_retention_days,
            session_token_budget=session_token_budget,
        )

    @classmethod
    def from_url(
        cls,
        chroma_url: str,
        checkpoint_url: str | Path,
        *,
        embeddings: Embeddings | str | Any = "local",
        llm: BaseChatModel | str | None = None,
        collection_prefix: str = "langmem",
        ttl: TTLConfig | None = None,
        namespace_ttl: dict[str, float] | None = None,
        redact: bool | Callable[[str], str] | None = None,
        encryption_key: str | None = None,
        audit_recalls: bool = False,
        audit_retention_days: float | None = None,
        read_only: bool = False,
        session_token_budget: int | None = None,
    ) -> Memory:
        """Open a memory on a Chroma server (or directory) and a checkpoint database.

        Args:
            chroma_url: ``http(s)://host:port`` of a Chroma server, or a directory for an
                embedded Chroma.
            checkpoint_url: ``postgresql://...`` (LangGraph's ``PostgresSaver``; needs the
                ``postgres`` extra), ``sqlite:///path`` or a file path (``SqliteSaver``),
                or ``":memory:"``. The store's items live in the same database.
            embeddings: Anything ``resolve_embeddings`` accepts; ``"local"`` by default.
            llm: See ``resolve_llm``.
            collection_prefix: Prefix of the Chroma collection names.
            ttl: The store's LangGraph ``TTLConfig``.
            namespace_ttl: Store TTL (minutes) by kind, see ``ChromaStore``.
            redact: As for ``from_path``.
            encryption_key: As for ``from_path`` (the meta table with the salt lives in
                the checkpoint database).
            audit_recalls: As for the class.
            audit_retention_days: As for the class.
            read_only: As for ``from_path``: a directory and a SQLite checkpoint file
                only (a server and PostgreSQL serve many processes already).
            session_token_budget: As for the class.

        Returns:
            The memory.

        Raises:
            ValueError: If a URL has an unsupported form, or ``read_only`` is asked of a
                server or PostgreSQL.
        """
        spec = parse_checkpoint_url(checkpoint_url)  # validate before opening anything
        if read_only:
            if spec.kind != "sqlite" or "://" in chroma_url:
                raise ValueError(
                    "read_only=True is for a memory folder and a SQLite checkpoint file; a "
                    f"Chroma server ({chroma_url!r}) or PostgreSQL is opened normally"
                )
            spec = replace(spec, read_only=True)
        sql = spec.target if spec.kind != "memory" else ":memory:"
        index = cls._index(embeddings)
        options: dict[str, Any] = {
            "ttl": ttl,
            "namespace_ttl": namespace_ttl,
            "redact": redact,
            "encryption_key": encryption_key,
        }
        if chroma_url.startswith(("http://", "https://")):
            store = ChromaStore.from_url(
                chroma_url, sql=sql, index=index, collection_prefix=collection_prefix, **options
            )
            path = None
        elif "://" in chroma_url:
            raise ValueError(f"chroma_url {chroma_url!r} is neither http(s):// nor a directory")
        else:
            store = ChromaStore(
                path=chroma_url,
                sql=sql,
                index=index,
                collection_prefix=collection_prefix,
                read_only=read_only,
                **options,
            )
            path = Path(chroma_url)
        return cls._build(
            store,
            spec,
            llm=llm,
            path=path,
            owns_client=not read_only,
            audit_recalls=audit_recalls,
            audit_retention_days=audit_retention_days,
            session_token_budget=session_token_budget,
        )

    @classmethod
    def in_memory(
        cls,
        *,
        embeddings: Embeddings | str | Any = "local",
        llm: BaseChatModel | str | None = None,
        redact: bool | Callable[[str], str] | None = None,
        encryption_key: str | None = None,
        audit_recalls: bool = False,
        audit_retention_days: float | None = None,
        session_token_budget: int | None = None,
    ) -> Memory:
        """A memory that lives in this process only (tests, notebooks).

        Each call starts empty: its store has a unique prefix in the process's in-memory
        Chroma and drops its own data on ``close()`` (the archive included); checkpoints go to one
        ``InMemorySaver`` that serves sync and async graphs.

        Args:
            embeddings: Anything ``resolve_embeddings`` accepts; ``"local"`` by default.
            llm: See ``resolve_llm``.
            redact: As for ``from_path``.
            encryption_key: As for ``from_path`` (for symmetry: nothing reaches a disk).
            audit_recalls: As for the class.
            audit_retention_days: As for the class.
            session_token_budget: As for the class.

        Returns:
            The memory.
        """
        store = ChromaStore(
            index=cls._index(embeddings), redact=redact, encryption_key=encryption_key
        )
        return cls._build(
            store,
            ":memory:",
            llm=llm,
            audit_recalls=audit_recalls,
            audit_retention_days=audit_retention_days,
            session_token_budget=session_token_budget,
        )

    @staticmethod
    def _index(embeddings: Embeddings | str | Any) -> Any:
        resolved = resolve_embeddings(embeddings)
        return {"dims": _dims(resolved), "embed": resolved, "fields": ["content"]}

    @classmethod
    def _build(
        cls, store: ChromaStore, checkpoint: CheckpointSpec | str | Path, **kwargs: Any
    ) -> Memory:
        try:
            return cls(store=store, checkpoint=checkpoint, **kwargs)
        except BaseException:
            store.close()
            if kwargs.get("owns_client"):
                store.client.close()
            raise

    # ------------------------------------------------------------------ accessors
    def _check_open(self) -> None:
        if self._closed:
            raise MemoryClosedError(f"{self!r} is closed")

    def __repr__(self) -> str:
        where = str(self.path) if self.path else self.store.collection_prefix
        return f"Memory({where!r}, checkpoints={self._spec.kind})"

    @property
    def read_only(self) -> bool:
        """Opened with ``read_only=True`` (see ``from_path``): reads only."""
        return self.store.read_only

    @property
    def checkpointer(self) -> BaseCheckpointSaver[Any]:
        """LangGraph's sync saver (``SqliteSaver``, ``PostgresSaver`` or ``InMemorySaver``)."""
        self._check_open()
        return self._sync_saver.saver

    async def acheckpointer(self) -> BaseCheckpointSaver[Any]:
        """LangGraph's async saver for the running event loop, opened on first use.

        Returns:
            ``AsyncSqliteSaver`` / ``AsyncPostgresSaver`` bound to the running loop (the
            shared ``InMemorySaver`` for ``in_memory``), closed by ``aclose()``.
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            self._check_open()
            task = self._async_savers.get(loop)
            if task is None:
                task = loop.create_task(aopen_saver(self._spec, self._shared_memory_saver))
                self._async_savers[loop] = task
        try:
            opened = await asyncio.shield(task)
        except BaseException:
            with self._lock:
                if self._async_savers.get(loop) is task and task.done():
                    del self._async_savers[loop]
            raise
        return opened.saver

    def history(self, session_id: str, *, user_id: str) -> ChromaChatMessageHistory:
        """The chat history of one session (by convention, session id == thread id).

        Args:
            session_id: The session id.
            user_id: The owner.

        Returns:
            The history, stored in this memory's Chroma.

        Raises:
            SessionOwnershipError: If the session belongs to another user.
            ValueError: If an id is not a non-empty string.
        """
        self._check_open()
        return ChromaChatMessageHistory(session_id, user_id=user_id, storage=self._history_storage)

    def retriever(
        self,
        user_id: str,
        *,
        kind: str = "memories",
        persona_id: str | None = None,
        **options: Any,
    ) -> MemoryRetriever:
        """A hybrid ``MemoryRetriever`` over one user's memories of one kind.

        Args:
            user_id: The user; the retriever never sees another user's namespace.
            kind: The first namespace label: ``"memories"`` (notes), ``"episodes"``,
                ``"episodes_archive"``, ``"profile"`` or ``"lessons"`` (the user's own).
            persona_id: That persona's memories of ``kind`` (``Scope.namespace``: notes,
                episodes, archive and lessons are a persona's, the profile is shared).
            **options: ``MemoryRetriever`` parameters (``k``, weights, ``start``/``end``...).

        Returns:
            A retriever over ``(kind, user_id)`` (or the persona's) in this memory's store.
        """
        scope = make_scope(user_id, persona_id=persona_id)
        return MemoryRetriever(store=self.store, namespace=scope.namespace(kind), **options)

    def sessions(self, user_id: str) -> list[SessionInfo]:
        """A user's chat sessions, most recently active first.

        Args:
            user_id: The user.

        Returns:
            The sessions.
        """
        self._check_open()
        return self._history_storage.list_sessions(validate_id(user_id, "user_id"))

    def compile(self, builder: Any, **kwargs: Any) -> Any:
        """``builder.compile(checkpointer=self.checkpointer, store=self.store, **kwargs)``.

        Args:
            builder: A LangGraph ``StateGraph``.
            **kwargs: More ``compile`` arguments (``interrupt_before`` ...).

        Returns:
            The compiled graph, for sync use (``invoke``/``stream``).
        """
        return builder.compile(checkpointer=self.checkpointer, store=self.store, **kwargs)

    async def acompile(self, builder: Any, **kwargs: Any) -> Any:
        """Like ``compile`` with the async saver of the running loop (``ainvoke``...).

        Args:
            builder: A LangGraph ``StateGraph``.
            **kwargs: More ``compile`` arguments.

        Returns:
            The compiled graph, for async use in this event loop.
        """
        saver = await self.acheckpointer()
        return builder.compile(checkpointer=saver, store=self.store, **kwargs)

    def archive_thread(
        self, thread_id: str, user_id: str, *, messages_key: str = "messages"
    ) -> int:
        """Archive a LangGraph thread's messages now (no longer needed: every path does).

        Idempotent, also across processes: a message is stored once per message ``id``
        in ``("archive", user_id, thread_id)`` (messages without an id, which
        LangGraph's ``add_messages`` never produces, get one derived from their
        content). The recall and working-memory summary messages are not archived.

        Args:
            thread_id: The LangGraph thread (and session) id.
            user_id: The owner.
            messages_key: The state key holding the messages.

        Returns:
            How many messages were not archived yet when the call started.

        Raises:
            ThreadNotFoundError: If the checkpointer has no checkpoint for ``thread_id``.
            SessionOwnershipError: If the session belongs to another user.
        """
        history = self.history(thread_id, user_id=user_id)
        snapshot = self.checkpointer.get_tuple(
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        )
        if snapshot is None:
            raise ThreadNotFoundError(f"no checkpoint for thread_id {thread_id!r}")
        state_messages = snapshot.checkpoint["channel_values"].get(messages_key) or []
        return self._history_storage.add(
            history.user_id, history.session_id, archivable(state_messages), once_per_id=True
        )

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the checkpointer, the store and (if owned) the Chroma client. Idempotent.

        Async savers are closed by ``aclose()``; ``close()`` can only stop those whose
        event loop is no longer running.
        """
        with self._lock:
            if self._closed:
                return
        error: BaseException | None = None
        if self._memory_runtime is not None:
            # Turns queued for the archive, extraction, episodes and reflection would be
            # lost otherwise; a failure is raised once everything is closed.
            try:
                self.flush()
            except Exception as exc:
                error = exc
            self._memory_runtime.archiver.close()
        try:
            self.daily_stats.close()  # the day's figures, before the database closes
        except Exception:  # health figures are not worth failing a close over
            logger.warning("could not save the day's health figures", exc_info=True)
        with self._lock:
            if self._closed:
                return
            self._closed = True
            tasks = list(self._async_savers.items())
            self._async_savers.clear()
        for loop, task in tasks:
            self._abandon_async_saver(loop, task)
        self._sync_saver.close()
        self.store.close()
        if self._owns_client:
            self.store.client.close()
        self._zero_index_slack()  # hnswlib writes uninitialised memory (see _forget)
        if error is not None:
            raise error

    @staticmethod
    def _abandon_async_saver(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
        if not task.done() or task.cancelled() or task.exception() is not None:
            return
        opened: OpenedSaver = task.result()
        for resource in opened.resources:
            stop = getattr(resource, "stop", None)
            if callable(stop):  # aiosqlite: stops its worker thread without the loop
                stop()
            else:
                warnings.warn(
                    f"async checkpointer resource {resource!r} of loop {loop!r} was not "
                    "closed: call `await memory.aclose()` in that loop",
                    ResourceWarning,
                    stacklevel=3,
                )
        opened.resources.clear()

    async def aclose(self) -> None:
        """Close the async saver of the running loop, then everything ``close()`` does."""
        loop = asyncio.get_running_loop()
        if self._memory_runtime is not None and not self._closed:
            await self.aflush()
        with self._lock:
            task = self._async_savers.pop(loop, None)
        if task is not None:
            try:
                opened = await task
            except Exception:  # it never opened: nothing to close
                opened = None
            if opened is not None:
                await opened.aclose()
        self.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Memory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def inspect(self, *, read_only: bool = False, port: int | None = None) -> Any:
        """The inspector (``langmem ui``) served on 127.0.0.1 in a thread, as an IPython IFrame."""
        from langmem_plugin.ui._notebook import inspect_memory

        return inspect_memory(self, read_only=read_only, port=port)

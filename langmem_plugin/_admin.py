"""Operator helpers behind the ``langmem`` command line: open, list, search, forget.

Each helper is a function taking a ``Memory`` (rather than a method on it) so that the
command line stays a thin layer and the helpers can be used from Python as well::

    from langmem_plugin._admin import forget_user, open_memory

    with open_memory(path="./.memory") as memory:
        report = forget_user(memory, "ada")
        print(report.render())

Users are identified as ``Memory.stats`` counts them: the owners of chat sessions and the
second label of every store namespace (``("profile", user_id)``, ``("memories", user_id)``
...). A namespace "names" a user when one of its labels equals the user id. The
conversation archive (``("archive", user, session)``, ``("sessions", user)``, see
``langmem_plugin.history._storage``) is store items too, reported as sessions and messages
rather than as memories. Reads here never refresh TTLs: inspecting a memory does not
extend the life of what it shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.store.base import PutOp, SearchItem

from langmem_plugin._paging import list_all_namespaces, search_all
from langmem_plugin.errors import CheckpointUnavailableError, MemoryNotFoundError
from langmem_plugin.history._storage import (
    HISTORY_LABELS,
    OWNERS,
    HistoryStorage,
    MessageHit,
    SessionInfo,
    check_id,
)
from langmem_plugin.memory import Memory
from langmem_plugin.store import ChromaStore

__all__ = [
    "ForgetReport",
    "UserSummary",
    "chroma_store",
    "delete_user_data",
    "forget_user",
    "history_storage",
    "list_users",
    "open_memory",
    "search_user",
    "user_namespaces",
]

_WRITE_CHUNK = 256


def _check_postgres(url: str, timeout: float = 5.0) -> None:
    try:
        import psycopg
    except ImportError as error:
        raise ImportError(
            "a postgresql:// checkpoint URL needs the postgres extra: "
            "pip install 'langmem-plugin[postgres]'"
        ) from error
    try:
        with psycopg.connect(url, connect_timeout=max(1, int(timeout))):
            pass
    except psycopg.OperationalError as error:
        reason = " ".join(str(error).split())
        raise CheckpointUnavailableError(
            f"PostgreSQL at {_redact(url)!r} is not reachable: {reason}"
        ) from error


def _redact(url: str) -> str:
    """The URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def open_memory(
    *,
    path: str | Path | None = None,
    chroma_url: str | None = None,
    checkpoint_url: str | None = None,
    must_exist: bool = True,
    llm: Any = None,
) -> Memory:
    """Open a memory the way the command line does, with clear errors.

    Args:
        path: The memory folder (``chroma/`` and ``checkpoints.sqlite``); default
            ``./.memory``. Used when ``chroma_url`` is not given.
        chroma_url: ``http(s)://host:port`` of a Chroma server.
        checkpoint_url: ``postgresql://...``, ``sqlite:///file`` or a file path; required
            with ``chroma_url``; with ``path`` it replaces ``path/checkpoints.sqlite``.
        must_exist: Raise ``MemoryNotFoundError`` instead of creating a missing folder.
        llm: The chat model of the memory features (see ``resolve_llm``).

    Returns:
        The memory (with ``MemoryFeatures``); close it when done.

    Raises:
        MemoryNotFoundError: ``must_exist`` and the folder (or its ``chroma/``) is missing.
        StoreUnavailableError: The Chroma server does not answer.
        CheckpointUnavailableError: The PostgreSQL server does not answer.
        ValueError: A URL has an unsupported form, or ``chroma_url`` comes without
            ``checkpoint_url``.
    """
    cls = Memory
    if checkpoint_url is not None and checkpoint_url.startswith(("postgresql://", "postgres://")):
        _check_postgres(checkpoint_url)
    if chroma_url is not None:
        if checkpoint_url is None:
            raise ValueError(
                f"chroma_url {chroma_url!r} needs a checkpoint_url "
                "(postgresql://... or a SQLite file path)"
            )
        if not chroma_url.startswith(("http://", "https://")):
            raise ValueError(f"chroma_url must be http(s)://host:port, got {chroma_url!r}")
        return cls.from_url(chroma_url, checkpoint_url, llm=llm)
    root = Path(path if path is not None else ".memory")
    if must_exist and not (root / "chroma").is_dir():
        what = "folder" if not root.exists() else "memory (no chroma/ inside)"
        raise MemoryNotFoundError(f"no memory {what} at {str(root)!r}")
    if checkpoint_url is not None:
        root.mkdir(parents=True, exist_ok=True)
        return cls.from_url(str(root / "chroma"), checkpoint_url, llm=llm)
    return cls.from_path(root, llm=llm)


def chroma_store(memory: Memory) -> ChromaStore:
    """The memory's store, which these helpers need to be a ``ChromaStore``.

    Raises:
        TypeError: If it is another kind of store.
    """
    store = memory.store
    if not isinstance(store, ChromaStore):
        raise TypeError(f"this operation needs a ChromaStore, got {type(store).__name__}")
    return store


def history_storage(memory: Memory) -> HistoryStorage:
    """The chat sessions and archived messages of ``memory`` (items of its store)."""
    return HistoryStorage(memory.store)


def _all_namespaces(memory: Memory) -> list[tuple[str, ...]]:
    return list_all_namespaces(memory.store)


def _all_items(memory: Memory, namespace: tuple[str, ...]) -> list[SearchItem]:
    return search_all(memory.store, namespace)


def user_namespaces(memory: Memory, user_id: str) -> list[tuple[str, ...]]:
    """The store namespaces that name ``user_id`` (one of their labels equals it)."""
    check_id("user_id", user_id)
    return [ns for ns in _all_namespaces(memory) if user_id in ns]


@dataclass(frozen=True)
class UserSummary:
    """One user as listed by ``langmem users``.

    Attributes:
        user_id: The user.
        memories: Store items in namespaces naming the user.
        sessions: Chat sessions the user owns.
        messages: Messages in those sessions.
    """

    user_id: str
    memories: int
    sessions: int
    messages: int


def list_users(memory: Memory) -> list[UserSummary]:
    """Every user with something stored, sorted by id.

    Returns:
        One summary per user: session owners and second namespace labels.
    """
    memories: dict[str, int] = {}
    for namespace in _all_namespaces(memory):
        if len(namespace) > 1 and namespace[0] not in HISTORY_LABELS:
            memories[namespace[1]] = memories.get(namespace[1], 0) + len(
                _all_items(memory, namespace)
            )
    sessions: dict[str, list[SessionInfo]] = {}
    for info in history_storage(memory).list_sessions(None):
        sessions.setdefault(info.user_id, []).append(info)
    return [
        UserSummary(
            user_id=user,
            memories=memories.get(user, 0),
            sessions=len(sessions.get(user, [])),
            messages=sum(info.message_count for info in sessions.get(user, [])),
        )
        for user in sorted(set(memories) | set(sessions))
    ]


def search_user(
    memory: Memory, user_id: str, query: str, *, limit: int = 5
) -> tuple[list[SearchItem], list[MessageHit]]:
    """Semantic search over one user's memories and chat messages.

    Args:
        memory: The memory.
        user_id: The user; nothing of another user is searched.
        query: Natural-language query.
        limit: Results of each kind.

    Returns:
        ``(items, messages)``: store items from every namespace naming the user, best
        score first, and the closest chat messages of the user's sessions.

    Raises:
        ValueError: If ``user_id`` is empty or ``limit`` is not a positive integer.
    """
    check_id("user_id", user_id)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    items: list[SearchItem] = []
    for namespace in user_namespaces(memory, user_id):
        if namespace[0] in HISTORY_LABELS:  # searched below, as messages
            continue
        items.extend(memory.store.search(namespace, query=query, limit=limit, refresh_ttl=False))
    items.sort(key=lambda item: item.score if item.score is not None else float("-inf"))
    items.reverse()
    messages = history_storage(memory).search(user_id, query, limit)
    return items[:limit], messages


@dataclass
class ForgetReport:
    """What ``forget_user`` removed (or would remove, with ``dry_run``).

    Attributes:
        user_id: The user.
        items: Store items removed, per namespace.
        sessions: Chat sessions removed (messages and session record).
        messages: Chat messages removed.
        threads: Checkpointer threads removed (``delete_thread``).
        kept_threads: Threads that cite the user but whose checkpoints name other users.
        dry_run: Nothing was deleted.
    """

    user_id: str
    items: dict[tuple[str, ...], int] = field(default_factory=dict)
    sessions: list[str] = field(default_factory=list)
    messages: int = 0
    threads: list[str] = field(default_factory=list)
    kept_threads: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def total_items(self) -> int:
        """Store items removed in all namespaces."""
        return sum(self.items.values())

    def render(self) -> str:
        """A human-readable account, one line per kind of data."""
        verb = "would remove" if self.dry_run else "removed"
        lines = [f"forget {self.user_id!r}: {verb}"]
        lines.append(f"  store items: {self.total_items}")
        lines.extend(f"    {'/'.join(ns)}: {n}" for ns, n in sorted(self.items.items()))
        lines.append(f"  chat sessions: {len(self.sessions)} ({self.messages} messages)")
        lines.extend(f"    {session}" for session in self.sessions)
        lines.append(f"  checkpoint threads: {len(self.threads)}")
        lines.extend(f"    {thread}" for thread in self.threads)
        if self.kept_threads:
            lines.append(
                "  kept (their checkpoints name other users): " + ", ".join(self.kept_threads)
            )
        return "\n".join(lines)


def _thread_owners(memory: Memory, thread_id: str) -> set[str]:
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    owners = set()
    for snapshot in memory.checkpointer.list(config):
        metadata: dict[str, Any] = dict(snapshot.metadata or {})
        if "user_id" in metadata:
            owners.add(str(metadata["user_id"]))
    return owners


def _cited_threads(items: Iterable[SearchItem]) -> set[str]:
    cited = set()
    for item in items:
        thread = item.value.get("thread_id")
        if isinstance(thread, str) and thread:
            cited.add(thread)
    return cited


def forget_user(memory: Memory, user_id: str, *, dry_run: bool = False) -> ForgetReport:
    """Remove every trace of a user and scrub the files: ``Memory.forget_user``.

    ``delete_user_data`` below, then ``langmem_plugin._forget.scrub`` (no byte of the
    user left in any file) and a ``forget`` audit event.
    """
    from langmem_plugin._forget import forget_user as forget_and_scrub

    return forget_and_scrub(memory, user_id, dry_run=dry_run)


def delete_user_data(memory: Memory, user_id: str, *, dry_run: bool = False) -> ForgetReport:
    """Delete every trace of a user: store items, chat histories and checkpoints.

    Removed: every item in a namespace naming the user (its vectors go with it), every
    chat session the user owns with its archived messages, record and ownership claim
    (the archive is store items, so the store's forget guarantees cover it), and every
    checkpointer thread that
    belongs to the user: a thread whose checkpoints were written with
    ``configurable.user_id`` equal to the user, or a thread that is one of the user's
    sessions or is cited (``thread_id``) by one of the user's memories, unless its
    checkpoints name another user (then it is kept and reported).

    Not removed: lessons stored under an agent id (shared by the agent's users), and
    copies the user's data may have in other users' memories.

    Args:
        memory: The memory.
        user_id: The user.
        dry_run: Only report what would be removed.

    Returns:
        What was removed.

    Raises:
        ValueError: If ``user_id`` is not a non-empty string.
    """
    check_id("user_id", user_id)
    report = ForgetReport(user_id=user_id, dry_run=dry_run)
    storage = history_storage(memory)
    runtime = getattr(memory, "_memory_runtime", None)
    if runtime is not None and not dry_run:  # nothing queued may land after the delete
        memory.flush()

    to_delete: list[tuple[tuple[str, ...], str]] = []
    cited: set[str] = set()
    for namespace in user_namespaces(memory, user_id):
        items = _all_items(memory, namespace)
        to_delete.extend((namespace, item.key) for item in items)
        if namespace[0] in HISTORY_LABELS:  # reported as sessions and messages
            continue
        report.items[namespace] = len(items)
        cited |= _cited_threads(items)

    sessions = storage.list_sessions(user_id)
    report.sessions = [info.session_id for info in sessions]
    report.messages = sum(info.message_count for info in sessions)
    claims = search_all(memory.store, (OWNERS,), {"user_id": user_id})
    to_delete.extend((claim.namespace, claim.key) for claim in claims)

    saver = memory.checkpointer
    threads = {
        str(snapshot.config["configurable"]["thread_id"])
        for snapshot in saver.list(None, filter={"user_id": user_id})
    }
    for candidate in sorted((set(report.sessions) | cited) - threads):
        owners = _thread_owners(memory, candidate)
        if owners - {user_id}:
            report.kept_threads.append(candidate)
        elif owners or saver.get_tuple({"configurable": {"thread_id": candidate}}):
            threads.add(candidate)
    report.threads = sorted(threads)
    if dry_run:
        return report

    for start in range(0, len(to_delete), _WRITE_CHUNK):
        chunk = to_delete[start : start + _WRITE_CHUNK]
        memory.store.batch([PutOp(namespace, key, None) for namespace, key in chunk])
    if runtime is not None:
        runtime.archiver.forget(user_id=user_id)
    for thread_id in report.threads:
        saver.delete_thread(thread_id)
    return report

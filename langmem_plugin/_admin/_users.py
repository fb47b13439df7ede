"""Users of a memory: list them, search one, delete one.

Users are identified as ``Memory.stats`` counts them: the owners of chat sessions and the
user label of every store namespace (``("profile", user_id)``, ``("memories", user_id)``
...). A namespace belongs to a user only when its label at the user position equals the user
id (``langmem_plugin._namespaces``: a user id that is another namespace's kind, thread or
deeper label names nothing there; an agent's ``("agent_lessons", agent)`` belongs to no
user). The conversation archive (``("archive", user, session)``, ``("sessions", user)``, see
``langmem_plugin.history._storage``) is store items too, reported as sessions and messages
rather than as memories. Reads here never refresh TTLs: inspecting a memory does not extend
the life of what it shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig
from langgraph.store.base import PutOp, SearchItem

from langmem_plugin._admin._open import history_storage
from langmem_plugin._ids import validate_id
from langmem_plugin._namespaces import namespace_kind, namespace_user, user_namespace
from langmem_plugin._namespaces import user_namespaces as store_user_namespaces
from langmem_plugin._paging import WRITE_BATCH, chunks, list_all_namespaces, search_all
from langmem_plugin.history._storage import (
    ARCHIVE,
    HISTORY_LABELS,
    OWNERS,
    MessageHit,
    SessionInfo,
)
from langmem_plugin.knowledge._graph import knowledge_of
from langmem_plugin.nodes._fact_gate import FACT_KINDS, keep_relevant_facts
from langmem_plugin.nodes.recall import is_relevant

if TYPE_CHECKING:
    from langmem_plugin.memory import Memory

__all__ = [
    "ForgetReport",
    "UserSummary",
    "delete_user_data",
    "forget_user",
    "list_users",
    "search_user",
    "user_namespaces",
]


def user_namespaces(memory: Memory, user_id: str) -> list[tuple[str, ...]]:
    """The store namespaces of ``user_id`` (see ``langmem_plugin._namespaces``)."""
    return store_user_namespaces(memory.store, user_id)


@dataclass(frozen=True)
class UserSummary:
    """One user as listed by ``langmem users``.

    Attributes:
        user_id: The user.
        memories: Store items in the user's namespaces.
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
        One summary per user: session owners and the users of store namespaces.
    """
    memories: dict[str, int] = {}
    for namespace in list_all_namespaces(memory.store):
        user = namespace_user(namespace)
        if user is not None and namespace[0] not in HISTORY_LABELS:
            memories[user] = memories.get(user, 0) + len(search_all(memory.store, namespace))
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
    """Semantic search over one user's memories and chat messages, relevant hits only.

    A hit is kept when recall would call it relevant (``nodes.recall.is_relevant`` at its
    kind's gate, ``Recall.floor``; chat messages at the archived turns' gate), so an
    unrelated query lists nothing rather than the least unrelated memories. Profile facts
    must also answer the query (``nodes._fact_gate``: the query asks for their category or
    names their value), since one similarity floor cannot tell them apart. A
    ``profile_history`` version equal to a current fact (same key and value) is left out:
    the current fact is listed already; earlier values still show.

    Args:
        memory: The memory.
        user_id: The user; nothing of another user is searched.
        query: Natural-language query.
        limit: Results of each kind.

    Returns:
        ``(items, messages)``: store items from every namespace of the user, best
        score (raw similarity) first, and the closest chat messages of the user's sessions.

    Raises:
        ValueError: If ``user_id`` is empty or ``limit`` is not a positive integer.
    """
    validate_id(user_id, "user_id")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    recall = memory._features.recall
    current = {
        (item.key, str(item.value.get("value")))
        for item in search_all(memory.store, user_namespace("profile", user_id))
    }
    items: list[SearchItem] = []
    for namespace in user_namespaces(memory, user_id):
        if namespace[0] in HISTORY_LABELS:  # searched below, as messages
            continue
        floor = recall.floor(namespace_kind(namespace))
        for item in memory.store.search(namespace, query=query, limit=limit, refresh_ttl=False):
            if item.score is not None and not is_relevant({"similarity": item.score}, floor):
                continue
            if (
                namespace[0] == "profile_history"
                and (
                    item.key.partition("@")[0],
                    str(item.value.get("value")),
                )
                in current
            ):
                continue
            items.append(item)
    if any(item.namespace[0] in FACT_KINDS for item in items):
        items = keep_relevant_facts(memory.store, user_id, query, items)
    items.sort(key=lambda item: item.score if item.score is not None else float("-inf"))
    items.reverse()
    floor = recall.floor(ARCHIVE)
    messages = [
        hit
        for hit in history_storage(memory).search(user_id, query, limit)
        if is_relevant({"similarity": hit.score}, floor)
    ]
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
    knowledge: dict[str, int] = field(default_factory=dict)
    """Entities, relation versions and mentions removed (``langmem_plugin.knowledge``)."""

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
        if any(self.knowledge.values()):
            lines.append(
                "  knowledge: " + ", ".join(f"{n} {kind}" for kind, n in self.knowledge.items())
            )
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

    ``delete_user_data`` below, then ``langmem_plugin._admin._forget.scrub`` (no byte of the
    user left in any file) and a ``forget`` audit event.
    """
    from langmem_plugin._admin._forget import forget_user as forget_and_scrub

    return forget_and_scrub(memory, user_id, dry_run=dry_run)


def _corrupt_keys(store: Any, namespace: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    """Items of exactly ``namespace`` whose value does not open: a forget deletes them too."""
    found = getattr(store, "corrupt_items", None)
    if found is None:
        return []
    return [(namespace, c.key) for c in found(namespace) if c.namespace == namespace]


def delete_user_data(memory: Memory, user_id: str, *, dry_run: bool = False) -> ForgetReport:
    """Delete every trace of a user: store items, chat histories and checkpoints.

    Removed: every item in a namespace of the user (its vectors go with it), every
    chat session the user owns with its archived messages, record and ownership claim
    (the archive is store items, so the store's forget guarantees cover it), and every
    checkpointer thread that
    belongs to the user: a thread whose checkpoints were written with
    ``configurable.user_id`` equal to the user, or a thread that is one of the user's
    sessions or is cited (``thread_id``) by one of the user's memories, unless its
    checkpoints name another user (then it is kept and reported).

    Not removed: an agent's lessons (``("agent_lessons", agent_id)``, shared by the
    agent's users, even when an agent id equals ``user_id``), items of other users whose
    namespaces hold the user id at another position, and copies the user's data may have
    in other users' memories.

    Args:
        memory: The memory.
        user_id: The user.
        dry_run: Only report what would be removed.

    Returns:
        What was removed.

    Raises:
        ValueError: If ``user_id`` is not a non-empty string.
    """
    validate_id(user_id, "user_id")
    report = ForgetReport(user_id=user_id, dry_run=dry_run)
    storage = history_storage(memory)
    runtime = getattr(memory, "_memory_runtime", None)
    if runtime is not None and not dry_run:  # nothing queued may land after the delete
        memory.flush()

    to_delete: list[tuple[tuple[str, ...], str]] = []
    cited: set[str] = set()
    for namespace in user_namespaces(memory, user_id):
        items = search_all(memory.store, namespace)
        to_delete.extend((namespace, item.key) for item in items)
        to_delete.extend(_corrupt_keys(memory.store, namespace))  # searches skip them
        if namespace[0] in HISTORY_LABELS:  # reported as sessions and messages
            continue
        report.items[namespace] = len(items)
        cited |= _cited_threads(items)

    sessions = storage.list_sessions(user_id)
    report.sessions = [info.session_id for info in sessions]
    report.messages = sum(info.message_count for info in sessions)
    # A prefix search: ("session_owners", other, ...) would match too; claims are (OWNERS,).
    claims = search_all(memory.store, (OWNERS,), {"user_id": user_id})
    to_delete.extend(
        (claim.namespace, claim.key) for claim in claims if claim.namespace == (OWNERS,)
    )

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
    graph = knowledge_of(memory.store)
    if dry_run:
        report.knowledge = graph.counts(user_id) if graph is not None else {}
        return report

    for chunk in chunks(to_delete, WRITE_BATCH):
        memory.store.batch([PutOp(namespace, key, None) for namespace, key in chunk])
    if graph is not None:
        report.knowledge = graph.forget_user(user_id)
    if runtime is not None:
        runtime.archiver.forget(user_id=user_id)
    for thread_id in report.threads:
        saver.delete_thread(thread_id)
    return report

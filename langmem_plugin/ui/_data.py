"""What the inspector pages show, read from a ``Memory`` (no web code here).

Every function takes the ``Memory`` and a user id and returns plain dataclasses, so the
pages are thin templates and the same reads can be tested without a browser. Reads never
refresh TTLs (inspecting a memory does not extend its life); writes go through the code
the library and the command line already use (``ProfileStore`` versions, ``forget_user``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import SystemMessage
from langgraph.store.base import Item, SearchItem

from langmem_plugin._admin import history_storage
from langmem_plugin._ids import validate_id
from langmem_plugin._messages import count_tokens
from langmem_plugin._namespaces import namespace_user, user_namespace
from langmem_plugin._paging import list_all_namespaces, search_all
from langmem_plugin.errors import CorruptRecordError
from langmem_plugin.history._storage import ARCHIVE, HISTORY_LABELS, SessionInfo
from langmem_plugin.knowledge import Entity
from langmem_plugin.memory import Memory
from langmem_plugin.nodes._fact_gate import FACT_KINDS, fact_parts, search_fact_gate
from langmem_plugin.nodes._usage import uncounted
from langmem_plugin.nodes.episodes import EpisodeStore
from langmem_plugin.nodes.profile import FactProposal, ProfileFact, ProfileStore
from langmem_plugin.nodes.recall import is_relevant
from langmem_plugin.nodes.reflection import Lesson
from langmem_plugin.retriever import MemoryRetriever
from langmem_plugin.tasks import Task

__all__ = [
    "SEARCHED_KINDS",
    "AgentView",
    "CategoryHistory",
    "SearchHit",
    "UserPage",
    "UserRow",
    "agent_view",
    "delete_fact",
    "edit_fact",
    "forget_item",
    "list_user_rows",
    "namespace_token",
    "parse_namespace_token",
    "search_memories",
    "user_page",
]

#: The namespaces ``search_memories`` ranks, first label -> section title, in page order.
SEARCHED_KINDS: dict[str, str] = {
    ARCHIVE: "Archived turns",
    "profile": "Profile facts",
    "episodes": "Episodes",
    "episodes_archive": "Archived episodes",
    "memories": "Notes",
    "lessons": "Lessons",
    "tasks": "Tasks",
}
#: What "forget one memory" deletes outright. Profile facts are corrected or deleted as
#: new profile versions instead (their history is the point of a versioned profile).
FORGETTABLE = frozenset({ARCHIVE, "episodes", "episodes_archive", "memories", "lessons", "tasks"})


def _when(value: Any) -> str:
    """A stored time as ``YYYY-MM-DD HH:MM`` (UTC), '' when missing."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value:
        return value[:16].replace("T", " ")
    return ""


def namespace_token(namespace: Sequence[str]) -> str:
    """A namespace as a form field value (JSON, so any label survives the round trip)."""
    return json.dumps(list(namespace), ensure_ascii=False)


def parse_namespace_token(token: str, user_id: str) -> tuple[str, ...]:
    """The namespace of a form field, checked to belong to ``user_id``.

    Raises:
        ValueError: If the field is malformed or names another user.
    """
    try:
        labels = json.loads(token)
    except json.JSONDecodeError as error:
        raise ValueError(f"malformed namespace {token!r}") from error
    if (
        not isinstance(labels, list)
        or len(labels) < 2
        or not all(isinstance(label, str) and label for label in labels)
    ):
        raise ValueError(f"malformed namespace {token!r}")
    if namespace_user(labels) != user_id:
        raise ValueError(f"namespace {labels!r} does not belong to user {user_id!r}")
    return tuple(labels)


# ---------------------------------------------------------------------------- users
@dataclass(frozen=True)
class UserRow:
    """One line of the users page."""

    user_id: str
    facts: int
    episodes: int
    turns: int
    lessons: int
    notes: int
    sessions: int
    last_active: str


def list_user_rows(memory: Memory) -> list[UserRow]:
    """Every user (a namespace's user, or a session owner) with counts, sorted by id.

    Users as ``langmem_plugin._namespaces.namespace_user`` reads them (an agent's lessons
    belong to no user). ``last_active`` is the latest of the user's session activity and
    item updates.
    """
    counts: dict[str, dict[str, int]] = {}
    latest: dict[str, datetime] = {}
    for namespace in list_all_namespaces(memory.store):
        user = namespace_user(namespace)
        if user is None or namespace[0] in HISTORY_LABELS - {ARCHIVE}:
            continue
        items = search_all(memory.store, namespace)
        per_kind = counts.setdefault(user, {})
        per_kind[namespace[0]] = per_kind.get(namespace[0], 0) + len(items)
        for item in items:
            if user not in latest or item.updated_at > latest[user]:
                latest[user] = item.updated_at
    sessions: dict[str, list[SessionInfo]] = {}
    for info in history_storage(memory).list_sessions(None):
        sessions.setdefault(info.user_id, []).append(info)
        if info.user_id not in latest or info.last_active > latest[info.user_id]:
            latest[info.user_id] = info.last_active
    rows = []
    for user in sorted(set(counts) | set(sessions)):
        kinds = counts.get(user, {})
        rows.append(
            UserRow(
                user_id=user,
                facts=kinds.get("profile", 0),
                episodes=kinds.get("episodes", 0) + kinds.get("episodes_archive", 0),
                turns=kinds.get(ARCHIVE, 0),
                lessons=kinds.get("lessons", 0),
                notes=kinds.get("memories", 0),
                sessions=len(sessions.get(user, [])),
                last_active=_when(latest.get(user)),
            )
        )
    return rows


# ---------------------------------------------------------------------------- one user
@dataclass(frozen=True)
class CategoryHistory:
    """Every version of one profile category, newest first."""

    category: str
    versions: list[ProfileFact]


@dataclass
class UserPage:
    """Everything the user page shows."""

    user_id: str
    facts: list[ProfileFact]
    version: int
    history: list[CategoryHistory]
    episodes: list[Item]
    archived_episodes: list[Item]
    lessons: list[Lesson]
    notes: list[SearchItem]
    tasks: list[Task] = field(default_factory=list)
    sessions: list[tuple[SessionInfo, list[SearchItem]]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)


def user_page(memory: Memory, user_id: str) -> UserPage:
    """Read a user's profile (with history), episodes, lessons, notes, tasks and archive."""
    validate_id(user_id, "user_id")
    profiles = ProfileStore(memory.store)
    profile = profiles.current(user_id)
    by_category: dict[str, list[ProfileFact]] = {}
    for fact in profiles.history(user_id):
        by_category.setdefault(fact.category, []).append(fact)
    history = [
        CategoryHistory(category, sorted(facts, key=lambda f: f.version_from, reverse=True))
        for category, facts in sorted(by_category.items())
    ]
    episodes = EpisodeStore(memory.store)
    notes = search_all(memory.store, user_namespace("memories", user_id))
    notes.sort(key=lambda item: str(item.value.get("occurred_at", "")), reverse=True)
    sessions = []
    for info in history_storage(memory).list_sessions(user_id):
        turns = search_all(memory.store, user_namespace(ARCHIVE, user_id, info.session_id))
        turns.sort(key=lambda item: (str(item.value.get("occurred_at", "")), item.value["seq"]))
        sessions.append((info, turns))
    return UserPage(
        user_id=user_id,
        facts=list(profile),
        version=profile.version,
        history=history,
        episodes=episodes.list(user_id),
        archived_episodes=episodes.list(user_id, archived=True),
        lessons=memory.lessons(user_id),
        notes=notes,
        tasks=memory.tasks.list(user_id),
        sessions=sessions,
        entities=[e for e in memory.knowledge.entities(user_id) if not e.is_user],
    )


def edit_fact(memory: Memory, user_id: str, category: str, old: str, new: str) -> int:
    """Correct a fact: the new value supersedes the old one in a new profile version.

    Returns:
        The new profile version.

    Raises:
        ValueError: If the new value is empty or the fact is not current.
    """
    _check_current(memory, user_id, category, old)
    if not new.strip():
        raise ValueError(f"the new value of {category!r} must not be empty")
    proposal = FactProposal(
        action="update", category=category, value=new, replaces=old, confidence=1.0
    )
    change = ProfileStore(memory.store).apply(user_id, [proposal], source="user")
    return change.version


def delete_fact(memory: Memory, user_id: str, category: str, value: str) -> int:
    """Delete a fact: it is closed (kept in the history) in a new profile version.

    Returns:
        The new profile version.
    """
    _check_current(memory, user_id, category, value)
    proposal = FactProposal(action="delete", category=category, value=value)
    return ProfileStore(memory.store).apply(user_id, [proposal], source="user").version


def _check_current(memory: Memory, user_id: str, category: str, value: str) -> None:
    profile = ProfileStore(memory.store).current(validate_id(user_id, "user_id"))
    if value not in profile.get(category):
        raise ValueError(f"{category}: {value!r} is not a current fact of {user_id!r}")


def forget_item(memory: Memory, user_id: str, namespace: tuple[str, ...], key: str) -> bool:
    """Delete one memory of the user (a note, episode, lesson or archived turn).

    Returns:
        Whether it existed.

    Raises:
        ValueError: If the namespace is not one of the user's forgettable namespaces.
    """
    if namespace_user(namespace) != user_id or namespace[0] not in FORGETTABLE:
        raise ValueError(f"cannot forget items of namespace {namespace!r} here")
    try:
        if memory.store.get(namespace, key, refresh_ttl=False) is None:
            return False
    except CorruptRecordError:  # it exists but does not open: deleting it repairs it
        pass
    memory.store.delete(namespace, key)
    return True


# ---------------------------------------------------------------------------- search
@dataclass(frozen=True)
class SearchHit:
    """One ranked memory with where it came from and why it ranked there."""

    kind: str
    namespace: tuple[str, ...]
    key: str
    content: str
    thread: str
    date: str
    score: float
    components: dict[str, float]
    weights: dict[str, float]
    raw: dict[str, float]

    @property
    def relevance(self) -> float | None:
        """The raw similarity to the query: the score shown, the same on every kind.

        None when the memory was not among the nearest vectors (it matched by words only).
        """
        return self.raw.get("similarity")

    @property
    def parts(self) -> list[tuple[str, float, float, float]]:
        """``(component, value, weight, points)``: the points add up to ``score``."""
        return [
            (name, value, self.weights.get(name, 1.0), value * self.weights.get(name, 1.0))
            for name, value in self.components.items()
        ]

    @property
    def forgettable(self) -> bool:
        """Whether "forget" applies (profile facts are edited as versions instead)."""
        return self.kind in FORGETTABLE


def search_memories(
    memory: Memory, user_id: str, query: str, *, k: int = 5
) -> dict[str, list[SearchHit]]:
    """Rank each kind of the user's memories for ``query``; keep what recall would call relevant.

    Each kind is ranked in its own namespace (``("archive", user)`` covers every session)
    by ``MemoryRetriever``, in recall's order. What is *shown* as a hit's score is its raw
    similarity to the query (:attr:`SearchHit.relevance`), not the fused score: the fused
    components are rescaled per query and kind (the best dense and lexical match get 1), so a
    lone lesson unrelated to the query would show full marks. Raw similarity means the
    same on every kind and every query, and it is what recall's gates read. Hits below
    their kind's gate (``Recall.floor``, judged by ``nodes.recall.is_relevant``) are
    dropped, and so are profile facts that do not answer the query
    (``nodes._fact_gate``); the fused points stay visible as the reason for the order
    within a kind.

    Returns:
        Section title -> hits, best first; kinds without a relevant hit are left out.
    """
    validate_id(user_id, "user_id")
    sections: dict[str, list[SearchHit]] = {}
    if not query.strip():
        return sections
    present = {
        ns[0] for ns in list_all_namespaces(memory.store, user_namespace(ARCHIVE, user_id), 2)
    }
    present |= {
        kind
        for kind in SEARCHED_KINDS
        if kind != ARCHIVE
        and memory.store.search(user_namespace(kind, user_id), limit=1, refresh_ttl=False)
    }
    for kind, title in SEARCHED_KINDS.items():
        if kind not in present:
            continue
        retriever = MemoryRetriever(
            store=memory.store, namespace=user_namespace(kind, user_id), k=k
        )
        weights = _component_weights(retriever)
        hits = []
        floor = memory._features.recall.floor(kind)
        facts = search_fact_gate(memory.store, user_id) if kind in FACT_KINDS else None
        for doc in retriever.invoke(query):
            meta = doc.metadata
            if not is_relevant(meta["raw_scores"], floor):
                continue
            parts = fact_parts(meta) if facts else None
            if facts and parts and not facts[0].relevant(query, *parts, subjects=facts[1]):
                continue  # a profile fact must answer the query (nodes._fact_gate)
            hits.append(
                SearchHit(
                    kind=kind,
                    namespace=tuple(meta["namespace"]),
                    key=str(meta["key"]),
                    content=doc.page_content,
                    thread=str(meta.get("thread_id") or meta.get("session_id") or ""),
                    date=_when(meta.get("occurred_at")),
                    score=float(meta["score"]),
                    components=dict(meta["score_components"]),
                    weights=weights,
                    raw=dict(meta["raw_scores"]),
                )
            )
        if hits:
            sections[title] = hits
    return sections


def _component_weights(retriever: MemoryRetriever) -> dict[str, float]:
    """The weight of each score component (``context`` comes weighted already)."""
    w = retriever.weights
    return {
        "dense": w.dense,
        "lexical": w.lexical,
        "context": 1.0,
        "session": w.session,
        "time": w.time,
        "speaker": w.speaker,
        "recency": w.recency,
        "importance": w.importance,
    }


@dataclass(frozen=True)
class AgentView:
    """The recall context the agent would get for a message, and its size."""

    message: str
    context: str
    tokens: int


def agent_view(memory: Memory, user_id: str, message: str) -> AgentView:
    """Exactly what the recall node would inject for ``message``, with its token count.

    The count uses the memory's token counter (``MemoryOptions.token_counter``, the one
    the recall budget is measured with) on the system message the agent would receive.
    A preview: it counts no usage (``nodes._usage.uncounted``).
    """
    with uncounted():
        context = memory.recall_context(validate_id(user_id, "user_id"), message)
    counter = memory._features.options.token_counter
    tokens = count_tokens([SystemMessage(context)], counter) if context else 0
    return AgentView(message=message, context=context, tokens=tokens)

"""``TaskStore``: what the user still has to do and what the agent promised, per user.

Each task is one store item in ``("tasks", user_id)``, keyed by its id, whose value holds the
task and its whole status history::

    {"content": "Renew my passport", "kind": "task", "status": "open",
     "due": "2026-12-04T23:59:59+00:00", "priority": "high", "thread_id": "t1",
     "source": "rules", "source_message_id": "m3", "created_at": ..., "updated_at": ...,
     "history": [{"status": "open", "at": ..., "note": "stated in thread t1"}]}

Why one item per task, history inside: a status change and its history entry are one
``put``, so they can never disagree; forget, export, stats and ``langmem users`` see the
namespace like any other of the user's (its second label is the user id); and the
description is the indexed ``content``, so recall and ``retriever(user, kind="tasks")``
search tasks like any other memory.

The lifecycle (``TRANSITIONS``): a task is ``open`` when created; ``open``,
``in_progress`` and ``blocked`` move freely between themselves and to ``completed`` or
``cancelled``; a finished task (``completed``/``cancelled``) can only be reopened
(``open``). Moving a task to the status it already has is refused too, so every history
entry is a real change. Every refused call changes nothing.
"""

from __future__ import annotations

import builtins
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, get_args

from langgraph.store.base import BaseStore, Item

from langmem_plugin._ids import validate_id
from langmem_plugin._namespaces import namespace_user, user_namespace
from langmem_plugin._paging import search_all
from langmem_plugin._text import analyze
from langmem_plugin.errors import (
    IllegalTransitionError,
    InvalidTaskError,
    TaskNotFoundError,
)
from langmem_plugin.retriever._time import parse_time
from langmem_plugin.tasks._due import parse_due

__all__ = [
    "ACTIVE",
    "PRIORITIES",
    "STATUSES",
    "TASKS",
    "TRANSITIONS",
    "Task",
    "TaskEvent",
    "TaskStore",
]

#: First label of the tasks namespace: ``("tasks", user_id)``.
TASKS = "tasks"

Status = Literal["open", "in_progress", "blocked", "completed", "cancelled"]
Priority = Literal["low", "medium", "high"]
STATUSES: tuple[str, ...] = get_args(Status)
PRIORITIES: tuple[str, ...] = get_args(Priority)
#: Statuses of a task that still has to be done (recalled, listed by ``list_tasks``).
ACTIVE: frozenset[str] = frozenset({"open", "in_progress", "blocked"})

#: Allowed moves: ``TRANSITIONS[old]`` is the set of statuses ``old`` may change to.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "blocked", "completed", "cancelled"}),
    "in_progress": frozenset({"open", "blocked", "completed", "cancelled"}),
    "blocked": frozenset({"open", "in_progress", "completed", "cancelled"}),
    "completed": frozenset({"open"}),
    "cancelled": frozenset({"open"}),
}

#: Two descriptions name the same task when their content words overlap this much
#: (Jaccard of stemmed words): "Renew my passport" and "renew the passport soon" (2/3)
#: match, "Call mom" and "Call dad" (1/3) do not.
SAME_TASK_OVERLAP = 0.6

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class TaskEvent:
    """One status change of a task.

    Attributes:
        status: The status the task moved to (the first event is its creation, ``open``).
        at: When (ISO 8601, UTC).
        note: Why, or what happened (may be None).
    """

    status: str
    at: str
    note: str | None = None


@dataclass(frozen=True)
class Task:
    """A task of one user.

    Attributes:
        id: The task id (the store key).
        user_id: Its owner.
        description: What is to be done.
        status: One of ``STATUSES``.
        due: When it is due (timezone-aware), or None.
        priority: ``"low"``, ``"medium"``, ``"high"`` or None.
        thread_id: The conversation it came from, or None.
        source: Who created it: ``"api"``, ``"agent"`` (a tool call), ``"rules"`` (the
            offline rules) or ``"llm"`` (the session's model call).
        source_message_id: The message it was found in (detected tasks).
        created_at: When it was created (ISO 8601).
        updated_at: When it last changed (ISO 8601).
        history: Every status change, oldest first.
    """

    id: str
    user_id: str
    description: str
    status: str
    due: datetime | None = None
    priority: str | None = None
    thread_id: str | None = None
    source: str = "api"
    source_message_id: str | None = None
    created_at: str = ""
    updated_at: str = ""
    history: tuple[TaskEvent, ...] = field(default_factory=tuple)

    @property
    def is_active(self) -> bool:
        """Whether the task still has to be done (open, in progress or blocked)."""
        return self.status in ACTIVE

    def is_overdue(self, now: datetime | None = None) -> bool:
        """Whether the task is active and its due time has passed."""
        return self.is_active and self.due is not None and self.due < (now or datetime.now(UTC))

    def line(self) -> str:
        """One line for people and models: id, status, due, priority, description."""
        due = f", due {self.due:%Y-%m-%d %H:%M}" if self.due else ""
        prio = f", {self.priority} priority" if self.priority else ""
        return f"[{self.id}] {self.description} ({self.status}{due}{prio})"

    @classmethod
    def from_item(cls, item: Item) -> Task:
        """The task stored in a ``("tasks", user_id)`` item."""
        v = item.value
        return cls(
            id=item.key,
            user_id=namespace_user(item.namespace) or "",
            description=v["content"],
            status=v["status"],
            due=parse_time(v["due"]) if v.get("due") else None,
            priority=v.get("priority"),
            thread_id=v.get("thread_id"),
            source=v.get("source", "api"),
            source_message_id=v.get("source_message_id"),
            created_at=v.get("created_at", ""),
            updated_at=v.get("updated_at", ""),
            history=tuple(TaskEvent(**e) for e in v.get("history", [])),
        )


def _words(text: str) -> frozenset[str]:
    return frozenset(analyze(text))


def same_task(a: str, b: str) -> bool:
    """Whether two descriptions name the same task (see ``SAME_TASK_OVERLAP``)."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return _SPACE.sub(" ", a).strip().lower() == _SPACE.sub(" ", b).strip().lower()
    return len(wa & wb) / len(wa | wb) >= SAME_TASK_OVERLAP


def _check_status(status: object) -> str:
    if status not in STATUSES:
        raise InvalidTaskError(f"status must be one of {', '.join(STATUSES)}; got {status!r}")
    return str(status)


def _check_priority(priority: object) -> str | None:
    if priority is not None and priority not in PRIORITIES:
        raise InvalidTaskError(
            f"priority must be one of {', '.join(PRIORITIES)} or None; got {priority!r}"
        )
    return priority


def _check_description(description: object) -> str:
    if not isinstance(description, str) or not description.strip():
        raise InvalidTaskError(f"description must be a non-empty string, got {description!r}")
    return _SPACE.sub(" ", description).strip()


def _check_due(due: object, now: datetime) -> datetime | None:
    try:
        return parse_due(due, now)
    except ValueError as error:
        raise InvalidTaskError(str(error)) from error


def _user(user_id: object) -> str:
    try:
        return validate_id(user_id)
    except ValueError as error:
        raise InvalidTaskError(str(error)) from error


class TaskStore:
    """Tasks (prospective memory) of every user, in a LangGraph ``BaseStore``.

    ``memory.tasks`` is one. Every method takes the user id first and reads or writes only
    ``("tasks", user_id)``: a task id of another user is unknown here.

    Args:
        store: The store (any ``BaseStore``; indexed on ``"content"`` for recall).

    Example:
        ```python
        task = memory.tasks.add("ada", "Renew my passport", due="next Friday")
        memory.tasks.update("ada", task.id, "completed", note="done at the town hall")
        [e.status for e in memory.tasks.history("ada", task.id)]  # ['open', 'completed']
        ```
    """

    def __init__(self, store: BaseStore) -> None:
        self.store = store

    # ------------------------------------------------------------------ writing
    def add(
        self,
        user_id: str,
        description: str,
        *,
        thread_id: str | None = None,
        due: datetime | date | str | None = None,
        priority: str | None = None,
        source: str = "api",
        source_message_id: str | None = None,
        note: str | None = None,
        now: datetime | None = None,
    ) -> Task:
        """Create an open task.

        Args:
            user_id: The owner.
            description: What is to be done.
            thread_id: The conversation it came from.
            due: A ``datetime``, a ``date`` (its end), an ISO string, or a phrase
                ("by Friday") resolved against ``now``.
            priority: ``"low"``, ``"medium"``, ``"high"`` or None.
            source: Who creates it (``"api"``, ``"agent"``, ``"rules"``, ``"llm"``).
            source_message_id: The message it was found in.
            note: The note of the first history entry.
            now: The creation time, and what a due phrase is relative to (default now).

        Returns:
            The task.

        Raises:
            InvalidTaskError: If an argument is invalid (nothing is written).
        """
        uid = _user(user_id)
        when = now or datetime.now(UTC)
        text = _check_description(description)
        resolved = _check_due(due, when)
        prio = _check_priority(priority)
        if thread_id is not None:
            thread_id = validate_id(thread_id, "thread_id")
        at = when.astimezone(UTC).isoformat() if when.tzinfo else when.isoformat()
        key = uuid.uuid4().hex[:12]
        value: dict[str, Any] = {
            "content": text,
            "kind": "task",
            "status": "open",
            "due": resolved.isoformat() if resolved else None,
            "priority": prio,
            "thread_id": thread_id,
            "source": source,
            "source_message_id": source_message_id,
            "created_at": at,
            "updated_at": at,
            "history": [{"status": "open", "at": at, "note": note}],
        }
        self.store.put(user_namespace(TASKS, uid), key, value)
        return Task.from_item(_item(uid, key, value))

    def propose(
        self,
        user_id: str,
        description: str,
        *,
        due: datetime | date | str | None = None,
        priority: str | None = None,
        thread_id: str | None = None,
        source: str,
        source_message_id: str | None = None,
        now: datetime | None = None,
    ) -> tuple[Task, bool]:
        """Add a task unless the user already has it open (a restated task is one task).

        An active task whose description names the same thing (``same_task``) is kept
        instead; it gains the due date and priority when it had none.

        Returns:
            ``(task, created)``: the new or the existing task, and whether it is new.
        """
        uid = _user(user_id)
        text = _check_description(description)
        when = now or datetime.now(UTC)
        for existing in self.list(uid):
            if existing.is_active and same_task(existing.description, text):
                return self._complete(existing, due, priority, when), False
        task = self.add(
            uid,
            text,
            thread_id=thread_id,
            due=due,
            priority=priority,
            source=source,
            source_message_id=source_message_id,
            note=f"found by {source}" + (f" in thread {thread_id}" if thread_id else ""),
            now=when,
        )
        return task, True

    def _complete(self, task: Task, due: object, priority: str | None, now: datetime) -> Task:
        """Fill the due date and priority of a restated task that lacked them."""
        changes: dict[str, Any] = {}
        if task.due is None and due is not None:
            resolved = _check_due(due, now)
            changes["due"] = resolved.isoformat() if resolved else None
        if task.priority is None and priority is not None:
            changes["priority"] = _check_priority(priority)
        if not changes:
            return task
        item = self._get(task.user_id, task.id)
        value = {**item.value, **changes}
        self.store.put(user_namespace(TASKS, task.user_id), task.id, value)
        return Task.from_item(_item(task.user_id, task.id, value))

    def update(
        self,
        user_id: str,
        task_id: str,
        status: str,
        note: str | None = None,
        *,
        now: datetime | None = None,
    ) -> Task:
        """Move a task to ``status``, recording the change in its history.

        Args:
            user_id: The owner.
            task_id: The task's id.
            status: One of ``STATUSES``, allowed from the current one (``TRANSITIONS``).
            note: Why (kept in the history).
            now: The time of the change (default now).

        Returns:
            The updated task.

        Raises:
            InvalidTaskError: If ``status`` is not a status.
            TaskNotFoundError: If the user has no task ``task_id``.
            IllegalTransitionError: If the move is not allowed.
        """
        uid = _user(user_id)
        new = _check_status(status)
        item = self._get(uid, task_id)
        old = item.value["status"]
        if new not in TRANSITIONS[old]:
            allowed = ", ".join(sorted(TRANSITIONS[old]))
            raise IllegalTransitionError(
                f"task {task_id!r} is {old}; it cannot become {new} (allowed: {allowed})"
            )
        if note is not None and not isinstance(note, str):
            raise InvalidTaskError(f"note must be a string or None, got {note!r}")
        at = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
        value = {
            **item.value,
            "status": new,
            "updated_at": at,
            "history": [*item.value.get("history", []), {"status": new, "at": at, "note": note}],
        }
        self.store.put(user_namespace(TASKS, uid), task_id, value)
        return Task.from_item(_item(uid, task_id, value))

    # ------------------------------------------------------------------ reading
    def _get(self, user_id: str, task_id: str) -> Item:
        if not isinstance(task_id, str) or not task_id:
            raise TaskNotFoundError(f"user {user_id!r} has no task {task_id!r}")
        item = self.store.get(user_namespace(TASKS, user_id), task_id)
        if item is None:
            raise TaskNotFoundError(f"user {user_id!r} has no task {task_id!r}")
        return item

    def get(self, user_id: str, task_id: str) -> Task:
        """One task of the user.

        Raises:
            TaskNotFoundError: If the user has no task ``task_id``.
        """
        return Task.from_item(self._get(_user(user_id), task_id))

    def list(
        self,
        user_id: str,
        status: str | Sequence[str] | None = None,
        due_before: datetime | date | str | None = None,
    ) -> builtins.list[Task]:
        """The user's tasks: due ones first (soonest first), then the rest, oldest first.

        Args:
            user_id: The owner.
            status: Only tasks with this status (or one of these).
            due_before: Only tasks due before this time (a date means its end; a phrase
                like "next Friday" is resolved against now).

        Returns:
            The tasks.

        Raises:
            InvalidTaskError: If a status or ``due_before`` is invalid.
        """
        uid = _user(user_id)
        wanted: set[str] | None = None
        if status is not None:
            wanted = {_check_status(s) for s in ([status] if isinstance(status, str) else status)}
        limit = _check_due(due_before, datetime.now(UTC))
        tasks = [Task.from_item(i) for i in search_all(self.store, user_namespace(TASKS, uid))]
        if wanted is not None:
            tasks = [t for t in tasks if t.status in wanted]
        if limit is not None:
            tasks = [t for t in tasks if t.due is not None and t.due < limit]
        far = datetime.max.replace(tzinfo=UTC)
        tasks.sort(key=lambda t: (t.due is None, t.due or far, t.created_at, t.id))
        return tasks

    def history(self, user_id: str, task_id: str) -> builtins.list[TaskEvent]:
        """Every status change of a task, oldest first (creation included).

        Raises:
            TaskNotFoundError: If the user has no task ``task_id``.
        """
        return list(self.get(user_id, task_id).history)


def _item(user_id: str, key: str, value: dict[str, Any]) -> Item:
    now = datetime.now(UTC)
    return Item(
        value=value,
        key=key,
        namespace=user_namespace(TASKS, user_id),
        created_at=now,
        updated_at=now,
    )

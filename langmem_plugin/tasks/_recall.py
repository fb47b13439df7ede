"""The tasks section of the recall context.

Recall (``nodes.recall``) shows, within its one token budget:

1. every active task that is **overdue** (oldest due first), then every one **due** within
   ``DUE_SOON`` (so "by tonight" is mentioned in the morning), whatever the message is
   about: a reminder nobody asked for is the point of a reminder;
2. then the active tasks **relevant to the message** (raw similarity of the description to
   the message at least ``min_score``), most similar first.

Each line carries the task id, so the agent can close it with ``update_task``. The section
takes at most ``share`` of the recall budget (the rest stays for facts, episodes and turns),
and a line that does not fit is left out (urgent lines are placed first).

Cost: recall searches ``("tasks", user)`` in the same store batch as the other kinds (one
query embedding for all, ``hits``), plus one read of the user's tasks (no embedding).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from langgraph.store.base import BaseStore, Item

from langmem_plugin._namespaces import user_namespace
from langmem_plugin.retriever._retriever import SearchFn
from langmem_plugin.tasks._store import ACTIVE, TASKS, Task, TaskStore

__all__ = ["DUE_SOON", "K_TASKS", "TASKS_TITLE", "TaskContext", "task_context"]

#: A task due within this time from now is shown as due, whatever the message.
DUE_SOON = timedelta(hours=24)
#: Tasks the similarity search returns (finished ones included, so a few more than shown).
K_TASKS = 10
TASKS_TITLE = "The user's open tasks (close one with update_task and its id when it is done):"


@dataclass
class TaskContext:
    """The rendered tasks section and the ids it shows."""

    text: str = ""
    keys: list[str] = field(default_factory=list)


def _when(task: Task, now: datetime) -> str:
    assert task.due is not None
    if task.due < now:
        return f"OVERDUE (was due {task.due:%a %d %b %Y})"
    return f"due {task.due:%a %d %b %Y %H:%M}"


def _line(task: Task, now: datetime, urgent: bool) -> str:
    status = "" if task.status == "open" else f" ({task.status.replace('_', ' ')})"
    prio = f" [{task.priority} priority]" if task.priority else ""
    if urgent:
        lead = _when(task, now) + ": "
    elif task.due is not None:
        lead = f"due {task.due:%a %d %b %Y}: "
    else:
        lead = ""
    return f"- {lead}{task.description}{status}{prio} (task {task.id})"


def task_context(
    store: BaseStore,
    user_id: str,
    query: str,
    *,
    max_tokens: int,
    tokens: Callable[[str], int],
    hits: Sequence[Item] | None = None,
    search: SearchFn | None = None,
    now: datetime | None = None,
    k: int = K_TASKS,
    min_score: float = 0.3,
) -> TaskContext:
    """The tasks section for ``query`` ('' when there is nothing to show).

    Args:
        store: The memory store.
        user_id: Whose tasks.
        query: The latest user message.
        max_tokens: Budget of the section (title included).
        tokens: Token counter of one text.
        hits: The tasks namespace's search hits for ``query`` (with scores), when the
            caller searched it already (recall does, batched); else ``search`` runs.
        search: ``(namespace, query, k) -> items`` with scores; default ``store.search``.
        now: The current time (default now).
        k: How many tasks the similarity search considers.
        min_score: Minimum similarity of a task to the message for it to be relevant.
            0.3: with MiniLM, "Should I water my garden today?" scores 0.55 against
            "Water the plants", while unrelated messages ("What's the weather like?",
            "Tell me a joke") score 0.15 or less against the tasks tried. Relations a
            model infers but the words do not share ("my trip to Japan" and "Renew my
            passport": 0.12) are missed: give such tasks a due date to have them shown.

    Returns:
        The section text (title and lines) and the task ids shown.
    """
    when = now or datetime.now(UTC)
    active = TaskStore(store).list(user_id, status=sorted(ACTIVE))
    if not active:
        return TaskContext()
    urgent = [t for t in active if t.due is not None and t.due <= when + DUE_SOON]
    others = {t.id: t for t in active if t not in urgent}
    relevant: list[Task] = []
    if others and query.strip():
        if hits is None:
            find = search or (lambda ns, q, n: store.search(ns, query=q, limit=n))
            hits = find(user_namespace(TASKS, user_id), query, k)
        for item in hits:
            score = getattr(item, "score", None)
            task = others.pop(item.key, None)
            if task is not None and score is not None and score >= min_score:
                relevant.append(task)
    picked = [(t, True) for t in urgent] + [(t, False) for t in relevant]
    if not picked:
        return TaskContext()
    used = tokens(TASKS_TITLE) + 1
    lines: list[str] = []
    keys: list[str] = []
    for task, is_urgent in picked:
        line = _line(task, when, is_urgent)
        cost = tokens(line) + 1
        if used + cost > max_tokens:
            continue
        used += cost
        lines.append(line)
        keys.append(task.id)
    if not lines:
        return TaskContext()
    return TaskContext("\n".join([TASKS_TITLE, *lines]), keys)

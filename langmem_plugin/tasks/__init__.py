"""Tasks: what the user still has to do and what the agent promised, across sessions.

``memory.tasks`` (a ``TaskStore``) adds, updates, lists and shows the history of a user's
tasks; the agent tools ``add_task``, ``update_task`` and ``list_tasks`` do the same for the
caller's user; recall shows the open tasks relevant to the message and every task due or
overdue; and the deferred pipeline finds new tasks in conversation (offline rules, and the
session's single model call when there is a model).
"""

from langmem_plugin.tasks._detect import TaskProposal, detect_tasks
from langmem_plugin.tasks._due import find_due, parse_due
from langmem_plugin.tasks._store import (
    ACTIVE,
    PRIORITIES,
    STATUSES,
    TASKS,
    TRANSITIONS,
    IllegalTransitionError,
    InvalidTaskError,
    Task,
    TaskError,
    TaskEvent,
    TaskNotFoundError,
    TaskStore,
    same_task,
)

__all__ = [
    "ACTIVE",
    "PRIORITIES",
    "STATUSES",
    "TASKS",
    "TRANSITIONS",
    "IllegalTransitionError",
    "InvalidTaskError",
    "Task",
    "TaskError",
    "TaskEvent",
    "TaskNotFoundError",
    "TaskProposal",
    "TaskStore",
    "detect_tasks",
    "find_due",
    "parse_due",
    "same_task",
]

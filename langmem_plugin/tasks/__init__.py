"""Tasks: what the user still has to do and what the agent promised, across sessions.

``memory.tasks`` (a ``TaskStore``) adds, updates, lists and shows the history of a user's
tasks; the agent tools ``add_task``, ``update_task`` and ``list_tasks`` do the same for the
caller's user; recall shows the open tasks relevant to the message and every task due or
overdue; and the deferred pipeline finds new tasks in conversation (offline rules, and the
session's single model call when there is a model).
"""

from langmem_plugin.tasks._store import PRIORITIES, STATUSES, Task, TaskEvent, TaskStore

__all__ = ["PRIORITIES", "STATUSES", "Task", "TaskEvent", "TaskStore"]

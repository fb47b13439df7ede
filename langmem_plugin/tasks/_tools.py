"""Agent tools over tasks: ``add_task``, ``update_task``, ``list_tasks``.

Like the other memory tools (``langmem_plugin.tools``), they act for the run's user, never
for one the model names: ``owner(runtime)`` resolves it from the run's context or config.
A refused call (unknown id, illegal status change, bad due date) returns the error to the
model as the tool's answer and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, InjectedToolArg, StructuredTool, ToolException
from langgraph.store.base import BaseStore

from langmem_plugin.errors import TaskError
from langmem_plugin.tasks._store import ACTIVE, STATUSES, TaskStore

__all__ = ["create_task_tools"]


def create_task_tools(store: BaseStore, owner: Callable[[Any], str]) -> list[BaseTool]:
    """Build the three task tools.

    Args:
        store: The memory store (tasks live in ``("tasks", user_id)``).
        owner: Resolves the run's user from the injected runtime (raises
            ``ToolException`` without one) after checking that the run's graph uses
            ``store`` (``StoreMismatchError`` otherwise, see ``langmem_plugin.tools``).

    Returns:
        ``[add_task, update_task, list_tasks]``.
    """
    tasks = TaskStore(store)

    def add_task(
        description: str,
        due: str | None = None,
        priority: str | None = None,
        runtime: Annotated[ToolRuntime | None, InjectedToolArg] = None,
    ) -> str:
        """Track a task for the current user: something to remind them of, or to do for them.

        Args:
            description: What is to be done, short and self-contained ("Renew my passport").
            due: When it is due: YYYY-MM-DD, or words like "next Friday"; omit if none.
            priority: "low", "medium" or "high"; omit if the user did not say.
            runtime: Injected by LangGraph (gives the user); not shown to the model.
        """
        uid = owner(runtime)
        thread = (getattr(runtime, "config", None) or {}).get("configurable", {}).get("thread_id")
        try:
            task, created = tasks.propose(
                uid,
                description,
                due=due,
                priority=priority,
                thread_id=str(thread) if thread is not None else None,
                source="agent",
            )
        except TaskError as error:
            raise ToolException(str(error)) from error
        return f"{'Added' if created else 'Already tracked'}: {task.line()}"

    def update_task(
        task_id: str,
        status: str,
        note: str | None = None,
        runtime: Annotated[ToolRuntime | None, InjectedToolArg] = None,
    ) -> str:
        """Change the status of one of the current user's tasks.

        Args:
            task_id: The task id shown by list_tasks or in the memory context.
            status: One of open, in_progress, blocked, completed, cancelled.
            note: Why, or what happened (kept in the task's history).
            runtime: Injected by LangGraph (gives the user); not shown to the model.
        """
        uid = owner(runtime)
        try:
            task = tasks.update(uid, task_id, status, note)
        except TaskError as error:
            raise ToolException(str(error)) from error
        return f"Updated: {task.line()}"

    def list_tasks(
        status: str | None = None,
        runtime: Annotated[ToolRuntime | None, InjectedToolArg] = None,
    ) -> str:
        """List the current user's tasks, due ones first.

        Args:
            status: Only this status (open, in_progress, blocked, completed, cancelled);
                by default the tasks still to do (open, in_progress, blocked).
            runtime: Injected by LangGraph (gives the user); not shown to the model.
        """
        uid = owner(runtime)
        try:
            found = tasks.list(uid, status=status or sorted(ACTIVE))
        except TaskError as error:
            raise ToolException(f"{error} (statuses: {', '.join(STATUSES)})") from error
        return "\n".join(t.line() for t in found) or "No tasks."

    return [
        StructuredTool.from_function(fn, handle_tool_error=True, parse_docstring=True)
        for fn in (add_task, update_task, list_tasks)
    ]

"""Tasks in the deferred pipeline: the model's section and how proposals are stored.

The session's single structured call (``nodes._session.SessionExtraction``) has a
``tasks`` section (``TaskDraft`` items) whenever the run holds a user turn; the offline
rules (``tasks._detect``) run on every run too, with or without a model, because they are
cheap and precise on explicit requests ("remind me to ...") a model may skip. Both kinds of
proposals go through ``TaskStore.propose``: stored open, marked with their source
(``"llm"`` or ``"rules"``), and never twice: a task restated in a later session, or
found by both the model and the rules, stays one task.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from langchain_core.messages import BaseMessage
from langgraph.store.base import BaseStore
from pydantic import BaseModel, Field

from langmem_plugin.errors import TaskError
from langmem_plugin.nodes._context import Scope
from langmem_plugin.tasks._detect import detect_tasks
from langmem_plugin.tasks._due import parse_due
from langmem_plugin.tasks._store import TaskStore

__all__ = ["TASKS_FIELD", "TaskDraft", "propose_tasks", "tasks_section"]

logger = logging.getLogger(__name__)

TASKS_FIELD = "tasks the user asked to be reminded of or committed to"

_TASKS_SECTION = """tasks: list what the user asked to be reminded of or committed to do
("remind me to ...", "I need to ... by Friday", "don't let me forget ..."), and what the
assistant promised to do for the user. One short imperative description each ("Renew my
passport"); a due date only when one was said, as an ISO date (YYYY-MM-DD) resolved
against the conversation time, {time}; the id of the message. Propose nothing when there
is no such task."""


class TaskDraft(BaseModel):
    """A task the model found in the conversation."""

    description: str = Field(description="what is to be done, short and imperative")
    due: str | None = Field(
        default=None, description="due date as YYYY-MM-DD (or the user's words), or null"
    )
    priority: Literal["low", "medium", "high"] | None = Field(
        default=None, description="only when the user said how important it is"
    )
    message_id: str | None = Field(default=None, description="the id of the message")


def tasks_section(said_at: datetime) -> str:
    """The tasks section of the session prompt, with the time due dates are relative to."""
    return _TASKS_SECTION.format(time=f"{said_at:%A %Y-%m-%d %H:%M %Z}".rstrip())


def propose_tasks(
    store: BaseStore,
    scope: Scope,
    messages: Sequence[BaseMessage],
    drafts: Sequence[TaskDraft],
    source: str,
    said_at: datetime,
) -> list[str]:
    """Store the run's tasks: the model's drafts, then the rules' proposals.

    Args:
        store: The memory store (tasks go to ``("tasks", user_id)``).
        scope: Whose conversation.
        messages: The run's messages (the rules read the user's).
        drafts: The model's tasks (empty without a model).
        source: Who wrote ``drafts`` (``"llm"``).
        said_at: When the messages were said (due phrases are relative to it).

    Returns:
        The ids of the tasks found (new, or already open and restated), without repeats.
    """
    tasks = TaskStore(store)
    found: list[str] = []

    def keep(description: str, due: object, priority: str | None, mid: str | None, by: str) -> None:
        try:
            task, _ = tasks.propose(
                scope.user_id,
                description,
                due=due,  # type: ignore[arg-type]
                priority=priority,
                thread_id=scope.thread_id,
                source=by,
                source_message_id=mid,
                now=said_at,
            )
        except TaskError as error:  # a malformed proposal is dropped, never the run
            logger.warning("langmem tasks: proposal %r dropped: %s", description, error)
            return
        if task.id not in found:
            found.append(task.id)

    for draft in drafts:
        due: object = draft.due
        if due is not None:
            try:
                due = parse_due(due, said_at)
            except ValueError:
                due = None  # a due date the model wrote badly: keep the task without one
        keep(draft.description, due, draft.priority, draft.message_id, source)
    for proposal in detect_tasks(messages, said_at):
        keep(proposal.description, proposal.due, proposal.priority, proposal.message_id, "rules")
    return found

"""Reflection: lessons from failed tasks (procedural memory).

A failure is a tool error (a ``ToolMessage`` with ``status="error"``), an exception the
agent caught, or negative user feedback ("that's wrong", "it didn't work"). For each, a
lesson is written under the run's lesson namespace (``Scope.lesson_namespace``): the
agent's ``("agent_lessons", agent_id)`` when the run has an ``agent_id`` (shared by the
agent's users, never a user's: see ``langmem_plugin._namespaces``), else the user's
``("lessons", user_id)``. A lesson is keyed by a *task signature*
(the tool plus the task's keywords), so the same mistake on the same kind of task updates
one lesson instead of piling up copies. ``content`` holds the task and the lesson, so the
store's index recalls it for similar tasks. A lesson that was recalled for a task that then
succeeded is reinforced: its ``weight`` grows and recall ranks it higher.

Offline, the lesson stores the task and the raw error (``source="rules"``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.store.base import BaseStore
from pydantic import BaseModel, Field

from langmem_plugin._paging import search_all
from langmem_plugin._text import keywords

__all__ = ["Failure", "Lesson", "LessonDraft", "LessonStore", "find_failures", "task_signature"]

_NEGATIVE_FEEDBACK = re.compile(
    r"\b(that'?s (?:wrong|incorrect|not right|not what i (?:asked|wanted))|(?:it |that )?"
    r"(?:didn'?t|doesn'?t|did not|does not) work|you (?:made a mistake|got it wrong)|"
    r"wrong answer|that failed|this is wrong)\b",
    re.IGNORECASE,
)


class LessonDraft(BaseModel):
    """A lesson's text: an item of the pipeline's ``lessons`` section, or ``reflect_on``'s."""

    what_went_wrong: str = Field(description="the cause of the failure, one sentence")
    what_to_do_instead: str = Field(description="what to do next time, one imperative sentence")


@dataclass
class Failure:
    """A failed task found in a conversation."""

    kind: str
    task: str
    error: str
    tool: str | None = None
    message_ids: list[str] = field(default_factory=list)

    @property
    def signature(self) -> str:
        """The task signature the lesson is keyed by."""
        return task_signature(self.task, self.tool)


class Lesson(BaseModel):
    """A stored lesson."""

    signature: str
    task: str
    tool: str | None = None
    failure_kind: str
    error: str
    what_went_wrong: str
    what_to_do_instead: str
    weight: float = 1.0
    occurrences: int = 1
    helped: int = 0
    created_at: str
    updated_at: str
    source: str = "rules"
    importance: float = 0.7

    @property
    def key(self) -> str:
        """The item key (a hash of the signature)."""
        return lesson_key(self.signature)

    def to_value(self) -> dict[str, Any]:
        """The store value, with ``content`` for the index."""
        tool = f" with tool {self.tool}" if self.tool else ""
        content = (
            f"Task: {self.task}{tool}. Went wrong: {self.what_went_wrong} "
            f"Instead: {self.what_to_do_instead}"
        )
        return {**self.model_dump(), "content": content, "occurred_at": self.updated_at}


def task_signature(task: str, tool: str | None = None) -> str:
    """``"<tool or task>:<sorted keywords>"``; similar wording gives the same signature."""
    words = sorted(keywords(task, 6))
    return f"{tool or 'task'}:{' '.join(words) or task.strip().lower()[:60]}"


def lesson_key(signature: str) -> str:
    """The item key of a lesson."""
    return hashlib.sha1(signature.encode()).hexdigest()[:16]


def _task_before(messages: Sequence[BaseMessage], index: int) -> str:
    for message in reversed(messages[:index]):
        if isinstance(message, HumanMessage) and not _NEGATIVE_FEEDBACK.search(message.text):
            return message.text
    return ""


def find_failures(messages: Sequence[BaseMessage]) -> list[Failure]:
    """Find tool errors and negative feedback, each with the task it belongs to."""
    messages = list(messages)
    failures: list[Failure] = []
    for index, message in enumerate(messages):
        if isinstance(message, ToolMessage) and (
            message.status == "error" or message.text.startswith("Error")
        ):
            failures.append(
                Failure(
                    kind="tool_error",
                    task=_task_before(messages, index),
                    error=message.text[:500],
                    tool=message.name,
                    message_ids=[m for m in [message.id] if m],
                )
            )
        elif (
            isinstance(message, HumanMessage)
            and index > 0
            and isinstance(messages[index - 1], AIMessage)
            and _NEGATIVE_FEEDBACK.search(message.text)
        ):
            failures.append(
                Failure(
                    kind="negative_feedback",
                    task=_task_before(messages, index),
                    error=f"user feedback: {message.text[:300]}",
                    message_ids=[m for m in [messages[index - 1].id, message.id] if m],
                )
            )
    return failures


def offline_draft(failure: Failure) -> LessonDraft:
    """A rule-based lesson: the raw error, and a generic instruction."""
    what = f"{failure.tool} failed" if failure.tool else "The answer was rejected"
    return LessonDraft(
        what_went_wrong=f"{what}: {failure.error}",
        what_to_do_instead=(
            f"Check the arguments of {failure.tool} against this error before calling it again."
            if failure.tool
            else "Re-read the request and verify the answer before replying."
        ),
    )


class LessonStore:
    """Reads, writes and reinforces lessons on any ``BaseStore``.

    Each method takes the lessons' namespace (``Scope.lesson_namespace``).
    """

    def __init__(self, store: BaseStore) -> None:
        self.store = store

    def write(
        self, ns: tuple[str, ...], failure: Failure, draft: LessonDraft, *, source: str
    ) -> Lesson:
        """Store (or update) the lesson for a failure's task signature."""
        now = datetime.now(UTC).isoformat()
        key = lesson_key(failure.signature)
        old = self.store.get(ns, key)
        lesson = Lesson(
            signature=failure.signature,
            task=failure.task,
            tool=failure.tool,
            failure_kind=failure.kind,
            error=failure.error,
            what_went_wrong=draft.what_went_wrong,
            what_to_do_instead=draft.what_to_do_instead,
            created_at=old.value["created_at"] if old else now,
            updated_at=now,
            source=source,
            weight=old.value["weight"] if old else 1.0,
            occurrences=old.value["occurrences"] + 1 if old else 1,
            helped=old.value["helped"] if old else 0,
        )
        self.store.put(ns, key, lesson.to_value())
        return lesson

    def reinforce(self, ns: tuple[str, ...], key: str) -> float | None:
        """Record that a recalled lesson helped; returns the new weight (None if gone)."""
        item = self.store.get(ns, key)
        if item is None:
            return None
        value = dict(item.value)
        value["helped"] = value.get("helped", 0) + 1
        value["weight"] = value.get("weight", 1.0) + 1.0
        self.store.put(ns, key, value)
        return float(value["weight"])

    def list(self, ns: tuple[str, ...]) -> list[Lesson]:
        """All lessons, heaviest first."""
        items = search_all(self.store, ns)
        lessons = [Lesson.model_validate(i.value) for i in items]
        return sorted(lessons, key=lambda lesson: (-lesson.weight, lesson.signature))

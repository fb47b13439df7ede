"""The deferred memory pipeline: episode, profile and lessons from finished turns.

Nodes and middleware only *observe* turns (no model call on the hot path). Observed
messages are buffered per thread; every ``every_n_turns`` user turns a run is scheduled
(debounced: a new turn reschedules it), an explicit ``end_session`` or ``flush`` runs it
at once, and optionally ``idle_seconds`` without a new turn ends the session. One run
costs at most one model call for the episode summary, one for profile extraction and one
per distinct failed task (reflection), each retried once on malformed output or error;
without a model, the offline rules do the same work (``source="rules"``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.store.base import BaseStore
from pydantic import BaseModel

from langmem_plugin.nodes import _offline
from langmem_plugin.nodes._context import Scope
from langmem_plugin.nodes._scheduler import LLMCallCounter, Scheduler
from langmem_plugin.nodes.episodes import Episode, EpisodeStore, EpisodeSummary, summarize_offline
from langmem_plugin.nodes.profile import (
    FactProposal,
    ProfileChange,
    ProfileExtraction,
    ProfileStore,
)
from langmem_plugin.nodes.reflection import (
    Failure,
    LessonDraft,
    LessonStore,
    find_failures,
    offline_draft,
)

__all__ = ["MemoryPipeline", "PipelineOptions", "RunReport"]

logger = logging.getLogger(__name__)
S = TypeVar("S", bound=BaseModel)

PROFILE_PROMPT = """You maintain a profile of facts about the user from a conversation.
Given the current profile and the new messages, propose changes: "add" new facts, "update"
facts the user changed or corrected (e.g. "actually I moved to Berlin" updates location),
"delete" facts the user retracted. Categories: name, role, employer, location, likes,
dislikes, preferences, tools, languages, projects, relationships, or another short noun.
Only facts the USER states about themselves; cite the ids of the messages. Propose nothing
when nothing new was said."""

EPISODE_PROMPT = """Summarise this conversation as an episode for long-term memory: what
the user wanted, what happened, outcomes and open points, in 1-3 sentences with names.
Give up to 5 topics, an importance from 0 (small talk) to 1 (vital), and the user's tone."""

REFLECTION_PROMPT = """A task failed. Write a lesson for next time: what went wrong (the
cause, one sentence) and what to do instead (one imperative sentence)."""


@dataclass
class PipelineOptions:
    """Tuning of the deferred pipeline.

    Attributes:
        every_n_turns: Schedule a run after this many buffered user turns.
        debounce_seconds: Delay of a scheduled run; a new turn restarts it.
        idle_seconds: End a session after this long without a turn (None: never).
        mode: ``"background"`` (worker thread) or ``"inline"`` (in the node).
        llm_timeout: Seconds to wait for one model call before treating it as failed.
        profile_schema: Structured-output schema for extraction (extend ``ProfileExtraction``).
        episodes: Write an episode per run.
        profile: Extract the profile per run.
        reflection: Write lessons for failures per run.
        consolidate: After writing an episode, merge it with a near-duplicate and archive
            decayed episodes (``EpisodeStore.consolidate``).
    """

    every_n_turns: int = 10
    debounce_seconds: float = 2.0
    idle_seconds: float | None = None
    mode: str = "background"
    llm_timeout: float = 60.0
    profile_schema: type[ProfileExtraction] = ProfileExtraction
    episodes: bool = True
    profile: bool = True
    reflection: bool = True
    consolidate: bool = True


@dataclass
class RunReport:
    """What one pipeline run wrote."""

    episode_key: str | None = None
    profile: ProfileChange | None = None
    lessons: list[str] = field(default_factory=list)
    reinforced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Buffer:
    scope: Scope
    messages: list[BaseMessage] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    turns: int = 0
    recalled_lessons: set[str] = field(default_factory=set)
    started_at: datetime | None = None
    ended_at: datetime | None = None


def _buffer_key(scope: Scope) -> str:
    """Buffers are per user and thread: two users never share one."""
    return f"{scope.user_id}/{scope.thread_id or '-'}"


def _transcript(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(f"[id={m.id}] {m.type}: {m.text}" for m in messages if m.text)


class MemoryPipeline:
    """Buffers observed turns and turns them into episodes, profile facts and lessons.

    Args:
        store: The memory store.
        llm: The chat model, or ``None`` for the offline rules.
        options: Scheduling and schema options.
    """

    def __init__(
        self, store: BaseStore, llm: BaseChatModel | None, options: PipelineOptions
    ) -> None:
        self.store, self.llm, self.options = store, llm, options
        self.profiles = ProfileStore(store)
        self.episodes = EpisodeStore(store)
        self.lessons = LessonStore(store)
        self.counter = LLMCallCounter()
        self.scheduler = Scheduler(options.mode)  # type: ignore[arg-type]
        self._buffers: dict[str, _Buffer] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="langmem-llm")

    # ----- hot path -------------------------------------------------------------------
    def observe(self, scope: Scope, messages: Sequence[BaseMessage]) -> None:
        """Buffer the new messages of a thread and (re)schedule its run. No model call.

        A run is scheduled (``debounce_seconds`` later, replacing a pending one) once
        ``every_n_turns`` user turns are buffered, or when the new messages hold a failure
        (so that its lesson is written soon).
        """
        new: list[BaseMessage] = []
        thread = _buffer_key(scope)
        now = datetime.now(UTC)
        with self._lock:
            buf = self._buffers.setdefault(thread, _Buffer(scope))
            # ids no longer in the state cannot come back: forgetting them bounds `seen`
            buf.seen &= {m.id for m in messages if m.id}
            for message in messages:
                mid = message.id or f"obj-{id(message)}"
                if mid in buf.seen or isinstance(message, SystemMessage):
                    continue
                buf.seen.add(mid)
                buf.messages.append(message)
                new.append(message)
                buf.started_at = buf.started_at or now
                buf.ended_at = now
                if isinstance(message, HumanMessage):
                    buf.turns += 1
            turns = buf.turns
        if turns >= self.options.every_n_turns or (
            self.options.reflection and new and find_failures(new)
        ):
            self.scheduler.schedule(
                thread, lambda: self._run_thread(thread), self.options.debounce_seconds
            )
        elif self.options.idle_seconds is not None and self.scheduler.mode == "background":
            self.scheduler.schedule(
                thread, lambda: self._run_thread(thread), self.options.idle_seconds
            )

    def note_recalled(self, scope: Scope, lesson_keys: Sequence[str]) -> None:
        """Remember which lessons recall injected (reinforced if the task then succeeds)."""
        if not lesson_keys:
            return
        thread = _buffer_key(scope)
        with self._lock:
            buf = self._buffers.setdefault(thread, _Buffer(scope))
            buf.recalled_lessons.update(lesson_keys)

    def end_session(self, thread_id: str) -> None:
        """Process a thread's buffered turns now (in the caller), for every user in it."""
        with self._lock:
            keys = [k for k, b in self._buffers.items() if b.scope.thread_id == thread_id]
        for key in keys:
            self.scheduler.cancel(key)
            self._run_thread(key)

    def flush(self) -> None:
        """Process every buffered thread and wait for background work."""
        with self._lock:
            threads = [t for t, b in self._buffers.items() if b.messages or b.recalled_lessons]
        for thread in threads:
            self.scheduler.schedule(thread, lambda t=thread: self._run_thread(t), 0.0)  # type: ignore[misc]
        self.scheduler.flush()

    def _run_thread(self, thread: str) -> None:
        with self._lock:
            buf = self._buffers.get(thread)
            if buf is None or not (buf.messages or buf.recalled_lessons):
                return
            messages, recalled = buf.messages, set(buf.recalled_lessons)
            started, ended = buf.started_at, buf.ended_at
            buf.messages, buf.turns, buf.recalled_lessons = [], 0, set()
            buf.started_at = buf.ended_at = None
            scope = buf.scope
        self.process(scope, messages, recalled_lessons=recalled, started_at=started, ended_at=ended)

    # ----- the work ---------------------------------------------------------------------
    def _structured(self, schema: type[S], system: str, content: str, purpose: str) -> S | None:
        """One structured call with one retry; None (and a warning) when both fail."""
        assert self.llm is not None
        runnable = self.llm.with_structured_output(schema)
        config: RunnableConfig = {"callbacks": [self.counter], "tags": [f"langmem:{purpose}"]}
        prompt = [SystemMessage(system), HumanMessage(content)]
        for attempt in (1, 2):
            try:
                future = self._executor.submit(runnable.invoke, prompt, config)
                result = future.result(timeout=self.options.llm_timeout)
                return result if isinstance(result, schema) else schema.model_validate(result)
            except FutureTimeout:
                error: Exception = TimeoutError(f"no answer in {self.options.llm_timeout}s")
            except Exception as exc:
                error = exc
            logger.warning("langmem %s: model attempt %d failed: %s", purpose, attempt, error)
        logger.warning("langmem %s: skipped after 2 failed attempts; nothing written", purpose)
        return None

    def process(
        self,
        scope: Scope,
        messages: Sequence[BaseMessage],
        *,
        recalled_lessons: Iterable[str] = (),
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
    ) -> RunReport:
        """Write the episode, profile changes and lessons for ``messages`` (synchronously)."""
        report = RunReport()
        messages = [m for m in messages if not isinstance(m, SystemMessage)]
        if not messages:
            return report
        ended = ended_at or datetime.now(UTC)
        started = started_at or ended
        opts = self.options
        if opts.episodes:
            self._episode(scope, messages, started, ended, report)
        if opts.profile:
            self._profile(scope, messages, ended, report)
        if opts.reflection:
            self._reflect(scope, messages, recalled_lessons, report)
        return report

    def _episode(
        self,
        scope: Scope,
        messages: Sequence[BaseMessage],
        started: datetime,
        ended: datetime,
        report: RunReport,
    ) -> None:
        if self.llm is None:
            summary: EpisodeSummary | None = summarize_offline(messages)
            source = "rules"
        else:
            summary = self._structured(
                EpisodeSummary, EPISODE_PROMPT, _transcript(messages), "episode"
            )
            source = "llm"
        if summary is None or not summary.summary.strip():
            report.skipped.append("episode")
            return
        episode = Episode(
            **summary.model_dump(),
            started_at=started.isoformat(),
            ended_at=ended.isoformat(),
            thread_id=scope.thread_id,
            message_ids=[m.id for m in messages if m.id],
            source=source,
        )
        report.episode_key = self.episodes.write(scope.user_id, episode)
        if self.options.consolidate:
            self.episodes.consolidate(scope.user_id, keys={report.episode_key})

    def _profile(
        self, scope: Scope, messages: Sequence[BaseMessage], at: datetime, report: RunReport
    ) -> None:
        if not any(isinstance(m, HumanMessage) for m in messages):
            return
        if self.llm is None:
            proposals: list[FactProposal] = [
                FactProposal(
                    action="delete"
                    if f.action == "delete"
                    else "update"
                    if f.correction
                    else "add",
                    category=f.category,
                    value=f.value,
                    confidence=f.confidence,
                    source_message_ids=[f.message_id] if f.message_id else [],
                )
                for f in _offline.extract_facts(messages)
            ]
            source = "rules"
        else:
            current = self.profiles.current(scope.user_id)
            content = (
                f"Current profile:\n{current.render(with_details=False) or '(empty)'}\n\n"
                f"New messages:\n{_transcript(messages)}"
            )
            extraction = self._structured(
                self.options.profile_schema, PROFILE_PROMPT, content, "profile"
            )
            if extraction is None:
                report.skipped.append("profile")
                return
            proposals = list(extraction.facts)
            source = "llm"
        if proposals:
            report.profile = self.profiles.apply(
                scope.user_id, proposals, source=source, at=at, thread_id=scope.thread_id
            )

    def _reflect(
        self,
        scope: Scope,
        messages: Sequence[BaseMessage],
        recalled: Iterable[str],
        report: RunReport,
    ) -> None:
        failures: dict[str, Failure] = {}
        for failure in find_failures(messages):
            failures.setdefault(failure.signature, failure)
        for failure in failures.values():
            self.write_lesson(scope, failure, report)
        if not failures:
            for key in recalled:
                if self.lessons.reinforce(scope.lesson_owner, key) is not None:
                    report.reinforced.append(key)

    def write_lesson(
        self, scope: Scope, failure: Failure, report: RunReport | None = None
    ) -> str | None:
        """Write the lesson for one failure (model or rules); returns its key."""
        if self.llm is None:
            draft: LessonDraft | None = offline_draft(failure)
            source = "rules"
        else:
            content = (
                f"Task: {failure.task}\nTool: {failure.tool or '-'}\n"
                f"Failure ({failure.kind}): {failure.error}"
            )
            draft = self._structured(LessonDraft, REFLECTION_PROMPT, content, "reflection")
            source = "llm"
        if draft is None:
            if report:
                report.skipped.append(f"lesson:{failure.signature}")
            return None
        lesson = self.lessons.write(scope.lesson_owner, failure, draft, source=source)
        if report:
            report.lessons.append(lesson.key)
        return lesson.key

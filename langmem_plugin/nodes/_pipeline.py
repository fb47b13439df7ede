"""The deferred memory pipeline: episode, profile and lessons from finished turns.

Nodes and middleware only *observe* turns (no model call on the hot path). Observed
messages are buffered per thread; every ``every_n_turns`` user turns a run is scheduled
(debounced: a new turn reschedules it), an explicit ``end_session`` or ``flush`` runs it
at once, and optionally ``idle_seconds`` without a new turn ends the session.

Cost: **one model call per run** (purpose ``"session"`` in ``memory.llm_calls``). The
episode summary, the profile changes and one lesson per distinct failed task are asked for
together, in one structured answer (``SessionExtraction``), because the three read the same
transcript: asking three times sends the transcript three times and pays three round trips,
where one call sends it once. A session batched into one run therefore costs one call, so
40 turns in 3 sessions cost 3 calls, where separate calls cost 7 (3 episodes, 3 profiles,
1 lesson). Only the parts a run needs are asked for (no profile section without a user
turn, no lessons without a failure), and a run that needs none makes no call.
Tasks the user asked for ride along in that call (``tasks``) and are found by the offline
rules in every run (``langmem_plugin.tasks._pipeline``); they never cause a call alone.

The call is retried once on malformed output, an error or a timeout (``llm_timeout``). If
it fails twice, the offline rules do that run's work instead (``source="rules"``), so the
turns are never lost to a flaky model; a failed task the model wrote no lesson for gets the
rules' lesson. Without a model, the offline rules are the whole path. ``write_lesson`` (a
lesson on explicit request, outside a session: ``memory.reflect_on``) makes its own single
call (purpose ``"reflection"``).

Budget: with ``session_token_budget``, the tokens each session's calls report are added up
(per user and thread, in this process), and a run of a session that has spent its budget
makes no call: the offline rules write it, as after a failed call, and the run says so
(``RunReport.budget_exhausted``, an audit event ``budget_exhausted`` on
``("sessions", user)`` / thread with the budget and the tokens spent and no content, the
``langmem_pipeline_budget_exhausted_total`` metric and a warning in the log).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langgraph.store.base import BaseStore
from pydantic import BaseModel

from langmem_plugin._audit import audit_source, log_of
from langmem_plugin._namespaces import user_namespace
from langmem_plugin._redact import redact_messages
from langmem_plugin._sentiment import session_sentiment, user_texts
from langmem_plugin._tracing import run_attributes, span
from langmem_plugin.knowledge._model import KnowledgeChange, KnowledgeExtraction
from langmem_plugin.knowledge._pipeline import KNOWLEDGE_SECTION, record_knowledge
from langmem_plugin.nodes import _rules
from langmem_plugin.nodes._consolidate import after_run
from langmem_plugin.nodes._context import Scope
from langmem_plugin.nodes._scheduler import LLMCallCounter, Scheduler
from langmem_plugin.nodes._session import (
    EPISODE_SECTION,
    LESSONS_SECTION,
    PROFILE_SECTION,
    REFLECTION_PROMPT,
    SESSION_PROMPT,
    session_schema,
)
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
from langmem_plugin.tasks._pipeline import TaskDraft, propose_tasks, tasks_section

__all__ = ["MemoryPipeline", "PipelineOptions", "RunReport"]

logger = logging.getLogger(__name__)
S = TypeVar("S", bound=BaseModel)


@dataclass
class PipelineOptions:
    """Tuning of the deferred pipeline.

    Attributes:
        every_n_turns: Schedule a run after this many buffered user turns.
        debounce_seconds: Delay of a scheduled run; a new turn restarts it.
        idle_seconds: End a session after this long without a turn (None: never).
        mode: ``"background"`` (worker thread) or ``"inline"`` (in the node).
        llm_timeout: Seconds to wait for one model call before treating it as failed.
        profile_schema: Schema of the ``profile`` section of the run's call (extend
            ``ProfileExtraction`` to ask for more per fact; extra fields are kept).
        episodes: Write an episode per run.
        profile: Extract the profile per run.
        reflection: Write lessons for failures per run.
        tasks: Find tasks the user asked for or committed to per run (offline rules, and
            the run's model call); stored open with ``source`` ``"rules"`` or ``"llm"``.
        consolidate: After writing an episode, merge it with a near-duplicate and archive
            decayed episodes (``EpisodeStore.consolidate``); merge new profile facts with
            near-duplicates (``nodes._consolidate``). No model call.
        session_token_budget: Tokens (input and output, as the model reports them) the
            pipeline's model calls may spend on one session (a user's thread) in this
            process; once spent, that session's further runs use the offline rules
            (``source="rules"``, ``RunReport.budget_exhausted``). A call is never cut
            short, so the last one may end past the budget. None (the default): no limit,
            since a session's cost is already one call per run.
        knowledge: Find entities and relations per run (``langmem_plugin.knowledge``):
            a section of the run's one call, or the offline rules.
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
    tasks: bool = True
    consolidate: bool = True
    session_token_budget: int | None = None
    knowledge: bool = True


@dataclass
class RunReport:
    """What one pipeline run wrote.

    ``source`` is ``"rules"`` when no model is configured, when the model failed twice,
    or when the session's token budget was spent, and the offline rules stood in for it.
    """

    episode_key: str | None = None
    profile: ProfileChange | None = None
    lessons: list[str] = field(default_factory=list)
    reinforced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    """Ids of the tasks found in the run (new ones, and open ones restated)."""
    source: str | None = None
    """``"llm"`` or ``"rules"``: what did the run's work (None when there was nothing)."""
    tokens: int = 0
    """Tokens (input and output) the run's model calls reported; 0 for the rules."""
    budget_exhausted: bool = False
    """The session's token budget was spent before this run, so the rules did its work."""
    knowledge: KnowledgeChange | None = None
    """Entities, relations and mentions the run stored."""


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
    """Buffers are per user, thread and persona: two of them never share one.

    The ids are joined with NUL, which no id holds (``_ids.validate_id``), so the key is
    injective (``"a/b" + "c"`` and ``"a" + "b/c"`` are two keys).
    """
    parts = [scope.user_id, scope.thread_id or "-"]
    if scope.persona_id is not None:
        parts.append(scope.persona_id)
    return "\x00".join(parts)


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
        self.on_run: Callable[[RunReport], None] | None = None
        """Called with every run's report (the memory's metrics, when on)."""
        self.scheduler = Scheduler(options.mode)  # type: ignore[arg-type]
        self._buffers: dict[str, _Buffer] = {}
        self._spent: dict[str, int] = {}  # tokens per session (buffer key), this process
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
    def _structured(
        self,
        schema: type[S],
        system: str,
        content: str,
        purpose: str,
        usage: LLMCallCounter | None = None,
    ) -> S | None:
        """One structured call, retried once (``Runnable.with_retry``); None when both fail.

        Each attempt is bounded by ``llm_timeout`` (the call runs on the pipeline's
        executor) and its answer validated against ``schema``; a failed attempt logs a
        warning. The retry is immediate: a second try right away is what rescues a
        malformed answer, and the pipeline runs in the background anyway. ``usage``, when
        given, counts this call's attempts and tokens too (one run's share).
        """
        assert self.llm is not None
        model = self.llm.with_structured_output(schema)
        handlers: list[BaseCallbackHandler] = (
            [self.counter] if usage is None else [self.counter, usage]
        )
        config: RunnableConfig = {"callbacks": handlers, "tags": [f"langmem:{purpose}"]}
        timeout = self.options.llm_timeout

        def attempt(prompt: list[BaseMessage]) -> S:
            try:
                result = self._executor.submit(model.invoke, prompt, config).result(timeout)
                return result if isinstance(result, schema) else schema.model_validate(result)
            except FutureTimeout:
                error: Exception = TimeoutError(f"no answer in {timeout}s")
            except Exception as exc:
                error = exc
            logger.warning("langmem %s: model attempt failed: %s", purpose, error)
            raise error

        retrying = RunnableLambda(attempt).with_retry(
            stop_after_attempt=2, wait_exponential_jitter=False
        )
        try:
            return retrying.invoke([SystemMessage(system), HumanMessage(content)])
        except Exception:  # both attempts failed and were logged; the rules take over
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
        """Write the episode, profile changes and lessons for ``messages`` (synchronously).

        One model call (retried once) returns all three; without a model, or after two
        failed attempts, the offline rules write them (``source="rules"``). Every write is
        audited with the source ``pipeline``, whoever triggered the run (a node, the
        scheduler, ``ingest``, ``flush`` from the CLI).
        """
        report = RunReport()
        with audit_source("pipeline"), span("langmem.pipeline.run") as current:
            self._process(scope, messages, recalled_lessons, started_at, ended_at, report)
            if current.is_recording():
                current.set_attributes(run_attributes(report, len(messages)))
        if self.on_run is not None:
            self.on_run(report)
        return report

    def _process(
        self,
        scope: Scope,
        messages: Sequence[BaseMessage],
        recalled_lessons: Iterable[str],
        started_at: datetime | None,
        ended_at: datetime | None,
        report: RunReport,
    ) -> None:
        messages = [m for m in messages if not isinstance(m, SystemMessage)]
        # derive from redacted text when the store redacts (see langmem_plugin._redact)
        messages = redact_messages(messages, getattr(self.store, "redactor", None))
        if not messages:
            return
        ended = ended_at or datetime.now(UTC)
        started = started_at or ended
        opts = self.options
        failures: list[Failure] = []
        if opts.reflection:
            by_signature: dict[str, Failure] = {}
            for failure in find_failures(messages):
                by_signature.setdefault(failure.signature, failure)
            failures = list(by_signature.values())
        said = any(isinstance(m, HumanMessage) for m in messages)
        wants = _Wants(
            episode=opts.episodes,
            profile=opts.profile and said,
            lessons=bool(failures),
            tasks=opts.tasks and said,
            knowledge=opts.knowledge and said,
        )
        drafts = None
        if wants.any:  # tasks alone cost no call: the rules find them
            if self.llm and not self._budget_spent(scope, report):
                drafts = self._from_model(scope, messages, failures, wants, ended, report)
                with self._lock:
                    key = _buffer_key(scope)
                    self._spent[key] = self._spent.get(key, 0) + report.tokens
            if drafts is None:
                drafts = _from_rules(messages, failures, wants)
            report.source = drafts.source
            self._write(scope, messages, failures, drafts, started, ended, report)
        if wants.tasks:
            drafted = drafts.tasks if drafts else []
            report.tasks = propose_tasks(self.store, scope, messages, drafted, "llm", ended)
        if wants.knowledge:  # the model's section, else the rules (drafts.knowledge None)
            known = drafts.knowledge if drafts else None
            name = self.profiles.current(scope.user_id).value("name")
            report.knowledge = record_knowledge(
                self.store, scope, messages, known, "llm", ended, name
            )
        if opts.reflection and not failures:
            for key in recalled_lessons:
                if self.lessons.reinforce(scope.lesson_namespace, key) is not None:
                    report.reinforced.append(key)
        added = [f.key for f in report.profile.added] if report.profile else []
        after_run(self.store, scope.user_id, added, opts.consolidate)  # no model call

    def _budget_spent(self, scope: Scope, report: RunReport) -> bool:
        """Whether the session's token budget is spent; if so, say so (report, audit)."""
        budget = self.options.session_token_budget
        if budget is None:
            return False
        with self._lock:
            spent = self._spent.get(_buffer_key(scope), 0)
        if spent < budget:
            return False
        report.budget_exhausted = True
        logger.warning(
            "langmem session: token budget of %d spent (%d used); the offline rules write "
            "this session's runs (source='rules')",
            budget,
            spent,
        )
        log = log_of(self.store)
        if log is not None:  # counts only: who and which session, never content
            log.record(
                [
                    (
                        user_namespace("sessions", scope.user_id),
                        scope.thread_id or "-",
                        "budget_exhausted",
                    )
                ],
                detail={"budget": budget, "spent": spent},
            )
        return True

    def _from_model(  # noqa: PLR0912 -- one branch per section of the call
        self,
        scope: Scope,
        messages: Sequence[BaseMessage],
        failures: Sequence[Failure],
        wants: _Wants,
        said_at: datetime,
        report: RunReport,
    ) -> _Drafts | None:
        """The run's drafts from one structured call; None when it failed twice.

        The tokens the call reports are added to ``report.tokens``.
        """
        sections, parts = [SESSION_PROMPT], []
        if wants.episode:
            sections.append(EPISODE_SECTION)
        if wants.profile:
            sections.append(PROFILE_SECTION)
            current = self.profiles.current(scope.user_id)
            parts.append(f"Current profile:\n{current.render(with_details=False) or '(empty)'}")
        if wants.lessons:
            sections.append(LESSONS_SECTION)
            parts.append(
                "Failed tasks:\n"
                + "\n".join(f"{n}. {_describe(failure)}" for n, failure in enumerate(failures, 1))
            )
        if wants.tasks:
            sections.append(tasks_section(said_at))
        if wants.knowledge:
            sections.append(KNOWLEDGE_SECTION)
        parts.append(f"New messages:\n{_transcript(messages)}")
        schema = session_schema(
            self.options.profile_schema,
            episode=wants.episode,
            profile=wants.profile,
            lessons=wants.lessons,
            tasks=wants.tasks,
            knowledge=wants.knowledge,
        )
        usage = LLMCallCounter()
        answer = self._structured(
            schema, "\n\n".join(sections), "\n\n".join(parts), "session", usage
        )
        report.tokens += usage.total_tokens
        if answer is None:
            logger.warning(
                "langmem session: model failed twice; the offline rules wrote this run "
                "(source='rules')"
            )
            return None
        drafts = _Drafts(source="llm")
        if wants.episode:
            drafts.episode = answer.episode  # type: ignore[attr-defined]
        if wants.profile:
            drafts.facts = list(answer.profile.facts)  # type: ignore[attr-defined]
        if wants.lessons:
            for lesson in answer.lessons:  # type: ignore[attr-defined]
                if lesson.failure <= len(failures):
                    drafts.lessons.setdefault(
                        lesson.failure - 1,
                        LessonDraft(
                            what_went_wrong=lesson.what_went_wrong,
                            what_to_do_instead=lesson.what_to_do_instead,
                        ),
                    )
        if wants.tasks:
            drafts.tasks = list(answer.tasks)  # type: ignore[attr-defined]
        if wants.knowledge:
            drafts.knowledge = answer.knowledge  # type: ignore[attr-defined]
        return drafts

    def _write(
        self,
        scope: Scope,
        messages: Sequence[BaseMessage],
        failures: Sequence[Failure],
        drafts: _Drafts,
        started: datetime,
        ended: datetime,
        report: RunReport,
    ) -> None:
        """Store what the drafts hold: episode, profile changes, one lesson per failure."""
        if self.options.episodes:
            summary = drafts.episode
            if summary is None or not summary.summary.strip():
                report.skipped.append("episode")
            else:
                felt = session_sentiment(user_texts(messages))
                episode = Episode(
                    **summary.model_dump(),
                    sentiment=felt.sentiment,
                    sentiment_spread=felt.spread,
                    sentiment_turns=felt.turns,
                    started_at=started.isoformat(),
                    ended_at=ended.isoformat(),
                    thread_id=scope.thread_id,
                    message_ids=[m.id for m in messages if m.id],
                    source=drafts.source,
                )
                persona = scope.persona_id
                report.episode_key = self.episodes.write(scope.user_id, episode, persona_id=persona)
                if self.options.consolidate:
                    self.episodes.consolidate(
                        scope.user_id, keys={report.episode_key}, persona_id=persona
                    )
        if drafts.facts:
            report.profile = self.profiles.apply(
                scope.user_id,
                drafts.facts,
                source=drafts.source,
                at=ended,
                thread_id=scope.thread_id,
            )
        for index, failure in enumerate(failures):
            draft, source = drafts.lessons.get(index), drafts.source
            if draft is None:  # the model wrote none for this failure: the rules' lesson
                draft, source = offline_draft(failure), "rules"
            lesson = self.lessons.write(scope.lesson_namespace, failure, draft, source=source)
            report.lessons.append(lesson.key)

    def write_lesson(
        self, scope: Scope, failure: Failure, report: RunReport | None = None
    ) -> str | None:
        """Write the lesson for one failure on request, outside a session; returns its key.

        One model call (purpose ``"reflection"``, retried once), or the offline rules
        without a model. None when the model failed twice: the caller asked for the
        model's lesson, and the rules' one is only the raw error.
        """
        if self.llm is None:
            draft: LessonDraft | None = offline_draft(failure)
            source = "rules"
        else:
            draft = self._structured(
                LessonDraft, REFLECTION_PROMPT, _describe(failure), "reflection"
            )
            source = "llm"
        if draft is None:
            logger.warning("langmem reflection: skipped after 2 failed attempts; nothing written")
            if report:
                report.skipped.append(f"lesson:{failure.signature}")
            return None
        lesson = self.lessons.write(scope.lesson_namespace, failure, draft, source=source)
        if report:
            report.lessons.append(lesson.key)
        return lesson.key


@dataclass(frozen=True)
class _Wants:
    """The sections a run needs."""

    episode: bool
    profile: bool
    lessons: bool
    tasks: bool = False
    knowledge: bool = False

    @property
    def any(self) -> bool:
        return self.episode or self.profile or self.lessons


@dataclass
class _Drafts:
    """What a run is about to write, from the model or the rules."""

    source: str
    episode: EpisodeSummary | None = None
    facts: list[FactProposal] = field(default_factory=list)
    lessons: dict[int, LessonDraft] = field(default_factory=dict)
    """Drafts by index into the run's failures; a missing index gets the rules' lesson."""
    tasks: list[TaskDraft] = field(default_factory=list)
    """Tasks the model proposed (the rules' ones are found by ``propose_tasks``)."""
    knowledge: KnowledgeExtraction | None = None
    """The model's entities and relations (None: the rules find them)."""


def _describe(failure: Failure) -> str:
    return (
        f"Task: {failure.task}\nTool: {failure.tool or '-'}\n"
        f"Failure ({failure.kind}): {failure.error}"
    )


def _from_rules(
    messages: Sequence[BaseMessage], failures: Sequence[Failure], wants: _Wants
) -> _Drafts:
    """The run's drafts from the offline rules (no model, or the model failed twice)."""
    drafts = _Drafts(source="rules")
    if wants.episode:
        drafts.episode = summarize_offline(messages)
    if wants.profile:
        drafts.facts = [
            FactProposal(
                action="delete" if f.action == "delete" else "update" if f.correction else "add",
                category=f.category,
                value=f.value,
                confidence=f.confidence,
                source_message_ids=[f.message_id] if f.message_id else [],
            )
            for f in _rules.extract_facts(messages)
        ]
    drafts.lessons = {index: offline_draft(failure) for index, failure in enumerate(failures)}
    return drafts

"""``MemoryFeatures``: the memory nodes, middleware, tools and pipeline on a ``Memory``.

A mixin: it assumes only ``self.store`` (a ``BaseStore`` indexed on ``"content"``),
``self.llm`` (a chat model or ``None`` for the offline rules) and optionally
``self.history(session_id, *, user_id)``. Its state (the pipeline, scheduler and call
counter) is created on first use; ``configure_memory`` sets the options before that.

Namespaces used (``(kind, user, ...)``, the user at the second label only, see
``langmem_plugin._namespaces``): ``("profile", user)``, ``("profile_history", user)``,
``("episodes", user)``, ``("episodes_archive", user)``, ``("lessons", user)`` (or the
agent's ``("agent_lessons", agent)`` when a run has an agent id), ``("memories", user)``,
``("tasks", user)`` (see ``langmem_plugin.tasks``), and the conversation archive
``("archive", user, thread)`` (one item per message, see
``langmem_plugin.history._storage``): the nodes and the middleware queue every message
they see for it (``MemoryRuntime.archive_turns``, a queue append), a background
``ArchiveWriter`` writes each message once, and ``flush`` archives the threads' last
checkpoints so that a reply no memory node saw is archived too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AnyMessage,
    MessageLikeRepresentation,
    RemoveMessage,
    SystemMessage,
)
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.graph.message import REMOVE_ALL_MESSAGES
from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore, PutOp

from langmem_plugin._audit import audit_source, current_context
from langmem_plugin._ids import id_label, validate_id
from langmem_plugin._messages import as_messages
from langmem_plugin._namespaces import AGENT_LESSONS, LESSONS, lesson_namespace
from langmem_plugin._paging import WRITE_BATCH, chunks, search_all
from langmem_plugin.errors import CorruptRecordError
from langmem_plugin.knowledge._graph import KnowledgeGraph, knowledge_of
from langmem_plugin.nodes._context import make_scope
from langmem_plugin.nodes._pipeline import RunReport
from langmem_plugin.nodes._runtime import MemoryOptions, MemoryRuntime, State
from langmem_plugin.nodes._scheduler import LLMCallCounter
from langmem_plugin.nodes._usage import usage_of
from langmem_plugin.nodes.mood import Mood, read_mood
from langmem_plugin.nodes.profile import Profile, ProfileChange, ProfileFact
from langmem_plugin.nodes.recall import RECALL_ID_PREFIX
from langmem_plugin.nodes.reflection import Failure, Lesson
from langmem_plugin.nodes.trends import Trends, read_trends

if TYPE_CHECKING:
    from langmem_plugin.nodes._consolidate import ConsolidationReport
    from langmem_plugin.nodes._middleware import MemoryMiddleware
from langmem_plugin.tasks._store import TaskStore

logger = logging.getLogger(__name__)

__all__ = ["MemoryFeatures", "MemoryNodes", "MemoryOptions"]


class MemoryNodes:
    """The memory nodes, for a ``StateGraph`` on any state with a ``messages`` key.

    Each reads ``user_id`` (and ``agent_id``) from ``runtime.context`` or
    ``config["configurable"]``; none makes a model call.

    Attributes:
        working_memory: Folds old turns into a summary when over the token budget.
        recall: Adds one system message with relevant facts, episodes and lessons.
        extract_profile: Hands the turn to the deferred pipeline (no model call).
        reflect: The same hand-over, under the name of its purpose.

    They read and write their ``Memory``'s store. Compile the graph with
    ``memory.compile(builder)``; a graph compiled with another store raises
    ``StoreMismatchError`` on its first memory step (nothing is written), one compiled
    without a store runs them on the memory's store (``nodes._context.check_store``).

    ``extract_profile`` and ``reflect`` feed one per-thread pipeline whose runs write the
    episode, the profile changes and the lessons together (which of the three run is set
    by ``MemoryOptions(episodes=, profile=, reflection=)``); a graph needs only one of
    them, after the model. Observing the same messages twice is harmless.
    """

    def __init__(self, runtime: MemoryRuntime) -> None:
        rt = runtime

        def working_memory(state: State, config: RunnableConfig, runtime: Runtime) -> State:
            """Keep the messages under the working-memory token budget."""
            scope = rt.scope(runtime, config)
            rt.archive_turns(scope, state["messages"])
            return rt.fold(scope, state["messages"])

        def recall(state: State, config: RunnableConfig, runtime: Runtime) -> State:
            """Put one recall message, for the latest user message, after the system ones.

            The previous recall message is replaced. The message goes right after the
            leading system messages (providers reject system messages later in a chat).
            """
            scope = rt.scope(runtime, config)
            messages: list[AnyMessage] = state["messages"]
            rt.archive_turns(scope, messages)
            rest = [m for m in messages if not (m.id or "").startswith(RECALL_ID_PREFIX)]
            text = rt.recall_message(scope, messages)
            if not text and len(rest) == len(messages):
                return {}
            lead = 0
            while lead < len(rest) and isinstance(rest[lead], SystemMessage):
                lead += 1
            recalled = (
                [SystemMessage(text, id=f"{RECALL_ID_PREFIX}{uuid.uuid4().hex}")] if text else []
            )
            new = [*rest[:lead], *recalled, *rest[lead:]]
            return {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), *new]}

        def extract_profile(state: State, config: RunnableConfig, runtime: Runtime) -> State:
            """Buffer the turn for deferred episode and profile extraction."""
            rt.observe(rt.scope(runtime, config), state["messages"])
            return {}

        def reflect(state: State, config: RunnableConfig, runtime: Runtime) -> State:
            """Buffer the turn for deferred reflection (urgent after a failure)."""
            rt.observe(rt.scope(runtime, config), state["messages"])
            return {}

        self.working_memory = working_memory
        self.recall = recall
        self.extract_profile = extract_profile
        self.reflect = reflect


class MemoryFeatures:
    """Mixin giving a ``Memory`` its nodes, middleware, tools and deferred pipeline.

    Example:
        ```python
        memory = Memory.from_path("./.memory")
        builder = StateGraph(MessagesState)
        builder.add_node(memory.nodes.working_memory)
        builder.add_node(memory.nodes.recall)
        builder.add_node("model", call_model)
        builder.add_node(memory.nodes.extract_profile)
        ...
        memory.flush()  # wait for background extraction
        print(memory.profile("ada"))
        ```
    """

    store: BaseStore
    llm: BaseChatModel | None
    _memory_options: MemoryOptions | None = None
    _memory_runtime: MemoryRuntime | None = None
    _memory_guard = threading.Lock()

    def configure_memory(self, options: MemoryOptions | None = None, **changes: Any) -> None:
        """Set the memory options; must be called before the features are first used.

        Args:
            options: A full ``MemoryOptions``; default the current ones.
            **changes: Fields of ``MemoryOptions`` to change.

        Raises:
            RuntimeError: If the features are already in use.
            TypeError: If a keyword is not a ``MemoryOptions`` field.
        """
        if self._memory_runtime is not None:
            raise RuntimeError("configure_memory must be called before the memory is used")
        base = options or self._memory_options or MemoryOptions()
        self._memory_options = replace(base, **changes)

    @property
    def _features(self) -> MemoryRuntime:
        if self._memory_runtime is None:
            with self._memory_guard:
                if self._memory_runtime is None:
                    self._memory_runtime = MemoryRuntime(
                        self.store, self.llm, self._memory_options or MemoryOptions()
                    )
                    watch = getattr(self, "_watch_runtime", None)
                    if watch is not None:  # Memory's metrics (``_metrics``), when on
                        watch(self._memory_runtime)
                    health = getattr(self, "_watch_health", None)
                    if health is not None:  # Memory's daily figures (``_health``)
                        health(self._memory_runtime)
                    attach = getattr(self, "_attach_access", None)
                    if attach is not None:  # shared scopes in recall (``access``)
                        attach(self._memory_runtime)
        return self._memory_runtime

    # ----- graph integration ------------------------------------------------------------
    @property
    def nodes(self) -> MemoryNodes:
        """The memory nodes (``working_memory``, ``recall``, ``extract_profile``, ``reflect``)."""
        return MemoryNodes(self._features)

    def middleware(self, *, catch_tool_errors: bool = True) -> MemoryMiddleware:
        """Middleware for ``langchain.agents.create_agent`` doing all four nodes' work.

        Give the agent this memory's store (``store=memory.store``) or none;
        ``create_agent(..., store=other)`` raises ``StoreMismatchError`` on the first step.

        Args:
            catch_tool_errors: Turn a tool exception into an error ``ToolMessage`` the
                agent (and reflection) can see, instead of failing the run.
        """
        from langmem_plugin.nodes._middleware import MemoryMiddleware  # langchain.agents: slow

        return MemoryMiddleware(self._features, catch_tool_errors=catch_tool_errors)

    def tools(
        self,
        user_id: str | None = None,
        *,
        audit_as: str = "tool",
        persona_id: str | None = None,
    ) -> list[BaseTool]:
        """``search_memory``, ``save_memory``, ``forget_memory`` and the task tools.

        They act on this memory's store; run in a graph compiled with another store,
        every call raises ``StoreMismatchError`` (to the developer, not the model).

        Args:
            user_id: Bind the tools to this user (outside a graph); by default each call
                takes the user from the run's context or config, never from the model.
            audit_as: The audit source of their writes (``"tool"``; ``"mcp"`` for the MCP
                server).
            persona_id: Bind them to this persona; by default the run's ``persona_id``.
        """
        from langmem_plugin.tools import create_memory_tools

        forget = getattr(self, "forget", None)
        return create_memory_tools(
            self.store,
            search=self._features.options.search,
            user_id=user_id,
            audit_as=audit_as,
            access=getattr(self, "access", None),
            persona_id=persona_id,
            forget=(lambda uid, q: forget(uid, query=q, dry_run=False).summary())
            if forget
            else None,
        )

    # ----- pipeline ---------------------------------------------------------------------
    @property
    def llm_calls(self) -> LLMCallCounter:
        """Model calls made by memory (``.total``, ``.by_purpose``)."""
        return self._features.pipeline.counter

    def ingest(
        self,
        messages: Sequence[MessageLikeRepresentation],
        *,
        user_id: str,
        thread_id: str,
        timestamp: datetime | None = None,
        persona_id: str | None = None,
    ) -> RunReport:
        """Record a finished conversation now: archive, episode, profile and lessons.

        Every message goes to the archive ``("archive", user_id, thread_id)`` once (by
        message id), dated ``timestamp``, in order (``seq``).

        Args:
            messages: The conversation, in any form ``graph.invoke`` takes (LangChain's
                ``convert_to_messages``): messages, ``("user", "text")`` tuples, role/content
                dicts, or strings (human turns). Messages without an id get a uuid4 one.
            user_id: Its user.
            thread_id: Its thread (the history session id).
            timestamp: When it happened (default now): the episode time and facts' valid_from.
            persona_id: The persona it was held with (its archive, episode and lessons).

        Returns:
            What was written.

        Raises:
            InvalidMessageError: A message is none of those forms; nothing is written.
        """
        scope = make_scope(user_id, thread_id=thread_id, persona_id=persona_id)
        msgs = [
            m if m.id else m.model_copy(update={"id": str(uuid.uuid4())})
            for m in as_messages(messages)
        ]
        with audit_source("ingest", user_id=scope.user_id, thread_id=thread_id):
            # archived now (ingest is the synchronous path), every turn dated `timestamp`
            self._features.archiver.write_now(
                scope.user_id, thread_id, msgs, occurred_at=timestamp, persona_id=persona_id
            )
            return self._features.pipeline.process(
                scope, msgs, started_at=timestamp, ended_at=timestamp
            )

    async def aingest(
        self,
        messages: Sequence[MessageLikeRepresentation],
        *,
        user_id: str,
        thread_id: str,
        timestamp: datetime | None = None,
        persona_id: str | None = None,
    ) -> RunReport:
        """``ingest`` off the event loop."""
        return await asyncio.to_thread(
            self.ingest,
            messages,
            user_id=user_id,
            thread_id=thread_id,
            timestamp=timestamp,
            persona_id=persona_id,
        )

    def end_session(self, thread_id: str) -> None:
        """Process a thread's pending turns now (session end)."""
        self._features.pipeline.end_session(validate_id(thread_id, "thread_id"))

    def flush(self) -> None:
        """Archive every turn seen, process all pending turns, wait for background work.

        The nodes archive the messages they see; a thread's last reply, which may reach
        no memory node, is taken from its latest checkpoint here (when this object has a
        ``checkpointer``), so after ``flush`` every turn is in the archive.
        """
        features = self._features
        self._archive_checkpointed_threads(features)
        try:
            features.archiver.flush()
        finally:
            features.pipeline.flush()
            usage_of(self.store).flush()  # recall counts (``nodes._usage``)

    def _archive_checkpointed_threads(self, features: MemoryRuntime) -> None:
        touched = list(features.touched)
        features.touched.clear()
        saver = getattr(self, "checkpointer", None) if touched else None
        if saver is None:
            return
        for user_id, thread_id, persona_id in touched:
            try:
                snapshot = saver.get_tuple(
                    {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
                )
            except CorruptRecordError as error:  # one damaged thread; archive the others
                logger.warning("thread %r not archived: %s", thread_id, error)
                continue
            if snapshot is not None:
                messages = snapshot.checkpoint["channel_values"].get("messages") or []
                features.archiver.submit(user_id, thread_id, messages, persona_id=persona_id)

    async def aflush(self) -> None:
        """``flush`` off the event loop."""
        await asyncio.to_thread(self.flush)

    def reflect_on(
        self,
        task: str,
        error: str,
        *,
        user_id: str,
        tool: str | None = None,
        agent_id: str | None = None,
        persona_id: str | None = None,
    ) -> str | None:
        """Write a lesson on request (e.g. after an exception your code caught).

        The lesson is the run's: the agent's (``agent_id``) or the user's, the persona's
        with a ``persona_id`` (``Scope.lesson_namespace``).

        Returns:
            The lesson's key, or None when the model failed twice.
        """
        scope = make_scope(user_id, agent_id=agent_id, persona_id=persona_id)
        failure = Failure(kind="exception", task=task, error=error, tool=tool)
        return self._features.pipeline.write_lesson(scope, failure)

    # ----- reading ----------------------------------------------------------------------
    def profile(self, user_id: str) -> Profile:
        """The user's current profile (``str()`` renders it)."""
        return self._features.pipeline.profiles.current(validate_id(user_id))

    def profile_history(self, user_id: str) -> list[ProfileFact]:
        """Every version of every profile fact, oldest version first."""
        return self._features.pipeline.profiles.history(validate_id(user_id))

    def rollback_profile(self, user_id: str, version: int) -> ProfileChange:
        """Restore the profile as of ``version`` (recorded as a new version)."""
        return self._features.pipeline.profiles.rollback(validate_id(user_id), version)

    def mood(
        self, user_id: str, since: datetime | None = None, *, persona_id: str | None = None
    ) -> Mood:
        """The user's sentiment per session and its trend, from their episodes (no model).

        Args:
            user_id: Whose mood.
            since: Only sessions that ended at or after this time (naive means UTC);
                default all.
            persona_id: From that persona's sessions only.

        Returns:
            ``Mood``: ``points`` (date, sentiment, label per session, oldest first) and the
            trend (``recent`` vs ``previous`` mean, ``slope``; see ``nodes.mood``).

        Raises:
            InvalidIdError: If ``user_id`` is invalid.
            InvalidValueError: If ``since`` is not a datetime.
        """
        persona = validate_id(persona_id, "persona_id") if persona_id is not None else None
        return read_mood(self.store, validate_id(user_id), since=since, persona_id=persona)

    def trends(self, user_id: str, since: datetime | None = None) -> Trends:
        """The user's patterns over time, from their profile history and episodes (no model).

        Args:
            user_id: Whose trends.
            since: Only sessions and changes at or after this time (naive means UTC);
                default all.

        Returns:
            ``Trends``: ``preferences`` (changed, reversed, dropped and new preferences,
            newest first), ``topics`` (rising, then fading, see ``nodes.trends``) and
            ``sessions`` (each session's topics, oldest first).

        Raises:
            InvalidIdError: If ``user_id`` is invalid.
            InvalidValueError: If ``since`` is not a datetime.
        """
        return read_trends(self.store, validate_id(user_id), since=since)

    def recall_context(
        self,
        user_id: str,
        query: str,
        *,
        agent_id: str | None = None,
        persona_id: str | None = None,
    ) -> str:
        """Exactly the text the recall node would inject for ``query`` (as ``persona_id``)."""
        scope = make_scope(user_id, agent_id=agent_id, persona_id=persona_id)
        return self._features.build_recall(scope, query).text

    async def arecall_context(
        self,
        user_id: str,
        query: str,
        *,
        agent_id: str | None = None,
        persona_id: str | None = None,
    ) -> str:
        """Async :meth:`recall_context` (searches and reranker on their async methods)."""
        scope = make_scope(user_id, agent_id=agent_id, persona_id=persona_id)
        return (await self._features.recall.abuild(scope, query)).text

    def lessons(
        self,
        user_id: str | None = None,
        *,
        agent_id: str | None = None,
        persona_id: str | None = None,
    ) -> list[Lesson]:
        """The lessons recall draws on, heaviest first: an agent's, or a user's own.

        Args:
            user_id: A user's own lessons (``("lessons", user_id)``: runs without an agent).
            agent_id: An agent's lessons (``("agent_lessons", agent_id)``), shared by all its
                users; when given, ``user_id`` is not needed.
            persona_id: The lessons of that persona of the agent or the user.

        Raises:
            InvalidIdError: If neither id is given, or an id is invalid.
        """
        persona = validate_id(persona_id, "persona_id") if persona_id is not None else None
        if agent_id is not None:
            ns = lesson_namespace("-", validate_id(agent_id, "agent_id"), persona)
        else:
            ns = lesson_namespace(validate_id(user_id, "user_id"), None, persona)
        return self._features.pipeline.lessons.list(ns)

    def move_lessons_to_agent(self, agent_id: str) -> int:
        """Make the lessons an earlier version kept under ``("lessons", agent_id)`` the agent's.

        Versions before ``("agent_lessons", agent_id)`` wrote an agent's lessons under
        ``("lessons", agent_id)``, where they read as the lessons of a *user* named like the
        agent (listed as a user, deleted by forgetting that user, not recalled for the
        agent any more). Run this once per agent id whose lessons those are: each item
        moves, value unchanged (its item times restart), in batches of ``WRITE_BATCH``;
        where the agent already has a lesson of the same task signature, the agent's copy
        is kept and the old one dropped.

        Args:
            agent_id: The agent whose lessons an earlier version wrote.

        Returns:
            How many lessons moved.

        Raises:
            InvalidIdError: If ``agent_id`` is invalid.
        """
        old = (LESSONS, id_label(agent_id, "agent_id"))
        new = (AGENT_LESSONS, old[1])
        items = search_all(self.store, old)
        have = {item.key for item in search_all(self.store, new)}
        ops = [PutOp(new, i.key, i.value) for i in items if i.key not in have]
        ops += [PutOp(old, item.key, None) for item in items]
        for chunk in chunks(ops, WRITE_BATCH):
            self.store.batch(chunk)
        return len(items) - len(have & {item.key for item in items})

    def consolidate_episodes(
        self, user_id: str, *, persona_id: str | None = None
    ) -> dict[str, int]:
        """Merge near-duplicate episodes and archive decayed ones (see ``EpisodeStore``).

        ``consolidate`` does this and more (facts, notes, lessons, topic clusters).
        """
        persona = validate_id(persona_id, "persona_id") if persona_id is not None else None
        return self._features.pipeline.episodes.consolidate(
            validate_id(user_id), persona_id=persona
        )

    def consolidate(
        self, user_id: str, *, agent_id: str | None = None, **options: Any
    ) -> ConsolidationReport:
        """Merge a user's near-duplicate memories by meaning; decay and cluster episodes.

        Facts, notes, lessons and episodes that say the same thing (embedding similarity
        *and* shared wording) are merged, nothing is lost (merged facts go to the
        profile history, merged episodes to the episode archive); decayed episodes are
        archived (decay counts from the last recall); live episodes are clustered by
        topic. No model call (see ``nodes._consolidate``).

        Args:
            user_id: The user.
            agent_id: Also merge this agent's lessons (``("agent_lessons", agent_id)``)
                instead of the user's own.
            **options: ``Consolidator`` thresholds (``similarity``, ``overlap``,
                ``cluster_similarity``...).

        Returns:
            What was merged, archived and clustered (``report.summary()``).

        Raises:
            InvalidIdError: If an id is invalid.
            ValueError: If a threshold is out of range.

        Example:
            ```python
            report = memory.consolidate("ada")
            print(report.summary())
            ```
        """
        from langmem_plugin.nodes._consolidate import Consolidator

        uid = validate_id(user_id)
        agent = validate_id(agent_id, "agent_id") if agent_id else None
        with audit_source(str(current_context()["source"]), user_id=uid):
            return Consolidator(self.store, **options).run(uid, agent_id=agent)

    async def aconsolidate(
        self, user_id: str, *, agent_id: str | None = None, **options: Any
    ) -> ConsolidationReport:
        """``consolidate`` off the event loop."""
        return await asyncio.to_thread(self.consolidate, user_id, agent_id=agent_id, **options)

    @property
    def tasks(self) -> TaskStore:
        """The users' tasks: ``add``, ``update``, ``list``, ``history`` (see ``tasks``)."""
        return TaskStore(self.store)

    @property
    def knowledge(self) -> KnowledgeGraph:
        """The users' entities and relations (``langmem_plugin.knowledge``).

        Raises:
            TypeError: The store is not a ``ChromaStore`` (the tables live in its database).
        """
        graph = knowledge_of(self.store)
        if graph is None:
            raise TypeError(f"{self.store!r} has no SQL database for entities and relations")
        return graph

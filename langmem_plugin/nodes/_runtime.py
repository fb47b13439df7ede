"""The runtime behind the memory features: options and the machinery they build.

``MemoryFeatures`` (``_features``) builds one ``MemoryRuntime`` on first use and hands it
to ``MemoryNodes`` and ``MemoryMiddleware`` (``_middleware``); both depend on this module
and neither on the other, so there is no import circle.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langchain_core.documents.compressor import BaseDocumentCompressor
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, RemoveMessage
from langgraph.graph.message import REMOVE_ALL_MESSAGES
from langgraph.store.base import BaseStore

from langmem_plugin._messages import TokenCounter
from langmem_plugin._tracing import recall_attributes, span
from langmem_plugin.history._archive import ArchiveWriter
from langmem_plugin.history._storage import HistoryStorage
from langmem_plugin.nodes._context import Scope, check_store, resolve_scope
from langmem_plugin.nodes._pipeline import MemoryPipeline, PipelineOptions
from langmem_plugin.nodes.episodes import Episode
from langmem_plugin.nodes.recall import Recall, RecallResult, latest_user_text
from langmem_plugin.nodes.working_memory import WorkingMemory
from langmem_plugin.retriever._retriever import SearchFn

__all__ = ["MemoryOptions", "MemoryRuntime", "State"]

State = dict[str, Any]


@dataclass
class MemoryOptions(PipelineOptions):
    """All memory-feature options (see ``PipelineOptions`` for the pipeline ones).

    Attributes:
        working_memory_tokens: Token budget of the model's input.
        recall_tokens: Token budget of the recall message.
        token_counter: Token counter for both budgets (default: approximate).
        search: Retrieval of facts, episodes, notes and lessons for recall, and of
            ``search_memory``; default ``store.search``. Recall always searches the
            conversation archive with ``MemoryRetriever`` (see ``nodes.recall``).
        reranker: A LangChain ``BaseDocumentCompressor`` (e.g. a cross-encoder) that
            reorders recall's archived-turn candidates before packing; None (default)
            keeps ``MemoryRetriever``'s fused ranking.
        associative_recall: Recall expands from the entities a query names to their
            relations and the turns that mention them (``nodes._associative``).
    """

    working_memory_tokens: int = 4000
    recall_tokens: int = 800
    token_counter: TokenCounter | None = None
    search: SearchFn | None = None
    reranker: BaseDocumentCompressor | None = None
    associative_recall: bool = True


class MemoryRuntime:
    """The lazily built machinery behind ``MemoryFeatures``.

    What the nodes, the middleware and the tools share: the pipeline, recall, working
    memory and the archive writer.
    """

    def __init__(self, store: BaseStore, llm: BaseChatModel | None, opts: MemoryOptions) -> None:
        self.options = opts
        self.store = store
        self.pipeline = MemoryPipeline(store, llm, opts)
        self.recall = Recall(
            store,
            search=opts.search,
            max_tokens=opts.recall_tokens,
            counter=opts.token_counter,
            reranker=opts.reranker,
            associative=opts.associative_recall,
        )
        self.working = WorkingMemory(opts.working_memory_tokens, counter=opts.token_counter)
        self.archiver = ArchiveWriter(HistoryStorage(store))
        # threads whose turns the nodes saw: their last checkpoint is archived at flush
        self.touched: dict[tuple[str, str, str | None], None] = {}
        self.on_recall: Callable[[float], None] | None = None
        self.on_recall_daily: Callable[[float], None] | None = None
        """Called with the seconds of every recall built (the memory's metrics, when on)."""

    def scope(self, runtime: Any, config: Any = None, *, what: str = "memory nodes") -> Scope:
        """The run's scope, after checking that its graph uses this memory's store.

        Raises:
            StoreMismatchError: If the graph was compiled with another store (see
                ``_context.check_store``; a graph without a store is fine).
            MissingUserIdError: If the run names no user.
        """
        check_store(runtime, self.store, what)
        return resolve_scope(runtime, config)

    def archive(self, scope: Scope, dropped: Sequence[BaseMessage], summary: str) -> None:
        """Archive turns folded out of working memory as a searchable episode."""
        now = datetime.now(UTC).isoformat()
        self.pipeline.episodes.write(
            scope.user_id,
            persona_id=scope.persona_id,
            episode=Episode(
                summary=summary or "(no text)",
                started_at=now,
                ended_at=now,
                thread_id=scope.thread_id,
                message_ids=[m.id for m in dropped if m.id],
                kind="working_memory",
                source="rules",
            ),
        )

    def fold(self, scope: Scope, messages: Sequence[BaseMessage]) -> State:
        """Working-memory state update (``{}`` when under budget)."""
        folded = self.working.fold(messages)
        if folded is None:
            return {}
        self.archive(scope, folded.dropped, folded.summary)
        return {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), *folded.messages]}

    def recall_message(self, scope: Scope, messages: Sequence[BaseMessage]) -> str:
        """The recall text for the latest user message, noting recalled lessons."""
        present = {str(m.id) for m in messages if m.id}
        result = self.build_recall(scope, latest_user_text(messages), present)
        self.pipeline.note_recalled(scope, result.lesson_keys)
        return result.text

    def build_recall(
        self, scope: Scope, query: str, present: set[str] | None = None
    ) -> RecallResult:
        """``Recall.build``, timed for ``on_recall`` (nodes, middleware, ``recall_context``)."""
        started = time.perf_counter()
        with span("langmem.recall") as current:
            result = self.recall.build(scope, query, present=present or ())
            if current.is_recording():
                current.set_attributes(recall_attributes(result))
        seconds = time.perf_counter() - started
        if self.on_recall is not None:
            self.on_recall(seconds)
        if self.on_recall_daily is not None:  # the health page's daily figures (_health)
            self.on_recall_daily(seconds)
        return result

    def archive_turns(self, scope: Scope, messages: Sequence[BaseMessage]) -> None:
        """Queue the thread's messages for the archive (an append; written in background)."""
        if scope.thread_id is None:
            return
        self.touched[scope.user_id, scope.thread_id, scope.persona_id] = None
        self.archiver.submit(scope.user_id, scope.thread_id, messages, persona_id=scope.persona_id)

    def observe(self, scope: Scope, messages: Sequence[BaseMessage]) -> None:
        """Archive the turn and hand it to the deferred pipeline (no model call)."""
        self.archive_turns(scope, messages)
        self.pipeline.observe(scope, messages)

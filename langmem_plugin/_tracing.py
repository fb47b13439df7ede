"""OpenTelemetry spans of the memory's own work, where LangChain's callbacks see nothing.

LangChain's callbacks (LangSmith, or an OpenTelemetry instrumentation of LangChain) already
trace graph nodes and model calls, the pipeline's own call included (it carries the tag
``langmem:<purpose>``). What they cannot see is the memory's work between those calls:

* ``langmem.store.batch``: every ``ChromaStore.batch``/``abatch`` (a LangGraph call such as
  ``store.put`` is one batch), with the number of operations of each kind.
* ``langmem.recall``: every recall built (the recall node, the middleware,
  ``recall_context``), with how many facts, episodes, notes, lessons, turns and tasks went
  into it and the size of the text in characters; its store batches are its children.
* ``langmem.pipeline.run``: every deferred pipeline run, with what did the work (``llm``,
  ``rules``, or ``none``), its tokens and what it wrote (counts).
* ``langmem.forget_user``, ``langmem.forget_query``, ``langmem.export``, ``langmem.import``:
  the maintenance operations, with their counts.

Only the API package (``opentelemetry-api``, a dependency of ``chromadb`` too) is used: with
no SDK configured every span is OpenTelemetry's non-recording span, a few microseconds each
(``benchmarks/tracing_overhead.py``). An application that configures a ``TracerProvider``
(``opentelemetry-sdk`` and an exporter) gets the spans under the tracer
``langmem_plugin``, nested in its own spans.

What a span never holds: content (values, queries, the recall text), keys, namespaces, and
no user or thread id, hashed or not. A hash of a user id would be a stable pseudonym that
outlives ``forget_user`` in the tracing backend, and user ids (emails, phone numbers) are
guessable, so it would not hide them either. An application that wants traces per user sets
its own attribute on its own parent span, under its own privacy policy. A failed operation
records ``error.type`` (the exception's class name) and an error status, but not the
exception's message, which may quote the value it refused.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from langgraph.store.base import Op
from opentelemetry import trace
from opentelemetry.trace import Span, StatusCode, Tracer, TracerProvider

from langmem_plugin._metrics import op_kind

if TYPE_CHECKING:
    from langmem_plugin._admin._export import TransferCounts
    from langmem_plugin._admin._forget import QueryForgetReport
    from langmem_plugin._admin._users import ForgetReport
    from langmem_plugin.nodes._pipeline import RunReport
    from langmem_plugin.nodes.recall import RecallResult

__all__ = [
    "batch_attributes",
    "batch_span",
    "forget_attributes",
    "forget_query_attributes",
    "recall_attributes",
    "run_attributes",
    "set_tracer_provider",
    "span",
    "traced",
    "transfer_attributes",
]

TRACER_NAME = "langmem_plugin"
"""The instrumentation scope of every span (filter on it in a backend)."""


class _Current:
    tracer: Tracer = trace.get_tracer(TRACER_NAME)
    """The global provider's tracer (a proxy: it follows a provider configured later)."""


P = ParamSpec("P")
R = TypeVar("R")


def set_tracer_provider(provider: TracerProvider | None) -> None:
    """Send langmem's spans to ``provider`` instead of the global one (None: back to global).

    OpenTelemetry lets a process set its global provider once; tests and benchmarks that
    compare a recording provider with none use this instead.
    """
    _Current.tracer = (
        trace.get_tracer(TRACER_NAME) if provider is None else provider.get_tracer(TRACER_NAME)
    )


@contextmanager
def span(name: str, attributes: dict[str, Any] | None = None) -> Iterator[Span]:
    """A span around the block, current for its duration (children nest under it).

    An exception sets ``error.type`` and an error status, and is re-raised; its message is
    not recorded (see the module docstring).
    """
    with _Current.tracer.start_as_current_span(
        name, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as current:
        try:
            yield current
        except BaseException as error:
            if current.is_recording():
                current.set_attribute("error.type", type(error).__qualname__)
                current.set_status(StatusCode.ERROR)
            raise


def traced(
    name: str, describe: Callable[[Any], dict[str, Any]] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function with a span; ``describe(result)`` gives the span's attributes."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with span(name) as current:
                result = function(*args, **kwargs)
                if describe is not None and current.is_recording():
                    current.set_attributes(describe(result))
                return result

        return wrapper

    return decorate


@contextmanager
def batch_span(ops: list[Op]) -> Iterator[Span]:
    """``langmem.store.batch`` around a store batch, with ``batch_attributes`` when recording."""
    with span("langmem.store.batch") as current:
        if current.is_recording():
            current.set_attributes(batch_attributes(ops))
        yield current


def batch_attributes(ops: list[Op]) -> dict[str, Any]:
    """A store batch's attributes: its operations per kind, and nothing of their namespaces.

    Not even a namespace's first label: in this memory it is a kind (``memories``,
    ``archive``...), but a graph of its own may well put a user id first.
    """
    attributes: dict[str, Any] = {"langmem.store.ops": len(ops)}
    for kind, count in Counter(op_kind(op) for op in ops).items():
        attributes[f"langmem.store.{kind}"] = count
    return attributes


def recall_attributes(result: RecallResult) -> dict[str, Any]:
    """A recall's attributes: how many items of each kind went in, and the text's length."""
    return {
        "langmem.recall.facts": len(result.fact_keys),
        "langmem.recall.episodes": len(result.episode_keys),
        "langmem.recall.notes": len(result.note_keys),
        "langmem.recall.lessons": len(result.lesson_keys),
        "langmem.recall.turns": len(result.turn_keys),
        "langmem.recall.tasks": len(result.task_keys),
        "langmem.recall.chars": len(result.text),
    }


def run_attributes(report: RunReport, messages: int) -> dict[str, Any]:
    """A pipeline run's attributes: what did the work, its tokens and what it wrote."""
    profile = report.profile
    return {
        "langmem.pipeline.source": report.source or "none",
        "langmem.pipeline.messages": messages,
        "langmem.pipeline.tokens": report.tokens,
        "langmem.pipeline.budget_exhausted": report.budget_exhausted,
        "langmem.pipeline.episode": report.episode_key is not None,
        "langmem.pipeline.facts_added": len(profile.added) if profile else 0,
        "langmem.pipeline.facts_superseded": len(profile.superseded) if profile else 0,
        "langmem.pipeline.lessons": len(report.lessons),
        "langmem.pipeline.tasks": len(report.tasks),
    }


def forget_attributes(report: ForgetReport) -> dict[str, Any]:
    """``forget_user``'s attributes: what it removed (counts; never the user)."""
    return {
        "langmem.forget.dry_run": report.dry_run,
        "langmem.forget.items": report.total_items,
        "langmem.forget.sessions": len(report.sessions),
        "langmem.forget.messages": report.messages,
        "langmem.forget.threads": len(report.threads),
    }


def forget_query_attributes(report: QueryForgetReport) -> dict[str, Any]:
    """``forget_query``'s attributes: matches per kind and items removed (never the query)."""
    counts = report.counts()
    return {
        "langmem.forget.dry_run": report.dry_run,
        "langmem.forget.items": report.removed,
        **{f"langmem.forget.matched.{kind}": count for kind, count in counts.items()},
    }


def transfer_attributes(counts: TransferCounts) -> dict[str, Any]:
    """An export's or import's attributes: records moved, per kind."""
    return {
        "langmem.transfer.items": counts.items,
        "langmem.transfer.sessions": counts.sessions,
        "langmem.transfer.messages": counts.messages,
        "langmem.transfer.checkpoints": counts.checkpoints,
        "langmem.transfer.skipped": len(counts.skipped_items) + len(counts.skipped_checkpoints),
    }

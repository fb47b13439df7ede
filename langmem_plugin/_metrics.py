"""Prometheus metrics of one ``Memory``: what it does, how far behind its index is, what it costs.

``memory.metrics()`` turns them on (counting starts then: call it right after opening the
memory) and returns the memory's own ``prometheus_client.CollectorRegistry``; each memory
has its own, so several memories in one process never collide on a metric name, and an
app exposes one by ``memory.render_metrics()`` in its own route or by
``prometheus_client.start_http_server(port, registry=memory.metrics())``. ``langmem ui``
serves it at ``/metrics`` behind the inspector's guard (Host check, token when set).
Needs the ``metrics`` extra (``prometheus-client``; in the ``ui`` and ``dev`` extras too).

What is measured, and where:

* ``langmem_store_ops_total{op}``: store operations by kind (``get``, ``search``, ``put``,
  ``delete``, ``list_namespaces``), and ``langmem_store_batch_seconds``, the time of each
  ``batch``/``abatch`` (a LangGraph call such as ``store.put`` is one batch).
* ``langmem_archive_writes_total``: messages written to the conversation archive
  (puts under ``("archive", user, thread)``, whichever path wrote them).
* ``langmem_recall_seconds``: every recall built (the recall node, the middleware and
  ``recall_context``); its ``_count`` is the number of calls.
* ``langmem_pipeline_runs_total{source}``: deferred pipeline runs by what did the work
  (``llm``, ``rules``, or ``none`` when a run had nothing to write), and
  ``langmem_pipeline_run_tokens``: tokens of each run that called the model, and
  ``langmem_pipeline_budget_exhausted_total``: runs the rules did because the session's
  token budget (``session_token_budget``) was spent.
* ``langmem_llm_calls_total{purpose}`` and ``langmem_llm_tokens_total{purpose,kind}``:
  the memory's own model calls (``memory.llm_calls``), read on scrape.
* ``langmem_index_lag_vectors``: vectors written to SQL that Chroma's HNSW index does
  not hold yet (``store/_index.py``), one ``COUNT`` on a partial index per scrape.
* ``langmem_memory_items{user}`` and ``langmem_memory_users``: live items per user, one
  grouped ``COUNT`` per scrape (no value is read), attributed by ``namespace_user``.

Labels are low-cardinality on purpose: operation metrics carry a kind, a source or a
purpose, never a user or thread id, since every distinct label value is a time series
that Prometheus keeps. The one exception is ``langmem_memory_items``, see
``MemorySizeCollector``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from langgraph.store.base import GetOp, ListNamespacesOp, Op, PutOp, SearchOp

from langmem_plugin._extras import missing_extra
from langmem_plugin._namespaces import namespace_user

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

    from langmem_plugin.nodes._pipeline import RunReport
    from langmem_plugin.nodes._runtime import MemoryRuntime
    from langmem_plugin.store import ChromaStore

__all__ = ["MemoryMetrics", "MetricsFeatures", "render_metrics"]

RECALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds: recall takes ~10-50 ms on a laptop-sized memory; 10 s catches a stuck server."""
STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
"""Seconds: a get is sub-millisecond on SQLite, a search with embedding tens of ms."""
TOKEN_BUCKETS = (250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000)
"""Tokens of one pipeline run: a ten-turn session's call is about 1-4k."""
ARCHIVE = "archive"


def _prometheus() -> Any:
    try:
        import prometheus_client
    except ImportError as error:
        raise missing_extra("memory.metrics()", "metrics") from error
    return prometheus_client


def op_kind(op: Op) -> str:
    """A store operation's kind, as the metrics and spans count it."""
    if isinstance(op, PutOp):
        return "put" if op.value is not None else "delete"
    if isinstance(op, SearchOp):
        return "search"
    if isinstance(op, GetOp):
        return "get"
    if isinstance(op, ListNamespacesOp):
        return "list_namespaces"
    return "other"


class MemorySizeCollector:
    """On scrape: live items per user, the index lag and the memory's model calls.

    ``langmem_memory_items`` is the only metric with a user id as a label, because its
    question ("whose memory is large?") is about users; it is computed on each scrape from
    one grouped ``COUNT`` and kept nowhere, so its series number the users that have items
    *now*, a forgotten user disappears from the next scrape, and no operation metric grows
    a series per user. Whoever can scrape it sees the user ids: the inspector serves it
    behind the same guard as its pages.

    Args:
        store: The memory's store.
        runtime: Returns the memory's runtime, or None before the features were used.
    """

    def __init__(self, store: ChromaStore, runtime: Any) -> None:
        self._store = store
        self._runtime = runtime

    def describe(self) -> Iterator[Metric]:
        """The families, without touching the store (the registry asks at registration)."""
        return self._families()

    def _families(self) -> Iterator[Any]:
        core = _prometheus().metrics_core
        yield core.GaugeMetricFamily(
            "langmem_memory_items", "Live store items per user.", labels=["user"]
        )
        yield core.GaugeMetricFamily("langmem_memory_users", "Users with at least one item.")
        yield core.GaugeMetricFamily(
            "langmem_index_lag_vectors",
            "Vectors written to SQL that Chroma's HNSW index does not hold yet.",
        )
        yield core.CounterMetricFamily(
            "langmem_llm_calls", "The memory's own model calls, by purpose.", labels=["purpose"]
        )
        yield core.CounterMetricFamily(
            "langmem_llm_tokens",
            "Tokens the memory's own model calls reported, by purpose and kind.",
            labels=["purpose", "kind"],
        )

    def collect(self) -> Iterator[Metric]:
        """The current values (nothing for the store once the memory is closed)."""
        items, users, lag, calls, tokens = self._families()
        if not getattr(self._store, "_closed", False):
            per_user: Counter[str] = Counter()
            for namespace, count in self._store.items_by_namespace():
                user = namespace_user(namespace)
                if user is not None:
                    per_user[user] += count
            for user, count in sorted(per_user.items()):
                items.add_metric([user], count)
            users.add_metric([], len(per_user))
            lag.add_metric([], self._store.index_lag())
            yield from (items, users, lag)
        runtime: MemoryRuntime | None = self._runtime()
        if runtime is not None:
            counter = runtime.pipeline.counter
            with counter._lock:
                by_purpose = dict(counter.by_purpose)
                by_kind = dict(counter.tokens)
            for purpose, count in sorted(by_purpose.items()):
                calls.add_metric([purpose], count)
            for (purpose, kind), count in sorted(by_kind.items()):
                tokens.add_metric([purpose, kind], count)
        yield from (calls, tokens)


class MemoryMetrics:
    """The metrics of one memory, in their own registry; see the module docstring.

    Args:
        store: The memory's store (its batches are observed).
        runtime: Returns the memory's runtime, or None before the features were used.
    """

    def __init__(self, store: ChromaStore, runtime: Any) -> None:
        prom = _prometheus()
        self.store = store
        self.registry: CollectorRegistry = prom.CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.store_ops = prom.Counter(
            "langmem_store_ops", "Store operations, by kind.", ["op"], registry=reg
        )
        self.store_seconds = prom.Histogram(
            "langmem_store_batch_seconds",
            "Time of one store batch.",
            buckets=STORE_BUCKETS,
            registry=reg,
        )
        self.archive_writes = prom.Counter(
            "langmem_archive_writes", "Messages written to the conversation archive.", registry=reg
        )
        self.recall_seconds = prom.Histogram(
            "langmem_recall_seconds",
            "Time to build one recall context.",
            buckets=RECALL_BUCKETS,
            registry=reg,
        )
        self.pipeline_runs = prom.Counter(
            "langmem_pipeline_runs",
            "Deferred pipeline runs, by what did the work.",
            ["source"],
            registry=reg,
        )
        self.run_tokens = prom.Histogram(
            "langmem_pipeline_run_tokens",
            "Tokens of one pipeline run's model calls (runs that called the model).",
            buckets=TOKEN_BUCKETS,
            registry=reg,
        )
        self.budget_exhausted = prom.Counter(
            "langmem_pipeline_budget_exhausted",
            "Pipeline runs the rules did because the session's token budget was spent.",
            registry=reg,
        )
        for kind in ("get", "search", "put", "delete", "list_namespaces"):
            self.store_ops.labels(kind)  # every kind shows from the first scrape, at 0
        for source in ("llm", "rules", "none"):
            self.pipeline_runs.labels(source)
        self._ops = {kind: self.store_ops.labels(kind) for kind in ("get", "search", "put")}
        reg.register(MemorySizeCollector(store, runtime))
        self._lock = threading.Lock()
        self._runtime: MemoryRuntime | None = None
        self.attach()

    # ----- hooks --------------------------------------------------------------------
    def observe_batch(self, ops: list[Op], seconds: float) -> None:
        """Count a finished store batch's operations (and its archive writes)."""
        self.store_seconds.observe(seconds)
        kinds: Counter[str] = Counter()
        archived = 0
        for op in ops:
            kinds[op_kind(op)] += 1
            if isinstance(op, PutOp) and op.value is not None and op.namespace[:1] == (ARCHIVE,):
                archived += 1
        for kind, count in kinds.items():
            child = self._ops.get(kind)
            (child or self.store_ops.labels(kind)).inc(count)
        if archived:
            self.archive_writes.inc(archived)

    def observe_recall(self, seconds: float) -> None:
        """Time one recall build."""
        self.recall_seconds.observe(seconds)

    def observe_run(self, report: RunReport) -> None:
        """Count one pipeline run, and its tokens when it called the model."""
        self.pipeline_runs.labels(report.source or "none").inc()
        if report.tokens:
            self.run_tokens.observe(report.tokens)
        if report.budget_exhausted:
            self.budget_exhausted.inc()

    def watch_runtime(self, runtime: MemoryRuntime) -> None:
        """Observe the memory features' runtime (built on the features' first use)."""
        with self._lock:
            self._runtime = runtime
            runtime.on_recall = self.observe_recall
            runtime.pipeline.on_run = self.observe_run

    def attach(self) -> None:
        """Start observing (``metrics()`` does; the overhead benchmark toggles it)."""
        with self._lock:
            self.store.observer = self.observe_batch
            if self._runtime is not None:
                self._runtime.on_recall = self.observe_recall
                self._runtime.pipeline.on_run = self.observe_run

    def detach(self) -> None:
        """Stop observing; the values so far stay in the registry."""
        with self._lock:
            self.store.observer = None
            if self._runtime is not None:
                self._runtime.on_recall = None
                self._runtime.pipeline.on_run = None


class MetricsFeatures:
    """``memory.metrics()``: a mixin of ``Memory`` (needs ``store`` and the features)."""

    store: ChromaStore
    _memory_runtime: MemoryRuntime | None
    _metrics_state: MemoryMetrics | None = None
    _metrics_guard = threading.Lock()

    def metrics(self) -> CollectorRegistry:
        """This memory's Prometheus registry, created (and counting) on the first call.

        Call it right after opening the memory: operations before the first call are not
        counted. Every memory has its own registry, so two memories in one process each
        report their own figures under the same metric names.

        Returns:
            A ``prometheus_client.CollectorRegistry``; ``render_metrics`` turns it into
            Prometheus's text format.

        Raises:
            ImportError: Without the ``metrics`` extra (``prometheus-client``).

        Example:
            ```python
            registry = memory.metrics()  # or start_http_server(9464, registry=registry)
            ...
            body, content_type = memory.render_metrics()  # in the app's /metrics route
            ```
        """
        state = self._metrics_state
        if state is None:
            with self._metrics_guard:
                state = self._metrics_state
                if state is None:
                    state = MemoryMetrics(self.store, lambda: self._memory_runtime)
                    self._metrics_state = state
                    # set before looking, as the features set theirs before looking here:
                    # whichever comes second connects the two (twice is harmless)
                    if self._memory_runtime is not None:
                        state.watch_runtime(self._memory_runtime)
        return state.registry

    def render_metrics(self) -> tuple[bytes, str]:
        """This memory's metrics in Prometheus's text format, for an app's own route.

        Returns:
            ``(body, content_type)``; turns the metrics on if ``metrics()`` was not called.
        """
        return render_metrics(self.metrics())

    def _watch_runtime(self, runtime: MemoryRuntime) -> None:
        """Called by the features when they build their runtime."""
        if self._metrics_state is not None:
            self._metrics_state.watch_runtime(runtime)


def render_metrics(registry: CollectorRegistry) -> tuple[bytes, str]:
    """Prometheus's text exposition of ``registry``: ``(body, content_type)``."""
    prom = _prometheus()
    return prom.generate_latest(registry), str(prom.CONTENT_TYPE_LATEST)

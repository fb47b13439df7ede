"""Deferred, debounced background work, and LLM call accounting.

``Scheduler`` runs jobs keyed by thread: scheduling a key again before its job ran cancels
the pending one and reschedules it (debounce), so a burst of turns costs one run. In
``"background"`` mode jobs run on one daemon worker thread (created on first use; plain
threads work from sync and async callers alike, and store I/O is blocking anyway); in
``"inline"`` mode a job runs at once in the caller. ``flush()`` runs everything pending
now and waits until the worker is idle: call it at shutdown and in tests.

A failing job is logged and dropped; it never reaches the graph run that scheduled it.

``LLMCallCounter`` is a callback handler counting chat-model calls by purpose
(``session``: the one call of a pipeline run; ``reflection``: a lesson written on request
by ``reflect_on``); every model call made by the memory pipeline passes it, so
``memory.llm_calls`` reports what memory cost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from typing_extensions import override

from langmem_plugin._audit import background

__all__ = ["LLMCallCounter", "Scheduler"]

logger = logging.getLogger(__name__)
Mode = Literal["background", "inline"]


class LLMCallCounter(BaseCallbackHandler):
    """Counts chat-model calls started under a purpose tag (``tags=["langmem:<purpose>"]``).

    Also adds up the tokens the calls report (``usage_metadata`` of their messages), by
    purpose and ``"input"``/``"output"`` in ``tokens``; a model that reports none adds 0.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_purpose: Counter[str] = Counter()
        self.tokens: Counter[tuple[str, str]] = Counter()
        self._running: dict[UUID, str] = {}

    @override
    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[Any]],
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Count one call."""
        purpose = next(
            (t.split(":", 1)[1] for t in tags or [] if t.startswith("langmem:")), "other"
        )
        with self._lock:
            self.by_purpose[purpose] += 1
            self._running[run_id] = purpose

    def on_llm_start(self, serialized: dict[str, Any], prompts: list[str], **kwargs: Any) -> None:
        """Count a completion-model call too."""
        self.on_chat_model_start(serialized, [prompts], **kwargs)

    @override
    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Add the tokens the call reports to its purpose."""
        used = Counter[str]()
        for generations in response.generations:
            for generation in generations:
                usage = getattr(getattr(generation, "message", None), "usage_metadata", None)
                if usage:
                    used["input"] += int(usage.get("input_tokens", 0))
                    used["output"] += int(usage.get("output_tokens", 0))
        with self._lock:
            purpose = self._running.pop(run_id, "other")
            for kind, count in used.items():
                self.tokens[purpose, kind] += count

    @override
    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a failed call's purpose (it reported no usage)."""
        with self._lock:
            self._running.pop(run_id, None)

    @property
    def total_tokens(self) -> int:
        """All tokens (input and output) the calls reported so far."""
        with self._lock:
            return sum(self.tokens.values())

    @property
    def total(self) -> int:
        """All calls so far."""
        with self._lock:
            return sum(self.by_purpose.values())

    def reset(self) -> None:
        """Zero the counts."""
        with self._lock:
            self.by_purpose.clear()
            self.tokens.clear()

    def __repr__(self) -> str:
        return f"LLMCallCounter(total={self.total}, by_purpose={dict(self.by_purpose)})"


@dataclass
class _Job:
    due: float
    fn: Callable[[], None]


class Scheduler:
    """Debounced jobs per key, run in the background or inline.

    Args:
        mode: ``"background"`` (default) or ``"inline"``.
    """

    def __init__(self, mode: Mode = "background") -> None:
        if mode not in ("background", "inline"):
            raise ValueError(f"mode must be 'background' or 'inline', got {mode!r}")
        self.mode = mode
        self._jobs: dict[str, _Job] = {}
        self._cond = threading.Condition()
        self._running = 0
        self._worker: threading.Thread | None = None

    @property
    def pending(self) -> int:
        """How many jobs wait to run."""
        with self._cond:
            return len(self._jobs)

    def schedule(self, key: str, fn: Callable[[], None], delay: float = 0.0) -> None:
        """Run ``fn`` after ``delay`` seconds, replacing any pending job with the same key."""
        if self.mode == "inline":
            with self._cond:
                self._jobs.pop(key, None)
            self._run(fn)
            return
        with self._cond:
            self._jobs[key] = _Job(time.monotonic() + delay, fn)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=background(self._loop), name="langmem-scheduler", daemon=True
                )
                self._worker.start()
            self._cond.notify_all()

    def cancel(self, key: str) -> bool:
        """Drop a pending job; True when there was one."""
        with self._cond:
            return self._jobs.pop(key, None) is not None

    def run_now(self, key: str) -> None:
        """Run the pending job for ``key`` now, in the caller (no-op when none)."""
        with self._cond:
            job = self._jobs.pop(key, None)
            if job:
                self._running += 1
        if job:
            try:
                self._run(job.fn)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

    @staticmethod
    def _run(fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            logger.exception("langmem background job failed; it is skipped")

    def _loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    if not self._jobs:
                        self._cond.wait(timeout=60)
                        if not self._jobs:
                            self._worker = None
                            return
                        continue
                    key, job = min(self._jobs.items(), key=lambda kv: kv[1].due)
                    wait = job.due - time.monotonic()
                    if wait <= 0:
                        del self._jobs[key]
                        self._running += 1
                        break
                    self._cond.wait(timeout=wait)
            try:
                self._run(job.fn)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> None:
        """Run every pending job now and wait until none is running.

        Raises:
            TimeoutError: If work is still running after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            for job in self._jobs.values():
                job.due = 0.0
            self._cond.notify_all()
        while True:
            with self._cond:
                keys = list(self._jobs)
            for key in keys:
                self.run_now(key)
            with self._cond:
                if not self._jobs and self._running == 0:
                    return
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"langmem background work still running after {timeout}s")
                self._cond.wait(timeout=0.05 if remaining is None else min(remaining, 0.05))

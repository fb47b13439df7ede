"""Scheduler: debounce per key, background worker, inline mode, flush, failures."""

from __future__ import annotations

import threading
import time

import pytest

from langmem_plugin.nodes._scheduler import LLMCallCounter, Scheduler
from langmem_plugin.testing import ScriptedChatModel


def test_a_new_schedule_cancels_and_replaces_the_pending_job() -> None:
    scheduler = Scheduler("background")
    runs: list[int] = []
    for turn in range(5):
        scheduler.schedule("thread-1", lambda turn=turn: runs.append(turn), delay=30)
    assert scheduler.pending == 1
    scheduler.flush(timeout=5)
    assert runs == [4]
    assert scheduler.pending == 0


def test_jobs_run_in_the_background_after_their_delay() -> None:
    scheduler = Scheduler("background")
    done = threading.Event()
    ran_on: list[str] = []

    def job() -> None:
        ran_on.append(threading.current_thread().name)
        done.set()

    scheduler.schedule("k", job, delay=0.05)
    assert done.wait(5)
    assert ran_on == ["langmem-scheduler"]


def test_keys_are_independent() -> None:
    scheduler = Scheduler("background")
    runs: list[str] = []
    scheduler.schedule("a", lambda: runs.append("a"), delay=30)
    scheduler.schedule("b", lambda: runs.append("b"), delay=30)
    scheduler.flush(timeout=5)
    assert sorted(runs) == ["a", "b"]


def test_inline_mode_runs_in_the_caller() -> None:
    scheduler = Scheduler("inline")
    runs: list[str] = []
    scheduler.schedule("k", lambda: runs.append(threading.current_thread().name), delay=99)
    assert runs == [threading.current_thread().name]


def test_a_failing_job_is_logged_and_does_not_stop_others(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = Scheduler("background")
    runs: list[str] = []

    def boom() -> None:
        raise RuntimeError("job exploded")

    scheduler.schedule("bad", boom)
    scheduler.schedule("good", lambda: runs.append("good"), delay=0.01)
    scheduler.flush(timeout=5)
    assert runs == ["good"]
    assert "job exploded" in caplog.text


def test_flush_times_out_on_stuck_work() -> None:
    scheduler = Scheduler("background")
    release = threading.Event()
    scheduler.schedule("slow", lambda: release.wait(5))
    time.sleep(0.1)
    with pytest.raises(TimeoutError, match=r"0\.2"):
        scheduler.flush(timeout=0.2)
    release.set()
    scheduler.flush(timeout=5)


def test_bad_mode_is_named() -> None:
    with pytest.raises(ValueError, match="'later'"):
        Scheduler("later")  # type: ignore[arg-type]


def test_counter_counts_calls_by_purpose_tag() -> None:
    counter = LLMCallCounter()
    model = ScriptedChatModel(script=["a", "b", "c"])
    model.invoke("x", config={"callbacks": [counter], "tags": ["langmem:profile"]})
    model.invoke("x", config={"callbacks": [counter], "tags": ["langmem:episode"]})
    model.invoke("x", config={"callbacks": [counter]})
    assert counter.total == 3
    assert dict(counter.by_purpose) == {"profile": 1, "episode": 1, "other": 1}

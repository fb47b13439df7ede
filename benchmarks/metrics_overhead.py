"""What the Prometheus metrics cost: ``recall_context`` p50 with and without them.

Usage:
    python benchmarks/metrics_overhead.py [--users 20] [--items 300] [--queries 50]
        [--rounds 20] [--embeddings local|hash]

Builds one embedded memory in a temporary directory (``--users`` users with ``--items``
notes and archived turns each, written straight into the store in the archive's item
shape, as ``recall_latency.py`` does), turns its metrics on (``memory.metrics()``), and
times ``recall_context`` over the same memory and the same queries with the metrics
attached and detached
(``MemoryMetrics.detach``/``attach``, the hooks set to None), in ``--rounds`` interleaved
rounds whose order alternates, so drift in a shared machine's load hits both sides alike.
It also times one scrape (``render_metrics``: the grouped item count and the index-lag
count included), and the hooks' own cost per recall (store batches per recall times one
``observe_batch``, about the recall's timing too), which the p50s cannot resolve from
noise on a shared machine.

``--embeddings local`` (the default) is the bundled MiniLM, what a user runs; ``hash`` is
the cheap deterministic ``_stores.HashRandomEmbeddings``, which leaves the store and recall
work only and so makes any overhead look larger. Target: overhead <= 5 %.

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from langgraph.store.base import GetOp, PutOp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stores import HashRandomEmbeddings, query_text, sentence

from langmem_plugin._metrics import render_metrics
from langmem_plugin.memory import Memory


def build(memory: Memory, users: int, items: int) -> None:
    for user in range(users):
        ops = []
        for i in range(items):
            text = sentence(user, i)
            if i % 2:
                ops.append(PutOp(("memories", f"u{user}"), f"n{i}", {"content": text}))
            else:
                sid = f"s{i // 20}"
                value = {
                    "content": text,
                    "role": "user",
                    "speaker": f"u{user}",
                    "session_id": sid,
                    "thread_id": sid,
                    "user_id": f"u{user}",
                    "seq": i,
                    "occurred_at": f"2024-01-{1 + i // 20:02d}T12:00:00+00:00",
                    "message": "{}",
                }
                ops.append(PutOp(("archive", f"u{user}", sid), f"{sid}-{i}", value))
        for start in range(0, len(ops), 100):
            memory.store.batch(ops[start : start + 100])
    memory.store._index.run()  # type: ignore[union-attr]  # HNSW caught up: a steady state


def timed(memory: Memory, queries: list[tuple[str, str]]) -> list[float]:
    out = []
    for user, query in queries:
        started = time.perf_counter()
        memory.recall_context(user, query)
        out.append(time.perf_counter() - started)
    return out


def _count(samples: list[Any]) -> float:
    return float(next(s.value for s in samples if s.name.endswith("_count")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--embeddings", choices=["local", "hash"], default="local")
    args = parser.parse_args()
    embeddings: Any = "local" if args.embeddings == "local" else HashRandomEmbeddings()
    queries = [(f"u{n % args.users}", query_text(n % args.users, n)) for n in range(args.queries)]
    with (
        tempfile.TemporaryDirectory() as tmp,
        Memory.from_path(Path(tmp) / "memory", embeddings=embeddings) as memory,
    ):
        registry = memory.metrics()
        build(memory, args.users, args.items)
        state = memory._metrics_state
        assert state is not None
        timed(memory, queries[:20])  # warm-up: lexical indexes, caches
        on: list[float] = []
        off: list[float] = []
        for round_ in range(args.rounds):
            order = (True, False) if round_ % 2 == 0 else (False, True)
            for with_metrics in order:
                if with_metrics:
                    state.attach()
                    on += timed(memory, queries)
                else:
                    state.detach()
                    off += timed(memory, queries)
        state.attach()
        # the hooks' own cost per recall: store batches per recall x one observed batch
        before = state.store_seconds.collect()[0].samples
        timed(memory, queries[:10])
        after = state.store_seconds.collect()[0].samples
        per_recall = (_count(after) - _count(before)) / 10
        op = [GetOp(("memories", "u0"), "n1")]
        started = time.perf_counter()
        for _ in range(10_000):
            state.observe_batch(op, 0.001)
        hook_s = (time.perf_counter() - started) / 10_000
        scrapes = []
        for _ in range(50):
            started = time.perf_counter()
            render_metrics(registry)
            scrapes.append(time.perf_counter() - started)
    p50_on, p50_off = statistics.median(on), statistics.median(off)
    figures = {
        "embeddings": args.embeddings,
        "users": args.users,
        "items_per_user": args.items,
        "calls_each": len(on),
        "rounds": args.rounds,
        "p50_with_metrics_ms": round(p50_on * 1e3, 3),
        "p50_without_metrics_ms": round(p50_off * 1e3, 3),
        "overhead_pct": round((p50_on / p50_off - 1) * 100, 2),
        "scrape_p50_ms": round(statistics.median(scrapes) * 1e3, 3),
        "store_batches_per_recall": per_recall,
        "hook_us_per_batch": round(hook_s * 1e6, 2),
        "hooks_us_per_recall": round((per_recall + 1) * hook_s * 1e6, 1),
    }
    print(
        f"recall_context p50: {figures['p50_with_metrics_ms']} ms with metrics, "
        f"{figures['p50_without_metrics_ms']} ms without ({figures['overhead_pct']:+} %), "
        f"{len(on)} calls each; a scrape {figures['scrape_p50_ms']} ms; the hooks about "
        f"{figures['hooks_us_per_recall']} us per recall ({per_recall:g} store batches "
        f"x {figures['hook_us_per_batch']} us, and the recall's own timing)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

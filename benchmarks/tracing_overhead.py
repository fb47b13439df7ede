"""What the OpenTelemetry spans cost: ``recall_context`` p50 with and without an SDK recording.

Usage:
    python benchmarks/tracing_overhead.py [--users 20] [--items 300] [--queries 50]
        [--rounds 20] [--embeddings local|hash]

The same memory and queries as ``metrics_overhead.py`` (its ``build`` and ``timed``), timed
in ``--rounds`` interleaved rounds whose order alternates: once with langmem's tracer on an
SDK ``TracerProvider`` whose ``BatchSpanProcessor`` feeds an in-memory exporter (spans
recorded, attributes computed, exported off the hot path, as in production), once on the
global provider with no SDK configured (what every user runs by default: OpenTelemetry's
non-recording spans). The code cannot be timed without its spans, so the default's own cost
is measured apart: one non-recording span, times the spans per recall (counted from the
recording side).

``--embeddings local`` (the default) is the bundled MiniLM; ``hash`` the cheap
``_stores.HashRandomEmbeddings``, which makes any overhead look larger. Target: <= 5 %.

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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stores import HashRandomEmbeddings, query_text
from metrics_overhead import build, timed
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from langmem_plugin._tracing import set_tracer_provider, span
from langmem_plugin.memory import Memory


def span_cost(repeats: int = 20_000) -> float:
    """Seconds of one ``span()`` on the current tracer (entered and left, no attributes)."""
    started = time.perf_counter()
    for _ in range(repeats):
        with span("langmem.bench"):
            pass
    return (time.perf_counter() - started) / repeats


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
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    with (
        tempfile.TemporaryDirectory() as tmp,
        Memory.from_path(Path(tmp) / "memory", embeddings=embeddings) as memory,
    ):
        build(memory, args.users, args.items)
        timed(memory, queries[:20])  # warm-up: lexical indexes, caches
        on: list[float] = []
        off: list[float] = []
        for round_ in range(args.rounds):
            order = (True, False) if round_ % 2 == 0 else (False, True)
            for recording in order:
                set_tracer_provider(provider if recording else None)
                (on if recording else off).extend(timed(memory, queries))
        set_tracer_provider(provider)
        provider.force_flush()
        exporter.clear()
        timed(memory, queries[:10])
        provider.force_flush()
        per_recall = len(exporter.get_finished_spans()) / 10
        recording_s = span_cost()
        set_tracer_provider(None)
        noop_s = span_cost()
    provider.shutdown()
    p50_on, p50_off = statistics.median(on), statistics.median(off)
    figures = {
        "embeddings": args.embeddings,
        "users": args.users,
        "items_per_user": args.items,
        "calls_each": len(on),
        "rounds": args.rounds,
        "p50_recording_ms": round(p50_on * 1e3, 3),
        "p50_no_sdk_ms": round(p50_off * 1e3, 3),
        "overhead_recording_pct": round((p50_on / p50_off - 1) * 100, 2),
        "spans_per_recall": per_recall,
        "noop_span_us": round(noop_s * 1e6, 2),
        "recording_span_us": round(recording_s * 1e6, 2),
        "noop_us_per_recall": round(per_recall * noop_s * 1e6, 1),
        "noop_pct_of_p50": round(per_recall * noop_s / p50_off * 100, 3),
    }
    print(
        f"recall_context p50: {figures['p50_recording_ms']} ms with an SDK recording spans, "
        f"{figures['p50_no_sdk_ms']} ms without an SDK "
        f"({figures['overhead_recording_pct']:+} %), {len(on)} calls each; "
        f"{per_recall:g} spans per recall; a span costs {figures['noop_span_us']} us without "
        f"an SDK ({figures['noop_us_per_recall']} us per recall, "
        f"{figures['noop_pct_of_p50']} % of the p50) and {figures['recording_span_us']} us "
        "recorded"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

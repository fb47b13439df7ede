"""Load on a ChromaStore through a Chroma server: threads, then processes; no lost write.

Usage:
    python benchmarks/store_load.py [--seconds 60] [--threads 8] [--processes 4] [--seed 7]

Starts ``chroma run`` on 127.0.0.1 (a free port) in a temporary directory, then:

1. ``--threads`` threads of this process share one ChromaStore on that server and, for
   ``--seconds``, each do a random mix of puts (40%), gets of their own earlier puts (30%),
   searches with a query (15%) and searches without one (15%), limit 10. Each thread writes
   only its own namespaces, with keys never used before, and records every acknowledged put.
2. ``--processes`` processes (multiprocessing, spawn), each with its own ChromaStore on the
   server, do the same for ``--seconds``.

Then a new ChromaStore reads back every acknowledged put: a missing item or a different value
is a lost write. Any exception raised by the store, and any get that did not return the
caller's own acknowledged value (read-your-writes), counts as an error. Prints throughput
(ops/s) and p50/p95 latency per operation and phase; the last line is one JSON object with
``"lost"`` and ``"errors"``. Exit code 0 only if both are 0.

Bounded in time (the phases stop at their deadline, a stuck phase is abandoned after a grace
period), talks only to 127.0.0.1, and stops its server on exit, Ctrl-C or SIGTERM.
Vectors come from the cheap deterministic ``_stores.HashRandomEmbeddings``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _stores import chroma_server, index_config, open_chroma, query_text, sentence, summarize
from langgraph.store.base import BaseStore, GetOp

KINDS = ("put", "get", "search_query", "search_plain")
NAMESPACES_PER_WORKER = 4
GRACE_S = 120.0  # after the deadline, how long a phase may take to finish its last calls
MAX_SAMPLES = 20  # error messages kept for the report


def log(msg: str) -> None:
    print(f"[store_load {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class WorkerResult:
    """What one thread or process did: its acknowledged puts, latencies and errors."""

    worker: str
    acked: list[tuple[tuple[str, ...], str, dict[str, Any]]] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_SAMPLES:
            self.error_samples.append(f"{self.worker}: {what}")


def run_worker(store: BaseStore, worker: str, seconds: float, seed: int) -> WorkerResult:
    """Mixed traffic on ``store`` for ``seconds``; only this worker's namespaces are written."""
    rng = random.Random(seed)
    out = WorkerResult(worker)
    namespaces = [("load", worker, f"user-{j}") for j in range(NAMESPACES_PER_WORKER)]
    deadline = time.monotonic() + seconds
    seq = 0
    while time.monotonic() < deadline:
        dice = rng.random()
        ns = rng.choice(namespaces)
        try:
            if not out.acked or dice < 0.4:
                seq += 1
                key = f"k{seq}"
                value = {
                    "content": sentence(rng.randrange(1000), seq),
                    "kind": ("fact", "event", "preference")[seq % 3],
                    "writer": worker,
                    "seq": seq,
                }
                t0 = time.perf_counter()
                store.put(ns, key, value)
                out.latencies["put"].append(time.perf_counter() - t0)
                out.acked.append((ns, key, value))
            elif dice < 0.7:
                own_ns, key, value = rng.choice(out.acked)
                t0 = time.perf_counter()
                item = store.get(own_ns, key)
                out.latencies["get"].append(time.perf_counter() - t0)
                if item is None or item.value != value:
                    got = None if item is None else item.value
                    out.error(f"get {own_ns}/{key} returned {got!r} after its put was acknowledged")
            elif dice < 0.85:
                t0 = time.perf_counter()
                store.search(ns, query=query_text(seq, rng.randrange(100)), limit=10)
                out.latencies["search_query"].append(time.perf_counter() - t0)
            else:
                t0 = time.perf_counter()
                store.search(ns, limit=10)
                out.latencies["search_plain"].append(time.perf_counter() - t0)
        except Exception as exc:
            out.error(f"{type(exc).__name__}: {exc}")
    return out


def process_main(url: str, tmpdir: str, worker: str, seconds: float, seed: int) -> WorkerResult:
    """Body of one spawned process: its own ChromaStore on the server, the same traffic."""
    # the same tmpdir as the parent's store: one store, whatever local files it may need
    store = open_chroma("server", Path(tmpdir), url, index=index_config())
    try:
        return run_worker(store, worker, seconds, seed)
    finally:
        store.close()


def phase_threads(store: BaseStore, args: argparse.Namespace) -> tuple[list[WorkerResult], float]:
    """``--threads`` daemon threads on one store; a thread stuck past the grace is an error."""
    results: list[WorkerResult | None] = [None] * args.threads

    def body(i: int) -> None:
        results[i] = run_worker(store, f"t{i}", args.seconds, args.seed * 1000 + i)

    threads = [
        threading.Thread(target=body, args=(i,), name=f"load-t{i}", daemon=True)
        for i in range(args.threads)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    deadline = time.monotonic() + args.seconds + GRACE_S
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    elapsed = time.perf_counter() - started
    done = [r for r in results if r is not None]
    if len(done) < args.threads:  # daemon threads die with the process; the server is stopped
        raise TimeoutError(
            f"{args.threads - len(done)} threads did not finish (stuck past the grace, or crashed)"
        )
    return done, elapsed


def phase_processes(
    url: str, tmp: Path, args: argparse.Namespace
) -> tuple[list[WorkerResult], float]:
    ctx = multiprocessing.get_context("spawn")
    jobs = [
        (url, str(tmp), f"p{i}", args.seconds, args.seed * 1000 + 500 + i)
        for i in range(args.processes)
    ]
    with ctx.Pool(args.processes) as pool:  # leaving the block terminates stragglers
        started = time.perf_counter()
        pending = pool.starmap_async(process_main, jobs)
        # a process needs a few seconds to import and connect before its traffic starts
        results = pending.get(timeout=args.seconds + GRACE_S)
        elapsed = time.perf_counter() - started
    return results, elapsed


def verify(store: BaseStore, results: list[WorkerResult]) -> tuple[int, int, list[str]]:
    """Read back every acknowledged put: (acknowledged, lost, samples of lost ones)."""
    acked = [a for r in results for a in r.acked]
    lost = 0
    samples: list[str] = []
    for lo in range(0, len(acked), 100):
        chunk = acked[lo : lo + 100]
        items = store.batch([GetOp(ns, key) for ns, key, _ in chunk])
        for (ns, key, value), item in zip(chunk, items, strict=True):
            if item is None or item.value != value:  # type: ignore[union-attr]
                lost += 1
                if len(samples) < MAX_SAMPLES:
                    samples.append(f"{'/'.join(ns)}/{key}")
    return len(acked), lost, samples


def phase_summary(results: list[WorkerResult], elapsed: float, traffic_s: float) -> dict[str, Any]:
    """Throughput over the traffic window and latency per operation kind."""
    ops: dict[str, Any] = {}
    total = 0
    for kind in KINDS:
        lat = [x for r in results for x in r.latencies[kind]]
        total += len(lat)
        ops[kind] = {"ops_per_s": round(len(lat) / traffic_s, 1), **summarize(lat)}
    return {
        "workers": len(results),
        "wall_s": round(elapsed, 2),
        "ops": total,
        "ops_per_s": round(total / traffic_s, 1),
        "by_op": ops,
        "errors": sum(r.errors for r in results),
    }


def print_phase(title: str, summary: dict[str, Any]) -> None:
    print(f"\n## {title}: {summary['ops']} ops, {summary['ops_per_s']:.0f} ops/s")
    print(f"{'operation':<14}{'ops/s':>9}{'calls':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for kind, s in summary["by_op"].items():
        p50 = "-" if s["p50_ms"] is None else f"{s['p50_ms']:.2f}"
        p95 = "-" if s["p95_ms"] is None else f"{s['p95_ms']:.2f}"
        print(f"{kind:<14}{s['ops_per_s']:>9.1f}{s['n']:>8}{p50:>9}{p95:>9}")
    print(f"errors: {summary['errors']}")


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the with-blocks: pool and server are stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="traffic per phase")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.threads < 1 or args.processes < 1:
        parser.error("--seconds, --threads and --processes must be positive")
    signal.signal(signal.SIGTERM, _terminate)

    errors_samples: list[str] = []
    phases: dict[str, Any] = {}
    extra_errors = 0
    everything: list[WorkerResult] = []
    with tempfile.TemporaryDirectory(prefix="store_load-") as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "server").mkdir()
        with chroma_server(tmp / "server" / "chroma") as url:
            log(f"chroma run listening at {url}")
            store = open_chroma("server", tmp, url, index=index_config())
            try:
                log(f"phase 1: {args.threads} threads for {args.seconds:g} s")
                try:
                    results, elapsed = phase_threads(store, args)
                except Exception as exc:  # a stuck or crashed phase is an error, not a hang
                    results, elapsed = [], 0.0
                    extra_errors += 1
                    errors_samples.append(f"threads phase: {type(exc).__name__}: {exc}")
                everything += results
                phases["threads"] = phase_summary(results, elapsed, args.seconds)
                log(f"phase 1 done in {elapsed:.1f} s")

                log(f"phase 2: {args.processes} processes for {args.seconds:g} s")
                try:
                    results, elapsed = phase_processes(url, tmp, args)
                except Exception as exc:
                    results, elapsed = [], 0.0
                    extra_errors += 1
                    errors_samples.append(f"processes phase: {type(exc).__name__}: {exc}")
                everything += results
                phases["processes"] = phase_summary(results, elapsed, args.seconds)
                log(f"phase 2 done in {elapsed:.1f} s (process start-up included)")
            finally:
                store.close()

            reader = open_chroma("server", tmp, url, index=index_config())
            try:
                t0 = time.perf_counter()
                acknowledged, lost, lost_samples = verify(reader, everything)
                log(
                    f"verified {acknowledged} acknowledged puts in {time.perf_counter() - t0:.1f} s"
                )
            finally:
                reader.close()

    errors = extra_errors + sum(r.errors for r in everything)
    errors_samples += [s for r in everything for s in r.error_samples][:MAX_SAMPLES]
    print(
        f"# ChromaStore on a Chroma server over loopback: {args.threads} threads, then "
        f"{args.processes} processes, {args.seconds:g} s each"
    )
    print_phase(f"{args.threads} threads, one store", phases["threads"])
    print_phase(f"{args.processes} processes, a store each", phases["processes"])
    print(f"\nacknowledged puts: {acknowledged}, lost: {lost}, errors: {errors}")
    for s in lost_samples:
        print(f"  lost: {s}")
    for s in errors_samples:
        print(f"  error: {s}")
    print(
        json.dumps(
            {
                "seconds": args.seconds,
                "threads": args.threads,
                "processes": args.processes,
                "phases": phases,
                "acknowledged_puts": acknowledged,
                "lost": lost,
                "errors": errors,
                "lost_samples": lost_samples,
                "error_samples": errors_samples,
            }
        )
    )
    return 0 if lost == 0 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

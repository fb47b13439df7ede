"""ChromaStore against LangGraph's own stores at multi-tenant scale (issue 10).

Usage:
    python benchmarks/store_scale.py [--users 200] [--per-user 50] [--queries 200]
                                     [--budget 20] [--server] [--seed 7]
                                     [--stores memory,sqlite,path,server]
                                     [--close-timeout 600]

Loads the same U users x M memories into these stores, all open side by side in this process:

* ``InMemoryStore`` with a 384-dim index on ``content``;
* ``SqliteStore`` (langgraph-checkpoint-sqlite) on a file, without a vector index (SQLite
  extensions cannot load on this Python);
* ``ChromaStore(path=...)``, embedded, with the same index;
* with ``--server``, ``ChromaStore`` on a ``chroma run`` server on 127.0.0.1 that this script
  starts and stops.

Item ``("memories", f"user-{u}")`` / ``f"m{i}"`` holds ``{"content", "kind", ...}``; ``kind``
cycles through fact/event/preference. Vectors come from a deterministic hash-seeded RNG (see
``_stores.HashRandomEmbeddings``), the same for every store, so the embedder costs nothing.

Measured per store: put throughput while loading (one ``batch`` of up to 50 ``PutOp`` per
user), then for the same random users and keys on every store, one call at a time: ``get``,
filtered search (``filter={"kind": "fact"}, limit=10``), vector search (``query=``,
``limit=10``; not on SqliteStore), ``list_namespaces(prefix=("memories",), limit=100)`` and
search without a query (``limit=10``). Each operation gets one untimed call whose answer
is checked (a fast wrong answer is not a result; it is also the warm-up), then up to
``--queries`` timed calls or ``--budget`` seconds of its calls, whichever comes first (the
number made is printed), so that the script ends even on a slow store.

Put throughput: ``items/s`` counts the acknowledged puts, embedding excluded (the time the
stores with an index spend in the embedder, added up by ``HashRandomEmbeddings.seconds``,
is subtracted, as the issue asks): a ChromaStore put returns once its
SQL transaction commits, when the item is durable and found by every search (vectors not yet
in Chroma's HNSW index are scored exactly). The put target and ratios use it, as for the
peers. Chroma's index catches up in a background thread; ``items/s until indexed`` adds the
time ``sync_index()`` then takes to make the index complete, and is printed beside it (no
target: LangGraph's SqliteStore here has no vector index at all). The store is then closed
and reopened (the queries run on the reopened store); a close that does not return within
``--close-timeout`` fails the run. Waiting for the index before the next store loads keeps
one store's indexing out of the next one's figures.

Stores load one after the other (LangGraph's first, then ``os.sync()`` and a pause), so
that no store's commits wait on another's writes being flushed. Timing goes operation by
operation, each store making its calls in one stretch followed by a pause: the stores'
figures for one operation are taken within a minute or so of each other (a shared machine's
load drifts), and one store's leftover work does not land in another's calls (taking turns
call by call made LangGraph's stores several times slower, which flatters ChromaStore's
ratios). Each store's figures count only its own calls.

Prints a table per operation with ChromaStore's ratio to the best peer, PASS/FAIL for the
targets of issue 10 (on p50: get, filtered search and list_namespaces within 10x of
SqliteStore; vector search within 5x of InMemoryStore; put throughput at least 1/10 of
SqliteStore's), the server's cost over embedded when ``--server`` is given, and as its last
line one JSON object. Phase timings go to stderr. Absolute figures depend on the machine
and its load; the ratios are what the targets are about.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _stores import (
    KINDS,
    chroma_server,
    index_config,
    memory_value,
    open_chroma,
    query_text,
    summarize,
)
from langgraph.store.base import BaseStore, PutOp

BATCH = 50
OPS = ["get", "filtered_search", "vector_search", "list_namespaces", "search_no_query"]
LABELS = {
    "put": "put, items/s (batches of 50)",
    "get": "get",
    "filtered_search": 'filtered search (filter={"kind": "fact"}, limit=10)',
    "vector_search": "vector search (query=..., limit=10)",
    "list_namespaces": 'list_namespaces(prefix=("memories",), limit=100)',
    "search_no_query": "search without query (limit=10)",
}
# op -> (peer it is compared with, the factor allowed); put: peer's rate / ChromaStore's.
TARGETS: dict[str, tuple[str, float]] = {
    "put": ("SqliteStore", 10.0),
    "get": ("SqliteStore", 10.0),
    "filtered_search": ("SqliteStore", 10.0),
    "vector_search": ("InMemoryStore", 5.0),
    "list_namespaces": ("SqliteStore", 10.0),
}
PEERS = ("InMemoryStore", "SqliteStore")
SETTLE_S = 0.5  # pause between one store's stretch of calls and the next store's
ALIASES = {
    "memory": "InMemoryStore",
    "sqlite": "SqliteStore",
    "path": "ChromaStore(path)",
    "server": "ChromaStore(server)",
}


def log(msg: str) -> None:
    print(f"[store_scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Request:
    """One timed call's arguments: the same sequence is replayed on every store."""

    user: int
    key: int
    query: int


def make_requests(users: int, per_user: int, n: int, seed: int) -> list[Request]:
    rng = random.Random(seed)
    return [
        Request(rng.randrange(users), rng.randrange(per_user), rng.randrange(1_000_000))
        for _ in range(n)
    ]


@contextlib.contextmanager
def open_store(name: str, tmp: Path, url: str | None, sql: str | None) -> Iterator[BaseStore]:
    """Each compared store, fresh and empty, closed on exit (``sql``: the server store's items)."""
    if name == "InMemoryStore":
        from langgraph.store.memory import InMemoryStore

        yield InMemoryStore(index=index_config())  # type: ignore[arg-type]
    elif name == "SqliteStore":
        from langgraph.store.sqlite import SqliteStore

        with SqliteStore.from_conn_string(str(tmp / "store.sqlite")) as store:
            store.setup()
            yield store
    elif name in ("ChromaStore(path)", "ChromaStore(server)"):
        kind = "server" if name == "ChromaStore(server)" else "path"
        store = open_chroma(kind, tmp, url, sql if kind == "server" else None, index=index_config())
        try:
            yield store
        finally:
            store.close()
    else:
        raise ValueError(name)


def close_within(store: BaseStore, name: str, timeout: float) -> float:
    """``store.close()`` in a daemon thread; its duration, or an error past ``timeout``."""
    failure: list[BaseException] = []

    def body() -> None:
        try:
            store.close()  # type: ignore[attr-defined]
        except BaseException as exc:
            failure.append(exc)

    t0 = time.perf_counter()
    thread = threading.Thread(target=body, name=f"close-{name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"{name}.close() did not return within {timeout:g} s")
    if failure:
        raise failure[0]
    return time.perf_counter() - t0


def load(store: BaseStore, name: str, users: int, per_user: int) -> dict[str, Any]:
    """Put every item, one ``batch`` of up to 50 PutOps per user; items/s over the whole load.

    Stores load one after the other, LangGraph's first, each followed by ``os.sync()`` and a
    pause: a store's writes still being flushed by the OS would otherwise stall the next
    store's commits (taking turns by blocks of users made SqliteStore's puts 10x slower,
    which flatters ChromaStore's ratio).
    """
    latencies: list[float] = []
    embedder = getattr(store, "embeddings", None)
    embedded_before = float(getattr(embedder, "seconds", 0.0))
    started = time.perf_counter()
    for u in range(users):
        ns = ("memories", f"user-{u}")
        for lo in range(0, per_user, BATCH):
            ops = [
                PutOp(ns, f"m{i}", memory_value(u, i)) for i in range(lo, min(per_user, lo + BATCH))
            ]
            t0 = time.perf_counter()
            store.batch(ops)
            latencies.append(time.perf_counter() - t0)
        if (u + 1) % max(1, users // 5) == 0 and u + 1 < users:
            log(f"{name}: loaded {u + 1}/{users} users in {time.perf_counter() - started:.0f} s")
    seconds = time.perf_counter() - started
    embed_s = float(getattr(embedder, "seconds", 0.0)) - embedded_before
    stats = summarize(latencies)
    log(f"{name}: {users * per_user} items in {seconds:.1f} s ({embed_s:.1f} s embedding)")
    os.sync()
    time.sleep(SETTLE_S)
    return {
        "items": users * per_user,
        "seconds": round(seconds, 3),
        "embed_s": round(embed_s, 3),
        "items_per_s": round(users * per_user / (seconds - embed_s), 1),
        "batch_p50_ms": stats["p50_ms"],
        "batch_p95_ms": stats["p95_ms"],
    }


def calls(store: BaseStore) -> dict[str, Callable[[Request], Any]]:
    def ns(r: Request) -> tuple[str, str]:
        return ("memories", f"user-{r.user}")

    return {
        "get": lambda r: store.get(ns(r), f"m{r.key}"),
        "filtered_search": lambda r: store.search(ns(r), filter={"kind": "fact"}, limit=10),
        "vector_search": lambda r: store.search(ns(r), query=query_text(r.user, r.query), limit=10),
        "list_namespaces": lambda r: store.list_namespaces(prefix=("memories",), limit=100),
        "search_no_query": lambda r: store.search(ns(r), limit=10),
    }


def check_answers(
    store: BaseStore, name: str, r: Request, users: int, per_user: int, vectors: bool
) -> None:
    """Fail loudly if a store answers wrongly: a fast wrong answer is not a result.

    Calls each operation once, untimed: this is also the warm-up of every operation.
    """
    fn = calls(store)
    ns = ("memories", f"user-{r.user}")
    item = fn["get"](r)
    if item is None or item.value != memory_value(r.user, r.key):
        raise AssertionError(f"{name}: get returned {item!r}")
    facts = len(range(0, per_user, len(KINDS)))
    found = fn["filtered_search"](r)
    if len(found) != min(10, facts) or any(
        i.value["kind"] != "fact" or i.namespace != ns for i in found
    ):
        raise AssertionError(f"{name}: filtered search returned {found!r}")
    if vectors:
        hits = fn["vector_search"](r)
        if len(hits) != min(10, per_user) or any(i.namespace != ns for i in hits):
            raise AssertionError(f"{name}: vector search returned {hits!r}")
    listed = fn["list_namespaces"](r)
    if len(listed) != min(100, users) or any(n[0] != "memories" for n in listed):
        raise AssertionError(f"{name}: list_namespaces returned {len(listed)} namespaces")
    plain = fn["search_no_query"](r)
    if len(plain) != min(10, per_user) or any(i.namespace != ns for i in plain):
        raise AssertionError(f"{name}: search without query returned {plain!r}")


def measure(
    stores: dict[str, BaseStore], requests: list[Request], budget: float
) -> dict[str, dict[str, Any]]:
    """Time each operation on every store, operation by operation.

    For one operation, each store makes its calls in one stretch (the same requests), then
    pauses before the next store: the stores' figures for an operation are taken minutes
    apart at most, and one store's background work does not land in another's calls. A
    store stops after ``budget`` seconds of its own calls.
    """
    out: dict[str, dict[str, Any]] = {name: {} for name in stores}
    for op in OPS:
        for name, store in stores.items():
            if op == "vector_search" and name == "SqliteStore":
                continue
            fn = calls(store)[op]
            latencies: list[float] = []
            spent = 0.0
            for r in requests:
                t0 = time.perf_counter()
                fn(r)
                latencies.append(time.perf_counter() - t0)
                spent += latencies[-1]
                if spent > budget:
                    break
            out[name][op] = summarize(latencies)
            capped = " (time budget reached)" if len(latencies) < len(requests) else ""
            log(f"{name}: {op} x{len(latencies)}{capped} in {spent:.1f} s")
            time.sleep(SETTLE_S)
    return out


def indexed(put: dict[str, Any]) -> float:
    """Items/s until the vector index was complete, when measured, else items/s."""
    return float(put.get("items_per_s_until_indexed", put["items_per_s"]))


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0:
        return None
    return round(a / b, 2)


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """ChromaStore's ratio to each peer, to the best peer, and the targets' verdicts."""
    out: dict[str, Any] = {}
    for name in ("ChromaStore(path)", "ChromaStore(server)"):
        if name not in results:
            continue
        mine = results[name]
        per_op: dict[str, Any] = {}
        for op in ["put", *OPS]:
            entry: dict[str, Any] = {}
            if op == "put":
                # slower-by factor: peer's items/s over ours
                rates = {p: results[p]["put"]["items_per_s"] for p in PEERS if p in results}
                for peer, rate in rates.items():
                    entry[f"vs_{peer}"] = ratio(rate, mine["put"]["items_per_s"])
                    entry[f"vs_{peer}_until_indexed"] = ratio(rate, indexed(mine["put"]))
                best = max(rates.values(), default=None)
                entry["vs_best_peer"] = ratio(best, mine["put"]["items_per_s"])
            else:
                p50s = {p: results[p][op]["p50_ms"] for p in PEERS if op in results.get(p, {})}
                for peer, p50 in p50s.items():
                    entry[f"vs_{peer}"] = ratio(mine[op]["p50_ms"], p50)
                valid = [v for v in p50s.values() if v]
                entry["vs_best_peer"] = ratio(mine[op]["p50_ms"], min(valid)) if valid else None
            if op in TARGETS:
                peer, factor = TARGETS[op]
                got = entry.get(f"vs_{peer}")
                entry["target"] = f"<= {factor:g}x {peer}"
                entry["pass"] = got is not None and got <= factor
            per_op[op] = entry
        out[name] = per_op
    if "ChromaStore(server)" in results and "ChromaStore(path)" in results:
        srv, emb = results["ChromaStore(server)"], results["ChromaStore(path)"]
        hop: dict[str, Any] = {"put": ratio(emb["put"]["items_per_s"], srv["put"]["items_per_s"])}
        for op in OPS:
            hop[op] = ratio(srv[op]["p50_ms"], emb[op]["p50_ms"])
        out["server_vs_path"] = hop
    return out


def fmt_ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def print_tables(results: dict[str, dict[str, Any]], rat: dict[str, Any]) -> None:
    names = list(results)
    chroma = [n for n in names if n.startswith("ChromaStore")]
    for op in ["put", *OPS]:
        print(f"\n## {LABELS[op]}")
        if op == "put":
            print(
                f"{'store':<22}{'items/s':>10}{'seconds':>10}{'batch p50':>11}{'batch p95':>11}"
                f"{'index s':>9}{'items/s until indexed':>23}"
            )
            for n in names:
                p = results[n]["put"]
                print(
                    f"{n:<22}{p['items_per_s']:>10.0f}{p['seconds']:>10.1f}"
                    f"{fmt_ms(p['batch_p50_ms']):>11}{fmt_ms(p['batch_p95_ms']):>11}"
                    f"{fmt_ms(p.get('index_s')):>9}{indexed(p):>23.0f}"
                )
        else:
            print(f"{'store':<22}{'p50 ms':>10}{'p95 ms':>10}{'calls':>7}")
            for n in names:
                if op not in results[n]:
                    print(f"{n:<22}{'(no index)':>10}")
                    continue
                s = results[n][op]
                print(f"{n:<22}{fmt_ms(s['p50_ms']):>10}{fmt_ms(s['p95_ms']):>10}{s['n']:>7}")
        for n in chroma:
            e = rat[n][op]
            best = e["vs_best_peer"]
            line = f"  {n}: {'-' if best is None else f'{best:g}x'} the best peer"
            if "target" in e:
                peer = TARGETS[op][0]
                got = e[f"vs_{peer}"]
                verdict = "PASS" if e["pass"] else "FAIL"
                shown = "-" if got is None else f"{got:g}x"
                line += f"; {shown} {peer}, target {e['target']}: {verdict}"
            else:
                vs_sqlite = e.get("vs_SqliteStore")
                if vs_sqlite is not None:
                    line += f"; {vs_sqlite:g}x SqliteStore"
                line += " (no target)"
            print(line)
        if "server_vs_path" in rat and rat["server_vs_path"][op] is not None:
            print(f"  server / embedded: {rat['server_vs_path'][op]:g}x (the network hop)")


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the with-blocks: the Chroma server is stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--per-user", type=int, default=50)
    parser.add_argument("--queries", type=int, default=200, help="timed calls per operation")
    parser.add_argument(
        "--budget", type=float, default=20.0, help="seconds per operation and store, at most"
    )
    parser.add_argument("--server", action="store_true", help="also ChromaStore on chroma run")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="with --server, keep the server store's items in a PostgreSQL this script starts "
        "on 127.0.0.1 (the scale-out setup) instead of a local SQLite file",
    )
    parser.add_argument(
        "--stores",
        default="memory,sqlite,path",
        help="comma-separated subset of memory,sqlite,path,server (--server adds server)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--close-timeout",
        type=float,
        default=600.0,
        help="seconds a ChromaStore's close() after loading may take before the run fails",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    if args.users < 1 or args.per_user < 1 or args.queries < 1:
        parser.error("--users, --per-user and --queries must be at least 1")

    requests = make_requests(args.users, args.per_user, args.queries, args.seed)
    wanted = {a.strip() for a in args.stores.split(",") if a.strip()}
    if args.server:
        wanted.add("server")
    if unknown := wanted - set(ALIASES):
        parser.error(f"unknown --stores {sorted(unknown)}; choose among {', '.join(ALIASES)}")
    names = [name for alias, name in ALIASES.items() if alias in wanted]
    server = "ChromaStore(server)" in names
    results: dict[str, dict[str, Any]] = {}
    total = time.perf_counter()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="store_scale-") as tmpdir:
        tmp = Path(tmpdir)
        with contextlib.ExitStack() as stack:
            url = None
            if server:
                t0 = time.perf_counter()
                (tmp / "server").mkdir()
                url = stack.enter_context(chroma_server(tmp / "server" / "chroma"))
                log(f"chroma run listening at {url} after {time.perf_counter() - t0:.1f} s")
            sql = None
            if server and args.postgres:
                from tests._pg import running_postgres

                sql = stack.enter_context(running_postgres())
                log(f"PostgreSQL for the server store's items at {sql}")
            stores: dict[str, BaseStore] = {}
            where = {name: tmp / name.replace("(", "-").rstrip(")") for name in names}
            for name in names:
                where[name].mkdir()
                stores[name] = stack.enter_context(open_store(name, where[name], url, sql))
            for name, store in stores.items():
                log(f"{name}: loading {args.users} x {args.per_user} items")
                results[name] = {"put": load(store, name, args.users, args.per_user)}
                if name.startswith("ChromaStore"):
                    # wait for Chroma's index to take in every vector ("until indexed"), then
                    # close and reopen: the queries run on a store opened from disk
                    put = results[name]["put"]
                    t0 = time.perf_counter()
                    store.sync_index()  # type: ignore[attr-defined]
                    put["index_s"] = round(time.perf_counter() - t0, 3)
                    spent = put["seconds"] - put["embed_s"] + put["index_s"]
                    until_indexed = put["items"] / spent
                    put["items_per_s_until_indexed"] = round(until_indexed, 1)
                    put["close_s"] = round(close_within(store, name, args.close_timeout), 3)
                    log(
                        f"{name}: indexed in {put['index_s']:.1f} s, closed in "
                        f"{put['close_s']:.1f} s; reopening"
                    )
                    stores[name] = stack.enter_context(open_store(name, where[name], url, sql))
            for name, store in stores.items():  # untimed; also the warm-up
                vectors = name != "SqliteStore"
                check_answers(store, name, requests[0], args.users, args.per_user, vectors)
            for name, ops in measure(stores, requests, args.budget).items():
                results[name].update(ops)
    log(f"done in {time.perf_counter() - total:.1f} s")

    rat = ratios(results)
    load_after = os.getloadavg()
    print(f"# {args.users} users x {args.per_user} memories = {args.users * args.per_user} items")
    print(
        f"# {os.cpu_count()} CPUs; 1-min load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after (other processes' load makes short runs noisy)"
    )
    print_tables(results, rat)
    verdicts = [
        e["pass"] for n in rat if n != "server_vs_path" for e in rat[n].values() if "pass" in e
    ]
    print(f"\ntargets met: {sum(verdicts)}/{len(verdicts)}")
    summary = {
        "users": args.users,
        "per_user": args.per_user,
        "items": args.users * args.per_user,
        "queries": args.queries,
        "budget_s": args.budget,
        "cpus": os.cpu_count(),
        "loadavg_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "stores": results,
        "ratios": rat,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

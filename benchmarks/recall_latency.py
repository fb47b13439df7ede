"""Latency of ``Memory.recall_context`` for a user with many archived turns.

Builds one user's archive of ``--turns`` turns (LoCoMo turns replicated into as many sessions
as needed, each session dated a day apart; real local MiniLM embeddings), ingests a few
sessions through ``Memory.ingest`` so that profile facts and episodes exist too, then times
``recall_context`` for LoCoMo questions (query embedding included) and prints p50/p95.

The archive turns are written straight into the store in the archive's item shape
(``("archive", user, session)``, see ``langmem_plugin.history``) rather than through
``Memory.ingest``: same items, minutes faster to build. Their entities, relations and
mentions are written by the pipeline's offline rules (``knowledge.record_knowledge``), so
that associative recall has a real user's links to follow; each query is also timed on the
same recall without associative expansion (interleaved), printed beside it.

With ``--persona NAME`` the archive and the ingested sessions are that persona's
(``("persona", user, NAME, "archive", session)``, see ``langmem_plugin._namespaces``) and
recall runs as it; ``--plain-turns N`` adds N turns (and the same few ingested sessions) of
the same user *without* a persona beside them: what the persona's recall must not see, nor
pay for. Recall is then timed for both scopes, interleaved query by query, so that the two
figures share the machine's load.

Usage::

    python benchmarks/recall_latency.py [DATA.json] [--turns 10000] [--queries 200]
        [--path DIR] [--embeddings minilm|mpnet] [--persona NAME]
        [--plain-turns N]

``DATA.json`` defaults to ``../shared/data/locomo/locomo_dev.json``; with ``--path`` the
memory is kept in ``DIR`` and reused by the next run (built only when empty). The last line
is one JSON object with the figures: latencies, the build's ingest rate (turns/s, embedding
included) and the process's peak RSS (MiB) with the model loaded.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.store.base import PutOp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _locomo import add_embeddings_argument, load

from langmem_plugin._namespaces import persona_namespace
from langmem_plugin.knowledge._pipeline import record_knowledge
from langmem_plugin.memory import Memory
from langmem_plugin.nodes._context import Scope
from langmem_plugin.nodes.recall import Recall

USER = "bench-user"
DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared/data/locomo/locomo_dev.json"
BATCH = 512


def _sessions(data: Path) -> tuple[list[list[tuple[str, str, str]]], list[str]]:
    """LoCoMo sessions as lists of (speaker, role, text), and the questions."""
    sessions: list[list[tuple[str, str, str]]] = []
    questions: list[str] = []
    for conv in load(data):
        first = conv.turns[0].speaker if conv.turns else ""
        by_session: dict[int, list[tuple[str, str, str]]] = {}
        for turn in conv.turns:
            role = "user" if turn.speaker == first else "assistant"
            by_session.setdefault(turn.session, []).append((turn.speaker, role, turn.content))
        sessions.extend(by_session[n] for n in sorted(by_session))
        questions.extend(q.text for q in conv.questions)
    return sessions, questions


def _build(
    memory: Memory,
    sessions: list[list[tuple[str, str, str]]],
    turns: int,
    persona: str | None = None,
    ingest: bool = True,
) -> int:
    start = datetime(2023, 1, 1, 12, tzinfo=UTC)
    ops: list[PutOp] = []
    written = n = 0
    while written < turns:
        session = sessions[n % len(sessions)]
        sid = f"s{n}"
        when = (start + timedelta(days=n)).isoformat()
        for seq, (speaker, role, text) in enumerate(session[: turns - written]):
            value: dict[str, Any] = {
                "content": text,
                "role": role,
                "speaker": speaker,
                "session_id": sid,
                "thread_id": sid,
                "user_id": USER,
                "seq": seq,
                "occurred_at": when,
                "message": "{}",
            }
            ops.append(
                PutOp(persona_namespace("archive", USER, persona, sid), f"{sid}-{seq}", value)
            )
            written += 1
        if len(ops) >= BATCH:
            memory.store.batch(ops)
            ops = []
        n += 1
    if ops:
        memory.store.batch(ops)
    _build_knowledge(memory, sessions, turns, start)
    for i, session in enumerate(
        sessions[:5] if ingest else []
    ):  # facts and episodes from a few real ingests
        messages: list[BaseMessage] = [
            HumanMessage(text) if role == "user" else AIMessage(text) for _, role, text in session
        ]
        memory.ingest(
            messages,
            user_id=USER,
            thread_id=f"ingested-{i}",
            timestamp=start + timedelta(days=i),
            persona_id=persona,
        )
    return written


def _build_knowledge(
    memory: Memory, sessions: list[list[tuple[str, str, str]]], turns: int, start: datetime
) -> None:
    """Entities, relations and mentions of the archived turns, as the pipeline's rules write
    them (so that associative recall has as many mentions to follow as a real user)."""
    written = n = 0
    while written < turns:
        session = sessions[n % len(sessions)][: turns - written]
        sid = f"s{n}"
        messages: list[BaseMessage] = [
            (HumanMessage if role == "user" else AIMessage)(text, id=f"{sid}-{seq}")
            for seq, (_, role, text) in enumerate(session)
        ]
        record_knowledge(
            memory.store, Scope(USER, thread_id=sid), messages, None, "rules",
            start + timedelta(days=n),
        )  # fmt: skip
        written += len(session)
        n += 1


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        round(statistics.median(ordered), 1),
        round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
    )


def main() -> None:
    """Build (or reuse) the archive, time recall_context, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--path", default=None, help="keep the memory here and reuse it")
    parser.add_argument("--persona", default=None, help="build and recall as this persona")
    parser.add_argument(
        "--plain-turns", type=int, default=0, help="with --persona: no-persona turns beside"
    )
    add_embeddings_argument(parser)
    args = parser.parse_args()
    persona = args.persona

    sessions, questions = _sessions(Path(args.data))
    directory = Path(args.path) if args.path else Path(tempfile.mkdtemp(prefix="recall-bench-"))
    marker = directory / "recall_latency_built"
    ingest_rate = None
    with Memory.from_path(directory, embeddings=f"local:{args.embeddings}") as memory:
        started = time.perf_counter()
        if not marker.exists():
            built = _build(memory, sessions, args.turns, persona)
            if persona is not None and args.plain_turns:
                _build(memory, sessions, args.plain_turns, None)
            marker.write_text(str(built))
            seconds = time.perf_counter() - started
            ingest_rate = round(built / seconds, 1)
            print(f"built {built} archived turns in {seconds:.1f} s ({ingest_rate} turns/s)")
        turns = int(marker.read_text())
        started = time.perf_counter()
        indexed = memory.store.sync_index()  # steady state: the HNSW index has caught up
        print(
            f"HNSW index caught up with {indexed} vectors in {time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        memory.recall_context(USER, questions[0], persona_id=persona)
        first_ms = (time.perf_counter() - started) * 1000
        print(f"first recall (loads the user's lexical index): {first_ms:.0f} ms")
        for question in questions[1:6]:  # warm caches
            memory.recall_context(USER, question, persona_id=persona)

        options = memory._features.options
        plain = Recall(  # the same recall without associative expansion, timed interleaved
            memory.store,
            max_tokens=options.recall_tokens,
            counter=options.token_counter,
            associative=False,
        )
        timings: list[float] = []
        plain_timings: list[float] = []
        no_persona: list[float] = []
        tokens: list[int] = []
        for i in range(args.queries):
            question = questions[i % len(questions)]
            started = time.perf_counter()
            text = memory.recall_context(USER, question, persona_id=persona)
            timings.append((time.perf_counter() - started) * 1000)
            tokens.append(len(text) // 4)
            started = time.perf_counter()
            plain.build(Scope(USER, persona_id=persona), question)
            plain_timings.append((time.perf_counter() - started) * 1000)
            if persona is not None and args.plain_turns:
                started = time.perf_counter()
                memory.recall_context(USER, question)
                no_persona.append((time.perf_counter() - started) * 1000)
        knowledge = memory.knowledge.counts(USER)
        search: list[float] = []
        for question in questions[:50]:
            started = time.perf_counter()
            memory.store.search(
                persona_namespace("archive", USER, persona), query=question, limit=50
            )
            search.append((time.perf_counter() - started) * 1000)
        embed: list[float] = []
        for question in questions[:50]:
            started = time.perf_counter()
            memory.embeddings.embed_query(question)
            embed.append((time.perf_counter() - started) * 1000)

    p50, p95 = _percentiles(timings)
    n50, n95 = _percentiles(plain_timings)
    s50, s95 = _percentiles(search)
    e50, _ = _percentiles(embed)
    rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(f"recall_context over {turns} archived turns, {args.queries} queries, {args.embeddings}:")
    print(f"  p50 {p50} ms, p95 {p95} ms (targets: minilm p50 <= 30; mpnet p50 <= 40, p95 <= 80)")
    print(f"  without associative recall: p50 {n50} ms, p95 {n95} ms; knowledge {knowledge}")
    if no_persona:
        o50, o95 = _percentiles(no_persona)
        print(f"  interleaved, the same user without a persona: p50 {o50} ms, p95 {o95} ms")
    print(f"  peak RSS {rss} MiB")
    print(f"  of which: one archive vector search p50 {s50} ms (p95 {s95}), query embedding {e50}")
    print(
        json.dumps(
            {
                "embeddings": args.embeddings,
                "persona": persona,
                "plain_turns": args.plain_turns,
                "no_persona_p50_ms": _percentiles(no_persona)[0] if no_persona else None,
                "no_persona_p95_ms": _percentiles(no_persona)[1] if no_persona else None,
                "turns": turns,
                "queries": args.queries,
                "ingest_turns_per_s": ingest_rate,
                "peak_rss_mib": rss,
                "p50_ms": p50,
                "p95_ms": p95,
                "no_associative_p50_ms": n50,
                "no_associative_p95_ms": n95,
                "knowledge": knowledge,
                "first_ms": round(first_ms, 1),
                "store_search_p50_ms": s50,
                "store_search_p95_ms": s95,
                "embed_p50_ms": e50,
                "mean_context_tokens_approx": round(statistics.mean(tokens), 1),
            }
        )
    )


if __name__ == "__main__":
    main()

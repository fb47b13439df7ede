"""LoCoMo retrieval recall: MemoryRetriever against plain vector search and BM25.

Usage:
    python benchmarks/locomo_recall.py PATH/TO/locomo.json [--latency-memories 10000]

For each conversation, every turn ("Speaker: text", plus "[shares a photo of ...]" when the
turn has a photo caption) is put into a fresh ChromaStore through the public API, in one
batch, with the session's date as ``occurred_at``, the session as ``session_id``, the turn's
position as ``seq`` and its speaker as ``speaker``. Each question of categories 1-4 is then
asked in its own conversation by three systems on the same LocalEmbeddings:

* ``chroma_dense``: langchain-chroma ``Chroma.similarity_search`` over the turn texts;
* ``bm25``: the retriever's lexical index alone (same tokenisation);
* ``memory_retriever``: ``MemoryRetriever`` over the ChromaStore.

Scores: turn-level Recall@5/10/20 (share of a question's evidence turns in the top k) and
session-level Recall@5 (share of its evidence sessions among the first 5 distinct sessions of
the ranked list), averaged over questions, per category and overall. Each system returns 50
turns per question.

Throughput: ingestion (turns/s of the timed ``store.batch`` puts, embedding included) beside
the raw throughput of ``LocalEmbeddings.embed_documents`` on every 4th turn, measured just
before each conversation's ingestion (on a shared machine the load drifts during a run).
Embeddings of documents are cached by text after the timed ingestion, so the chroma_dense
baseline and the latency store reuse them; queries are never cached.

Latency: p50/p95 of ``MemoryRetriever.invoke(question, k=10)`` (query embedding, vector
search, BM25, fusion and the re-read of the results) at the size of the file's largest
conversation, and at ``--latency-memories`` (10,000) memories in one namespace, made by
replicating the file's turns under distinct keys and sessions. The first query after opening
builds the lexical index from the store; its time is printed separately.

The last line is one JSON object (schema in issue 5); ``query_ms_p50``/``query_ms_p95`` are
the figures at --latency-memories memories.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import chromadb
from _locomo import (
    CATEGORIES,
    DocumentCache,
    add_embeddings_argument,
    load,
    memory_value,
    percentile_ms,
    score,
    summarise,
)
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from langgraph.store.base import PutOp

from langmem_plugin._embeddings import LocalEmbeddings
from langmem_plugin._text import QUESTION_WORDS, analyze
from langmem_plugin.retriever import MemoryRetriever
from langmem_plugin.retriever._lexical import BM25Index
from langmem_plugin.store import ChromaStore

DEPTH = 50
LATENCY_K = 10
LATENCY_QUESTIONS = 200
SYSTEMS = ("chroma_dense", "bm25", "memory_retriever")


def index_config(embed: Embeddings, dims: int) -> Any:
    return {"dims": dims, "embed": embed, "fields": ["content"]}


class LexicalBaseline:
    """The ``bm25`` system: the retriever's own BM25 index and tokenisation, alone."""

    def __init__(self, turns: Any) -> None:
        self.index = BM25Index()
        for t in turns:
            self.index.add(t.dia_id, t.content)

    def rank(self, question: str, depth: int = DEPTH) -> list[str]:
        """Turn ids by descending BM25 score (question words dropped, as the retriever does)."""
        lex = self.index.scores(analyze(question, drop=QUESTION_WORDS))
        return [str(d) for d, _ in sorted(lex.items(), key=lambda kv: -kv[1])][:depth]


def print_table(name: str, summary: dict[str, dict[str, float]], counts: dict[str, int]) -> None:
    print(f"\n{name}")
    print(f"  {'category':<16}{'n':>5}  {'R@5':>7}{'R@10':>7}{'R@20':>7}  {'sessR@5':>8}")
    for cat in [*(str(c) for c in CATEGORIES), "all"]:
        if cat not in summary:
            continue
        s = summary[cat]
        label = f"{cat} {CATEGORIES[int(cat)]}" if cat != "all" else "all (1-4)"
        print(
            f"  {label:<16}{counts[cat]:>5}  {s['turn_recall@5']:>7.3f}{s['turn_recall@10']:>7.3f}"
            f"{s['turn_recall@20']:>7.3f}  {s['session_recall@5']:>8.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="LoCoMo JSON file (e.g. locomo10.json)")
    parser.add_argument("--latency-memories", type=int, default=10_000)
    add_embeddings_argument(parser)
    args = parser.parse_args()
    started = time.perf_counter()
    conversations = load(args.data)
    n_questions = sum(len(c.questions) for c in conversations)
    n_turns = sum(len(c.turns) for c in conversations)
    print(
        f"{args.data}: {len(conversations)} conversations, {n_turns} turns, "
        f"{n_questions} questions (categories 1-4)"
    )

    local = LocalEmbeddings(model=args.embeddings)
    local.embed_documents(["warm up"])
    raw_texts = 0
    raw_seconds = 0.0

    cache = DocumentCache(local)
    chroma_client = chromadb.EphemeralClient(
        settings=chromadb.config.Settings(anonymized_telemetry=False, allow_reset=False)
    )
    rows: dict[str, list[tuple[int, dict[str, float]]]] = {s: [] for s in SYSTEMS}
    ingest_seconds = 0.0
    dev_latency: list[float] = []
    build_seconds: list[float] = []
    largest = max(conversations, key=lambda c: len(c.turns))
    for conv in conversations:
        namespace = ("locomo", conv.sample_id)
        store = ChromaStore(index=index_config(cache, local.dims))
        ops = [PutOp(namespace, t.dia_id, memory_value(conv, t)) for t in conv.turns]
        # Raw embedder throughput on every 4th turn, measured next to the ingestion it is
        # compared with (the machine's load varies over a run).
        sample = [t.content for t in conv.turns][::4]
        t0 = time.perf_counter()
        local.embed_documents(sample)
        raw_seconds += time.perf_counter() - t0
        raw_texts += len(sample)
        t0 = time.perf_counter()
        store.batch(ops)
        ingest_seconds += time.perf_counter() - t0
        # The timed ingestion embedded every turn; the baseline reuses those vectors.
        cache.serving = True
        texts = [t.content for t in conv.turns]
        dense = Chroma(
            collection_name=f"dense-{conv.sample_id}",
            embedding_function=cache,
            client=chroma_client,
            collection_metadata={"hnsw:space": "cosine"},
        )
        dense.add_texts(texts, metadatas=[{"dia_id": t.dia_id} for t in conv.turns])
        cache.serving = False
        bm25 = LexicalBaseline(conv.turns)
        retriever = MemoryRetriever(store=store, namespace=namespace)
        t0 = time.perf_counter()
        retriever.invoke("warm up", k=1)
        build_seconds.append(time.perf_counter() - t0)
        for q in conv.questions:
            ranked_dense = [d.metadata["dia_id"] for d in dense.similarity_search(q.text, k=DEPTH)]
            ranked_bm25 = bm25.rank(q.text)
            ranked_mr = [d.metadata["key"] for d in retriever.invoke(q.text, k=DEPTH)]
            rows["chroma_dense"].append((q.category, score(q, ranked_dense)))
            rows["bm25"].append((q.category, score(q, ranked_bm25)))
            rows["memory_retriever"].append((q.category, score(q, ranked_mr)))
        if conv is largest:
            step = max(1, len(conv.questions) // LATENCY_QUESTIONS)
            for q in conv.questions[::step]:
                t0 = time.perf_counter()
                retriever.invoke(q.text, k=LATENCY_K)
                dev_latency.append(time.perf_counter() - t0)
        store.close()
        print(
            f"  {conv.sample_id}: {len(conv.turns)} turns, {len(conv.questions)} questions "
            f"({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    ingest_rate = n_turns / ingest_seconds
    embed_rate = raw_texts / raw_seconds

    counts = {"all": n_questions}
    for cat, _ in rows["bm25"]:
        counts[str(cat)] = counts.get(str(cat), 0) + 1
    summaries = {s: summarise(rows[s]) for s in SYSTEMS}
    for s in SYSTEMS:
        print_table(s, summaries[s], counts)

    # ---- latency at --latency-memories memories in one namespace
    big_ns = ("locomo", "latency")
    cache.serving = True
    big_store = ChromaStore(index=index_config(cache, local.dims))
    ops = []
    rep = 0
    while len(ops) < args.latency_memories:
        for conv in conversations:
            for t in conv.turns:
                if len(ops) == args.latency_memories:
                    break
                value = memory_value(conv, t)
                value["session_id"] = f"{value['session_id']}/copy{rep}"
                ops.append(PutOp(big_ns, f"{conv.sample_id}/{rep}/{t.dia_id}", value))
        rep += 1
    t0 = time.perf_counter()
    for i in range(0, len(ops), 2000):
        big_store.batch(ops[i : i + 2000])
    big_ingest = time.perf_counter() - t0
    # The HNSW index catches up in the background once writes pause; queries in steady
    # state see it complete, so wait for it here (its time is printed, not hidden).
    t0 = time.perf_counter()
    big_store.sync_index()
    big_index = time.perf_counter() - t0
    big = MemoryRetriever(store=big_store, namespace=big_ns)
    t0 = time.perf_counter()
    big.invoke("warm up", k=1)
    big_build = time.perf_counter() - t0
    questions = [q for c in conversations for q in c.questions]
    step = max(1, len(questions) // LATENCY_QUESTIONS)
    big_latency = []
    for q in questions[::step]:
        t0 = time.perf_counter()
        big.invoke(q.text, k=LATENCY_K)
        big_latency.append(time.perf_counter() - t0)
    big_store.close()

    p50_dev, p95_dev = percentile_ms(dev_latency)
    p50, p95 = percentile_ms(big_latency)
    print("\nthroughput")
    print(f"  raw embedder (LocalEmbeddings.embed_documents): {embed_rate:8.1f} sentences/s")
    print(
        f"  ingestion (ChromaStore.batch puts, embedding included): {ingest_rate:8.1f} turns/s "
        f"({ingest_rate / embed_rate:.0%} of raw)"
    )
    print("\nlatency of MemoryRetriever.invoke(question, k=10), query embedding included")
    print(
        f"  {len(largest.turns):>6} memories ({largest.sample_id}): p50 {p50_dev:7.2f} ms   "
        f"p95 {p95_dev:7.2f} ms   ({len(dev_latency)} queries; first-query index build "
        f"{max(build_seconds) * 1000:.0f} ms)"
    )
    print(
        f"  {args.latency_memories:>6} memories (replicated turns): p50 {p50:7.2f} ms   "
        f"p95 {p95:7.2f} ms   ({len(big_latency)} queries; first-query index build "
        f"{big_build * 1000:.0f} ms; ingestion with cached vectors {big_ingest:.1f} s; "
        f"HNSW index catching up after it {big_index:.1f} s)"
    )
    print(f"\ntotal time {time.perf_counter() - started:.0f} s")
    result = {
        "dataset": Path(args.data).name,
        "embeddings": args.embeddings,
        "n_questions": n_questions,
        "systems": {s: summaries[s]["all"] for s in SYSTEMS},
        "categories": {s: {c: v for c, v in summaries[s].items() if c != "all"} for s in SYSTEMS},
        "ingest_turns_per_s": round(ingest_rate, 1),
        "embed_sentences_per_s": round(embed_rate, 1),
        "query_ms_p50": p50,
        "query_ms_p95": p95,
        "latency_memories": args.latency_memories,
        "query_ms_p50_dev_size": p50_dev,
        "query_ms_p95_dev_size": p95_dev,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

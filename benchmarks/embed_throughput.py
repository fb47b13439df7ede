"""Throughput of LocalEmbeddings on realistic chat sentences.

Usage: python benchmarks/embed_throughput.py [--n 512] [--batch-size 64] [--repeats 3]

Prints sentences/s for embedding N chat-like sentences (8 to ~60 words: short replies,
preferences, task descriptions, tool output summaries) in one embed_documents call, after a
warm-up call that loads the model. The figure depends on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from langmem_plugin._embeddings import LocalEmbeddings, _load_runtime

OPENERS = [
    "Can you remind me",
    "I think we should",
    "Yesterday my manager said",
    "Please make a note that",
    "By the way,",
    "Honestly I'd prefer if",
    "The assistant suggested that",
    "Quick question:",
    "For the record,",
    "Last week in Lisbon",
]
MIDDLES = [
    "my daughter is allergic to peanuts so the birthday cake must be nut-free",
    "the quarterly report is due on Friday and finance still needs the revenue figures",
    "I'd rather take the train than fly when the trip is under five hours",
    "the deployment failed because the database migration timed out again",
    "we switch the standup to 9:30 starting next Monday",
    "I usually drink green tea in the morning and coffee after lunch",
    "the flaky test in the payments service only fails on the CI runners",
    "my sister Ana is visiting from Porto for two weeks in June",
    "the new laptop should have at least 32 GB of memory for the data work",
    "we agreed to use Postgres for checkpoints and Chroma for long-term memory",
    "I'm vegetarian but I eat fish occasionally",
    "the customer asked for a refund because the order arrived damaged",
]
CLOSERS = [
    "",
    "Thanks!",
    "Does that make sense?",
    "Let me know if anything changes.",
    "It's been bothering me for a while, to be honest, and I keep forgetting about it.",
    "Also, add it to the shared calendar and ping the team channel so nobody double-books.",
    "I wrote it down in the notes from our call, together with the budget numbers.",
]


def chat_sentences(n: int, seed: int = 7) -> list[str]:
    """N deterministic, varied chat-like sentences."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = [rng.choice(OPENERS), rng.choice(MIDDLES)]
        if rng.random() < 0.3:
            parts.append("and " + rng.choice(MIDDLES))
        parts.append(rng.choice(CLOSERS))
        out.append(" ".join(p for p in parts if p))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="LocalEmbeddings throughput")
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    texts = chat_sentences(args.n)
    emb = LocalEmbeddings(batch_size=args.batch_size)
    start = time.perf_counter()
    emb.embed_query("warm-up: loads the model")
    load_s = time.perf_counter() - start
    lengths = [len(e.ids) for e in _load_runtime().tokenizer.encode_batch(texts)]

    rates, cpu_rates = [], []
    for _ in range(args.repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        vectors = emb.embed_documents(texts)
        rates.append(len(texts) / (time.perf_counter() - start))
        cpu_rates.append(len(texts) / (time.process_time() - cpu_start))
    assert len(vectors) == len(texts)

    print(f"model load + first call: {load_s:.2f} s")
    print(
        f"{len(texts)} sentences, word pieces min/median/max "
        f"{min(lengths)}/{int(statistics.median(lengths))}/{max(lengths)}, "
        f"batch size {args.batch_size}"
    )
    print(
        f"throughput: {statistics.median(rates):.0f} sentences/s "
        f"(median of {args.repeats}; runs: {', '.join(f'{r:.0f}' for r in rates)})"
    )
    print(
        f"per CPU-second: {statistics.median(cpu_rates):.0f} sentences "
        f"(all threads; on {os.cpu_count()} cores, load average now "
        f"{os.getloadavg()[0]:.1f}: other work on the machine lowers the wall-clock figure)"
    )


if __name__ == "__main__":
    main()

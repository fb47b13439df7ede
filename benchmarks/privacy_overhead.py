"""What redaction and encryption at rest cost: per message, per batch, per open.

Usage:
    python benchmarks/privacy_overhead.py [--items 2000] [--repeat 3]

Prints, for an embedded ChromaStore in a temporary directory (vectors from the cheap
deterministic ``_stores.HashRandomEmbeddings``, so the figures are the store's own):

* ``redact_text`` on chat-like messages (with and without PII), microseconds per message;
* the time to open a store: plain, and encrypted (scrypt key derivation + key check);
* ``--items`` puts in batches of 50, a get of each item, and 200 filtered searches, plain,
  redacted and encrypted, as the best of ``--repeat`` runs.

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from _stores import HashRandomEmbeddings
from langgraph.store.base import PutOp

from langmem_plugin import ChromaStore
from langmem_plugin._redact import redact_text

MESSAGES = [
    "I moved to Lisbon in 2021 and I work as a data scientist at a small startup.",
    "Can you remind me what we said about the 3.12 upgrade on 2024-05-06 at 10:30?",
    "My e-mail is ada.lovelace@example.org and my phone is +44 20 7946 0958.",
    "The invoice of $1,299.99 goes to IBAN DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111.",
    "Here is the key sk-proj-4fG7hJ2kL9mN3pQ5rS8tU1vW6xY0zA, please keep it safe.",
]


def time_redaction(rounds: int = 2000) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for message in MESSAGES:
            redact_text(message)
    return (time.perf_counter() - start) / (rounds * len(MESSAGES)) * 1e6


def run_store(root: Path, items: int, **options: Any) -> dict[str, float]:
    index: Any = {"dims": 64, "embed": HashRandomEmbeddings(64)}
    started = time.perf_counter()
    store = ChromaStore(path=root, index=index, **options)
    opened = time.perf_counter() - started
    with store:
        started = time.perf_counter()
        for start in range(0, items, 50):
            store.batch(
                [
                    PutOp(
                        ("memories", f"u{i % 20}"),
                        f"k{i}",
                        {"content": MESSAGES[i % len(MESSAGES)] + f" #{i}", "n": i},
                    )
                    for i in range(start, min(start + 50, items))
                ]
            )
        put = time.perf_counter() - started
        started = time.perf_counter()
        for i in range(items):
            store.get(("memories", f"u{i % 20}"), f"k{i}")
        get = time.perf_counter() - started
        started = time.perf_counter()
        for i in range(200):
            store.search(("memories", f"u{i % 20}"), query="where do I work", filter={"n": i})
        search = time.perf_counter() - started
    return {
        "open_ms": opened * 1e3,
        "put_us_per_item": put / items * 1e6,
        "get_us": get / items * 1e6,
        "search_ms": search / 200 * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, Any] = {"redact_us_per_message": round(time_redaction(), 1)}
    print(f"redact_text: {figures['redact_us_per_message']} us per message")
    variants: dict[str, dict[str, Any]] = {
        "plain": {},
        "redacted": {"redact": True},
        "encrypted": {"encryption_key": "correct horse battery staple"},
    }
    for name, options in variants.items():
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(run_store(Path(tmp) / "chroma", args.items, **options))
        best = {k: round(min(r[k] for r in runs), 2) for k in runs[0]}
        figures[name] = best
        print(f"{name:>10}: " + ", ".join(f"{k}={v}" for k, v in best.items()))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

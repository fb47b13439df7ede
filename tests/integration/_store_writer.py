"""Child process of the kill test: writes to a ChromaStore in batches until it is killed.

Usage::

    python tests/integration/_store_writer.py PATH SEED [--url URL --sql SQL] [--prefix PREFIX]

Opens ``ChromaStore(path=PATH)`` (or ``ChromaStore.from_url(URL, sql=SQL)`` with ``--url``) with the
index of :func:`index_config` and loops forever. For every batch it prints two JSON lines
on stdout, each flushed at once:

* ``{"intent": n, "ops": [[namespace, key, value_or_null], ...]}`` before calling
  ``store.batch``;
* ``{"ack": n}`` after ``store.batch`` returned.

The parent kills the process with SIGKILL at a random moment and checks the store against
the acknowledged batches; the last intent without an ack is the batch in flight.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from langgraph.store.base import IndexConfig, PutOp

from tests._support import HashEmbeddings

DIMS = 64
NAMESPACES: list[tuple[str, ...]] = [("w", "u1"), ("w", "u2")]
KEYS = [f"k{i}" for i in range(10)]
GROUPS = ["g0", "g1", "g2"]
WORDS = ["tea", "coffee", "hiking", "paris", "budget", "python", "garden", "jazz"]

_EMBED = HashEmbeddings(DIMS)


def embed_texts(texts: Sequence[str]) -> list[list[float]]:
    """The deterministic embedding function shared by the writer and the test."""
    return _EMBED(list(texts))


def index_config() -> IndexConfig:
    """The index both processes open the store with."""
    return IndexConfig(dims=DIMS, embed=embed_texts, fields=["text"])


def make_value(rng: random.Random, key: str, rev: str) -> dict[str, Any]:
    """A value whose text is distinctive (key and revision tokens) and a filterable group."""
    words = " ".join(rng.sample(WORDS, 2))
    return {
        "text": f"{key} r{rev} {words}",
        "group": rng.choice(GROUPS),
        "rev": rev,
        "nested": {"words": words.split(), "n": rng.randint(0, 9)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("seed", type=int)
    parser.add_argument("--url")
    parser.add_argument("--sql", help="where the items live, with --url")
    parser.add_argument("--prefix", default="killtest")
    args = parser.parse_args()

    from langmem_plugin import ChromaStore

    if args.url:
        store = ChromaStore.from_url(
            args.url, sql=args.sql, index=index_config(), collection_prefix=args.prefix
        )
    else:
        store = ChromaStore(path=args.path, index=index_config(), collection_prefix=args.prefix)
    rng = random.Random(args.seed)
    n = 0
    while True:
        n += 1
        slots = rng.sample([(ns, k) for ns in NAMESPACES for k in KEYS], rng.randint(1, 4))
        ops = []
        for i, (namespace, key) in enumerate(slots):
            delete = rng.random() < 0.25
            value = None if delete else make_value(rng, key, f"{args.seed}x{n}x{i}")
            ops.append((namespace, key, value))
        print(json.dumps({"intent": n, "ops": ops}), flush=True)
        store.batch([PutOp(namespace, key, value) for namespace, key, value in ops])
        print(json.dumps({"ack": n}), flush=True)


if __name__ == "__main__":
    main()

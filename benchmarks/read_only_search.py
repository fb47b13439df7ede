"""What a read-only store's search costs next to the writer's, by scope size.

Usage:
    python benchmarks/read_only_search.py [--sizes 2000 10000] [--repeat 20]

For each size, a writer (``ChromaStore(path=...)``) puts that many 384-dim vectors into one
namespace (cheap deterministic vectors, no model) and lets Chroma's HNSW index catch up;
then the writer and a reader (``read_only=True`` on the same folder, which never opens
Chroma) each run ``--repeat`` searches of the namespace with ``limit=10``. Up to
``EXACT_VECTORS`` (2,048) both rank the scope exactly from SQL; past it the writer asks
HNSW for candidates and the reader scores every vector of the scope.

Prints one line per size with the median milliseconds of each.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from typing import Any

import numpy as np
from langgraph.store.base import PutOp

from langmem_plugin import ChromaStore


def embed(texts: list[str]) -> list[list[float]]:
    out = []
    for text in texts:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        vector = np.random.default_rng(seed).standard_normal(384)
        out.append((vector / np.linalg.norm(vector)).tolist())
    return out


def median_ms(store: ChromaStore, namespace: tuple[str, ...], repeat: int) -> float:
    store.search(namespace, query="warm up", limit=10)
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        store.search(namespace, query=f"question {i}", limit=10)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    index: Any = {"dims": 384, "embed": embed, "fields": ["content"]}
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            namespace = ("bench", str(size))
            with ChromaStore(path=f"{folder}/chroma", index=index) as writer:
                for start in range(0, size, 1000):
                    stop = min(size, start + 1000)
                    writer.batch(
                        [
                            PutOp(namespace, str(i), {"content": f"m {i}"})
                            for i in range(start, stop)
                        ]
                    )
                writer.sync_index()
                written = median_ms(writer, namespace, args.repeat)
                with ChromaStore(path=f"{folder}/chroma", index=index, read_only=True) as reader:
                    read = median_ms(reader, namespace, args.repeat)
            print(
                f"{size} vectors: writer {written:.1f} ms, reader {read:.1f} ms "
                f"(median of {args.repeat} searches, limit 10)"
            )


if __name__ == "__main__":
    main()

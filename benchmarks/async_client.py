"""Would ``chromadb.AsyncHttpClient`` speed up ``ChromaStore.abatch`` on a Chroma server?

The async driver runs each blocking I/O step in a worker thread. Only one kind of engine
step calls Chroma at all: the HNSW query of a search over a scope larger than
``EXACT_VECTORS`` (every other step is SQL). This times that call on a ``chroma run``
server both ways, N concurrent queries from one event loop:

* ``thread``: the sync ``HttpClient``'s ``collection.query`` in ``asyncio.to_thread`` (today);
* ``async``: ``AsyncHttpClient``'s ``await collection.query``.

Usage: ``python benchmarks/async_client.py [--vectors 5000] [--queries 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests._support import chroma_server

DIMS = 384


async def timed(run: object, queries: list[list[float]], concurrency: int) -> float:
    """Queries per second with ``concurrency`` queries in flight."""
    gate = asyncio.Semaphore(concurrency)

    async def one(vector: list[float]) -> None:
        async with gate:
            await run(vector)  # type: ignore[operator]

    started = time.perf_counter()
    await asyncio.gather(*(one(v) for v in queries))
    return len(queries) / (time.perf_counter() - started)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    data = rng.standard_normal((args.vectors, DIMS)).astype("float32")
    queries = rng.standard_normal((args.queries, DIMS)).astype("float32").tolist()
    settings = Settings(anonymized_telemetry=False)
    with tempfile.TemporaryDirectory() as tmp, chroma_server(Path(tmp) / "chroma") as url:
        host, port = url.removeprefix("http://").split(":")
        sync = chromadb.HttpClient(host=host, port=int(port), settings=settings)
        collection = sync.create_collection("bench", configuration={"hnsw": {"space": "cosine"}})
        for start in range(0, args.vectors, 1000):
            chunk = data[start : start + 1000]
            ids = [str(i) for i in range(start, start + len(chunk))]
            collection.add(ids=ids, embeddings=chunk.tolist())
        aclient = await chromadb.AsyncHttpClient(host=host, port=int(port), settings=settings)
        acollection = await aclient.get_collection("bench")

        async def threaded(vector: list[float]) -> None:
            await asyncio.to_thread(collection.query, query_embeddings=[vector], n_results=50)

        async def native(vector: list[float]) -> None:
            await acollection.query(query_embeddings=[vector], n_results=50)

        await threaded(queries[0])
        await native(queries[0])
        print(f"{args.vectors} vectors, {args.queries} queries of k=50, queries/s:")
        for concurrency in (1, 8):
            for name, run in (("thread", threaded), ("async", native)):
                rate = await timed(run, queries, concurrency)
                print(f"  concurrency {concurrency:>2}  {name:<6} {rate:8.0f}")


if __name__ == "__main__":
    asyncio.run(main())

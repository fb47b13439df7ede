"""What the store benchmarks share: data, a cheap embedder, ChromaStore construction, stats.

Used by ``store_scale.py`` and ``store_load.py``. The embedder is a deterministic function of
the text (a seeded RNG on a hash of it), the same for every store, so that the benchmarks
measure the stores and not a model. ``open_chroma`` is the one place where a benchmark builds
a ``ChromaStore``: when the constructor grows an argument (the server mode will likely need
a SQL location), adapt it here.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from langchain_core.embeddings import Embeddings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py`: make `tests` importable
    sys.path.insert(0, str(ROOT))

from tests._support import chroma_server, free_port  # noqa: E402

__all__ = [
    "DIMS",
    "KINDS",
    "HashRandomEmbeddings",
    "chroma_server",
    "free_port",
    "index_config",
    "memory_value",
    "open_chroma",
    "query_text",
    "sentence",
    "summarize",
]

DIMS = 384
KINDS = ("fact", "event", "preference")

_SUBJECTS = [
    "my sister Ana",
    "the quarterly report",
    "the new laptop",
    "our standup",
    "the payments service",
    "my daughter",
    "the trip to Lisbon",
    "the customer in Porto",
    "green tea",
    "the database migration",
    "the birthday cake",
    "the team calendar",
]
_VERBS = [
    "is due on",
    "moved to",
    "was discussed on",
    "needs attention before",
    "came up again on",
    "should be ready by",
    "was cancelled for",
    "is planned for",
]
_WHEN = [
    "Monday",
    "Friday morning",
    "the first week of June",
    "next Tuesday",
    "the end of the month",
    "the weekend",
    "9:30 tomorrow",
    "the 14th",
]
_TAILS = [
    "",
    "and the user wants a reminder the day before",
    "because the previous attempt failed",
    "according to what the user said in passing",
    "which matters for the budget",
    "so nobody should double-book",
]


class HashRandomEmbeddings(Embeddings):
    """Unit vectors made from a hash of the text: the sum of three of 4,096 fixed random
    directions, picked by the text's 36-bit BLAKE2b hash, normalised.

    The same text always gives the same vector, on every machine, in every process, and two
    texts share a vector only if their hashes do (one chance in 2^36). It costs a few
    microseconds a text, so that embedding is out of the picture; ``seconds`` adds up the
    time spent in it, which the benchmarks subtract where the issue says "embedding
    excluded". The vectors carry no meaning (two texts are as close as two random
    directions): the benchmarks measure the store.
    """

    _POOLS: ClassVar[dict[int, np.ndarray]] = {}

    def __init__(self, dims: int = DIMS) -> None:
        self.dims = dims
        self.seconds = 0.0
        if dims not in self._POOLS:
            self._POOLS[dims] = np.random.default_rng(0).standard_normal((4096, dims))
        self._pool = self._POOLS[dims]

    def _one(self, text: str) -> list[float]:
        h = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        vec = self._pool[h & 4095] + self._pool[(h >> 12) & 4095] + self._pool[(h >> 24) & 4095]
        return (vec / np.linalg.norm(vec)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        vectors = [self._one(t) for t in texts]
        self.seconds += time.perf_counter() - started
        return vectors

    def embed_query(self, text: str) -> list[float]:
        started = time.perf_counter()
        vector = self._one(text)
        self.seconds += time.perf_counter() - started
        return vector


def index_config(embed: Embeddings | None = None) -> dict[str, Any]:
    """The index of every indexed store of the benchmarks: ``content`` only, 384 dims."""
    return {"dims": DIMS, "embed": embed or HashRandomEmbeddings(), "fields": ["content"]}


def sentence(user: int, i: int) -> str:
    """A deterministic memory-like sentence, different for every (user, i)."""
    n = user * 7919 + i * 104729
    subject = _SUBJECTS[n % len(_SUBJECTS)]
    verb = _VERBS[(n // 13) % len(_VERBS)]
    when = _WHEN[(n // 97) % len(_WHEN)]
    tail = _TAILS[(n // 389) % len(_TAILS)]
    return f"User {user} noted that {subject} {verb} {when} {tail} (memory {i}).".replace("  ", " ")


def query_text(user: int, n: int) -> str:
    """A query in the style of the sentences, not equal to any stored one."""
    return f"what did user {user} say about {_SUBJECTS[n % len(_SUBJECTS)]}?"


def memory_value(user: int, i: int) -> dict[str, Any]:
    """The value stored under ``("memories", f"user-{user}")``, key ``f"m{i}"``."""
    return {
        "content": sentence(user, i),
        "kind": KINDS[i % len(KINDS)],
        "importance": round((i * 37 % 100) / 100, 2),
        "source": f"session-{i // 10}",
    }


def open_chroma(
    kind: str, tmpdir: Path, url: str | None, sql: str | None = None, **kwargs: Any
) -> Any:
    """Build the ChromaStore of a benchmark; the one place to adapt when its constructor changes.

    Args:
        kind: ``"path"`` (embedded, persistent Chroma in ``tmpdir / "chroma"``) or
            ``"server"`` (a Chroma server at ``url``; ``tmpdir`` is free for any local file
            the server mode may need, such as a SQL database).
        tmpdir: A directory the benchmark owns for the store's files. Every handle on one
            store (threads, processes, the verifying reader) passes the same directory. In
            server mode the items go to ``tmpdir / "items.sqlite"`` unless ``sql`` is given.
        url: ``http://127.0.0.1:PORT`` of the Chroma server when ``kind == "server"``.
        sql: Where a server-mode store keeps its items (e.g. a ``postgresql://`` URL, the
            scale-out setup); a SQLite file in ``tmpdir`` by default.
        **kwargs: Passed to ChromaStore (``index``, ``collection_prefix``, ...).
    """
    from langmem_plugin import ChromaStore

    if kind == "path":
        return ChromaStore(path=tmpdir / "chroma", **kwargs)
    if kind == "server":
        if url is None:
            raise ValueError("open_chroma('server', ...) needs the server's url")
        # items in SQL, vectors on the server: by default one SQLite file in tmpdir, shared
        # by every handle on this store (a postgresql:// URL shares it between machines)
        return ChromaStore.from_url(url, sql=sql or tmpdir / "items.sqlite", **kwargs)
    raise ValueError(f"unknown ChromaStore kind {kind!r}; expected 'path' or 'server'")


def summarize(latencies_s: Sequence[float]) -> dict[str, float | int | None]:
    """``n``, ``p50_ms`` and ``p95_ms`` of latencies given in seconds (``None`` if no call)."""
    if not latencies_s:
        return {"n": 0, "p50_ms": None, "p95_ms": None}
    arr = np.asarray(latencies_s, dtype=float) * 1000.0
    return {
        "n": len(arr),
        "p50_ms": round(float(np.percentile(arr, 50)), 4),
        "p95_ms": round(float(np.percentile(arr, 95)), 4),
    }

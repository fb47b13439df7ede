"""How long forget takes, by phase, as the memory grows (prints figures; not a test).

Writes ``--users`` users with ``--items`` notes each into ``Memory.from_path`` (random
384-dimension vectors, so that the figure is the store's cost and not the embedder's),
then forgets one user and times the phases of ``langmem_plugin._admin._forget``: the deletes,
the rebuild of Chroma's index from SQL, and the VACUUMs.

    python benchmarks/forget_scale.py --users 100 --items 100
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import numpy as np
from langgraph.store.base import PutOp

from langmem_plugin import Memory
from langmem_plugin._admin import _forget, delete_user_data


def _random(texts: list[str]) -> list[list[float]]:
    rng = np.random.default_rng(abs(hash(texts[0])) % 2**32 if texts else 0)
    return rng.standard_normal((len(texts), 384)).astype(np.float32).tolist()


def main() -> None:
    """Run the measurement and print one line per phase."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--items", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "m"
        with Memory.from_path(folder, embeddings=_random) as memory:
            for user in range(args.users):
                memory.store.batch(
                    [
                        PutOp(("memories", f"u{user}"), f"k{i}", {"content": f"note {user} {i}"})
                        for i in range(args.items)
                    ]
                )
            memory.store.sync_index()
            total = args.users * args.items
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            print(f"{total} items, {size / 1e6:.1f} MB on disk")
            start = time.perf_counter()
            delete_user_data(memory, "u0")
            deleted = time.perf_counter()
            memory.store.sync_index()
            _forget._rebuild_vector_index(memory.store)
            rebuilt = time.perf_counter()
            _forget._vacuum_sqlite_file(folder / "chroma" / "chroma.sqlite3")
            _forget._vacuum_database(memory.store._db)
            vacuumed = time.perf_counter()
            print(f"delete {args.items} items + threads: {deleted - start:.2f} s")
            print(f"rebuild Chroma index ({total - args.items} vectors): {rebuilt - deleted:.2f} s")
            print(f"VACUUM chroma.sqlite3 + checkpoints.sqlite: {vacuumed - rebuilt:.2f} s")


if __name__ == "__main__":
    main()

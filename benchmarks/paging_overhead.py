"""What reading a large namespace page by page costs, plain and encrypted.

Usage:
    python benchmarks/paging_overhead.py [--items 10000] [--page 1000] [--repeat 3]

Puts ``--items`` unindexed items (chat-turn sized values) into one namespace of an embedded
ChromaStore in a temporary directory, then times ``_paging.search_all`` over it with pages
of ``--page`` (what stats, the chat history and the inspector do), and one page at the
last offset, as the best of ``--repeat`` runs. A page at offset N checks that the N rows
before it open (corrupt rows hold no place in a page, see ``ItemTable._skip``), so this
is where that check costs. The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from langgraph.store.base import PutOp

from langmem_plugin import ChromaStore
from langmem_plugin._paging import search_all

NAMESPACE = ("archive", "ada", "session")


def run(root: Path, items: int, page: int, repeat: int, **options: Any) -> dict[str, float]:
    with ChromaStore(path=root, **options) as store:
        for start in range(0, items, 500):
            store.batch(
                [
                    PutOp(
                        NAMESPACE, f"k{i:06d}", {"content": f"turn {i} " * 8, "seq": i}, index=False
                    )
                    for i in range(start, min(start + 500, items))
                ]
            )
        whole, last = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            found = search_all(store, NAMESPACE, page_size=page)
            whole.append(time.perf_counter() - started)
            assert len(found) == items
            started = time.perf_counter()
            store.search(NAMESPACE, limit=page, offset=items - page)
            last.append(time.perf_counter() - started)
    return {"search_all_ms": min(whole) * 1e3, "last_page_ms": min(last) * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--page", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, Any] = {"items": args.items, "page": args.page}
    for name, options in {"plain": {}, "encrypted": {"encryption_key": "bench key"}}.items():
        with tempfile.TemporaryDirectory() as tmp:
            best = run(Path(tmp) / "chroma", args.items, args.page, args.repeat, **options)
        figures[name] = {k: round(v, 1) for k, v in best.items()}
        print(f"{name:>10}: " + ", ".join(f"{k}={v:.0f}" for k, v in best.items()))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""The demo behind ``langmem demo`` / ``make demo``: memories that outlive the process."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from langmem_plugin.store import ChromaStore

_FACTS = {
    "tea": "Alice drinks green tea every morning and dislikes coffee.",
    "job": "Alice works as a data engineer at a bike-sharing startup in Lisbon.",
    "lang": "Alice writes most of her code in Rust and some Python.",
    "trip": "Alice is planning a hiking trip to the Dolomites in September.",
}
_QUERIES = ["What does she like to drink?", "Where is she travelling?", "Which languages?"]

_READER = textwrap.dedent(
    """
    import sys
    from langmem_plugin.store import ChromaStore
    store = ChromaStore(path=sys.argv[1], index={"dims": 384, "embed": "local"})
    for query in sys.argv[2:]:
        best = store.search(("memories", "alice"), query=query, limit=1)[0]
        print(f"  {query!r:34} -> {best.value['content']!r} (score {best.score:.2f})")
    """
)


def run_store_demo(directory: Path | None = None) -> None:
    """Put memories, search them, then find them again from a second process."""
    with tempfile.TemporaryDirectory(prefix="langmem-demo-") as tmp:
        path = Path(directory or tmp) / "chroma"
        print(f"1. Writing {len(_FACTS)} memories for user 'alice' to {path}")
        with ChromaStore(path=path, index={"dims": 384, "embed": "local"}) as store:
            for key, text in _FACTS.items():
                store.put(("memories", "alice"), key, {"content": text})
            print("2. Semantic search in this process:")
            for query in _QUERIES:
                best = store.search(("memories", "alice"), query=query, limit=1)[0]
                print(f"  {query!r:34} -> {best.value['content']!r} (score {best.score:.2f})")
        print("3. A second process reopens the folder and searches again:")
        sys.stdout.flush()
        subprocess.run([sys.executable, "-c", _READER, str(path), *_QUERIES], check=True)

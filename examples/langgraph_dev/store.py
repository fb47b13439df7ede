"""The store of ``langgraph dev``: a ``ChromaStore`` on disk instead of the server's own.

``langgraph.json`` names it (``"store": {"path": "./store.py:chroma_store"}``); the server
enters this async context manager once at start-up and leaves it at shutdown, so the store
is opened and closed (its folder lock released, its index synced) exactly once. Opening runs
in a thread: ``langgraph dev`` refuses blocking calls on its event loop.

``LANGMEM_STORE_PATH`` chooses the folder (default ``./.memory/chroma``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langmem_plugin import ChromaStore


@asynccontextmanager
async def chroma_store() -> AsyncIterator[ChromaStore]:
    """A persistent ``ChromaStore`` with the bundled offline embeddings, for the server's life."""
    path = os.environ.get("LANGMEM_STORE_PATH", "./.memory/chroma")
    store = await asyncio.to_thread(ChromaStore, path=path, index={"dims": 384, "embed": "local"})
    try:
        yield store
    finally:
        await asyncio.to_thread(store.close)

"""langchain-tests' standard retriever suite: MemoryRetriever over an embedded ChromaStore."""

from __future__ import annotations

from typing import Any

from langchain_tests.integration_tests import RetrieversIntegrationTests

from langmem_plugin.retriever import MemoryRetriever
from langmem_plugin.store import ChromaStore

MEMORIES = [
    "Alice adopted a cat named Miso last spring",
    "Alice prefers green tea to coffee",
    "Alice is training for a half marathon in October",
    "Alice's sister lives in Lisbon",
    "Alice is learning to play the cello",
]


def _store() -> ChromaStore:
    store = ChromaStore(index={"dims": 384, "embed": "local", "fields": ["content"]})
    for i, text in enumerate(MEMORIES):
        store.put(("memories", "alice"), f"m{i}", {"content": text})
    return store


class TestMemoryRetrieverStandard(RetrieversIntegrationTests):
    _shared: ChromaStore | None = None

    @property
    def retriever_constructor(self) -> type[MemoryRetriever]:
        return MemoryRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        # One store for the class: the suite builds many retrievers, all reading the same data.
        if TestMemoryRetrieverStandard._shared is None:
            TestMemoryRetrieverStandard._shared = _store()
        return {"store": TestMemoryRetrieverStandard._shared, "namespace": ("memories", "alice")}

    @property
    def retriever_query_example(self) -> str:
        return "what pets does Alice have?"

"""Hybrid recall over a LangGraph store's memories (dense + BM25 + context + time)."""

from langmem_plugin.retriever._fusion import FusionWeights
from langmem_plugin.retriever._retriever import MemoryRetriever, SearchFn

__all__ = ["FusionWeights", "MemoryRetriever", "SearchFn"]

"""Hybrid recall over a LangGraph store's memories (dense + BM25 + context + time)."""

from langmem_plugin.retriever._fusion import FusionWeights
from langmem_plugin.retriever._lexical import BM25Index
from langmem_plugin.retriever._retriever import MemoryRetriever, SearchFn
from langmem_plugin.retriever._time import Period, parse_time, query_periods

__all__ = [
    "BM25Index",
    "FusionWeights",
    "MemoryRetriever",
    "Period",
    "SearchFn",
    "parse_time",
    "query_periods",
]

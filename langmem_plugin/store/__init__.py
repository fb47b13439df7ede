"""LangGraph stores backed by Chroma."""

from langmem_plugin.store._chroma import ChromaStore
from langmem_plugin.store._records import CorruptItem, StoredRecord

__all__ = ["ChromaStore", "CorruptItem", "StoredRecord"]

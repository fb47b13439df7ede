"""LangGraph stores backed by Chroma."""

from langmem_plugin.store._chroma import ChromaStore, StoredRecord

__all__ = ["ChromaStore", "StoredRecord"]

"""langmem_plugin: long-term memory for LangGraph agents, on Chroma, offline by default."""

from langmem_plugin.store import (
    ChromaStore,
    ChromaStoreError,
    EmbeddingDimensionError,
    InvalidFilterError,
    InvalidValueError,
    StoreUnavailableError,
)

__all__ = [
    "ChromaStore",
    "ChromaStoreError",
    "EmbeddingDimensionError",
    "InvalidFilterError",
    "InvalidValueError",
    "StoreUnavailableError",
]

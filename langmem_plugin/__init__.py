"""langmem_plugin: long-term memory for LangGraph agents, on Chroma, offline by default."""

from langmem_plugin._embeddings import (
    DIMS,
    MODEL_ID,
    EmbeddingModelError,
    LocalEmbeddings,
    resolve_embeddings,
)
from langmem_plugin.history import (
    ChromaChatMessageHistory,
    MessageHit,
    SessionInfo,
    SessionOwnershipError,
)
from langmem_plugin.memory import CleanupResult, Memory, MemoryClosedError, ThreadNotFoundError
from langmem_plugin.store import (
    ChromaStore,
    ChromaStoreError,
    EmbeddingDimensionError,
    InvalidFilterError,
    InvalidValueError,
    StoreUnavailableError,
)

__all__ = [
    "ChromaChatMessageHistory",
    "CleanupResult",
    "Memory",
    "MemoryClosedError",
    "MessageHit",
    "SessionInfo",
    "SessionOwnershipError",
    "ThreadNotFoundError",
    "DIMS",
    "MODEL_ID",
    "EmbeddingModelError",
    "LocalEmbeddings",
    "resolve_embeddings",
    "ChromaStore",
    "ChromaStoreError",
    "EmbeddingDimensionError",
    "InvalidFilterError",
    "InvalidValueError",
    "StoreUnavailableError",
]

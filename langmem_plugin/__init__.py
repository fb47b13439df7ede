"""langmem_plugin: long-term memory for LangGraph agents, on Chroma, offline by default."""

from langmem_plugin._embeddings import (
    DIMS,
    MODEL_ID,
    EmbeddingModelError,
    LocalEmbeddings,
    resolve_embeddings,
)
from langmem_plugin.store import (
    ChromaStore,
    ChromaStoreError,
    EmbeddingDimensionError,
    InvalidFilterError,
    InvalidValueError,
    StoreUnavailableError,
)

__all__ = [
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

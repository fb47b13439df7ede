"""LangGraph stores backed by Chroma."""

from langmem_plugin.errors import (
    ChromaStoreError,
    EmbeddingDimensionError,
    EncryptionKeyError,
    FolderInUseError,
    InvalidFilterError,
    InvalidValueError,
    StoreUnavailableError,
)
from langmem_plugin.store._chroma import ChromaStore, StoredRecord, http_client

__all__ = [
    "ChromaStore",
    "ChromaStoreError",
    "EmbeddingDimensionError",
    "EncryptionKeyError",
    "FolderInUseError",
    "InvalidFilterError",
    "InvalidValueError",
    "StoreUnavailableError",
    "StoredRecord",
    "http_client",
]

"""LangGraph stores backed by Chroma."""

from langmem_plugin.store._chroma import ChromaStore, StoredRecord, http_client
from langmem_plugin.store._errors import (
    ChromaStoreError,
    EmbeddingDimensionError,
    EncryptionKeyError,
    FolderInUseError,
    InvalidFilterError,
    InvalidValueError,
    StoreUnavailableError,
)

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

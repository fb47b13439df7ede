"""Exceptions raised by :class:`~langmem_plugin.store.ChromaStore`.

Every error names the offending value. Namespace errors are LangGraph's own
:class:`langgraph.store.base.InvalidNamespaceError`, so callers that already handle
LangGraph stores need nothing new.
"""

from __future__ import annotations


class ChromaStoreError(Exception):
    """Base class of the errors that ChromaStore raises itself."""


class InvalidValueError(ChromaStoreError, TypeError):
    """A value given to ``put`` cannot be stored (not a dict, or not JSON-serialisable)."""


class InvalidFilterError(ChromaStoreError, ValueError):
    """A search filter uses an unknown operator or an operand of the wrong type."""


class EmbeddingDimensionError(ChromaStoreError, ValueError):
    """The embedding model returned vectors whose size differs from the index's ``dims``."""


class StoreUnavailableError(ChromaStoreError, ConnectionError):
    """The Chroma server could not be reached; nothing was written."""


class FolderInUseError(ChromaStoreError, RuntimeError):
    """Another process has the embedded store's folder open; share it through a server."""


class EncryptionKeyError(ChromaStoreError, ValueError):
    """Wrong or missing ``encryption_key`` for an encrypted store; nothing was written."""

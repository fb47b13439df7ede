"""Chat histories stored in Chroma, next to the long-term store.

``ChromaChatMessageHistory`` is a LangChain ``BaseChatMessageHistory`` (for
``RunnableWithMessageHistory`` and plain LangChain apps) and the searchable archive of
past conversations used by the memory nodes.
"""

from langmem_plugin.history._chroma_history import ChromaChatMessageHistory
from langmem_plugin.history._storage import (
    HistoryStorage,
    MessageHit,
    SessionInfo,
    SessionOwnershipError,
)

__all__ = [
    "ChromaChatMessageHistory",
    "HistoryStorage",
    "MessageHit",
    "SessionInfo",
    "SessionOwnershipError",
]

"""The conversation archive: every message once, as an item of the memory's store.

``ChromaChatMessageHistory`` is a LangChain ``BaseChatMessageHistory`` (for
``RunnableWithMessageHistory`` and plain LangChain apps) over the same
``("archive", user_id, session_id)`` items that the memory nodes, the middleware and
``Memory.ingest`` fill (through ``ArchiveWriter``) and that recall searches. See
``langmem_plugin.history._storage`` for the layout and why there is one mechanism.
"""

from langmem_plugin.history._chroma_history import ChromaChatMessageHistory
from langmem_plugin.history._storage import MessageHit, SessionInfo

__all__ = ["ChromaChatMessageHistory", "MessageHit", "SessionInfo"]

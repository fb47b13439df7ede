"""langmem_plugin: long-term memory for LangGraph agents, on Chroma, offline by default.

The top level holds what a user writes in their own code. Everything else is importable
from the module its docs name: errors from ``langmem_plugin.errors``, the memory nodes'
types from ``langmem_plugin.nodes``, tasks from ``langmem_plugin.tasks``, the scripted
test model from ``langmem_plugin.testing``.

``create_memory_agent`` is imported on first use: it needs ``langchain.agents``, whose
import takes most of a second, and an app that only uses the store or ``Memory`` should
not pay for it (``python -X importtime -c "import langmem_plugin"``).
"""

from typing import TYPE_CHECKING, Any

from langmem_plugin._embeddings import LocalEmbeddings
from langmem_plugin.errors import LangMemError
from langmem_plugin.history import ChromaChatMessageHistory
from langmem_plugin.memory import Memory
from langmem_plugin.nodes import MemoryOptions
from langmem_plugin.retriever import MemoryRetriever
from langmem_plugin.store import ChromaStore
from langmem_plugin.tools import create_memory_tools

if TYPE_CHECKING:
    from langmem_plugin.agent import create_memory_agent

__all__ = [
    "ChromaChatMessageHistory",
    "ChromaStore",
    "LangMemError",
    "LocalEmbeddings",
    "Memory",
    "MemoryOptions",
    "MemoryRetriever",
    "create_memory_agent",
    "create_memory_tools",
]


def __getattr__(name: str) -> Any:
    """``create_memory_agent`` on first use (see the module docstring)."""
    if name == "create_memory_agent":
        from langmem_plugin.agent import create_memory_agent

        return create_memory_agent
    raise AttributeError(f"module 'langmem_plugin' has no attribute {name!r}")

"""langmem_plugin: long-term memory for LangGraph agents, on Chroma, offline by default.

The top level holds what a user writes in their own code. Everything else is importable
from the module its docs name: errors from ``langmem_plugin.errors``, the memory nodes'
types from ``langmem_plugin.nodes``, tasks from ``langmem_plugin.tasks``, the scripted
test model from ``langmem_plugin.testing``.
"""

from langmem_plugin._embeddings import LocalEmbeddings
from langmem_plugin.agent import create_memory_agent
from langmem_plugin.errors import LangMemError
from langmem_plugin.history import ChromaChatMessageHistory
from langmem_plugin.memory import Memory
from langmem_plugin.nodes import MemoryOptions
from langmem_plugin.retriever import MemoryRetriever
from langmem_plugin.store import ChromaStore
from langmem_plugin.tools import create_memory_tools

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

"""langmem_plugin: long-term memory for LangGraph agents, on Chroma, offline by default."""

from langmem_plugin._embeddings import (
    DIMS,
    MODEL_ID,
    EmbeddingModelError,
    LocalEmbeddings,
    resolve_embeddings,
)
from langmem_plugin.agent import create_memory_agent
from langmem_plugin.history import (
    ChromaChatMessageHistory,
    MessageHit,
    SessionInfo,
    SessionOwnershipError,
)
from langmem_plugin.memory import CleanupResult, Memory, MemoryClosedError, ThreadNotFoundError
from langmem_plugin.nodes import (
    Episode,
    FactProposal,
    Lesson,
    LLMCallCounter,
    MemoryFeatures,
    MemoryMiddleware,
    MemoryNodes,
    MemoryOptions,
    MissingUserIdError,
    Profile,
    ProfileExtraction,
    ProfileFact,
)
from langmem_plugin.retriever import FusionWeights, MemoryRetriever
from langmem_plugin.store import (
    ChromaStore,
    ChromaStoreError,
    EmbeddingDimensionError,
    InvalidFilterError,
    InvalidValueError,
    StoreUnavailableError,
)
from langmem_plugin.tasks import Task, TaskError, TaskStore
from langmem_plugin.tools import create_memory_tools

__all__ = [
    "DIMS",
    "MODEL_ID",
    "ChromaChatMessageHistory",
    "ChromaStore",
    "ChromaStoreError",
    "CleanupResult",
    "EmbeddingDimensionError",
    "EmbeddingModelError",
    "Episode",
    "FactProposal",
    "FusionWeights",
    "InvalidFilterError",
    "InvalidValueError",
    "LLMCallCounter",
    "Lesson",
    "LocalEmbeddings",
    "Memory",
    "MemoryClosedError",
    "MemoryFeatures",
    "MemoryMiddleware",
    "MemoryNodes",
    "MemoryOptions",
    "MemoryRetriever",
    "MessageHit",
    "MissingUserIdError",
    "Profile",
    "ProfileExtraction",
    "ProfileFact",
    "SessionInfo",
    "SessionOwnershipError",
    "StoreUnavailableError",
    "Task",
    "TaskError",
    "TaskStore",
    "ThreadNotFoundError",
    "create_memory_agent",
    "create_memory_tools",
    "resolve_embeddings",
]

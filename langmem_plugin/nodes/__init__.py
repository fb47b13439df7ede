"""Memory nodes for LangGraph: working memory, recall, profile extraction, reflection.

Use them through a ``Memory`` (``memory.nodes``, ``memory.middleware()``,
``memory.tools()``), or build the parts yourself on any LangGraph ``BaseStore``.

Namespaces (each starts with the user id, or the agent id for lessons):

* ``("profile", user_id)``: current profile facts (``ProfileStore``).
* ``("profile_history", user_id)``: every version of every fact.
* ``("episodes", user_id)``: conversation episodes (``EpisodeStore``).
* ``("episodes_archive", user_id)``: merged or decayed episodes, still searchable.
* ``("lessons", agent_id or user_id)``: lessons from failed tasks (``LessonStore``).
* ``("memories", user_id)``: notes saved by the ``save_memory`` tool.

Every searchable value has a ``content`` text field (what the store's index embeds),
plus ``occurred_at`` (ISO time) where it applies and ``importance`` (0-1) for episodes.
"""

from langmem_plugin.nodes._context import MissingUserIdError, Scope, resolve_scope
from langmem_plugin.nodes._features import MemoryFeatures, MemoryNodes, MemoryOptions
from langmem_plugin.nodes._middleware import MemoryMiddleware
from langmem_plugin.nodes._pipeline import PipelineOptions, RunReport
from langmem_plugin.nodes._scheduler import LLMCallCounter
from langmem_plugin.nodes.episodes import Episode, EpisodeStore, EpisodeSummary
from langmem_plugin.nodes.profile import (
    FactProposal,
    Profile,
    ProfileChange,
    ProfileExtraction,
    ProfileFact,
    ProfileStore,
)
from langmem_plugin.nodes.recall import Recall, RecallResult
from langmem_plugin.nodes.reflection import Lesson, LessonDraft, LessonStore
from langmem_plugin.nodes.working_memory import WorkingMemory

__all__ = [
    "Episode",
    "EpisodeStore",
    "EpisodeSummary",
    "FactProposal",
    "LLMCallCounter",
    "Lesson",
    "LessonDraft",
    "LessonStore",
    "MemoryFeatures",
    "MemoryMiddleware",
    "MemoryNodes",
    "MemoryOptions",
    "MissingUserIdError",
    "PipelineOptions",
    "Profile",
    "ProfileChange",
    "ProfileExtraction",
    "ProfileFact",
    "ProfileStore",
    "Recall",
    "RecallResult",
    "RunReport",
    "Scope",
    "WorkingMemory",
    "resolve_scope",
]

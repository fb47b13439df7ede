"""Memory nodes for LangGraph: working memory, recall, profile extraction, reflection.

Use them through a ``Memory`` (``memory.nodes``, ``memory.middleware()``,
``memory.tools()``), or build the parts yourself on any LangGraph ``BaseStore``.

Namespaces (``(kind, user_id, ...)``: the user is the second label and only there, see
``langmem_plugin._namespaces``; an agent's lessons have their own kind):

* ``("profile", user_id)``: current profile facts (``ProfileStore``).
* ``("profile_history", user_id)``: every version of every fact.
* ``("episodes", user_id)``: conversation episodes (``EpisodeStore``).
* ``("episodes_archive", user_id)``: merged or decayed episodes, still searchable.
* ``("lessons", user_id)``: lessons from failed tasks of runs without an agent id
  (``LessonStore``); ``("agent_lessons", agent_id)``: an agent's lessons, shared by its
  users and never read as a user's.
* ``("memories", user_id)``: notes saved by the ``save_memory`` tool.
* ``("usage", user_id)``: how often recall chose each memory (``nodes._usage``), which
  ranking and episode decay read; merged near-duplicates by ``Memory.consolidate``
  (``nodes._consolidate``).

Every searchable value has a ``content`` text field (what the store's index embeds),
plus ``occurred_at`` (ISO time) where it applies and ``importance`` (0-1) for episodes.
"""

from typing import TYPE_CHECKING, Any

from langmem_plugin.nodes._consolidate import ConsolidationReport, TopicCluster
from langmem_plugin.nodes._features import MemoryNodes
from langmem_plugin.nodes._pipeline import RunReport
from langmem_plugin.nodes._runtime import MemoryOptions
from langmem_plugin.nodes._scheduler import LLMCallCounter
from langmem_plugin.nodes.episodes import Episode
from langmem_plugin.nodes.profile import Profile, ProfileChange, ProfileFact
from langmem_plugin.nodes.reflection import Lesson

if TYPE_CHECKING:
    from langmem_plugin.nodes._middleware import MemoryMiddleware

__all__ = [
    "ConsolidationReport",
    "Episode",
    "LLMCallCounter",
    "Lesson",
    "MemoryMiddleware",
    "MemoryNodes",
    "MemoryOptions",
    "Profile",
    "ProfileChange",
    "ProfileFact",
    "RunReport",
    "TopicCluster",
]


def __getattr__(name: str) -> Any:
    """``MemoryMiddleware`` on first use: it needs ``langchain.agents`` (slow to import)."""
    if name == "MemoryMiddleware":
        from langmem_plugin.nodes._middleware import MemoryMiddleware

        return MemoryMiddleware
    raise AttributeError(f"module 'langmem_plugin.nodes' has no attribute {name!r}")

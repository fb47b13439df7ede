"""Semantic knowledge: entities, typed relations between them, and the turns that name them.

``memory.knowledge`` is the :class:`KnowledgeGraph` of a memory (tables in the store's own
database). The deferred pipeline fills it (the model's one session call, or the offline
rules); recall follows it (``nodes._associative``); the inspector shows an entity's page.
"""

from langmem_plugin.knowledge._graph import KnowledgeGraph, knowledge_of
from langmem_plugin.knowledge._model import (
    Entity,
    EntityDraft,
    KnowledgeChange,
    KnowledgeExtraction,
    Mention,
    Relation,
    RelationDraft,
)

__all__ = [
    "Entity",
    "EntityDraft",
    "KnowledgeChange",
    "KnowledgeExtraction",
    "KnowledgeGraph",
    "Mention",
    "Relation",
    "RelationDraft",
    "knowledge_of",
]

"""Entities, relations and the drafts that propose them (the model's and the rules' shape).

An **entity** is someone or something the user talks about (a person, a place, a project,
a tool, an organisation); a **relation** is a typed, directed link between two entities
(``Ada works_at Acme``, ``Lena sister_of Ada``, ``Ada uses Rust``), with its source turn,
confidence and two time axes, like a profile fact:

* *valid time*: ``valid_from`` (when it was said to hold: the conversation's time) and
  ``valid_to`` (when a later statement ended it), and
* *record time*: ``recorded_at`` (when memory learned it) and ``superseded_at`` (when
  memory learned it no longer holds), with ``superseded_by`` naming the relation that
  replaced it.

Nothing is overwritten: a new value of a single-valued predicate (``works_at``,
``lives_in``...) closes the old relation and opens a new one, and a retraction ("I no
longer use vim") closes it; the old row stays, so an entity's page shows its history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "ENTITY_KINDS",
    "SELF",
    "SINGLE_VALUED_PREDICATES",
    "Entity",
    "EntityDraft",
    "KnowledgeChange",
    "KnowledgeExtraction",
    "Mention",
    "Relation",
    "RelationDraft",
    "normalize_name",
    "normalize_predicate",
]

EntityKind = Literal["person", "place", "project", "tool", "organisation", "other"]
ENTITY_KINDS: tuple[str, ...] = ("person", "place", "project", "tool", "organisation", "other")

#: The subject a draft names for the user themself ("I work at Acme": ``user works_at Acme``).
SELF = "user"

#: Predicates whose subject holds one object at a time: a new object supersedes the old.
SINGLE_VALUED_PREDICATES = frozenset(
    {"works_at", "lives_in", "married_to", "reports_to", "based_in", "studies_at", "age"}
)

_PUNCT = re.compile(r"[^\w\s+#&.-]+")
_SPACES = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """The comparison form of an entity name: lower case, no quotes, no leading "the"."""
    text = _SPACES.sub(" ", _PUNCT.sub(" ", name.lower())).strip(" .-")
    return text[4:] if text.startswith("the ") else text


def normalize_predicate(predicate: str) -> str:
    """``"Works at"`` -> ``"works_at"``: predicates are snake_case words."""
    slug = re.sub(r"[^a-z0-9]+", "_", predicate.strip().lower()).strip("_")
    if not slug:
        raise ValueError(f"invalid relation predicate {predicate!r}")
    return slug


class EntityDraft(BaseModel):
    """An entity the model (or the rules) found in the conversation."""

    name: str = Field(description="the name as said, e.g. 'Lena', 'Acme Corp', 'Rust'")
    kind: EntityKind = Field(default="other", description="what the entity is")
    message_ids: list[str] = Field(
        default_factory=list, description="ids of the messages that mention it"
    )


class RelationDraft(BaseModel):
    """A relation the model (or the rules) found: ``subject predicate object``."""

    subject: str = Field(description="an entity name, or 'user' for the user themself")
    predicate: str = Field(
        description="snake_case, e.g. works_at, lives_in, sister_of, friend_of, uses, "
        "works_on, member_of, visited, owns, likes"
    )
    object: str = Field(description="an entity name, or 'user'")
    object_kind: EntityKind = Field(default="other", description="what the object is")
    action: Literal["add", "delete"] = Field(
        default="add", description="delete: the user said it no longer holds"
    )
    confidence: float = Field(default=0.8, ge=0.0, le=1.0)
    message_id: str | None = Field(default=None, description="the id of the message")


class KnowledgeExtraction(BaseModel):
    """The ``knowledge`` section of the pipeline's one call per run."""

    entities: list[EntityDraft] = Field(default_factory=list)
    relations: list[RelationDraft] = Field(default_factory=list)


@dataclass(frozen=True)
class Entity:
    """A stored entity.

    Attributes:
        id: Its id (opaque, unique in the memory).
        user_id: Whose memory it is in.
        name: Its name as first said.
        kind: ``person``, ``place``, ``project``, ``tool``, ``organisation`` or ``other``.
        first_seen: When it was first mentioned (ISO time, the conversation's).
        last_seen: When it was last mentioned.
        source: Who found it: ``llm``, ``rules`` or ``user``.
        is_user: The entity is the user themself.
    """

    id: str
    user_id: str
    name: str
    kind: str
    first_seen: str
    last_seen: str
    source: str = "rules"
    is_user: bool = False


@dataclass(frozen=True)
class Relation:
    """One version of a relation (see the module docstring for its two time axes)."""

    id: str
    user_id: str
    subject_id: str
    predicate: str
    object_id: str
    subject: str
    object: str
    confidence: float
    source: str
    valid_from: str
    recorded_at: str
    valid_to: str | None = None
    superseded_at: str | None = None
    superseded_by: str | None = None
    source_message_ids: tuple[str, ...] = ()
    thread_id: str | None = None

    @property
    def current(self) -> bool:
        """Whether the relation still holds (nothing closed it)."""
        return self.valid_to is None

    def line(self) -> str:
        """``Ada works at Acme (since 2026-03-01, source: rules)``."""
        words = self.predicate.replace("_", " ")
        until = f" until {self.valid_to[:10]}" if self.valid_to else ""
        return (
            f"{self.subject} {words} {self.object} (since {self.valid_from[:10]}{until}, "
            f"source: {self.source})"
        )


@dataclass(frozen=True)
class Mention:
    """An archived turn that names an entity: ``("archive", user, thread_id)`` / ``message_id``."""

    entity_id: str
    thread_id: str
    message_id: str
    at: float


@dataclass
class KnowledgeChange:
    """What one ``KnowledgeGraph.apply`` wrote."""

    entities: list[Entity] = field(default_factory=list)
    """Entities created."""
    added: list[Relation] = field(default_factory=list)
    superseded: list[Relation] = field(default_factory=list)
    """Relations closed (their new version, with ``valid_to``)."""
    duplicates: int = 0
    mentions: int = 0

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.entities or self.added or self.superseded or self.mentions)

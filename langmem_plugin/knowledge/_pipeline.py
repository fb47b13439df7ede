"""Knowledge in the deferred pipeline: the model's section and how a run's findings are stored.

The session's single structured call (``nodes._session.SessionExtraction``) has a
``knowledge`` section (``KnowledgeExtraction``: entities and relations) whenever the run
holds a user turn, so entities cost no extra call. Without a model, or when its call
failed twice, the offline rules (``knowledge._rules``) stand in (``source="rules"``).

Either way every turn of the run that names a known entity, or one found now, is linked to
it (a *mention*: the archived turn ``("archive", user, thread)`` / message id), which is
what associative recall follows from an entity to the turns about it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.store.base import BaseStore

from langmem_plugin._text import STOP_WORDS
from langmem_plugin.knowledge._graph import knowledge_of
from langmem_plugin.knowledge._model import (
    SELF,
    KnowledgeChange,
    KnowledgeExtraction,
    normalize_name,
)
from langmem_plugin.knowledge._rules import extract_knowledge
from langmem_plugin.nodes._context import Scope
from langmem_plugin.retriever._scope import NAMED

__all__ = ["KNOWLEDGE_FIELD", "KNOWLEDGE_SECTION", "ngrams", "record_knowledge"]

logger = logging.getLogger(__name__)

KNOWLEDGE_FIELD = "people, places, projects, tools and organisations, and relations between them"

KNOWLEDGE_SECTION = """knowledge: list the people, places, projects, tools and
organisations the conversation names (entities, with their kind and the ids of the messages
naming them), and the relations stated between them as subject, predicate, object, with
the predicate in snake_case (works_at, lives_in, sister_of, friend_of, uses, works_on,
member_of, visited, owns, likes). Use "user" for the user themself ("my sister Lena": Lena
sister_of user). A relation the user says no longer holds gets action "delete"; a changed
one ("I moved to Lisbon") is just the new relation. Only what was said; propose nothing
when nothing was."""

_TOKEN = re.compile(r"[\w'\u2019+#&.-]+")
_MAX_WORDS = 4


def ngrams(text: str) -> set[str]:
    """Normalised runs of 1-4 words of ``text`` that are not stop words alone (name lookups)."""
    words = [w.strip(".'\u2019-") for w in _TOKEN.findall(text)]
    words = [w for w in words if w]
    found: set[str] = set()
    for start in range(len(words)):
        for size in range(1, _MAX_WORDS + 1):
            run = words[start : start + size]
            if len(run) < size:
                break
            if size == 1 and run[0].lower() in STOP_WORDS:
                continue
            name = normalize_name(" ".join(run))
            if name:
                found.add(name)
    return found


def _usable(drafts: KnowledgeExtraction) -> KnowledgeExtraction:
    """The model's drafts without the malformed ones (an empty name or predicate), logged."""
    entities = [e for e in drafts.entities if normalize_name(e.name)]
    relations = [
        r
        for r in drafts.relations
        if normalize_name(r.subject) and normalize_name(r.object) and re.search(r"\w", r.predicate)
    ]
    dropped = len(drafts.entities) - len(entities) + len(drafts.relations) - len(relations)
    if dropped:
        logger.warning("langmem knowledge: %d malformed drafts of the model dropped", dropped)
    return KnowledgeExtraction(entities=entities, relations=relations)


def _body(message: BaseMessage) -> str:
    """A turn's words without the speaker prefix an app may write ("Caroline: ...")."""
    text = message.text.strip()
    match = NAMED.match(text)
    return text[match.end() :] if match else text


def record_knowledge(
    store: BaseStore,
    scope: Scope,
    messages: Sequence[BaseMessage],
    drafts: KnowledgeExtraction | None,
    source: str,
    said_at: datetime,
    user_name: str | None = None,
) -> KnowledgeChange | None:
    """Store a run's entities, relations and mentions; None when the store has no tables.

    Args:
        store: The memory store (a ``ChromaStore``: its database holds the tables).
        scope: Whose conversation, and its thread (mentions point at its archived turns).
        messages: The run's messages (redacted when the store redacts).
        drafts: The model's section, or None: the offline rules find them.
        source: Who wrote ``drafts`` (``"llm"``); the rules' findings are ``"rules"``.
        said_at: When the messages were said (the relations' ``valid_from``).
        user_name: The user's name from the profile, for the user's own entity.
    """
    graph = knowledge_of(store)
    if graph is None or graph.db.read_only:
        return None
    if drafts is None:
        found = extract_knowledge(messages)
        drafts = KnowledgeExtraction(entities=found.entities, relations=found.relations)
        source, speakers = "rules", found.speakers
    else:
        speakers = set()
        drafts = _usable(drafts)
    turns = [m for m in messages if isinstance(m, HumanMessage | AIMessage) and m.id and m.text]
    bodies = {str(m.id): _body(m) for m in turns}
    grams = {str(mid): ngrams(text) for mid, text in bodies.items()}
    skip = {normalize_name(s) for s in speakers} | {SELF}
    names = {normalize_name(e.name): e.name for e in drafts.entities}
    names.update(
        (normalize_name(n), n)
        for r in drafts.relations
        for n in (r.subject, r.object)
        if normalize_name(n) not in skip
    )
    known = graph.find(scope.user_id, set().union(*grams.values())) if grams else {}
    names.update((key, entity.name) for key, entity in known.items() if not entity.is_user)
    mentions: list[tuple[str, str, str]] = []
    if scope.thread_id is not None:
        thread = scope.thread_id
        for mid, words in grams.items():
            mentions.extend((names[k], thread, mid) for k in words & names.keys() if k not in skip)
    try:
        return graph.apply(
            scope.user_id,
            drafts.entities,
            drafts.relations,
            mentions=mentions,
            source=source,
            at=said_at,
            thread_id=scope.thread_id,
            user_name=user_name,
        )
    except ValueError as error:  # a malformed draft is dropped, never the run
        logger.warning("langmem knowledge: drafts dropped: %s", error)
        return None

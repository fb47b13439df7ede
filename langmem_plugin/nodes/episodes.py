"""Episodic memory: what happened in a conversation, as searchable episodes.

Namespaces:

* ``("episodes", user_id)``: live episodes. ``content`` is the summary plus topics, so the
  store's index finds them; other fields: ``summary``, ``started_at``/``ended_at`` and
  ``occurred_at`` (ISO times), ``thread_id``, ``message_ids``, ``topics``, ``importance``
  (0-1), ``emotional_tone``, ``sentiment``/``sentiment_spread``/``sentiment_turns`` (the
  user's feeling, see below), ``kind`` (``"session"`` or ``"working_memory"`` for turns
  folded out of the context window), ``source`` (``"llm"`` or ``"rules"``).
* Sentiment: ``sentiment`` is the mean VADER compound score (-1 to +1) of the session's user
  turns that carry feeling, ``sentiment_spread`` their standard deviation, ``sentiment_turns``
  how many there were (``langmem_plugin._sentiment``). It is computed from the messages for
  every session episode, with or without a model, so sessions stay comparable for
  ``Memory.mood``. Offline, ``emotional_tone`` is its label; with a model, the model's word.
  Episodes stored by earlier versions have no ``sentiment`` (read as ``None``).
* ``("episodes_archive", user_id)``: episodes moved out by consolidation (merged into
  another or decayed below the importance threshold). Still searchable, never deleted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage
from langgraph.store.base import BaseStore, Item, PutOp
from pydantic import BaseModel, Field

from langmem_plugin._namespaces import persona_namespace
from langmem_plugin._sentiment import session_sentiment, user_texts
from langmem_plugin._text import keywords
from langmem_plugin.nodes import _offline, _rules
from langmem_plugin.nodes._similarity import near_duplicates, vectors_of
from langmem_plugin.nodes._usage import strength, usage_of

__all__ = ["Episode", "EpisodeStore", "EpisodeSummary", "summarize_offline"]


class EpisodeSummary(BaseModel):
    """An episode summary: the ``episode`` section of the pipeline's one call per run."""

    summary: str = Field(description="what happened, 1-3 sentences, with names and outcomes")
    topics: list[str] = Field(default_factory=list, description="up to 5 short topics")
    importance: float = Field(default=0.5, ge=0.0, le=1.0, description="0 trivial, 1 vital")
    emotional_tone: str = Field(default="neutral", description="positive/negative/neutral/...")


class Episode(BaseModel):
    """A stored episode."""

    summary: str
    topics: list[str] = Field(default_factory=list)
    importance: float = 0.5
    emotional_tone: str = "neutral"
    sentiment: float | None = None
    sentiment_spread: float | None = None
    sentiment_turns: int = 0
    started_at: str
    ended_at: str
    thread_id: str | None = None
    message_ids: list[str] = Field(default_factory=list)
    kind: str = "session"
    source: str = "rules"
    merged_from: list[str] = Field(default_factory=list)

    @property
    def key(self) -> str:
        """A stable key: same thread and messages give the same key (idempotent writes)."""
        basis = f"{self.thread_id}|{self.kind}|{','.join(self.message_ids) or self.started_at}"
        return hashlib.sha1(basis.encode()).hexdigest()[:16]

    def to_value(self) -> dict[str, Any]:
        """The store value, with ``content`` and ``occurred_at``."""
        topics = f" (topics: {', '.join(self.topics)})" if self.topics else ""
        return {
            **self.model_dump(),
            "content": self.summary + topics,
            "occurred_at": self.ended_at,
        }


def summarize_offline(messages: Sequence[BaseMessage]) -> EpisodeSummary:
    """An extractive episode summary (offline mode)."""
    user = [m for m in messages if isinstance(m, HumanMessage)]
    text = " ".join(m.text for m in user or messages)
    facts = _rules.extract_facts(messages)
    return EpisodeSummary(
        summary=_offline.extractive_summary(messages),
        topics=keywords(text, 5),
        importance=_offline.estimate_importance(messages, len(facts)),
        emotional_tone=session_sentiment(user_texts(messages)).tone,
    )


def _archived(value: dict[str, Any], reason: str) -> dict[str, Any]:
    """The archive copy of an episode (its content says so, for whoever recalls it)."""
    return {**value, "archived_reason": reason, "content": f"(archived) {value['content']}"}


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class EpisodeStore:
    """Writes, finds and consolidates episodes on any ``BaseStore``.

    Args:
        store: The store.
        merge_threshold: Similarity score above which two episodes are merged.
        decay_half_life: Age (days) after which an episode's importance is halved.
        archive_below: Decayed importance below which an episode is archived.
    """

    def __init__(
        self,
        store: BaseStore,
        *,
        merge_threshold: float = 0.92,
        decay_half_life: float = 90.0,
        archive_below: float = 0.15,
    ) -> None:
        self.store = store
        self.merge_threshold = merge_threshold
        self.decay_half_life = decay_half_life
        self.archive_below = archive_below

    def write(self, user_id: str, episode: Episode, *, persona_id: str | None = None) -> str:
        """Store an episode (the persona's, with one); returns its key."""
        if not episode.summary.strip():
            raise ValueError(f"episode for thread {episode.thread_id!r} has an empty summary")
        ns = persona_namespace("episodes", user_id, persona_id)
        self.store.put(ns, episode.key, episode.to_value())
        return episode.key

    def list(
        self,
        user_id: str,
        *,
        archived: bool = False,
        limit: int = 1000,
        persona_id: str | None = None,
    ) -> list[Item]:
        """Episodes (the persona's, with one), newest first."""
        ns = persona_namespace("episodes_archive" if archived else "episodes", user_id, persona_id)
        items = self.store.search(ns, limit=limit)
        return sorted(items, key=lambda i: i.value.get("occurred_at", ""), reverse=True)

    def consolidate(
        self,
        user_id: str,
        *,
        now: datetime | None = None,
        keys: Collection[str] | None = None,
        persona_id: str | None = None,
    ) -> dict[str, int]:
        """Merge near-duplicate episodes and archive decayed ones.

        Near-duplicates by meaning and wording (``nodes._similarity``: cosine similarity
        of the stored vectors >= ``merge_threshold`` and shared words), one store read of
        the vectors instead of a search per episode. A merged or decayed episode moves to
        ``("episodes_archive", user_id)`` (still searchable); the surviving episode (the
        more important, then the older) lists it in ``merged_from`` and keeps the higher
        importance. Decay: an episode's strength is its importance halved every
        ``decay_half_life`` days since it happened *or was last recalled*, and the more
        often it was recalled the slower (``nodes._usage.strength``); below
        ``archive_below`` it is archived.

        Args:
            user_id: Whose episodes.
            now: The time decay is computed at (default now).
            keys: Only look for duplicates of these episodes (e.g. the one just written);
                decay covers all others.
            persona_id: A persona's episodes (``("persona", user, persona, "episodes")``).

        Returns:
            ``{"merged": n, "archived": m}``.
        """
        now = now or datetime.now(UTC)
        live = self.list(user_id, persona_id=persona_id)
        ns = persona_namespace("episodes", user_id, persona_id)
        archive = persona_namespace("episodes_archive", user_id, persona_id)
        ops: list[PutOp] = []
        gone: set[str] = set()
        merged = archived = 0
        ordered = sorted(
            live,
            key=lambda i: (-float(i.value.get("importance", 0.5)), i.value.get("occurred_at", "")),
        )
        vectors = vectors_of(self.store, ordered, lambda i: str(i.value.get("content", "")))
        pairs: dict[int, int] = {}
        if vectors is not None and len(ordered) > 1:
            among = None if keys is None else [n for n, i in enumerate(ordered) if i.key in keys]
            texts = [str(i.value.get("summary") or i.value.get("content", "")) for i in ordered]
            pairs = near_duplicates(
                vectors, texts, similarity=self.merge_threshold, overlap=0.5, among=among
            )
        keepers: dict[int, dict[str, Any]] = {}
        for dup, keep in sorted(pairs.items()):
            hit, keeper = ordered[dup], keepers.setdefault(keep, dict(ordered[keep].value))
            keeper["merged_from"] = [*keeper.get("merged_from", []), hit.key]
            keeper["importance"] = max(keeper["importance"], hit.value["importance"])
            keeper["message_ids"] = sorted(
                set(keeper["message_ids"]) | set(hit.value["message_ids"])
            )
            ops.append(
                PutOp(archive, hit.key, _archived(hit.value, f"merged into {ordered[keep].key}"))
            )
            ops.append(PutOp(ns, hit.key, None))
            gone.add(hit.key)
            merged += 1
        for keep, value in keepers.items():
            ops.append(PutOp(ns, ordered[keep].key, value))
            gone.add(ordered[keep].key)  # kept, but not decayed in this pass
        usage = usage_of(self.store).counts(user_id).get("episodes", {})
        for item in live:
            if item.key in gone or (keys is not None and item.key in keys):
                continue
            happened = _time(item.value.get("occurred_at", now.isoformat()))
            decayed = strength(
                item.value.get("importance", 0.5),
                occurred_at=happened,
                now=now,
                half_life_days=self.decay_half_life,
                usage=usage.get(item.key),
            )
            if decayed < self.archive_below:
                ops.append(PutOp(archive, item.key, _archived(item.value, "decayed")))
                ops.append(PutOp(ns, item.key, None))
                archived += 1
        if ops:
            self.store.batch(ops)
        return {"merged": merged, "archived": archived}

"""Recall: one system message with what memory knows that is relevant now.

For the latest user message, the recall step retrieves the user's profile facts, the most
relevant episodes (live and archived) and lessons, and renders them, with dates and sources,
as one system message within its own token budget. ``Memory.recall_context(user_id, query)``
returns exactly that text.

Retrieval is pluggable: pass ``search(namespace, query, k) -> list[Item]`` (for example a
hybrid retriever); the default is ``store.search(namespace, query=query, limit=k)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.store.base import BaseStore, Item

from langmem_plugin._messages import TokenCounter, count_tokens
from langmem_plugin.nodes._context import Scope

__all__ = [
    "RECALL_ID_PREFIX",
    "Recall",
    "RecallResult",
    "SearchFn",
    "latest_user_text",
    "score_of",
]

SearchFn = Callable[[tuple[str, ...], str, int], Sequence[Item]]


def score_of(item: Item) -> float | None:
    """The relevance score of a search hit (None for plain items)."""
    score = getattr(item, "score", None)
    return float(score) if score is not None else None


RECALL_ID_PREFIX = "langmem-recall-"
HEADER = "Memory from earlier conversations with this user (use it when relevant):"


@dataclass
class RecallResult:
    """The rendered context and what went into it."""

    text: str
    fact_keys: list[str] = field(default_factory=list)
    episode_keys: list[str] = field(default_factory=list)
    note_keys: list[str] = field(default_factory=list)
    lesson_keys: list[str] = field(default_factory=list)


def latest_user_text(messages: Sequence[BaseMessage]) -> str:
    """The text of the last human message ('' when there is none)."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text
    return ""


def _weighted(item: Item) -> float:
    """Ranking of a recalled lesson: similarity boosted by its weight (procedural memory)."""
    return (score_of(item) or 0.0) * (1.0 + 0.25 * math.log1p(item.value.get("weight", 1.0)))


def _fact_line(item: Item) -> str:
    v = item.value
    return (
        f"- {v['category']}: {v['value']} (since {v['valid_from'][:10]}, "
        f"source: {v.get('source', '?')}, confidence {v.get('confidence', 0):.2f})"
    )


def _note_line(item: Item) -> str:
    v = item.value
    return f"- {v.get('occurred_at', '')[:10]}: {v['content']} (saved by the agent)"


def _episode_line(item: Item) -> str:
    v = item.value
    where = f", thread {v['thread_id']}" if v.get("thread_id") else ""
    return f"- {v.get('occurred_at', '')[:10]}{where}: {v['content']}"


def _lesson_line(item: Item) -> str:
    v = item.value
    tool = f" (tool {v['tool']})" if v.get("tool") else ""
    return (
        f'- Task like "{v["task"][:120]}"{tool}: {v["what_went_wrong"]} Instead: '
        f"{v['what_to_do_instead']} (learned {v['created_at'][:10]}, helped {v['helped']}x)"
    )


class Recall:
    """Builds the recall context for a user and a query.

    Args:
        store: The memory store.
        search: Retrieval function; defaults to the store's own search.
        max_tokens: Token budget of the whole recall message.
        counter: Token counter (see ``langmem_plugin._messages.count_tokens``).
        k_facts: How many profile facts to consider.
        k_episodes: How many episodes to consider.
        k_notes: How many saved notes (``save_memory``) to consider.
        k_lessons: How many lessons to consider.
        min_episode_score: Minimum similarity for an episode.
        min_lesson_score: Minimum similarity for a lesson (lessons must fit the task).
    """

    def __init__(
        self,
        store: BaseStore,
        *,
        search: SearchFn | None = None,
        max_tokens: int = 800,
        counter: TokenCounter | None = None,
        k_facts: int = 20,
        k_episodes: int = 3,
        k_lessons: int = 2,
        k_notes: int = 3,
        min_episode_score: float = 0.15,
        min_lesson_score: float = 0.35,
    ) -> None:
        if max_tokens <= 0:
            raise ValueError(f"max_tokens must be positive, got {max_tokens!r}")
        self.store = store
        self.search: SearchFn = search or (
            lambda ns, query, k: store.search(ns, query=query, limit=k)
        )
        self.max_tokens = max_tokens
        self.counter = counter
        self.k_facts, self.k_episodes, self.k_lessons = k_facts, k_episodes, k_lessons
        self.k_notes = k_notes
        self.min_episode_score = min_episode_score
        self.min_lesson_score = min_lesson_score

    def _scored(self, ns: tuple[str, ...], query: str, k: int, floor: float) -> list[Item]:
        return [
            i
            for i in self.search(ns, query, k)
            if (score_of(i) or 0.0) >= floor or score_of(i) is None
        ]

    def build(self, scope: Scope, query: str) -> RecallResult:
        """Render the recall context for ``query`` ('' when memory has nothing)."""
        if not query.strip():
            return RecallResult("")
        uid = scope.user_id
        facts = self.search(("profile", uid), query, self.k_facts)
        episodes = self._scored(("episodes", uid), query, self.k_episodes, self.min_episode_score)
        episodes += self._scored(
            ("episodes_archive", uid), query, self.k_episodes, self.min_episode_score
        )
        episodes = sorted(episodes, key=lambda i: score_of(i) or 0.0, reverse=True)[
            : self.k_episodes
        ]
        notes = self._scored(("memories", uid), query, self.k_notes, self.min_episode_score)
        lessons = self._scored(
            ("lessons", scope.lesson_owner), query, self.k_lessons, self.min_lesson_score
        )
        lessons = sorted(lessons, key=_weighted, reverse=True)
        # Priority: the best episode and lesson, then facts, then the rest.
        ranked: list[tuple[str, Item]] = []
        ranked += [("episode", i) for i in episodes[:1]] + [("lesson", i) for i in lessons[:1]]
        ranked += [("fact", i) for i in facts] + [("note", i) for i in notes]
        ranked += [("episode", i) for i in episodes[1:]] + [("lesson", i) for i in lessons[1:]]
        chosen: list[tuple[str, Item]] = []
        for entry in ranked:
            trial = self._render([*chosen, entry])
            if count_tokens([SystemMessage(trial)], self.counter) <= self.max_tokens:
                chosen.append(entry)
        if not chosen:
            return RecallResult("")
        return RecallResult(
            text=self._render(chosen),
            fact_keys=[i.key for kind, i in chosen if kind == "fact"],
            episode_keys=[i.key for kind, i in chosen if kind == "episode"],
            note_keys=[i.key for kind, i in chosen if kind == "note"],
            lesson_keys=[i.key for kind, i in chosen if kind == "lesson"],
        )

    @staticmethod
    def _render(chosen: Sequence[tuple[str, Item]]) -> str:
        sections = [
            ("Known facts about the user:", "fact", _fact_line),
            ("Notes saved earlier:", "note", _note_line),
            ("Relevant earlier conversations:", "episode", _episode_line),
            ("Lessons from earlier tasks:", "lesson", _lesson_line),
        ]
        parts = [HEADER]
        for title, kind, line in sections:
            lines = [line(i) for k, i in chosen if k == kind]
            if kind == "fact":
                lines.sort()
            if lines:
                parts.append(title + "\n" + "\n".join(lines))
        return "\n".join(parts)

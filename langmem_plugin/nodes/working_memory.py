"""Working memory: keep the model's input under a token budget.

When the messages exceed ``max_tokens``, the oldest whole turns (``split_turns``: a tool
call is never separated from its tool messages) are dropped from state, folded into a
running summary (one system message right after the leading system messages, id
``"langmem-summary"``), and (by the memory features) archived as an episode
(``kind="working_memory"``) so they stay searchable. The running summary is extractive
(no model call on the hot path) and capped at ``summary_ratio`` of the budget; its oldest
sentences go first.

If even the newest turn does not fit, it is kept anyway (a model call needs the user's
question) and a warning is logged: the budget is then exceeded by that turn alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.messages import AnyMessage, BaseMessage, RemoveMessage, SystemMessage
from langgraph.graph.message import REMOVE_ALL_MESSAGES

from langmem_plugin._messages import TokenCounter, count_tokens, split_turns, trim_turns
from langmem_plugin.nodes import _offline

__all__ = ["SUMMARY_ID", "Folded", "WorkingMemory"]

logger = logging.getLogger(__name__)
SUMMARY_ID = "langmem-summary"
_SUMMARY_HEAD = "Summary of the earlier part of this conversation:"


@dataclass
class Folded:
    """The result of folding: the new message list and what left it."""

    messages: list[BaseMessage]
    dropped: list[BaseMessage] = field(default_factory=list)
    summary: str = ""


def _is_summary(message: BaseMessage) -> bool:
    return isinstance(message, SystemMessage) and message.id == SUMMARY_ID


class WorkingMemory:
    """Fold old turns out of the context window.

    Args:
        max_tokens: Budget for the whole message list (system messages and summary included).
        counter: Token counter; defaults to LangChain's approximate counter.
        summary_ratio: Share of the budget the running summary may use.
    """

    def __init__(
        self,
        max_tokens: int = 4000,
        *,
        counter: TokenCounter | None = None,
        summary_ratio: float = 0.2,
    ) -> None:
        if not isinstance(max_tokens, int) or max_tokens <= 0:
            raise ValueError(f"max_tokens must be a positive int, got {max_tokens!r}")
        if not 0 < summary_ratio < 1:
            raise ValueError(f"summary_ratio must be in (0, 1), got {summary_ratio!r}")
        self.max_tokens = max_tokens
        self.counter = counter
        self.summary_ratio = summary_ratio

    def _count(self, messages: Sequence[BaseMessage]) -> int:
        return count_tokens(messages, self.counter)

    def _summary_message(self, old: str, dropped: Sequence[BaseMessage]) -> SystemMessage | None:
        new = _offline.extractive_summary(dropped, max_sentences=3, max_chars=400)
        sentences = [s for s in (old.split("\n") if old else []) + [new] if s]
        cap = max(int(self.max_tokens * self.summary_ratio), 1)

        def build(lines: list[str]) -> SystemMessage:
            return SystemMessage(content=_SUMMARY_HEAD + "\n" + "\n".join(lines), id=SUMMARY_ID)

        while len(sentences) > 1 and self._count([build(sentences)]) > cap:
            sentences.pop(0)
        if not sentences:
            return None
        text = sentences[0]
        while text and self._count([build([text])]) > cap:  # cut the last one down
            text = text[: len(text) * 3 // 4].rstrip()
        return build([text + "…"]) if text else None

    def fold(self, messages: Sequence[BaseMessage]) -> Folded | None:
        """Fold the oldest turns out of ``messages`` when over budget (None when under).

        Returns:
            The new list (system messages, summary, kept turns), the dropped messages and
            the summary of the dropped ones.
        """
        messages = list(messages)
        if self._count(messages) <= self.max_tokens:
            return None
        old_summary = next((m.text for m in messages if _is_summary(m)), "")
        old_summary = old_summary.removeprefix(_SUMMARY_HEAD).strip()
        rest = [m for m in messages if not _is_summary(m)]
        groups = split_turns(rest)
        system = groups.pop(0) if groups and isinstance(groups[0][0], SystemMessage) else []
        reserve = max(int(self.max_tokens * self.summary_ratio), 1)
        kept, _ = trim_turns(rest, max_tokens=max(self.max_tokens - reserve, 0))
        kept_body = kept[len(system) :]
        n_keep = len(split_turns(kept_body)) if kept_body else 0
        if n_keep == 0:
            logger.warning(
                "working memory: the newest turn alone exceeds max_tokens=%d; keeping it",
                self.max_tokens,
            )
            n_keep = 1
        while True:
            dropped = [m for g in groups[: len(groups) - n_keep] for m in g]
            body = [m for g in groups[len(groups) - n_keep :] for m in g]
            summary = self._summary_message(old_summary, dropped) if dropped else None
            out = [*system, *([summary] if summary else []), *body]
            if self._count(out) <= self.max_tokens or n_keep <= 1:
                break
            n_keep -= 1
        if not dropped:
            return None
        return Folded(out, dropped, _offline.extractive_summary(dropped))

    def __call__(self, state: dict[str, list[AnyMessage]]) -> dict[str, list[BaseMessage]]:
        """Node: returns a ``messages`` update that replaces the list, or ``{}``."""
        folded = self.fold(state["messages"])
        if folded is None:
            return {}
        return {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), *folded.messages]}

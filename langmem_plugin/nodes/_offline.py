"""Offline summaries and scores: extractive summaries, tone and importance (no model).

Used when no chat model is configured, and for the running summary of working memory,
which must never wait for a model. The profile rules are in ``_rules``; the words and
sentences come from ``langmem_plugin._text``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langmem_plugin._text import content_words, split_sentences

__all__ = ["emotional_tone", "estimate_importance", "extractive_summary"]


def _speaker(message: BaseMessage) -> str:
    if isinstance(message, HumanMessage):
        return "User"
    if isinstance(message, ToolMessage):
        return "Tool"
    return "Assistant" if isinstance(message, AIMessage) else "System"


def extractive_summary(
    messages: Sequence[BaseMessage], *, max_sentences: int = 4, max_chars: int = 600
) -> str:
    """Summarise by picking the most informative sentences, in their original order.

    Sentences are scored by the frequency of their content words across the conversation;
    the first user sentence is always kept, as it usually states the topic.

    Args:
        messages: The messages to summarise.
        max_sentences: How many sentences to keep.
        max_chars: Cut the summary to this many characters.

    Returns:
        The summary, e.g. ``"User: I moved to Berlin. Assistant: Welcome to Berlin!"``.
    """
    sentences: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for message in messages:
        if isinstance(message, AIMessage) and not message.text and message.tool_calls:
            names = ", ".join(c["name"] for c in message.tool_calls)
            sentences.append((len(sentences), "Assistant", f"called {names}."))
            continue
        for sentence in split_sentences(message.text):
            if sentence.lower() not in seen:  # repeated lines add nothing
                seen.add(sentence.lower())
                sentences.append((len(sentences), _speaker(message), sentence))
    if not sentences:
        return ""
    freq = Counter(w for _, _, s in sentences for w in content_words(s))

    def score(item: tuple[int, str, str]) -> float:
        words = content_words(item[2])
        bonus = 2.0 if item[1] == "User" else 1.0
        return bonus * sum(freq[w] for w in words) / (len(words) + 2) ** 0.5

    first_user = next((s for s in sentences if s[1] == "User"), sentences[0])
    ranked = [
        first_user,
        *sorted((s for s in sentences if s is not first_user), key=score, reverse=True),
    ]
    chosen = sorted(ranked[:max_sentences], key=lambda s: s[0])
    text = " ".join(f"{who}: {sentence}" for _, who, sentence in chosen)
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


_POSITIVE = (
    "thank",
    "great",
    "love",
    "awesome",
    "perfect",
    "happy",
    "glad",
    "excellent",
    "nice",
    "excited",
    "wonderful",
    "works",
)
_NEGATIVE = (
    "frustrat",
    "annoy",
    "angry",
    "wrong",
    "broken",
    "fail",
    "error",
    "hate",
    "terrible",
    "awful",
    "sad",
    "upset",
    "useless",
    "doesn't work",
    "didn't work",
)


def emotional_tone(messages: Iterable[BaseMessage]) -> str:
    """``"positive"``, ``"negative"``, ``"mixed"`` or ``"neutral"``, from the user's words."""
    text = " ".join(m.text.lower() for m in messages if isinstance(m, HumanMessage))
    pos = sum(text.count(w) for w in _POSITIVE)
    neg = sum(text.count(w) for w in _NEGATIVE)
    if pos and neg:
        return "mixed" if abs(pos - neg) <= 1 else ("positive" if pos > neg else "negative")
    return "positive" if pos else "negative" if neg else "neutral"


def estimate_importance(messages: Sequence[BaseMessage], n_facts: int) -> float:
    """A 0-1 importance: facts stated, failures met and length raise it."""
    failures = sum(1 for m in messages if isinstance(m, ToolMessage) and m.status == "error")
    turns = sum(1 for m in messages if isinstance(m, HumanMessage))
    score = 0.3 + 0.1 * min(n_facts, 4) + 0.15 * min(failures, 2) + 0.05 * min(turns // 5, 2)
    return round(min(score, 1.0), 2)

"""Offline summaries and scores: extractive summaries and importance (no model).

The tone of a session is VADER's (``langmem_plugin._sentiment``), with or without a model.

Used when no chat model is configured, and for the running summary of working memory,
which must never wait for a model. The profile rules are in ``_rules`` (a sentence they
take a fact from ranks higher in a summary); the words and sentences come from
``langmem_plugin._text``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langmem_plugin._text import CHATTER_WORDS, QUESTION_WORDS, analyze, split_sentences
from langmem_plugin.nodes._rules import extract_facts

__all__ = ["estimate_importance", "extractive_summary"]


def _speaker(message: BaseMessage) -> str:
    if isinstance(message, HumanMessage):
        return "User"
    if isinstance(message, ToolMessage):
        return "Tool"
    return "Assistant" if isinstance(message, AIMessage) else "System"


_FILLER = re.compile(
    r"^(?:hi|hello|hey|hiya|thanks|thank you|cheers|ok|okay|sure|great|cool|perfect|nice|"
    r"awesome|bye|goodbye|good (?:morning|afternoon|evening|night)|you're welcome|"
    r"no problem|sounds good|got it|of course|see you|welcome|noted|alright|yes|no)\b",
    re.IGNORECASE,
)
_DECISION = re.compile(
    r"\b(?:decided|decide|agreed|agree|plan|planning|going to|we'll|I'll|let's|booked|"
    r"chose|choose|picked|settled on|need to|must|deadline|due|remind)\b",
    re.IGNORECASE,
)


_NOT_TOPICAL = CHATTER_WORDS | QUESTION_WORDS


@dataclass
class _Sentence:
    index: int
    speaker: str
    text: str
    terms: frozenset[str]
    fact: bool = False
    score: float = 0.0

    @property
    def filler(self) -> bool:
        """A greeting, thanks or acknowledgement, or too few words to inform."""
        if self.fact:
            return False
        short = len(self.text.split()) <= 8
        return len(self.terms) < 2 or (short and bool(_FILLER.match(self.text)))


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


def _sentences(messages: Sequence[BaseMessage]) -> list[_Sentence]:
    out: list[_Sentence] = []
    seen: set[str] = set()
    for message in messages:
        if isinstance(message, AIMessage) and not message.text and message.tool_calls:
            names = ", ".join(c["name"] for c in message.tool_calls)
            text = f"called {names}."
            terms = frozenset(analyze(names)) | {"*"}  # "*": a tool call
            out.append(_Sentence(len(out), "Assistant", text, terms))
            continue
        speaker = _speaker(message)
        for sentence in split_sentences(message.text):
            if sentence.lower() in seen:  # repeated lines add nothing
                continue
            seen.add(sentence.lower())
            fact = speaker == "User" and bool(extract_facts([HumanMessage(sentence)]))
            terms = frozenset(analyze(sentence, drop=_NOT_TOPICAL))
            out.append(_Sentence(len(out), speaker, sentence, terms, fact))
    return out


def extractive_summary(
    messages: Sequence[BaseMessage], *, max_sentences: int = 4, max_chars: int = 600
) -> str:
    """Summarise by picking the most informative sentences, in their original order.

    Extractive, not a concatenation: greetings, thanks and acknowledgements are dropped,
    and the rest is ranked by centrality (how much of its stemmed vocabulary the other
    sentences of the session share: what the session keeps coming back to) plus bonuses
    for what a later reader needs: the user's own words (x1), a sentence the profile
    rules take a fact from (+2), a decision or plan (+1), the first informative user
    sentence, which usually states the topic (+1.5), and a tool call (+0.5). The best
    are taken while they fit ``max_sentences`` and ``max_chars``, skipping one that
    repeats a chosen sentence (stem overlap above 0.7), and printed in session order.

    Args:
        messages: The messages to summarise.
        max_sentences: How many sentences to keep (4: a paragraph an episode search or a
            recall context can show whole).
        max_chars: The length budget; a single sentence longer than it is cut.

    Returns:
        The summary, e.g. ``"User: I moved to Berlin. Assistant: Welcome to Berlin!"``.
    """
    sentences = _sentences(messages)
    kept = [s for s in sentences if not s.filler] or sentences[:1]
    if not kept:
        return ""
    topic = next((s for s in kept if s.speaker == "User"), None)
    for s in kept:
        centrality = sum(_overlap(s.terms, o.terms) for o in kept if o is not s)
        s.score = (
            centrality
            + (1.0 if s.speaker == "User" else 0.0)
            + (2.0 if s.fact else 0.0)
            + (1.0 if _DECISION.search(s.text) else 0.0)
            + (1.5 if s is topic else 0.0)
            + (0.5 if "*" in s.terms else 0.0)
        )
    chosen: list[_Sentence] = []
    used = 0
    for s in sorted(kept, key=lambda s: (-s.score, s.index)):
        if len(chosen) >= max_sentences:
            break
        if any(_overlap(s.terms, c.terms) > 0.7 for c in chosen):
            continue
        cost = len(s.speaker) + len(s.text) + 3
        if chosen and used + cost > max_chars:
            continue
        chosen.append(s)
        used += cost
    chosen.sort(key=lambda s: s.index)
    text = " ".join(f"{s.speaker}: {s.text}" for s in chosen)
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def estimate_importance(messages: Sequence[BaseMessage], n_facts: int) -> float:
    """A 0-1 importance: facts stated, failures met and length raise it."""
    failures = sum(1 for m in messages if isinstance(m, ToolMessage) and m.status == "error")
    turns = sum(1 for m in messages if isinstance(m, HumanMessage))
    score = 0.3 + 0.1 * min(n_facts, 4) + 0.15 * min(failures, 2) + 0.05 * min(turns // 5, 2)
    return round(min(score, 1.0), 2)

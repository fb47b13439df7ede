"""Finding tasks in the user's turns by rules (offline, no model).

The rules read the user's messages only and recognise explicit requests and commitments:

* ``"remind me to ..."`` / ``"remind me about ..."`` (also "can you remind me to ...");
* ``"don't let me forget (to) ..."`` / ``"make sure I ..."`` (not "don't forget to ...",
  which in conversation is as often advice to the listener);
* ``"I need to ... by <date>"`` and its cousins ("I have to", "I must", "I've got to",
  "I should", "I promised to"), **only with a due date**: without one, "I need to think
  about it" is talk, not a task.

The task's description is the clause that follows, without the due-date phrase, with its
first letter capitalised ("Renew my passport"); its due date is resolved against the time
the message was said (see ``tasks._due``). Like the other offline rules, they are
conservative: anything subtler ("I guess the taxes won't file themselves") needs a model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from langchain_core.messages import BaseMessage, HumanMessage

from langmem_plugin._text import split_sentences
from langmem_plugin.tasks._due import find_due

__all__ = ["TaskProposal", "detect_tasks"]


@dataclass(frozen=True)
class TaskProposal:
    """A task found in conversation, not stored yet.

    Attributes:
        description: What is to be done.
        due: Its due time, resolved against the message time, or None.
        message_id: The message it was found in.
        priority: ``"low"``, ``"medium"``, ``"high"`` or None.
    """

    description: str
    due: datetime | None = None
    message_id: str | None = None
    priority: str | None = None


_APOS = "['\u2019]"
_REQUEST = re.compile(
    r"\b(?:remind\s+me\s+(?:to|about|that\s+I\s+(?:need|have)\s+to|that)"
    rf"|(?:do\s+not|don{_APOS}?t)\s+let\s+me\s+forget(?:\s+to|\s+about)?"
    r"|make\s+sure\s+(?:that\s+)?I(?:\s+remember\s+to)?)\s+(?P<what>.+)",
    re.I,
)
# "remind me" is a request when said to the assistant: at the start of a sentence or
# clause, or after "please", "can you"... ("Moments like these remind me to ..." is not).
_ASKED = re.compile(
    r"(?:^|[,;:!-]|\b(?:please|pls|kindly|you|and|also|just|to|so|then|oh|ok|okay))\s*$", re.I
)
_NEGATED = re.compile(rf"\b(?:do\s+not|don{_APOS}?t|no\s+need\s+to)\s+remind\s+me\b", re.I)
# "I need to / have to / must / should / promised to / 've got to ...": "to" is required
# where the verb has another sense ("I have no plans", "I got a dog").
_COMMITMENT = re.compile(
    rf"\bI(?:\s+(?:really|still|also|definitely|just))?(?:{_APOS}ve\s+got\s+to"
    r"|\s+have\s+got\s+to|\s+(?:need|have|got|promised|ought)\s+to|\s+must|\s+should)"
    r"\s+(?P<what>.+)",
    re.I,
)
_LEAD_WORDS = re.compile(r"^(?:please|also|still|really|definitely|to|about)\s+", re.I)
_TRAIL = re.compile(r"[\s,;:.!?]+$|\s+(?:please|ok|okay|thanks|thank you)[\s.!?]*$", re.I)
_DANGLING = re.compile(r"\s+(?:by|before|on|until|till|due|for|at|no later than)$", re.I)
# Where the task ends and the rest of the sentence begins: "..., and I want coffee",
# "..., it expires soon", "... because it expires".
_CLAUSE = re.compile(
    r"\s*(?:(?:,\s*|\s+)(?:and|but|because|so|since|as)\s+(?:I|it|that|then|we|this)\b"
    r"|,\s*(?:I|it|that|this|we|he|she|they|which|because|since|so|as|then|otherwise)\b"
    r"|\s+because\b).*$",
    re.I,
)

#: Longest description kept (words): longer "tasks" are usually not one.
MAX_WORDS = 16


def _describe(what: str, due_span: tuple[int, int] | None) -> str:
    if due_span is not None:
        what = (what[: due_span[0]] + " " + what[due_span[1] :]).strip()
        what = re.sub(r"\s+([,;:.!?])", r"\1", what)
    what = _CLAUSE.sub("", what)
    for _ in range(3):
        what = _TRAIL.sub("", what)
        what = _DANGLING.sub("", what)
        what = _LEAD_WORDS.sub("", what).strip()
    what = re.sub(r"\s+", " ", what).strip(" \"'")
    return what[:1].upper() + what[1:]


def _from_sentence(sentence: str, now: datetime) -> tuple[str, datetime | None] | None:
    if _NEGATED.search(sentence):
        return None
    request = _REQUEST.search(sentence)
    if request is not None and not _ASKED.search(sentence[: request.start()]):
        request = None
    match = request or _COMMITMENT.search(sentence)
    if match is None:
        return None
    what = match["what"]
    found = find_due(what, now)
    if request is None and found is None:
        return None  # "I need to think": a commitment counts only with a due date
    description = _describe(what, (found.start, found.end) if found else None)
    words = description.split()
    if not words or len(words) > MAX_WORDS or description.endswith("?"):
        return None
    return description, found.due if found else None


def detect_tasks(messages: Iterable[BaseMessage], now: datetime) -> list[TaskProposal]:
    """Tasks requested or committed to in the user's messages.

    Args:
        messages: The conversation (only ``HumanMessage`` turns are read).
        now: When they were said: due phrases are resolved against it.

    Returns:
        One proposal per task, in order; the same description twice is proposed once.
    """
    proposals: list[TaskProposal] = []
    seen: set[str] = set()
    for message in messages:
        if not isinstance(message, HumanMessage):
            continue
        for sentence in split_sentences(message.text):
            found = _from_sentence(sentence, now)
            if found is None or found[0].lower() in seen:
                continue
            seen.add(found[0].lower())
            proposals.append(TaskProposal(found[0], found[1], message.id))
    return proposals

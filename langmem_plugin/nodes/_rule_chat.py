"""Chat typing, made readable for the offline profile rules (``_rules``).

The rules read a name, a place or an organisation by its capital letter ("I live in
Leeds"), which is what tells "I'm Sam" from "I'm tired". People typing in a chat often
write neither capitals nor apostrophes ("im sam, i live in leeds"). Two general steps,
run on each message before the rules:

* ``normalize_chat``: the apostrophe-less contractions of the first person and of
  negation ("im", "ive", "dont", "cant", "names") get their apostrophe back, and "fav"
  is read as "favourite".
* ``case_slots``: in a message typed all in lower case, the words right after a slot that
  introduces a name ("I'm", "call me", "my name is", "called", "named"), a place ("live
  in", "moved to", "from", "based in") or an organisation ("work at", "work for", "job
  at") get a capital, unless they are words that are not names (stop words, days,
  adjectives such as "fine" or "tired", job titles, diets, species, relatives). A message
  with any capital letter ("I" included) is left as typed: its writer uses capitals, so a lower-case
  word there is not a name.
"""

from __future__ import annotations

import re

from langmem_plugin._text import STOP_WORDS
from langmem_plugin.nodes._rule_words import DIETS, JOB_HEADS, NOT_NAMES, RELATIVES, SPECIES

__all__ = ["case_slots", "is_lower_case", "normalize_chat"]

_CONTRACTIONS = [
    (re.compile(r"\b(i)m\b", re.IGNORECASE), "I'm"),
    (re.compile(r"\b(i)ve\b", re.IGNORECASE), "I've"),
    (re.compile(r"\b(do|does|did|ca|wo|is|are|was|have|has)nt\b", re.IGNORECASE), r"\1n't"),
    (re.compile(r"^((?:(?:hi|hey|hello)[,!]?\s+)?)names\b", re.IGNORECASE), r"\1name's"),
    (re.compile(r"^((?:(?:hi|hey|hello|yo)[,!]?\s+)?)its\b", re.IGNORECASE), r"\1it's"),
    (re.compile(r"\bfav\b", re.IGNORECASE), "favourite"),
]

# words that never start a name, a place or an organisation in a lower-case message
_NOT_PROPER = (
    STOP_WORDS
    | NOT_NAMES
    | JOB_HEADS
    | SPECIES
    | RELATIVES
    | DIETS
    | frozenset(
        """
        a an the my our your his her their this that some any no not really very so too
        also just still now currently originally here there thanks thank pls please btw lol
        and but or with from in at for to of by on near outside called named years year
        ago last next since small big little village town city area place part north south
        east west central
        """.split()  # noqa: SIM905
    )
)
_WORD = r"[a-zà-öø-ÿ][\w'-]*"
_NAME_SLOT = re.compile(
    r"(?i:\b(?:call me|I go by|my (?:first |full |real )?name is|name's|called|named)\s+)"
    rf"({_WORD})"
)
# after "I'm" a word is a name only where a name ends the clause ("im sam", "im sam from
# leeds"), not "im allergic to ..." or "im here to ask"
_INTRO_SLOT = re.compile(
    r"(?i:\b(?:I'm|I am|it's|this is)\s+)"
    rf"({_WORD})(?=\s*(?:$|[,.!;:]|and\b|here\b|from\b|btw\b|pls\b|lol\b|thanks\b|nice\b))"
)
# a place or organisation may be two or three words ("new york", "the nhs" aside)
_PLACE_SLOT = re.compile(
    r"(?i:\b(?:live in|living in|lived in|reside in|based in|moved to|relocated to|"
    r"from|grew up in|born in|raised in|settled in|work at|work for|working at|"
    r"working for|job at|employed by|employed at|home is)\s+(?:the\s+)?)"
    rf"({_WORD}(?:\s+{_WORD}){{0,2}})"
)


def normalize_chat(text: str) -> str:
    """Give chat contractions their apostrophes back ("im" -> "I'm", "dont" -> "don't")."""
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    return text


def _capital(word: str) -> str:
    return word if word.lower() in _NOT_PROPER else word[:1].upper() + word[1:]


def _case_name(match: re.Match[str]) -> str:
    return match.group(0)[: match.start(1) - match.start(0)] + _capital(match.group(1))


def _case_place(match: re.Match[str]) -> str:
    words = match.group(1).split()
    kept: list[str] = []
    for word in words:
        if word.lower() in _NOT_PROPER:
            break
        kept.append(word[:1].upper() + word[1:])
    rest = words[len(kept) :]
    head = match.group(0)[: match.start(1) - match.start(0)]
    return head + " ".join(kept + rest)


def is_lower_case(text: str) -> bool:
    """Whether a message was typed without any capital letter (not even "I")."""
    return not re.search(r"[A-ZÀ-ÖØ-Þ]", text)


def case_slots(text: str) -> str:
    """Capitalise the names, places and organisations after their slots ("im sam").

    Only for a message that ``is_lower_case`` as typed (the caller checks, since
    ``normalize_chat`` adds the capital of "I'm").
    """
    for slot in (_NAME_SLOT, _INTRO_SLOT):
        text = slot.sub(_case_name, text)
    return _PLACE_SLOT.sub(_case_place, text)

"""Offline profile rules: first-person statements and corrections (no model needed).

Used when no chat model is configured (and no ``OPENAI_API_KEY``). Everything produced
here is labelled ``source="rules"``. The rules are deliberately conservative: they
recognise common first-person statements (name, role, employer, location, likes and
dislikes, preferences, tools, programming and spoken languages) and corrections
("actually I moved to Berlin", "I don't use Java anymore"); anything subtler needs a model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from langchain_core.messages import BaseMessage, HumanMessage

from langmem_plugin._text import split_sentences

__all__ = ["MULTI_VALUED", "PROGRAMMING_LANGUAGES", "RuleFact", "extract_facts"]

PROGRAMMING_LANGUAGES = frozenset(
    [
        "python",
        "rust",
        "go",
        "golang",
        "java",
        "javascript",
        "typescript",
        "c",
        "c++",
        "c#",
        "ruby",
        "php",
        "kotlin",
        "swift",
        "scala",
        "haskell",
        "elixir",
        "erlang",
        "clojure",
        "julia",
        "r",
        "matlab",
        "perl",
        "lua",
        "dart",
        "sql",
        "bash",
        "zig",
        "ocaml",
        "f#",
    ]
)

_CORRECTION = re.compile(
    r"^(?:actually|correction|sorry|wait|oops|no|nope|update)\b[,:!]?\s*", re.IGNORECASE
)
_NAME_RE = r"([A-Z][a-zA-Z'-]+(?: [A-Z][a-zA-Z'-]+)?)"
_PLACE_RE = r"([A-Z][\w'-]*(?:[ ,]+[A-Z][\w'-]*)*)"
_ITEMS = r"([^.,!?;]+)"
_ROLE_WORDS = (
    r"engineer|developer|scientist|designer|manager|teacher|student|nurse|doctor|researcher|"
    r"analyst|writer|lawyer|architect|consultant|founder|programmer|administrator|admin|"
    r"accountant|artist|chef|pilot|professor|product owner|cto|ceo|intern|freelancer"
)

# (category, action, pattern). Patterns run on one sentence (correction prefix removed).
_RULES: list[tuple[str, str, re.Pattern[str]]] = [
    ("name", "add", re.compile(r"\b[Mm]y name is " + _NAME_RE)),
    ("name", "add", re.compile(r"\b(?:[Cc]all me|[Ii]t's|[Ii]t is) " + _NAME_RE + r"[.!]?\s*$")),
    (
        "name",
        "add",
        re.compile(
            r"^(?:(?:[Hh]i|[Hh]ello|[Hh]ey)[,!]?\s+)?[Ii](?:'m| am) "
            r"([A-Z][a-z'-]+)[.!]?\s*$"
        ),
    ),
    (
        "location",
        "add",
        re.compile(
            r"\b[Ii] (?:now |currently )?(?:live|am living|'m living|reside) in " + _PLACE_RE
        ),
    ),
    ("location", "add", re.compile(r"\b[Ii](?:'m| am) (?:now )?(?:based|located) in " + _PLACE_RE)),
    (
        "location",
        "add",
        re.compile(
            r"\b[Ii](?: have| 've|'ve)? (?:just |recently )?(?:moved|relocated) to " + _PLACE_RE
        ),
    ),
    ("hometown", "add", re.compile(r"\b[Ii](?:'m| am) (?:originally )?from " + _PLACE_RE)),
    (
        "employer",
        "add",
        re.compile(r"\b[Ii] (?:now )?work (?:at|for) ([A-Z][\w&.-]*(?: [A-Z][\w&.-]*)*)"),
    ),
    (
        "employer",
        "add",
        re.compile(
            r"\b[Ii] (?:now )?work as an? [\w -]+? (?:at|for) ([A-Z][\w&.-]*(?: [A-Z][\w&.-]*)*)"
        ),
    ),
    ("role", "add", re.compile(r"\b[Ii] (?:now )?work as an? ([\w -]+?)(?: at | for |[.!]?\s*$)")),
    (
        "role",
        "add",
        re.compile(
            r"\b[Ii](?:'m| am) (?:now )?an? ((?:[\w-]+ ){0,3}(?:" + _ROLE_WORDS + r"))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "likes",
        "delete",
        re.compile(
            r"\b[Ii] (?:no longer|don't|do not) (?:like|love|enjoy) " + _ITEMS + r" any ?more",
            re.IGNORECASE,
        ),
    ),
    (
        "likes",
        "delete",
        re.compile(r"\b[Ii] no longer (?:like|love|enjoy) " + _ITEMS, re.IGNORECASE),
    ),
    (
        "tools",
        "delete",
        re.compile(
            r"\b[Ii] (?:no longer|don't|do not) use " + _ITEMS + r" any ?more", re.IGNORECASE
        ),
    ),
    ("tools", "delete", re.compile(r"\b[Ii] (?:stopped|quit) using " + _ITEMS, re.IGNORECASE)),
    (
        "dislikes",
        "add",
        re.compile(
            r"\b[Ii] (?:really |truly )?(?:hate|dislike|detest|can't stand|cannot stand|"
            r"don't like|do not like) " + _ITEMS,
            re.IGNORECASE,
        ),
    ),
    (
        "likes",
        "add",
        re.compile(
            r"\b[Ii] (?:really |truly |also )?(?:like|love|enjoy|adore) " + _ITEMS, re.IGNORECASE
        ),
    ),
    (
        "preferences",
        "add",
        re.compile(r"\b[Ii](?:'d| would)? (?:much )?prefer " + _ITEMS, re.IGNORECASE),
    ),
    ("preferences", "add", re.compile(r"^[Pp]lease (always|never) " + _ITEMS)),
    (
        "languages",
        "add",
        re.compile(
            r"\b[Ii] (?:mostly |mainly |usually |also )?(?:code|program|write code|develop|write) "
            r"in " + _ITEMS,
            re.IGNORECASE,
        ),
    ),
    (
        "tools",
        "add",
        re.compile(
            r"\b[Ii] (?:mostly |mainly |usually |also |now )?(?:use|work with|am using|'m using) "
            + _ITEMS,
            re.IGNORECASE,
        ),
    ),
    ("spoken_languages", "add", re.compile(r"\b[Ii] speak ([A-Z]\w+(?:(?:,| and) [A-Z]\w+)*)")),
]
_SPLIT_MULTI = re.compile(r"\s*(?:,|\band\b|&|/)\s*")
_TRAILING = re.compile(
    r"\s+(?:very much|a lot|too|now|these days|nowadays|anymore|any more|every day|daily|"
    r"mostly|a bit|lately)\s*$",
    re.IGNORECASE,
)
_LEADING = re.compile(r"^(?:to |the |a |an |my |using |working with )", re.IGNORECASE)
MULTI_VALUED = frozenset(
    {"likes", "dislikes", "preferences", "tools", "languages", "spoken_languages"}
)


@dataclass(frozen=True)
class RuleFact:
    """A fact proposed by the rules.

    Attributes:
        category: The profile category (``name``, ``location``, ``likes``...).
        value: The fact's value as the user phrased it.
        action: ``"add"`` or ``"delete"``.
        confidence: How sure the rule is (corrections are surer).
        message_id: The id of the message it came from.
        correction: Whether the user phrased it as a correction.
    """

    category: str
    value: str
    action: str
    confidence: float
    message_id: str | None
    correction: bool


_CLAUSE_BREAK = re.compile(r",?\s+(?:and|but|so|while)\s+(?=I\b|I'm\b|I've\b|my\b)|;\s*")


def _clauses(text: str) -> list[str]:
    """Sentences split further where a conjunction starts a new first-person clause."""
    return [c.strip() for s in split_sentences(text) for c in _CLAUSE_BREAK.split(s) if c.strip()]


def _clean(value: str, category: str) -> list[str]:
    value = value.strip().strip("\"'")
    for _ in range(3):
        value = _TRAILING.sub("", value)
        value = _LEADING.sub("", value)
    value = value.strip(" .,!?;:")
    if category in MULTI_VALUED and category != "preferences":
        values = [v.strip() for v in _SPLIT_MULTI.split(value) if v.strip()]
    else:
        values = [value] if value else []
    return [v for v in values if 0 < len(v.split()) <= 6]


def extract_facts(messages: Iterable[BaseMessage]) -> list[RuleFact]:
    """Extract profile facts from the user's messages by rules.

    Args:
        messages: The conversation; only human messages are read.

    Returns:
        The facts, in the order they were stated (a later one may correct an earlier one).
    """
    found: list[RuleFact] = []
    for message in messages:
        if not isinstance(message, HumanMessage):
            continue
        for sentence in _clauses(message.text):
            correction = bool(_CORRECTION.match(sentence))
            body = _CORRECTION.sub("", sentence).strip()
            body = body[0].upper() + body[1:] if body and body[0] == "i" else body
            taken: set[str] = set()
            for category, action, pattern in _RULES:
                match = pattern.search(body)
                if not match or category in taken:
                    continue
                raw = " ".join(g for g in match.groups() if g)
                values = _clean(raw, category)
                if category == "tools":
                    langs = [v for v in values if v.lower() in PROGRAMMING_LANGUAGES]
                    found.extend(
                        RuleFact("languages", lang, action, 0.7, message.id, correction)
                        for lang in langs
                    )
                    values = [v for v in values if v not in langs]
                confidence = 0.9 if correction else 0.7
                found.extend(
                    RuleFact(category, value, action, confidence, message.id, correction)
                    for value in values
                )
                if values:
                    taken.add(category)
                    if category in {"likes", "dislikes", "tools", "languages"}:
                        taken.update({"likes", "dislikes", "tools", "languages"})
    return found

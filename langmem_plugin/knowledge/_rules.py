"""Offline rules for entities and relations: capitalised names and a few sentence patterns.

Without a model (or when it failed), the pipeline finds:

* **entities**: runs of capitalised words ("Lena", "Acme Corp", "San Francisco"), minus
  sentence-initial common words, pronouns, greetings, days and months; plus the tools of
  a small list said in lower case ("vim", "docker"). The kind comes from the words around
  the name ("at/for X" with a company suffix: organisation; "in/to/from X": place;
  "my sister X": person; "use X": tool; "working on X": project), else ``other``;
* **relations** from first-person patterns ("I work at X", "I moved to X", "my sister X",
  "I use X", "I'm working on X", "I visited X", "I no longer use X"...) and two
  third-person ones ("X works at Y", "X lives in Y"). The subject of "I" is the speaker:
  the name a turn starts with ("Caroline: I ...", as apps that prefix names write), else
  the user for the user's turns; the assistant's "I" is about no one and is skipped.

Why rules and not spaCy: spaCy's small English model is not on PyPI (``pip download
--no-deps en_core_web_sm`` and ``en-core-web-sm``: no matching distribution; spaCy
publishes its models as GitHub release files, and nothing here may download at run time),
and spaCy without a model has no named-entity recogniser; spaCy itself is a 35 MB wheel
before its dependencies (thinc, blis, srsly...). The rules are labelled ``source="rules"``
and precise rather than complete: the model's one session call finds the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from langmem_plugin._text import STOP_WORDS
from langmem_plugin.knowledge._model import SELF, EntityDraft, RelationDraft, normalize_name
from langmem_plugin.retriever._scope import NAMED

__all__ = ["RuleFindings", "extract_knowledge", "name_candidates"]

_NOT_NAMES = frozenset(
    """
    i i'm i've i'd i'll im ive id the a an my our your his her their its we you he she they it
    this that these those there here what when where which who why how yes no yeah ok okay oh
    hey hi hello thanks thank wow great good nice sure well so and but or if then also just
    really sounds sorry please congrats congratulations awesome cool amazing love lol haha
    monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
    january february march april may june july august september october november december
    mr mrs ms dr mom mum dad user assistant bye woohoo yay hooray omg aww ooh yep nope
    absolutely totally definitely exactly perfect fri tues thurs mon wed sat btw anyway
    """.split()  # noqa: SIM905
)
_ORG_SUFFIX = re.compile(
    r"\b(?:inc|corp|corporation|ltd|llc|gmbh|co|company|labs?|university|college|school|"
    r"institute|bank|group|foundation|hospital|studio|agency)\.?$",
    re.IGNORECASE,
)
_TOOLS = frozenset(
    """
    python javascript typescript kotlin php scala haskell elixir vim neovim emacs vscode
    docker kubernetes postgres postgresql mysql sqlite redis kafka git github gitlab jira
    figma linux macos ubuntu django flask fastapi pytorch tensorflow terraform aws gcp
    langchain langgraph
    """.split()  # noqa: SIM905
)
_WORD = r"[A-Z][\w'\u2019&-]*(?:\.\w+)*"
_NAME = rf"{_WORD}(?:\s+(?:of\s+|de\s+|van\s+|&\s+)?{_WORD}){{0,3}}"
_CANDIDATE = re.compile(rf"(?<![\w'\u2019])({_NAME})")
_FAMILY = (
    "sister|brother|mother|mom|mum|father|dad|wife|husband|partner|son|daughter|friend|"
    "boss|manager|colleague|coworker|cousin|aunt|uncle|grandmother|grandma|grandfather|"
    "grandpa|niece|nephew|roommate|girlfriend|boyfriend|fiance|fiancee|teacher|mentor"
)
_FAMILY_ALIASES = {"mom": "mother", "mum": "mother", "dad": "father", "grandma": "grandmother",
                   "grandpa": "grandfather", "coworker": "colleague"}  # fmt: skip
_OBJ = rf"(?P<obj>{_NAME})"
_TOOL_OBJ = rf"(?P<obj>{_NAME}|{'|'.join(sorted(_TOOLS, key=len, reverse=True))})\b"
_I = r"\bI(?:'m|\u2019m| am)?"
#: A common-noun object ("the clarinet", "camping"): for predicates whose objects are
#: mostly things and activities, not names.
_THING = (
    r"(?:(?:the|a|an|my|our|some|this|these)\s+)?(?P<low>[a-z][a-z-]{2,}(?:\s+[a-z][a-z-]{2,})?)"
)
_OBJ_OR_THING = rf"(?:{_OBJ}|{_THING})"

#: First-person patterns: (regex, predicate, object kind, action).
_FIRST_PERSON: tuple[tuple[re.Pattern[str], str, str, str], ...] = tuple(
    (re.compile(pattern), predicate, kind, action)  # verbs as written; names capitalised
    for pattern, predicate, kind, action in (
        (
            rf"\bI (?:no longer|don't|do not) work (?:at|for) {_OBJ}",
            "works_at",
            "organisation",
            "delete",
        ),
        (rf"\bI (?:left|quit) (?:my job at )?{_OBJ}", "works_at", "organisation", "delete"),
        (
            rf"{_I} (?:work|working|employed|a \w+|an \w+) (?:at|for|by) {_OBJ}",
            "works_at",
            "organisation",
            "add",
        ),
        (
            rf"\bI (?:joined|started at|got a job at|got hired at|now work at) {_OBJ}",
            "works_at",
            "organisation",
            "add",
        ),
        (rf"{_I} (?:live|living|based) in {_OBJ}", "lives_in", "place", "add"),
        (rf"\bI (?:moved|relocated|am moving|'m moving) to {_OBJ}", "lives_in", "place", "add"),
        (rf"{_I} from {_OBJ}", "from", "place", "add"),
        (
            rf"\bI (?:stopped using|no longer use|quit using|gave up) {_TOOL_OBJ}",
            "uses",
            "tool",
            "delete",
        ),
        (
            rf"{_I} (?:use|using|switched to|work with|working with) {_TOOL_OBJ}",
            "uses",
            "tool",
            "add",
        ),
        (rf"{_I} (?:working on|building|leading|running) {_OBJ}", "works_on", "project", "add"),
        (
            r"\b(?:I|[Ww]e) (?:went to|visited|traveled to|travelled to|have been to|was in|"
            r"flew to|"
            r"took the kids to|took my kids to) "
            rf"{_OBJ_OR_THING}",
            "visited",
            "place",
            "add",
        ),
        (
            r"\bI(?:'ve been| have been|'m| am)? (?:play|playing|played|learning to play) "
            rf"{_OBJ_OR_THING}",
            "plays",
            "other",
            "add",
        ),
        (
            r"\b(?:I|[Ww]e) (?:love|enjoy|like|went|go|started|took up|tried|did some)(?: to)? "
            r"(?P<low>[a-z]{3,}ing)\b",
            "enjoys",
            "other",
            "add",
        ),
        (
            r"\bI(?:'ve| have)? (?:read|finished reading|am reading|'m reading) " + _OBJ,
            "read",
            "other",
            "add",
        ),
        (
            rf"{_I} (?:a member of|part of|in a group called) {_OBJ}",
            "member_of",
            "organisation",
            "add",
        ),
        (
            rf"\bI (?:study|studied|am studying|'m studying) at {_OBJ}",
            "studies_at",
            "organisation",
            "add",
        ),
    )
)
_NAMED_AFTER = r"(?:,|'s name is|\u2019s name is| is called| called| named| is)?\s+"
_FAMILY_RE = re.compile(rf"(?i:\bmy ({_FAMILY})){_NAMED_AFTER}(?P<obj>{_NAME})")
_IS_MY = re.compile(rf"(?P<subj>{_NAME}) is my ({_FAMILY})\b")
_THIRD = (
    (
        re.compile(rf"(?P<subj>{_NAME}) (?:works|worked|is working) (?:at|for) {_OBJ}"),
        "works_at",
        "organisation",
    ),
    (re.compile(rf"(?P<subj>{_NAME}) (?:lives|lived|is living) in {_OBJ}"), "lives_in", "place"),
)
_AT_ORG = re.compile(r"\b(?:at|for|joined)\s+$", re.IGNORECASE)
_IN_PLACE = re.compile(r"\b(?:in|to|from|visit|visited|near|around)\s+$", re.IGNORECASE)
_USE_TOOL = re.compile(r"\b(?:use|using|used)\s+$", re.IGNORECASE)
_ON_PROJECT = re.compile(r"\b(?:project|working on|building)\s+$", re.IGNORECASE)
_PERSON = re.compile(rf"\b(?:my|our|his|her) (?:{_FAMILY})\s+$", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass
class RuleFindings:
    """What the rules found in a run's messages."""

    entities: list[EntityDraft] = field(default_factory=list)
    relations: list[RelationDraft] = field(default_factory=list)
    speakers: set[str] = field(default_factory=set)
    """Names that head turns ("Caroline: ..."): speakers, not mentions."""


def _trim(name: str) -> str:
    words = name.strip(" '\u2019.,-").split()
    while words and words[-1].lower() in _NOT_NAMES | STOP_WORDS:
        words.pop()
    while words and words[0].lower() in _NOT_NAMES:
        words.pop(0)
    return " ".join(words).removesuffix("'s").removesuffix("\u2019s")


_NOT_THINGS = frozenset(
    """
    it them that this there here something anything everything lot lots time times day days
    way ways week weeks year years month months yesterday today tonight tomorrow recently
    last next really just also always never sometimes back home out over
    """.split()  # noqa: SIM905
)


def _thing(words: str | None) -> str:
    """A common-noun object without trailing filler ("camping last" -> "camping")."""
    kept: list[str] = []
    for word in (words or "").split():
        if word in STOP_WORDS or word in _NOT_THINGS:
            break
        kept.append(word)
    return " ".join(kept)


def _kind(before: str, name: str) -> str:
    if _ORG_SUFFIX.search(name):
        return "organisation"
    if name.lower() in _TOOLS:
        return "tool"
    for pattern, kind in (
        (_PERSON, "person"),
        (_USE_TOOL, "tool"),
        (_ON_PROJECT, "project"),
        (_AT_ORG, "organisation"),
        (_IN_PLACE, "place"),
    ):
        if pattern.search(before):
            return kind
    return "other"


def name_candidates(text: str) -> list[tuple[str, str]]:
    """``(name, kind)`` of the capitalised names and listed tools in ``text``, in order.

    A name that starts a sentence counts only when it has two words or more: a lone
    capitalised word there is mostly an ordinary word ("Painting is fun").
    """
    found: list[tuple[str, str]] = []
    for sentence in _SENTENCE.split(text):
        for match in _CANDIDATE.finditer(sentence):
            name = _trim(match.group(1))
            if not name or name.lower() in _NOT_NAMES or len(name) < 2:
                continue
            start = match.start() + match.group(1).find(name.split()[0])
            if not sentence[:start].strip(" \"'“(") and " " not in name:
                continue  # a lone word that starts the sentence
            found.append((name, _kind(sentence[:start], name)))
        words = re.findall(r"\b[a-z][a-z+#]+\b", sentence)
        found.extend((word, "tool") for word in words if word in _TOOLS)
    return found


def _speaker(message: BaseMessage) -> tuple[str | None, str]:
    """Who "I" is in a message, and its text without a speaker prefix."""
    text = message.text.strip()
    match = NAMED.match(text)
    if match and match.group(1).lower() not in _NOT_NAMES:
        return match.group(1), text[match.end() :]
    if isinstance(message, HumanMessage):
        return SELF, text
    return None, text  # the assistant's "I" is about no one in the user's memory


def extract_knowledge(messages: Sequence[BaseMessage]) -> RuleFindings:
    """Entities and relations the rules find in ``messages`` (see the module docstring)."""
    out = RuleFindings()
    by_name: dict[str, EntityDraft] = {}

    def entity(name: str, kind: str, message_id: str | None) -> None:
        key = normalize_name(name)
        if not key or key in {normalize_name(s) for s in out.speakers}:
            return
        draft = by_name.get(key)
        if draft is None:
            draft = by_name[key] = EntityDraft(name=name, kind=kind)  # type: ignore[arg-type]
            out.entities.append(draft)
        elif draft.kind == "other" and kind != "other":
            draft.kind = kind  # type: ignore[assignment]
        if message_id and message_id not in draft.message_ids:
            draft.message_ids.append(message_id)

    for message in messages:
        if not isinstance(message, HumanMessage | AIMessage) or not message.text:
            continue
        who, text = _speaker(message)
        if who not in (None, SELF):
            out.speakers.add(who)
    for message in messages:
        if not isinstance(message, HumanMessage | AIMessage) or not message.text:
            continue
        who, text = _speaker(message)
        mid = message.id
        for name, kind in name_candidates(text):
            entity(name, kind, mid)
        if who is not None:
            for sentence in _SENTENCE.split(text):
                _relations_in(sentence, who, mid, out)
    for relation in out.relations:  # relation ends are entities of the run too
        for name in (relation.subject, relation.object):
            if name != SELF and name not in out.speakers:
                kind = relation.object_kind if name == relation.object else "person"
                entity(name, kind, relation.message_id)
    return out


def _relations_in(text: str, who: str, mid: str | None, out: RuleFindings) -> None:
    """The relations one sentence states (``who`` is its "I")."""
    for pattern, predicate, kind, action in _FIRST_PERSON:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            obj = _trim(groups["obj"]) if groups.get("obj") else _thing(groups.get("low"))
            if obj and obj.lower() not in _NOT_NAMES:
                out.relations.append(_relation(who, predicate, obj, kind, action, mid))
    for match in _FAMILY_RE.finditer(text):
        obj = _trim(match.group("obj"))
        if obj and obj.lower() not in _NOT_NAMES and obj[0].isupper():
            role = _FAMILY_ALIASES.get(match.group(1).lower(), match.group(1).lower())
            out.relations.append(_relation(obj, f"{role}_of", who, "person", "add", mid, True))
    for match in _IS_MY.finditer(text):
        subj = _trim(match.group("subj"))
        if subj and subj.lower() not in _NOT_NAMES:
            role = _FAMILY_ALIASES.get(match.group(2).lower(), match.group(2).lower())
            out.relations.append(_relation(subj, f"{role}_of", who, "person", "add", mid, True))
    for pattern, predicate, kind in _THIRD:
        for match in pattern.finditer(text):
            subj, obj = _trim(match.group("subj")), _trim(match.group("obj"))
            if subj and obj and subj.lower() not in _NOT_NAMES | {"i"}:
                out.relations.append(_relation(subj, predicate, obj, kind, "add", mid))


def _relation(
    subject: str,
    predicate: str,
    obj: str,
    kind: str,
    action: str,
    message_id: str | None,
    subject_is_person: bool = False,
) -> RelationDraft:
    del subject_is_person  # the subject's kind is set when it is created as an entity
    return RelationDraft(
        subject=subject,
        predicate=predicate,
        object=obj,
        object_kind=kind,  # type: ignore[arg-type]
        action=action,  # type: ignore[arg-type]
        confidence=0.6,
        message_id=message_id,
    )

"""A generated user who restates and paraphrases 30 facts over many sessions, and changes 10.

Every user message states exactly one fact, and its message id names it:
``"<fact id>:<value index>:<n>"``; so every stored profile fact is labelled by the
message(s) it came from (``source_message_ids``), never by a similarity of ours. Value
index 0 is a fact's first value; a changed fact gets value 1 at its change session and is
only restated with it afterwards.

Wording: each fact has several value phrasings ("hiking", "going hiking", "long hikes")
and several sentence templates ("I love {v}.", "I'm really into {v}."); a mention draws one
of each (seeded), so restatements are genuinely worded differently, as people do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["FACTS", "Fact", "Mention", "Session", "generate", "label_of"]

_LIKE = ["I love {v}.", "I really enjoy {v}.", "I'm really into {v}.", "I'm a big fan of {v}."]
_DISLIKE = ["I hate {v}.", "I really dislike {v}.", "I can't stand {v}."]
_TOOL = ["I use {v} every day.", "I mostly use {v}.", "I work with {v}."]
_CODE = ["I mostly code in {v}.", "I usually program in {v}.", "I write code in {v}."]


def _fav(thing: str) -> list[str]:
    return [
        f"My favorite {thing} is {{v}}.",
        f"My favourite {thing} is {{v}}.",
        f"My all-time favorite {thing} has to be {{v}}.",
        f"{{v}} is my favorite {thing}.",
    ]


@dataclass(frozen=True)
class Fact:
    """One labelled fact.

    Attributes:
        fact_id: Its label.
        category: The profile category the rules store it under.
        templates: Sentence templates with ``{v}``.
        values: Per value (index 0 first, 1 after a change): its phrasings.
        change: Template of the sentence announcing the change (changed facts only).
    """

    fact_id: str
    category: str
    templates: list[str]
    values: list[list[str]]
    change: str | None = None

    @property
    def changes(self) -> bool:
        """Whether the fact changes during the sessions."""
        return len(self.values) > 1


FACTS: list[Fact] = [
    # ----- the 10 that change (single-valued: a new value supersedes the old)
    Fact(
        "location",
        "location",
        [
            "I live in {v}.",
            "I'm based in {v}.",
            "These days I'm living in {v}.",
            "My home is in {v}.",
        ],
        [["Berlin"], ["Munich"]],
        "Actually, I live in {v} now.",
    ),
    Fact(
        "employer",
        "employer",
        ["I work at {v}.", "I work for {v}.", "I've been working at {v} for a while."],
        [["Acme"], ["Globex"]],
        "Update: I now work at {v}.",
    ),
    Fact(
        "role",
        "role",
        ["I work as a {v}.", "I'm currently working as a {v}.", "I work as a {v} by trade."],
        [["data scientist"], ["product manager"]],
        "Actually, I work as a {v} now.",
    ),
    Fact(
        "color",
        "favorite_color",
        _fav("color"),
        [["blue"], ["green"]],
        "My favorite color is {v} now.",
    ),
    Fact(
        "food",
        "favorite_food",
        _fav("food"),
        [["pizza"], ["ramen"]],
        "My favorite food is {v} now.",
    ),
    Fact(
        "movie",
        "favorite_movie",
        _fav("movie"),
        [["Alien"], ["Heat"]],
        "My favorite movie is {v} now.",
    ),
    Fact(
        "book", "favorite_book", _fav("book"), [["Dune"], ["Emma"]], "My favorite book is {v} now."
    ),
    Fact(
        "sport",
        "favorite_sport",
        _fav("sport"),
        [["tennis"], ["squash"]],
        "My favorite sport is {v} now.",
    ),
    Fact(
        "drink",
        "favorite_drink",
        _fav("drink"),
        [["coffee"], ["green tea"]],
        "My favorite drink is {v} now.",
    ),
    Fact(
        "season",
        "favorite_season",
        _fav("season"),
        [["autumn"], ["spring"]],
        "My favorite season is {v} now.",
    ),
    # ----- the 20 that stay (restated and paraphrased)
    Fact("name", "name", ["My name is {v}.", "Call me {v}.", "I go by {v}."], [["Ada"]]),
    Fact(
        "hometown",
        "hometown",
        ["I'm originally from {v}.", "I grew up in {v}.", "I come from {v}."],
        [["Lisbon"]],
    ),
    Fact(
        "hiking",
        "likes",
        _LIKE,
        [["hiking", "going hiking", "hiking in the mountains", "long hikes"]],
    ),
    Fact("jazz", "likes", _LIKE, [["jazz", "jazz music", "listening to jazz", "live jazz"]]),
    Fact("sushi", "likes", _LIKE, [["sushi", "eating sushi", "fresh sushi"]]),
    Fact("photo", "likes", _LIKE, [["photography", "taking photos", "film photography"]]),
    Fact("chess", "likes", _LIKE, [["chess", "playing chess", "online chess"]]),
    Fact("crowds", "dislikes", _DISLIKE, [["crowds", "big crowds", "crowded places"]]),
    Fact(
        "cilantro", "dislikes", _DISLIKE, [["cilantro", "the taste of cilantro", "fresh cilantro"]]
    ),
    Fact("vim", "tools", _TOOL, [["vim", "the vim editor", "Vim"]]),
    Fact("docker", "tools", _TOOL, [["docker", "docker containers", "Docker"]]),
    Fact("python", "languages", _CODE, [["Python", "Python 3", "modern Python"]]),
    Fact("rust", "languages", _CODE, [["Rust", "Rust mostly", "safe Rust"]]),
    Fact(
        "dog",
        "pets",
        ["I have a dog named {v}.", "My dog's name is {v}.", "I've got a dog called {v}."],
        [["Rex"]],
    ),
    Fact(
        "sister",
        "relations",
        ["My sister's name is {v}.", "I have a sister named {v}.", "My sister is called {v}."],
        [["Ana"]],
    ),
    Fact(
        "peanuts",
        "allergies",
        [
            "I'm allergic to {v}.",
            "I'm severely allergic to {v}.",
            "I've always been allergic to {v}.",
        ],
        [["peanuts", "peanut butter"]],
    ),
    Fact(
        "veggie",
        "diet",
        ["I'm vegetarian.", "I've been vegetarian for years.", "I'm a vegetarian."],
        [[""]],
    ),
    Fact(
        "windows",
        "preferences",
        ["I prefer {v}.", "I'd prefer {v}.", "I would much prefer {v}."],
        [["a window seat", "window seats"]],
    ),
    Fact("sailing", "likes", _LIKE, [["sailing", "going sailing", "sailing on the lake"]]),
    Fact("emacs", "dislikes", _DISLIKE, [["emacs", "the emacs editor"]]),
]


@dataclass(frozen=True)
class Mention:
    """One user message of a session: a fact stated with one value."""

    fact_id: str
    value_index: int
    text: str
    message_id: str


@dataclass(frozen=True)
class Session:
    """One session: its id, date, and the user's messages (each with an assistant reply)."""

    thread_id: str
    at: datetime
    mentions: list[Mention]


def label_of(message_id: str) -> tuple[str, int] | None:
    """``(fact id, value index)`` of a generated message id, None for others."""
    parts = message_id.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def generate(
    sessions: int = 100,
    *,
    facts: list[Fact] | None = None,
    per_session: int = 4,
    seed: int = 7,
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC),
) -> list[Session]:
    """The sessions, a day apart.

    Every fact is stated in one of the first sessions (round-robin), then ``per_session``
    random facts are restated per session. Each changed fact changes once, at a session
    drawn in the middle half; from then on it is restated with its new value only.

    Args:
        sessions: How many sessions.
        facts: The facts (default ``FACTS``).
        per_session: Restatements per session after the introductions.
        seed: The random seed (same seed, same sessions).
        start: The first session's date.
    """
    facts = facts if facts is not None else FACTS
    rng = random.Random(seed)
    change_at = {
        f.fact_id: rng.randrange(max(sessions // 4, 1), max(3 * sessions // 4, 2))
        for f in facts
        if f.changes
    }
    intro = [f.fact_id for f in facts]
    by_id = {f.fact_id: f for f in facts}
    out: list[Session] = []
    counter = 0
    for s in range(sessions):
        chosen: list[str] = []
        while intro and len(chosen) < per_session + 2:
            chosen.append(intro.pop(0))
        chosen += rng.sample(sorted(by_id), k=min(per_session, len(by_id)))
        chosen += [fid for fid, when in change_at.items() if when == s and fid not in chosen]
        mentions = []
        for fid in dict.fromkeys(chosen):
            fact = by_id[fid]
            changed = fid in change_at and s >= change_at[fid]
            index = 1 if changed else 0
            value = rng.choice(fact.values[index])
            template = (
                fact.change if changed and s == change_at[fid] and fact.change else None
            ) or rng.choice(fact.templates)
            text = template.format(v=value)
            text = text[0].upper() + text[1:]
            counter += 1
            mentions.append(Mention(fid, index, text, f"{fid}:{index}:{counter}"))
        out.append(Session(f"s{s:03d}", start + timedelta(days=s), mentions))
    return out

"""Writes ``fact_relevance.jsonl``: is this profile fact relevant to this search query?

Issue 24, point 3: ``langmem search ada tea`` listed unrelated profile facts ("likes:
sailing" at 0.23), while with MiniLM "where does Ada live" scores about the same against
"location: Berlin", so no single cosine floor separates them. The gate of
``nodes._fact_gate`` is measured here. Written before the gate existed or was tuned.

Two made-up users, every query labelled against every fact of its user (a pair is
relevant when a careful reader would show that fact as an answer to the query):

* ``train`` (Ada): the gate's thresholds are chosen on these pairs;
* ``heldout`` (Tomás): other facts, other phrasings, never used to tune; the unit test
  asserts the gate's precision and recall on them.

Each line: ``{"user", "subject", "query", "category", "value", "relevant", "split"}``;
``subject`` is the user's name (the one the queries refer to her or him by).
Run ``python tests/data/make_fact_relevance.py`` to regenerate (deterministic).
"""

from __future__ import annotations

import json
from pathlib import Path

USERS = {
    "ada": {
        "split": "train",
        "subject": "Ada",
        "facts": [
            ("name", "Ada"),
            ("location", "Berlin"),
            ("role", "data scientist"),
            ("likes", "sailing"),
            ("languages", "Python"),
            ("tools", "Neovim"),
            ("pets", "Rex (dog)"),
            ("allergies", "peanuts"),
            ("favorite_drink", "green tea"),
            ("relations", "Ana (sister)"),
        ],
        # query -> the categories relevant to it (every other fact of the user is not)
        "queries": {
            "tea": {"favorite_drink"},
            "where does Ada live": {"location"},
            "what does Ada drink": {"favorite_drink"},
            "Ada's job": {"role"},
            "sailing": {"likes"},
            "does she have a pet": {"pets"},
            "what is she allergic to": {"allergies"},
            "which city is Ada in": {"location"},
            "her sister": {"relations"},
            "programming language": {"languages"},
            "which editor does she use": {"tools"},
            "hobbies": {"likes"},
            "what's her name": {"name"},
            "boats": {"likes"},
            "Germany": {"location"},
            "weather tomorrow": set(),
        },
    },
    "tomas": {
        "split": "heldout",
        "subject": "Tomás",
        "facts": [
            ("name", "Tomás"),
            ("location", "Porto"),
            ("hometown", "Recife"),
            ("role", "nurse"),
            ("employer", "Santa Maria Hospital"),
            ("likes", "jazz"),
            ("dislikes", "coriander"),
            ("diet", "vegetarian"),
            ("pets", "Mia (cat)"),
            ("spoken_languages", "Portuguese"),
            ("favorite_food", "lasagna"),
        ],
        "queries": {
            "coffee": set(),
            "where is Tomás based": {"location"},
            "what does Tomás do for a living": {"role", "employer"},
            "where did he grow up": {"hometown"},
            "who does he work for": {"employer"},
            "music": {"likes"},
            "foods he avoids": {"dislikes", "diet"},
            "does Tomás eat meat": {"diet"},
            "his cat": {"pets"},
            "what languages does he speak": {"spoken_languages"},
            "favourite dish": {"favorite_food"},
            "Tomás": {"name"},
            "football scores": set(),
            "hospital": {"employer"},
        },
    },
}


def rows() -> list[dict[str, object]]:
    """Every (query, fact) pair of every user, labelled."""
    out: list[dict[str, object]] = []
    for user, spec in USERS.items():
        for query, relevant in spec["queries"].items():  # type: ignore[attr-defined]
            for category, value in spec["facts"]:  # type: ignore[attr-defined]
                out.append(
                    {
                        "user": user,
                        "subject": spec["subject"],
                        "query": query,
                        "category": category,
                        "value": value,
                        "relevant": category in relevant,
                        "split": spec["split"],
                    }
                )
    return out


if __name__ == "__main__":
    path = Path(__file__).with_name("fact_relevance.jsonl")
    with path.open("w", encoding="utf-8") as fh:
        for row in rows():
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")

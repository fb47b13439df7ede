"""Which profile facts a search query is about: the gate the search surfaces apply to facts.

A profile fact is a short ``category: value`` line ("location: Berlin"). One cosine floor
cannot tell the relevant from the unrelated ones: with MiniLM, "where does Ada live"
scores 0.23 against "location: Berlin", as much as "tea" against "likes: sailing", and
the user's own name in a query ("Ada's job") pulls "name: Ada" to 0.76. So a fact is
judged on its two parts, with the subject of the query set aside:

* the **subject** (the user's name and id: every fact is about the user, so naming her
  says nothing about which fact is wanted) is removed from the query first; a query that
  is only the subject asks for the name;
* the **category** is relevant when the query uses one of its cue words
  (``CATEGORY_CUES``: "live", "city", "based" for ``location``; "job", "for a living" for
  ``role``; the words of the category's own name, "drink" in ``favorite_drink``);
* the **value** is relevant when the query shares a content word with it (stemmed: "his
  cat" and "Mia (cat)", "tea" and "green tea"), or when its embedding is close to the
  query's on its own, without the category ("boats" and "sailing" 0.72, "Germany" and
  "Berlin" 0.71; "tea" and "sailing" 0.31): ``min_value_similarity``.

Measured on ``tests/data/fact_relevance.jsonl`` (query, fact) pairs labelled before the
gate was written; the floor was chosen on the ``train`` user's 160 pairs, and on the 154
``heldout`` pairs of another user, with other phrasings, the gate reaches the precision
and recall that ``tests/unit/test_fact_gate.py`` asserts (printed by
``python benchmarks/fact_gate.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import numpy as np
from langgraph.store.base import BaseStore, Item

from langmem_plugin._embeddings import MPNET_GATES, gates_for
from langmem_plugin._namespaces import user_namespace
from langmem_plugin._text import STOP_WORDS, stem
from langmem_plugin.nodes._similarity import store_embeddings

__all__ = [
    "CATEGORY_CUES",
    "FACT_KINDS",
    "MINILM_VALUE_SIMILARITY",
    "FactGate",
    "fact_parts",
    "keep_relevant_facts",
    "search_fact_gate",
    "user_subjects",
]

#: Value-alone similarity that makes a fact relevant with MiniLM. Chosen on the train pairs:
#: relevant values without a shared word score 0.60-0.72 there, the unrelated ones at most
#: 0.52 once the subject is set aside.
MINILM_VALUE_SIMILARITY = 0.55
#: mpnet's, carried over by the line between the two models' similarities on LoCoMo dev
#: (mpnet = 0.70 * MiniLM + 0.094, see ``_embeddings.MPNET_GATES``).
MPNET_VALUE_SIMILARITY = 0.48

#: Words and phrases of a query that ask for a category (matched on whole words, stemmed).
CATEGORY_CUES: dict[str, tuple[str, ...]] = {
    "name": ("name",),  # not "called": "what is my boat called"
    "location": (
        "live",
        "living in",
        "based",
        "city",
        "town",
        "reside",
        "home",
        "address",
        "moved",
        "located",
        "country",
    ),
    "hometown": ("hometown", "grow up", "grew up", "born", "raised", "originally", "come from"),
    "role": ("job", "work as", "occupation", "profession", "career", "role", "for a living"),
    "employer": (
        "employer",
        "company",
        "work for",
        "works for",
        "work at",
        "works at",
        "employed",
        "firm",
        "for a living",
    ),
    "likes": ("like", "love", "enjoy", "hobby", "hobbies", "interest", "fan", "free time"),
    "dislikes": ("dislike", "hate", "avoid", "can't stand"),
    "diet": ("diet", "eat", "food", "meat", "vegetarian", "vegan", "avoid"),
    "allergies": ("allergy", "allergies", "allergic"),
    "pets": ("pet", "animal"),
    "relations": ("family", "relative", "married"),
    "languages": ("programming", "code", "coding", "language"),
    "spoken_languages": ("speak", "language"),
    "tools": ("tool", "use", "editor", "software", "app"),
}

_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")


def _stems(text: str) -> list[str]:
    words = [w.lower().removesuffix("'s") for w in _WORD.findall(text)]
    return [stem(w) for w in words]


def _content(stems: Iterable[str]) -> set[str]:
    return {s for s in stems if s not in STOP_WORDS and len(s) > 1}


def fact_parts(item_value: dict[str, Any]) -> tuple[str, str] | None:
    """``(category, value)`` of a profile (or profile history) item's value, else None."""
    category, value = item_value.get("category"), item_value.get("value")
    if isinstance(category, str) and value is not None:
        return category, str(value)
    return None


def _cues(category: str) -> list[list[str]]:
    """The cue phrases of a category, as stem sequences (its own name's words included)."""
    own = [[w] for w in _content(_stems(category.replace("_", " ")))]
    key = "favorite" if category.startswith("favorite_") else category
    listed = CATEGORY_CUES.get(key, ())
    return own + [_stems(p) for p in listed] + ([[stem("favourite")]] if key == "favorite" else [])


def _has_phrase(stems: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return any(list(stems[i : i + n]) == list(phrase) for i in range(len(stems) - n + 1))


class FactGate:
    """Judges whether a profile fact answers a search query (see the module docstring).

    Args:
        embeddings: The store's embeddings (for the value-alone similarity), or None to
            judge by words only.
        min_value_similarity: Value-alone cosine similarity that makes a fact relevant.
            Default: ``MINILM_VALUE_SIMILARITY`` (0.55), or mpnet's 0.48 for embeddings
            with mpnet's gates.

    Example:
        >>> gate = FactGate(None)
        >>> gate.relevant("where does Ada live", "location", "Berlin", subjects=["Ada"])
        True
        >>> gate.relevant("tea", "likes", "sailing", subjects=["Ada"])
        False
    """

    def __init__(self, embeddings: Any, *, min_value_similarity: float | None = None) -> None:
        self.embeddings = embeddings
        if min_value_similarity is None:
            mpnet = embeddings is not None and gates_for(embeddings) is MPNET_GATES
            min_value_similarity = MPNET_VALUE_SIMILARITY if mpnet else MINILM_VALUE_SIMILARITY
        self.min_value_similarity = min_value_similarity
        self._vectors: dict[str, np.ndarray] = {}

    def _query(self, query: str, subjects: Iterable[str]) -> tuple[list[str], str]:
        """The query's stems and text without the subject's names."""
        drop = {s for subject in subjects for s in _stems(subject)}
        kept = [w for w in _WORD.findall(query) if stem(w.lower().removesuffix("'s")) not in drop]
        return _stems(" ".join(kept)), " ".join(kept)

    def _embed(self, texts: Sequence[str]) -> list[np.ndarray]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.embeddings.embed_documents(missing), strict=True):
                array = np.asarray(vector, dtype=float)
                norm = float(np.linalg.norm(array))
                self._vectors[text] = array / norm if norm else array
        return [self._vectors[t] for t in texts]

    def value_similarity(self, query: str, value: str) -> float:
        """Cosine similarity of the query and the value alone (0 without embeddings)."""
        if self.embeddings is None or not query.strip() or not value.strip():
            return 0.0
        q, v = self._embed([query, value])
        return float(q @ v)

    def relevant(
        self, query: str, category: str, value: str, *, subjects: Iterable[str] = ()
    ) -> bool:
        """Whether the fact ``category: value`` answers ``query`` about the subject.

        Args:
            query: The search query.
            category: The fact's category (``location``, ``favorite_drink``...).
            value: The fact's value.
            subjects: The user's names and id, set aside in the query.

        Returns:
            True when the query asks for the category, shares a word with the value, or
            is close to the value alone; for a query that is only the subject, True for
            the ``name`` fact alone.
        """
        stems, text = self._query(query, subjects)
        words = _content(stems)
        if not words:
            return category == "name"
        if any(_has_phrase(stems, cue) for cue in _cues(category)):
            return True
        if words & _content(_stems(value)):
            return True
        return self.value_similarity(text, value) >= self.min_value_similarity


_ItemT = TypeVar("_ItemT", bound=Item)

#: The namespaces (first label) whose items are profile facts, judged by the gate.
FACT_KINDS = frozenset({"profile", "profile_history"})


def user_subjects(store: BaseStore, user_id: str) -> list[str]:
    """The names a query may call the user by: the user id and the current name facts."""
    names = store.search(user_namespace("profile", user_id), filter={"category": "name"}, limit=10)
    return [user_id, *(str(item.value.get("value")) for item in names)]


def search_fact_gate(store: BaseStore, user_id: str) -> tuple[FactGate, list[str]]:
    """The gate for one user's search (the store's embeddings) and the user's subjects."""
    return FactGate(store_embeddings(store)), user_subjects(store, user_id)


def keep_relevant_facts(
    store: BaseStore, user_id: str, query: str, items: Iterable[_ItemT]
) -> list[_ItemT]:
    """``items`` without the profile facts that do not answer ``query`` (others kept)."""
    items = list(items)
    if not any(item.namespace[0] in FACT_KINDS for item in items):
        return items
    gate, subjects = search_fact_gate(store, user_id)
    kept = []
    for item in items:
        parts = fact_parts(item.value) if item.namespace[0] in FACT_KINDS else None
        if parts is None or gate.relevant(query, *parts, subjects=subjects):
            kept.append(item)
    return kept

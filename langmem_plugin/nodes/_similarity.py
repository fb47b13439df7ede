"""Near-duplicates by meaning: stored vectors plus wording, and topic clusters.

Two memories are near-duplicates when **both** hold:

* their embeddings' cosine similarity reaches ``similarity`` (default 0.85), and
* they share wording: at least ``overlap`` (default 0.5) of the stemmed content words
  (``_text.analyze``) of the one with fewer are in the other, a word counting as shared
  when its stem equals one there or one is a prefix of the other, of 4 letters or more
  ("photos" / "photography").

* a kind named in parentheses, as the rules write pets and relatives ("Ana (sister)"),
  is the same in both: "Ana (sister)" / "Ana (cousin)" score 0.91 and share "Ana".

Neither alone is enough. Wording alone merges "likes: hiking" with nothing it should
("likes: going hiking" shares one word of two) and merges what it should not (a shared
word, "Ana (sister)" / "Maria (sister)"); embeddings alone put related but different
values close: with MiniLM, "allergies: peanuts" / "allergies: nuts" 0.87, "diet:
vegetarian" / "diet: vegan" 0.84, share no word, and stay apart; "likes: hiking" /
"likes: going hiking" 0.96 and "likes: jazz" / "likes: jazz music" 0.92 share theirs and
merge; "likes: hiking" / "likes: cycling" is 0.60. The 0.83 default: on 44 paraphrase
pairs of one fact (``benchmarks/_consolidation_data.py``) that share a word, 40 score 0.83
or more, the lowest being a narrowing ("docker" / "docker compose" 0.77); different facts
of one category that share a word score below 0.83 ("dislikes: cats" / "cat videos"
0.81, "likes: cooking" / "cooking shows" 0.82), except narrowings such as "likes: dogs" /
"hot dogs" 0.87 or "tea" / "green tea" 0.86, which merge: the merged wording is kept as an
alias and in the history, not lost.

Vectors: a ``ChromaStore`` keeps every item's vector in SQL; they are read from there
(one query per namespace: no model call, no re-embedding). Other stores (``InMemoryStore``)
get the texts embedded in one batch with the store's embeddings. A store without
embeddings finds no duplicates (wording alone is not enough, see above).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from langgraph.store.base import BaseStore, Item

from langmem_plugin._text import analyze

__all__ = ["DEFAULT_OVERLAP", "DEFAULT_SIMILARITY", "clusters", "near_duplicates", "vectors_of"]

DEFAULT_SIMILARITY = 0.83
DEFAULT_OVERLAP = 0.5
_BLOCK = 512


def store_embeddings(store: BaseStore) -> Any:
    """The embeddings a store searches with (``ChromaStore.embeddings``, ``index["embed"]``)."""
    embeddings = getattr(store, "embeddings", None)
    if embeddings is not None:
        return embeddings
    index = getattr(store, "index_config", None)
    return index.get("embed") if isinstance(index, dict) else None


def vectors_of(
    store: BaseStore, items: Sequence[Item], text: Callable[[Item], str]
) -> np.ndarray | None:
    """Unit vectors of ``items`` (rows in order); None when the store has no embeddings.

    Stored vectors are read from a ``ChromaStore``'s SQL (no re-embedding); items without
    one, and every item of another store, are embedded in one batch from ``text(item)``.
    """
    if not items:
        return np.zeros((0, 0))
    found: dict[int, np.ndarray] = {}
    table = getattr(getattr(getattr(store, "_engine", None), "col", None), "items", None)
    if table is not None and hasattr(table, "scope_vectors"):
        from langmem_plugin.store._rows import iid_of

        wanted = {iid_of(item.namespace, item.key): n for n, item in enumerate(items)}
        for namespace in {item.namespace for item in items}:
            for _vid, iid, ordinal, raw in table.scope_vectors(namespace):
                n = wanted.get(iid)
                if n is not None and ordinal == 0:
                    found[n] = np.frombuffer(raw, dtype="<f4").astype(np.float64)
    missing = [n for n in range(len(items)) if n not in found]
    if missing:
        embeddings = store_embeddings(store)
        if embeddings is None:
            return None
        embedded = embeddings.embed_documents([text(items[n]) for n in missing])
        for n, vector in zip(missing, embedded, strict=True):
            found[n] = np.asarray(vector, dtype=np.float64)
    matrix = np.vstack([found[n] for n in range(len(items))])
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


_PREFIX = 4


def _same_word(a: str, b: str) -> bool:
    """Equal stems, or one a prefix (4+ letters) of the other: "photo" / "photographi"."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return short == long or (len(short) >= _PREFIX and long.startswith(short))


_QUALIFIER = re.compile(r"\(([^)]*)\)")


def _qualifiers_differ(a: str, b: str) -> bool:
    """Both name a kind in parentheses, and not the same one: "Ana (sister)" / "Ana (cousin)"."""
    qa, qb = _QUALIFIER.findall(a.lower()), _QUALIFIER.findall(b.lower())
    return bool(qa and qb) and qa != qb


def _overlap(a: set[str], b: set[str]) -> float:
    """Share of the smaller set's words that the other set has (``_same_word``)."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    shared = sum(1 for word in small if any(_same_word(word, other) for other in large))
    return shared / len(small)


def near_duplicates(
    vectors: np.ndarray,
    texts: Sequence[str],
    *,
    similarity: float = DEFAULT_SIMILARITY,
    overlap: float = DEFAULT_OVERLAP,
    among: Sequence[int] | None = None,
) -> dict[int, int]:
    """Which rows duplicate which: ``{duplicate row: keeper row}``.

    Rows are taken in order (put the one to keep first: the caller's priority); each row
    is the duplicate of the first earlier keeper it is a near-duplicate of (see the module
    docstring), else a keeper itself. A duplicate is compared with keepers only, so a chain
    of small steps (A~B, B~C, A far from C) never merges A with C. Similarities are
    computed a block of rows at a time (all rows against ``among`` only, when given), and
    wording is compared only where the similarity passes.

    Args:
        vectors: Unit vectors, one row per memory.
        texts: The wording compared (e.g. a fact's value, without its category).
        similarity: Minimum cosine similarity.
        overlap: Minimum shared share of stemmed content words.
        among: Only pairs with a row of this set are compared (e.g. the memories just
            written, whichever of the pair is kept); None compares all pairs.
    """
    n = len(texts)
    if n < 2:
        return {}
    terms: dict[int, set[str]] = {}

    def words(row: int) -> set[str]:
        if row not in terms:
            terms[row] = set(analyze(texts[row]))
        return terms[row]

    def same(row: int, keeper: int) -> bool:
        return _overlap(words(row), words(keeper)) >= overlap and not _qualifiers_differ(
            texts[row], texts[keeper]
        )

    is_keeper = np.zeros(n, dtype=bool)
    merged: dict[int, int] = {}
    if among is not None:
        # every pair compared holds a row of `among`: its columns are all the sims needed
        cols = sorted(set(among))
        column = {row: c for c, row in enumerate(cols)}
        in_among = np.zeros(n, dtype=bool)
        in_among[cols] = True
        part = vectors @ vectors[cols].T  # (n, len(among))
        for row in range(n):
            if row in column:
                sims = part[:, column[row]]
                mask = is_keeper & (sims >= similarity)
            else:
                mask = np.zeros(n, dtype=bool)
                hits = is_keeper[cols] & (part[row] >= similarity)
                mask[np.asarray(cols)[hits]] = True
            keeper = next((int(k) for k in np.flatnonzero(mask) if same(row, int(k))), None)
            if keeper is None:
                is_keeper[row] = True
            else:
                merged[row] = keeper
        return merged
    for start in range(0, n, _BLOCK):  # (block, n) similarities at a time: bounded memory
        block = vectors[start : start + _BLOCK] @ vectors.T
        for offset, sims in enumerate(block):
            row = start + offset
            mask = is_keeper & (sims >= similarity)
            keeper = next((int(k) for k in np.flatnonzero(mask) if same(row, int(k))), None)
            if keeper is None:
                is_keeper[row] = True
            else:
                merged[row] = keeper
    return merged


def clusters(vectors: np.ndarray, *, similarity: float) -> list[list[int]]:
    """Topic clusters: a row joins the most similar cluster centroid if >= ``similarity``.

    Rows are taken in order (oldest first gives stable clusters as new memories arrive);
    a row no centroid reaches starts a cluster. Returns the clusters (row lists in row
    order), largest first; a memory alone is a cluster of one. Cost: one similarity per
    row and cluster, vectorised (1,000 unrelated episodes: ~0.1 s).
    """
    members: list[list[int]] = []
    if len(vectors) == 0:
        return members
    sums = np.zeros_like(vectors, dtype=np.float64)  # one row per cluster, as they open
    norms = np.ones(len(vectors))
    for row, vector in enumerate(vectors):
        k = len(members)
        if k:
            sims = (sums[:k] @ vector) / norms[:k]
            best = int(np.argmax(sims))
        if k and sims[best] >= similarity:
            members[best].append(row)
            sums[best] += vector
        else:
            best = k
            members.append([row])
            sums[best] = vector
        norms[best] = float(np.linalg.norm(sums[best])) or 1.0
    return sorted(members, key=lambda g: (-len(g), g[0]))

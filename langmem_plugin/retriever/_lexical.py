"""An incremental BM25 index.

Documents are added, replaced and removed one at a time; every update touches only the
postings of that document's terms, so keeping the index in step with a store costs
``O(len(document))`` per write and nothing per query. Scoring walks the postings of the query's
terms only.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Hashable, Iterable

from langmem_plugin._text import analyze

__all__ = ["BM25Index"]

#: Query terms whose per-document scores are kept between queries (until the index changes).
TERM_CACHE = 512


class BM25Index:
    """Okapi BM25 over documents identified by any hashable id.

    Args:
        k1: Term-frequency saturation. 1.2 is the usual default; memories are short, so the
            value matters little.
        b: Length normalisation (0 none, 1 full). 0.75 is the usual default.

    Example:
        >>> index = BM25Index()
        >>> index.add("a", "Caroline went to a support group")
        >>> index.add("b", "Melanie painted a sunrise")
        >>> max(index.scores(index.analyze("who painted?")).items(), key=lambda kv: kv[1])[0]
        'b'
    """

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        if k1 < 0:
            raise ValueError(f"k1 must be >= 0, got {k1!r}")
        if not 0 <= b <= 1:
            raise ValueError(f"b must be in [0, 1], got {b!r}")
        self.k1 = k1
        self.b = b
        self._postings: dict[str, dict[Hashable, int]] = {}
        self._lengths: dict[Hashable, int] = {}
        self._terms: dict[Hashable, tuple[str, ...]] = {}
        self._total_length = 0
        self._lock = threading.RLock()
        # Unweighted per-term scores, valid until the next change of the index: queries share
        # terms (names, topics), and re-scoring a common term's postings dominated a query.
        self._term_scores: dict[str, dict[Hashable, float]] = {}

    analyze = staticmethod(analyze)

    def __len__(self) -> int:
        return len(self._lengths)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._lengths

    def add(self, doc_id: Hashable, text: str) -> None:
        """Index ``text`` under ``doc_id``, replacing what the id held before."""
        terms = self.analyze(text)
        with self._lock:
            self._term_scores.clear()
            self._remove(doc_id)
            counts = Counter(terms)
            for term, tf in counts.items():
                self._postings.setdefault(term, {})[doc_id] = tf
            self._terms[doc_id] = tuple(counts)
            self._lengths[doc_id] = len(terms)
            self._total_length += len(terms)

    def remove(self, doc_id: Hashable) -> None:
        """Forget ``doc_id``; unknown ids are ignored."""
        with self._lock:
            self._remove(doc_id)

    def _remove(self, doc_id: Hashable) -> None:
        terms = self._terms.pop(doc_id, None)
        if terms is None:
            return
        self._term_scores.clear()
        for term in terms:
            posting = self._postings[term]
            del posting[doc_id]
            if not posting:
                del self._postings[term]
        self._total_length -= self._lengths.pop(doc_id)

    def clear(self) -> None:
        """Forget every document."""
        with self._lock:
            self._term_scores.clear()
            self._postings.clear()
            self._lengths.clear()
            self._terms.clear()
            self._total_length = 0

    def ids(self) -> list[Hashable]:
        """The ids of the indexed documents."""
        with self._lock:
            return list(self._lengths)

    def document_frequency(self, term: str) -> int:
        """How many documents contain the (already analysed) term."""
        return len(self._postings.get(term, ()))

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency (the non-negative Lucene variant)."""
        n = len(self._lengths)
        df = self.document_frequency(term)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def scores(
        self, terms: Iterable[str], *, weights: dict[str, float] | None = None
    ) -> dict[Hashable, float]:
        """BM25 score of every document that shares a term with the query.

        Args:
            terms: Analysed query terms (see :meth:`analyze`); repeated terms count once.
            weights: Optional per-term multipliers (default 1).

        Returns:
            Document id to score, only for documents with a positive score.
        """
        with self._lock:
            n = len(self._lengths)
            if n == 0:
                return {}
            out: dict[Hashable, float] = {}
            for term in dict.fromkeys(terms):
                term_scores = self._term_scores.get(term)
                if term_scores is None:
                    term_scores = self._score_term(term, n)
                    if len(self._term_scores) >= TERM_CACHE:
                        self._term_scores.pop(next(iter(self._term_scores)))
                    self._term_scores[term] = term_scores
                if not term_scores:
                    continue
                w = weights.get(term, 1.0) if weights else 1.0
                if not out:
                    out = (
                        {d: w * s for d, s in term_scores.items()}
                        if w != 1.0
                        else dict(term_scores)
                    )
                    continue
                get = out.get
                for doc_id, s in term_scores.items():
                    out[doc_id] = get(doc_id, 0.0) + w * s
            return out

    def _score_term(self, term: str, n: int) -> dict[Hashable, float]:
        """BM25 contribution of one term to every document containing it (lock held)."""
        posting = self._postings.get(term)
        if not posting:
            return {}
        avg = self._total_length / n or 1.0
        k1, b = self.k1, self.b
        w = self.idf(term) * (k1 + 1.0)
        norm = k1 * (1.0 - b)
        scale = k1 * b / avg
        lengths = self._lengths
        return {
            doc_id: w * tf / (tf + norm + scale * lengths[doc_id]) for doc_id, tf in posting.items()
        }

"""Text analysis shared by the lexical index and query handling.

One analyser for documents and queries: lowercase, split on anything that is not a letter or a
digit (apostrophes inside words are dropped first, so ``Caroline's`` and ``Carolines`` agree),
drop English stop words, and reduce each word to its Snowball (Porter 2) stem so that
``painting``, ``painted`` and ``paints`` match.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

__all__ = ["QUESTION_WORDS", "STOP_WORDS", "analyze", "stem"]

# A classic English stop list (close to the one of Lucene/NLTK), plus contraction fragments
# left by splitting on apostrophes. Question words are kept out of this list on purpose: they
# are removed from queries only (see ``QUESTION_WORDS``), as "when" can be content in a memory.
STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all am an and any are aren as at be because been before
    being below between both but by can couldn d did didn do does doesn doing don down during
    each few for from further had hadn has hasn have haven having he her here hers herself him
    himself his i if in into is isn it its itself just ll m ma me mightn more most mustn my
    myself needn no nor not now o of off on once only or other our ours ourselves out over own
    re s same shan she should shouldn so some such t than that the their theirs them themselves
    then there these they this those through to too under until up ve very was wasn we were
    weren while will with won wouldn y you your yours yourself yourselves also would could may
    might must shall us let get got gonna wanna yeah oh hey hi ok okay really im ive youre
    youve youll theyre theyve weve dont doesnt didnt cant couldnt wouldnt shouldnt isnt wasnt
    arent werent havent hasnt hadnt thats whats lets hes shes theres heres itll itd
    """.split()  # noqa: SIM905
)

#: Words that shape a question but say nothing about the answer; dropped from queries.
QUESTION_WORDS: frozenset[str] = frozenset(
    ["what", "when", "where", "which", "who", "whom", "whose", "why", "how"]
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_APOSTROPHE = re.compile(r"(?<=\w)['\u2019](?=\w)")
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball English stem of a lowercase word (cached)."""
    return str(_STEMMER.stemWord(word))


def analyze(text: str, *, drop: frozenset[str] = frozenset()) -> list[str]:
    """Split text into stemmed index terms.

    Args:
        text: Any text.
        drop: Extra lowercase words to drop before stemming (e.g. ``QUESTION_WORDS``).

    Returns:
        The terms in order of appearance, with repetitions.
    """
    words = _WORD.findall(_APOSTROPHE.sub("", text.lower()))
    return [stem(w) for w in words if w not in STOP_WORDS and w not in drop]

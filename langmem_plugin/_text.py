"""Text utilities shared by the retriever and the offline rules: one stop-word list.

* ``analyze``: the retriever's analyser, one for documents and queries: lowercase, split on
  anything that is not a letter or a digit (apostrophes inside words are dropped first, so
  ``Caroline's`` and ``Carolines`` agree), drop English stop words, and reduce each word to
  its Snowball (Porter 2) stem so that ``painting``, ``painted`` and ``paints`` match.
* ``split_sentences``, ``keywords`` and ``content_words``: what the offline summaries,
  episode keywords, lesson signatures and task detection read. They drop the same stop
  words, plus ``QUESTION_WORDS`` and ``CHATTER_WORDS`` (conversational filler such as
  "thanks" or "want", which says nothing about a conversation's topic but can be content
  in a stored memory, so the retriever keeps it).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import snowballstemmer

__all__ = [
    "CHATTER_WORDS",
    "QUESTION_WORDS",
    "STOP_WORDS",
    "analyze",
    "content_words",
    "is_stop_word",
    "keywords",
    "split_sentences",
    "stem",
]

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

#: Conversational filler: dropped from summaries and keywords, kept by the retriever
#: ("like" or "need" can be what a memory is about).
CHATTER_WORDS: frozenset[str] = frozenset(
    """
    actually anything go going hello know like made make many maybe much need one please
    said say says something still sure tell thank thanks think two use using want way well yes
    """.split()  # noqa: SIM905
)

_TOPIC_STOP = STOP_WORDS | QUESTION_WORDS | CHATTER_WORDS
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


def is_stop_word(word: str) -> bool:
    """Whether a lowercase word (apostrophes allowed) says nothing about a conversation's topic.

    ``don't`` is checked as ``dont``, and ``i'd`` or ``it's`` by their first part, so that
    a contraction of a stop word is one too, while ``ada's`` is not.
    """
    if "'" not in word:
        return word in _TOPIC_STOP
    return word.replace("'", "") in _TOPIC_STOP or word.split("'", 1)[0] in _TOPIC_STOP


def content_words(text: str) -> list[str]:
    """The lowercase words of three letters or more that are not stop words, in order."""
    return [w for w in re.findall(r"[a-z][a-z'-]{2,}", text.lower()) if not is_stop_word(w)]


def keywords(text: str, k: int = 5) -> list[str]:
    """The ``k`` most frequent content words of a text (lower case, no stop words)."""
    words = re.findall(r"[a-zA-Z][a-zA-Z+#'-]{2,}", text.lower())
    counts = Counter(w for w in words if not is_stop_word(w))
    return [w for w, _ in counts.most_common(k)]


def split_sentences(text: str) -> list[str]:
    """Split text into sentences (simple punctuation rule)."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p.strip() for p in parts if p.strip()]

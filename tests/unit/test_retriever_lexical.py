"""BM25 index and text analysis of the retriever."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from langmem_plugin._text import QUESTION_WORDS, analyze
from langmem_plugin.retriever._lexical import BM25Index


def test_analyze_stems_lowercases_and_drops_stop_words() -> None:
    assert analyze("She PAINTED the paintings, and is painting!") == ["paint", "paint", "paint"]


def test_analyze_joins_apostrophes_so_possessives_match_names() -> None:
    assert analyze("Caroline's") == analyze("Caroline") == ["carolin"]
    assert analyze("I'm sure it's fine") == ["sure", "fine"]


def test_analyze_keeps_numbers_and_non_ascii_letters() -> None:
    assert analyze("Zürich 2023") == ["zürich", "2023"]


def test_question_words_dropped_only_on_request() -> None:
    assert analyze("When did she move?") == ["when", "move"]
    assert analyze("When did she move?", drop=QUESTION_WORDS) == ["move"]


def _brute_force(docs: dict[str, str], query: str, k1: float = 1.2, b: float = 0.75) -> dict:
    """BM25 recomputed from scratch, the reference for the incremental index."""
    analysed = {d: analyze(t) for d, t in docs.items()}
    n = len(analysed)
    avg = sum(len(t) for t in analysed.values()) / n
    out: dict[str, float] = {}
    for term in dict.fromkeys(analyze(query)):
        df = sum(term in t for t in analysed.values())
        if not df:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for d, terms in analysed.items():
            tf = Counter(terms)[term]
            if tf:
                norm = tf + k1 * (1 - b + b * len(terms) / avg)
                out[d] = out.get(d, 0.0) + idf * tf * (k1 + 1) / norm
    return out


WORDS = "cat dog tea coffee run marathon paint sunrise beach cello Lisbon camping".split()  # noqa: SIM905


def test_incremental_updates_score_like_a_fresh_index() -> None:
    rng = random.Random(7)
    index = BM25Index()
    docs: dict[str, str] = {}
    for _ in range(400):
        doc_id = f"d{rng.randrange(30)}"
        if rng.random() < 0.3:
            index.remove(doc_id)
            docs.pop(doc_id, None)
        else:
            text = " ".join(rng.choices(WORDS, k=rng.randrange(1, 9)))
            index.add(doc_id, text)
            docs[doc_id] = text
        if docs and rng.random() < 0.2:
            query = " ".join(rng.choices(WORDS, k=3))
            got = index.scores(analyze(query))
            want = _brute_force(docs, query)
            assert got.keys() == want.keys()
            for d in want:
                assert got[d] == pytest.approx(want[d])
    assert len(index) == len(docs)
    assert set(index.ids()) == set(docs)


def test_remove_forgets_terms_and_lengths() -> None:
    index = BM25Index()
    index.add("a", "green tea")
    index.add("b", "black coffee")
    index.remove("a")
    index.remove("missing")  # unknown ids are ignored
    assert "a" not in index
    assert index.document_frequency("green") == 0
    assert index.scores(["green"]) == {}
    assert set(index.scores(["coffe"])) == {"b"}


def test_replacing_a_document_drops_its_old_terms() -> None:
    index = BM25Index()
    index.add("a", "green tea")
    index.add("a", "black coffee")
    assert len(index) == 1
    assert index.scores(analyze("tea")) == {}
    assert set(index.scores(analyze("coffee"))) == {"a"}


def test_rarer_terms_weigh_more() -> None:
    index = BM25Index()
    for i in range(10):
        index.add(i, "Alice said hello")
    index.add("x", "Alice said Lisbon")
    assert index.idf("lisbon") > index.idf("alic")
    best = max(index.scores(analyze("Alice Lisbon")).items(), key=lambda kv: kv[1])
    assert best[0] == "x"


@pytest.mark.parametrize(("k1", "b"), [(-0.1, 0.75), (1.2, 1.5), (1.2, -0.01)])
def test_bad_parameters_are_rejected_with_their_value(k1: float, b: float) -> None:
    with pytest.raises(ValueError, match=str(k1 if k1 < 0 else b)):
        BM25Index(k1=k1, b=b)

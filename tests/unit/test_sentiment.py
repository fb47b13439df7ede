"""VADER sentiment on a labelled set of everyday chat, and the session aggregate."""

from __future__ import annotations

from pathlib import Path

import pytest

from langmem_plugin._sentiment import sentiment_label, session_sentiment, turn_sentiment

SET = Path(__file__).parents[1] / "data" / "sentiment_labelled.tsv"


def labelled() -> list[tuple[str, str]]:
    rows = []
    for line in SET.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, sentence = line.split("\t")
            rows.append((label, sentence))
    return rows


def test_the_set_has_60_sentences_or_more_of_each_label() -> None:
    rows = labelled()
    counts = {
        label: sum(1 for lab, _ in rows if lab == label)
        for label in ("positive", "negative", "neutral")
    }
    assert len(rows) >= 60
    assert min(counts.values()) >= 20, counts


def test_labels_reach_085_accuracy_and_never_flip_polarity() -> None:
    # The bar: 0.85 over three classes (chance 0.36). VADER reaches 65/70 (0.929) here, and
    # the keyword tone it replaced reached 38/70 (0.543): the bar fails that regression yet
    # leaves room for a few borderline sentences if the lexicon is updated. Its misses are
    # neutral-vs-polar ones; calling a happy sentence negative (or a sad one positive) is
    # the error a mood cannot absorb, so none is allowed.
    rows = labelled()
    predicted = [(label, sentiment_label(turn_sentiment(s)), s) for label, s in rows]
    accuracy = sum(1 for label, got, _ in predicted if label == got) / len(rows)
    flips = [
        (label, got, s) for label, got, s in predicted if {label, got} == {"positive", "negative"}
    ]
    assert accuracy >= 0.85, [p for p in predicted if p[0] != p[1]]
    assert flips == []


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("not bad", "positive"),
        ("not good", "negative"),
        ("I don't hate it", "positive"),
        ("the food was good", "positive"),
        ("😢", "negative"),
        ("😍", "positive"),
        ("", "neutral"),
    ],
)
def test_negation_emoji_and_empty_text(text: str, label: str) -> None:
    assert sentiment_label(turn_sentiment(text)) == label


def test_intensifiers_capitals_and_exclamations_strengthen_the_score() -> None:
    plain = turn_sentiment("the food was good")
    assert turn_sentiment("the food was really good") > plain
    assert turn_sentiment("the food was GOOD!!") > plain
    assert turn_sentiment("I am sad") > turn_sentiment("I am extremely sad")


def test_a_session_averages_felt_turns_only_and_reports_the_spread() -> None:
    felt = session_sentiment(
        ["I feel awful today", "book a table for 7pm", "I'm so worried about tomorrow"]
    )
    both = [turn_sentiment("I feel awful today"), turn_sentiment("I'm so worried about tomorrow")]
    assert felt.turns == 2
    assert felt.sentiment == pytest.approx(sum(both) / 2, abs=1e-3)
    assert felt.spread == pytest.approx(abs(both[0] - both[1]) / 2, abs=1e-3)
    assert felt.tone == "negative"


def test_a_session_without_feeling_is_neutral_and_strong_feelings_both_ways_are_mixed() -> None:
    logistics = session_sentiment(["send the file to Maria", "what time does the pharmacy close?"])
    assert (logistics.tone, logistics.turns, logistics.sentiment) == ("neutral", 0, 0.0)
    mixed = session_sentiment(
        ["I love my new job, it's wonderful!", "but my flat is awful and I hate it"]
    )
    assert mixed.tone == "mixed"
    assert mixed.spread >= 0.45

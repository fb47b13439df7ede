"""The context metrics of benchmarks/locomo_context.py, on hand-made strings."""

from __future__ import annotations

import pytest

from benchmarks._locomo import (
    answer_in_context,
    content_words,
    evidence_in_context,
    evidence_rank,
    parse_evidence,
)

TURN = "On Sunday morning I was kayaking on Lake Tahoe"


def test_content_words_are_lowercased_alphanumeric_minus_stop_words() -> None:
    assert content_words("The Kayak, the LAKE and 3 ducks!") == {"kayak", "lake", "3", "ducks"}


def test_content_words_drop_inner_apostrophes_and_are_not_stemmed() -> None:
    assert content_words("Caroline's paintings don't sell") == {
        "carolines",
        "paintings",
        "sell",
    }


def test_hand_made_turn_has_five_content_words() -> None:
    assert content_words(TURN) == {"sunday", "morning", "kayaking", "lake", "tahoe"}


def test_turn_with_sixty_percent_of_its_words_in_context_counts() -> None:
    context = content_words("kayaking lake tahoe")  # 3 of 5
    assert evidence_in_context([TURN], context) is True


def test_turn_with_fifty_percent_of_its_words_in_context_does_not_count() -> None:
    turn = "kayak lake tahoe sunday morning sunrise"  # 6 content words
    context = content_words("kayak lake tahoe")  # 3 of 6
    assert evidence_in_context([turn], context) is False


def test_stop_words_do_not_count_towards_the_share() -> None:
    # Every stop word of the turn is in the context, but only 2 of its 5 content words.
    context = content_words("on I was on kayaking lake")
    assert evidence_in_context([TURN], context) is False


def test_one_matching_evidence_turn_is_enough() -> None:
    context = content_words("kayaking lake tahoe")
    assert evidence_in_context(["painting sunflowers canvas studio", TURN], context) is True


def test_turn_with_fewer_than_three_content_words_is_not_judged() -> None:
    short = "Yes, I did it with them!"  # no content word at all
    two = "Lovely kayak!"  # 2 content words
    assert evidence_in_context([short, two], content_words("lovely kayak")) is None
    # ... and does not make a question count next to a judged turn that is missing.
    assert evidence_in_context([two, TURN], content_words("lovely kayak")) is False


def test_answer_needs_half_of_its_content_words() -> None:
    context = content_words("[8 May 2023] Caroline: I went to the support group")
    assert answer_in_context("LGBTQ support group", context) is True  # 2 of 3
    assert answer_in_context("LGBTQ counselling group", context) is False  # 1 of 3


def test_answer_may_be_an_int_and_needs_content_words() -> None:
    context = content_words("[8 May 2023] Melanie: we have 3 kids")
    assert answer_in_context(3, context) is True
    assert answer_in_context(2022, context) is False
    assert answer_in_context("no", context) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["D8:6; D9:17"], {"D8:6", "D9:17"}),
        (["D:11:26"], {"D11:26"}),
        (["D30:05"], {"D30:5"}),
        (["D99:1"], set()),
    ],
)
def test_malformed_evidence_ids_are_normalised_or_dropped(
    raw: list[str], expected: set[str]
) -> None:
    known = {"D8:6", "D9:17", "D11:26", "D30:5"}
    assert parse_evidence(raw, known) == expected


def test_evidence_rank_is_the_first_ranked_text_holding_an_evidence_turn() -> None:
    ranked = [
        "Caroline: I painted a sunrise",
        "Melanie: kayaking on the lake at Tahoe, sunday",  # 4 of 5 words: holds TURN
        f"Melanie: {TURN}",
    ]
    assert evidence_rank(ranked, [TURN]) == 1
    assert evidence_rank(ranked[:1], [TURN]) is None

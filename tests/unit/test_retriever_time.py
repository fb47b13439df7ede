"""Time conventions of the retriever: occurred_at parsing and dates named in queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from langmem_plugin.retriever._time import parse_time, query_periods


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-05-08", datetime(2023, 5, 8, tzinfo=UTC)),
        ("2023-05-08T13:56:00", datetime(2023, 5, 8, 13, 56, tzinfo=UTC)),
        ("2023-05-08T13:56:00+02:00", datetime(2023, 5, 8, 11, 56, tzinfo=UTC)),
        ("2023-05-08T13:56:00Z", datetime(2023, 5, 8, 13, 56, tzinfo=UTC)),
        (date(2023, 5, 8), datetime(2023, 5, 8, tzinfo=UTC)),
        (
            datetime(2023, 5, 8, 1, tzinfo=timezone(timedelta(hours=3))),
            datetime(2023, 5, 7, 22, tzinfo=UTC),
        ),
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        (None, None),
    ],
)
def test_parse_time_accepts_the_documented_forms(value: object, expected: datetime) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize("bad", ["yesterday", "2023-13-01", True, [2023]])
def test_parse_time_names_the_bad_value(bad: object) -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_time(bad)


def _days(text: str) -> list[tuple[str, float]]:
    return [(p.start.date().isoformat(), p.specificity) for p in query_periods(text)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("What did she do on 8 May, 2023?", [("2023-05-08", 1.0)]),
        ("What did Nate make on 9th November, 2022?", [("2022-11-09", 1.0)]),
        ("How did she feel on October 25, 2022?", [("2022-10-25", 1.0)]),
        ("the photo shared on December 1,2023", [("2023-12-01", 1.0)]),
        ("anything from 2024-02-29?", [("2024-02-29", 1.0)]),
        ("What did Tim start learning in August 2023?", [("2023-08-01", 0.7)]),
        ("Which charity event in 2024?", [("2024-01-01", 0.4)]),
        ("Where was she in the second week of November?", [("2000-11-01", 0.3)]),
        ("What did he say?", []),
        ("May I ask what you did?", []),
    ],
)
def test_query_periods(query: str, expected: list[tuple[str, float]]) -> None:
    assert _days(query) == expected


def test_a_month_of_unknown_year_matches_that_month_of_any_year() -> None:
    (period,) = query_periods("in November")
    assert period.month_only
    assert period.contains(datetime(2019, 11, 30, tzinfo=UTC))
    assert not period.contains(datetime(2019, 12, 1, tzinfo=UTC))


def test_periods_are_half_open_with_optional_slack() -> None:
    (day,) = query_periods("on 8 May 2023")
    assert day.contains(datetime(2023, 5, 8, 23, 59, tzinfo=UTC))
    assert not day.contains(datetime(2023, 5, 9, tzinfo=UTC))
    assert day.contains(datetime(2023, 5, 9, tzinfo=UTC), slack=timedelta(days=1))


def test_an_impossible_day_falls_back_to_its_month() -> None:
    assert _days("on 31 February 2023") == [("2023-02-01", 0.7)]

"""Search filters read from a question's text (what Slack passes through) and from flags."""

from __future__ import annotations

from datetime import date

import pytest

from index.search.filters import FilterError, QueryFilters, parse_date, parse_filters


def test_tokens_are_taken_out_of_the_question():
    text, spec = parse_filters('huawei since:2024 publisher:"Financial Times" until:2024-06')
    assert text == "huawei"
    assert spec == QueryFilters(
        publishers=("Financial Times",), since=date(2024, 1, 1), until=date(2024, 6, 30)
    )
    assert spec.describe() == "publisher Financial Times, since 2024-01-01, until 2024-06-30"


def test_a_question_without_tokens_is_left_exactly_as_it_was():
    question = "is  Kaspersky allowed on GSA? (see: the list)"
    assert parse_filters(question) == (question, QueryFilters())
    assert not QueryFilters().active


def test_words_that_merely_contain_a_colon_are_not_filters():
    text, spec = parse_filters("FAR 52.204-25 note:since 2019 vendor:")
    assert not spec.active
    assert "note:since" in text


@pytest.mark.parametrize(
    "value, end, expected",
    [
        ("2024", False, date(2024, 1, 1)),
        ("2024", True, date(2024, 12, 31)),
        ("2024-02", True, date(2024, 2, 29)),
        ("2023-02-03", True, date(2023, 2, 3)),
    ],
)
def test_dates_cover_the_whole_year_or_month(value, end, expected):
    assert parse_date(value, end=end) == expected


@pytest.mark.parametrize("value", ["last week", "2024-13", "24", "2024-02-30"])
def test_a_bad_date_is_one_line_naming_the_formats(value):
    with pytest.raises(FilterError) as caught:
        parse_filters(f"huawei since:{value}" if " " not in value else f"huawei since:{value!r}")
    message = str(caught.value)
    assert "\n" not in message and "YYYY, YYYY-MM or YYYY-MM-DD" in message


def test_flags_and_tokens_combine():
    _, asked = parse_filters("zte publisher:reuters since:2020")
    merged = asked.merged(QueryFilters(publishers=("AP",), since=date(2022, 5, 1)))
    assert merged.publishers == ("reuters", "AP") and merged.since == date(2022, 5, 1)


def test_article_level_matching_is_case_insensitive_and_needs_a_date_for_dates():
    spec = QueryFilters(publishers=("reuters",), since=date(2023, 1, 1))
    assert spec.matches("Thomson Reuters", date(2023, 5, 1))
    assert not spec.matches("Thomson Reuters", date(2022, 12, 31))
    assert not spec.matches("Thomson Reuters", None)
    assert not spec.matches("AP", date(2024, 1, 1))

"""Rating maths: exact means, no drift, stars in range."""

from __future__ import annotations

import pytest

from domain.ratings import (
    MAX_COMMENT_LENGTH,
    MAX_STARS,
    MIN_STARS,
    NO_RATINGS,
    RatingSummary,
    add_rating,
    rating_from_total,
    validate_comment,
    validate_stars,
)


def test_limits() -> None:
    assert (MIN_STARS, MAX_STARS, MAX_COMMENT_LENGTH) == (1, 5, 2000)


def test_adding_ratings_keeps_the_exact_mean() -> None:
    summary = add_rating(NO_RATINGS, 5)
    assert summary == RatingSummary(average=5.0, count=1)
    summary = add_rating(summary, 4)
    assert summary == RatingSummary(average=4.5, count=2)
    summary = add_rating(summary, 4)
    assert summary == RatingSummary(average=13 / 3, count=3)


def test_many_additions_do_not_drift() -> None:
    summary = NO_RATINGS
    stars = [1, 5, 4, 3, 5, 2, 4] * 300
    for star in stars:
        summary = add_rating(summary, star)
    assert summary == RatingSummary(average=sum(stars) / len(stars), count=len(stars))


@pytest.mark.parametrize("stars", [0, 6, -1, True])
def test_stars_out_of_range_are_refused(stars: int) -> None:
    with pytest.raises(ValueError):
        add_rating(NO_RATINGS, stars)


def test_validate_stars_accepts_the_range() -> None:
    assert [validate_stars(s) for s in range(1, 6)] == [1, 2, 3, 4, 5]


def test_rating_from_total() -> None:
    assert rating_from_total(13, 3) == RatingSummary(average=13 / 3, count=3)
    assert rating_from_total(0, 0) == NO_RATINGS == RatingSummary(average=0.0, count=0)


@pytest.mark.parametrize(("total", "count"), [(1, 0), (2, 3), (16, 3), (0, -1)])
def test_impossible_totals_are_refused(total: int, count: int) -> None:
    with pytest.raises(ValueError):
        rating_from_total(total, count)


def test_comment_length() -> None:
    assert validate_comment("  great job  ") == "great job"
    assert validate_comment("x" * MAX_COMMENT_LENGTH) == "x" * MAX_COMMENT_LENGTH
    with pytest.raises(ValueError):
        validate_comment("x" * (MAX_COMMENT_LENGTH + 1))

"""Rating maths: a washer's running average, kept exact enough to never drift."""

from __future__ import annotations

import msgspec

MIN_STARS = 1
MAX_STARS = 5
MAX_COMMENT_LENGTH = 2000


class RatingSummary(msgspec.Struct, frozen=True):
    """The exact mean of ``count`` ratings (0.0 when there are none); round only to display."""

    average: float
    count: int


NO_RATINGS = RatingSummary(average=0.0, count=0)


def validate_stars(stars: int) -> int:
    """Return ``stars`` if it is a whole number of stars in range, else raise ValueError."""
    if isinstance(stars, bool) or not isinstance(stars, int):
        raise ValueError("stars must be a whole number")
    if not MIN_STARS <= stars <= MAX_STARS:
        raise ValueError(f"stars must be between {MIN_STARS} and {MAX_STARS}")
    return stars


def validate_comment(comment: str) -> str:
    """Return the comment stripped of surrounding space, or raise ValueError when too long."""
    stripped = comment.strip()
    if len(stripped) > MAX_COMMENT_LENGTH:
        raise ValueError(f"comment is longer than {MAX_COMMENT_LENGTH} characters")
    return stripped


def rating_from_total(total_stars: int, count: int) -> RatingSummary:
    """Build a summary from stored aggregates (``SUM(stars)``, ``COUNT(*)``).

    Storing the integer total rather than the float average is what keeps the mean exact.
    """
    if count < 0:
        raise ValueError("rating count cannot be negative")
    if count == 0:
        if total_stars != 0:
            raise ValueError("no ratings cannot have stars")
        return NO_RATINGS
    if not count * MIN_STARS <= total_stars <= count * MAX_STARS:
        raise ValueError("total stars out of range for this many ratings")
    return RatingSummary(average=total_stars / count, count=count)


def add_rating(summary: RatingSummary, stars: int) -> RatingSummary:
    """Fold one more rating into a summary.

    The total is recovered as ``round(average * count)`` (a mean of whole stars times its
    count is a whole number up to float error), so repeated additions do not accumulate error.
    """
    validate_stars(stars)
    total = round(summary.average * summary.count)
    return rating_from_total(total + stars, summary.count + 1)

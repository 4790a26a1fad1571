"""Reviews: one per completed order, by its customer; the washer's rating moves with it."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.principal import Principal
from app.schemas.orders import PublicReviewOut, ReviewIn, ReviewOut
from app.schemas.rows import from_row
from app.services.order_views import visible_order
from domain.errors import Conflict, not_found
from domain.orders import OrderStatus
from domain.ratings import RatingSummary, add_rating
from persistence import reviews as stored
from persistence.models import Review


def review_out(review: Review) -> ReviewOut:
    return from_row(ReviewOut, review)


def public_review_out(review: Review) -> PublicReviewOut:
    return from_row(PublicReviewOut, review)


async def create_review(
    session: AsyncSession, customer: Principal, order_id: int, data: ReviewIn
) -> Review:
    """Store the review and update the washer's aggregate in the same transaction."""
    order = await visible_order(session, customer, order_id)
    if order.customer_id != customer.id:
        raise not_found("order")
    if order.status != OrderStatus.COMPLETED.value or order.washer_id is None:
        raise Conflict("order_not_completed", "only completed orders can be reviewed")
    if await stored.order_has_review(session, order.id):
        raise Conflict("already_reviewed", "this order already has a review")
    profile = await stored.profile_for_rating(session, order.washer_id)
    review = Review(
        order_id=order.id,
        customer_id=customer.id,
        washer_id=order.washer_id,
        stars=data.stars,
        comment=data.comment,
    )
    session.add(review)
    if profile is not None:
        summary = add_rating(
            RatingSummary(profile.rating_average, profile.rating_count), data.stars
        )
        profile.rating_average, profile.rating_count = summary.average, summary.count
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("already_reviewed", "this order already has a review") from None
    return review


async def order_review(session: AsyncSession, principal: Principal, order_id: int) -> Review:
    order = await visible_order(session, principal, order_id)
    review = await stored.review_of_order(session, order.id)
    if review is None:
        raise not_found("review")
    return review


async def washer_reviews(
    session: AsyncSession, washer_id: int, limit: int, offset: int
) -> list[Review]:
    return await stored.reviews_of_washer(session, washer_id, limit=limit, offset=offset)

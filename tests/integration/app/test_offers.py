"""`app.services.offers` on PostgreSQL: offering an order to several washers writes a fixed
number of statements however many washers there are; closing its offers only marks them and
answers the notices for the caller's move to store."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services.offers import close_offers, create_offers
from domain.events import DISPATCH_OFFER, DISPATCH_OFFER_WITHDRAWN
from persistence.models import DispatchOffer, Notification, Order, OutboxEvent, User
from tests.integration.persistence.conftest import NOW, Rows
from tests.support.statements import counted_statements, tables_written


async def _order_and_washers(session: AsyncSession) -> tuple[Order, list[User]]:
    rows = Rows(session)
    customer = await rows.user()
    washers = [await rows.washer() for _ in range(3)]
    order = await rows.order(customer)
    await session.commit()
    return order, washers


async def test_an_order_offered_to_three_washers_is_three_statements(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        order, washers = await _order_and_washers(session)
        targets = [(w.id, 100.0 * (i + 1)) for i, w in enumerate(washers)]
        with counted_statements(session) as sent:
            offers = await create_offers(session, order, targets, NOW)
        await session.commit()

        assert tables_written(sent) == ["dispatch_offer", "notification", "outbox_event"], sent
        assert [(o.washer_id, o.distance_m) for o in offers] == targets
        notes = list(await session.scalars(select(Notification).order_by(Notification.id)))
        assert [(n.user_id, n.kind) for n in notes] == [(w.id, DISPATCH_OFFER) for w in washers]
        # Each washer is told of their own offer.
        assert [n.payload["offer_id"] for n in notes] == [o.id for o in offers]
        outbox = list(await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
        assert [(o.aggregate_id, o.seq) for o in outbox] == [(n.user_id, n.id) for n in notes]


async def test_closing_the_offers_answers_a_notice_for_every_loser(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        order, washers = await _order_and_washers(session)
        await create_offers(session, order, [(w.id, 100.0) for w in washers], NOW)
        await session.commit()
        winner, *losers = washers

        with counted_statements(session) as sent:
            notices = await close_offers(session, order, NOW, winner_id=winner.id)
            await session.commit()

        # The caller stores the notices with its move's own; closing only marks the offers.
        assert tables_written(sent) == ["dispatch_offer"], sent
        offers = await session.scalars(select(DispatchOffer).order_by(DispatchOffer.washer_id))
        assert {o.washer_id: o.status for o in offers} == {
            winner.id: "accepted",
            **{w.id: "withdrawn" for w in losers},
        }
        assert sorted((n.user_id, n.kind, n.payload["status"]) for n in notices) == sorted(
            (w.id, DISPATCH_OFFER_WITHDRAWN, "withdrawn") for w in losers
        )


async def test_closing_an_order_with_no_open_offer_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        order, washers = await _order_and_washers(session)
        with counted_statements(session) as sent:
            notices = await close_offers(session, order, NOW, winner_id=washers[0].id)
            await session.commit()

        assert (notices, tables_written(sent)) == ([], []), sent
        assert list(await session.scalars(select(OutboxEvent))) == []

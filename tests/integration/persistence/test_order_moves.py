"""`persistence.order_moves` on both back-ends: a move's read and its one versioned write."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders import OrderStatus
from persistence.models import Order
from persistence.order_moves import OrderChange, order_for_move, write_move
from tests.integration.persistence.conftest import NOW, Rows
from tests.support.database import emptied_postgres, wait_until_blocked_on_a_lock

LATER = NOW + timedelta(minutes=5)


async def test_the_read_has_the_answer_and_the_facts(session: AsyncSession, rows: Rows) -> None:
    customer, washer = await rows.user(), await rows.washer()
    order = await rows.order(customer, status=OrderStatus.ASSIGNED, washer=washer)
    order.assigned_at = NOW
    await session.commit()

    row = await order_for_move(session, order.id)

    assert row is not None
    assert (row.id, row.status, row.washer_id) == (order.id, "assigned", washer.id)
    assert (row.version, row.assigned_at, row.arrived_at) == (order.version, NOW, None)
    assert await order_for_move(session, order.id + 1000) is None


async def test_the_write_steps_the_version_once_and_returns_the_new_row(
    session: AsyncSession, rows: Rows
) -> None:
    customer, washer = await rows.user(), await rows.washer()
    order = await rows.order(customer, status=OrderStatus.EN_ROUTE, washer=washer)
    await session.commit()
    seen = await order_for_move(session, order.id)
    assert seen is not None
    change = OrderChange(
        status="arrived",
        washer_id=washer.id,
        arrived_at=LATER,
        assigned_at=None,
        last_event_seq=seen.last_event_seq + 1,
    )

    moved = await write_move(session, seen, change, LATER)
    await session.commit()

    assert moved is not None
    assert (moved.status, moved.arrived_at, moved.updated_at) == ("arrived", LATER, LATER)
    assert (moved.version, moved.last_event_seq) == (seen.version + 1, seen.last_event_seq + 1)
    stored = await session.get(Order, order.id, populate_existing=True)
    assert stored is not None
    assert (stored.status, stored.version) == ("arrived", seen.version + 1)


async def test_a_write_from_a_stale_read_writes_nothing(session: AsyncSession, rows: Rows) -> None:
    customer, washer = await rows.user(), await rows.washer()
    order = await rows.order(customer, status=OrderStatus.EN_ROUTE, washer=washer)
    await session.commit()
    stale = await order_for_move(session, order.id)
    assert stale is not None
    change = OrderChange("arrived", washer.id, LATER, None, stale.last_event_seq + 1)
    first = await write_move(session, stale, change, LATER)
    assert first is not None

    assert await write_move(session, stale, change, LATER) is None  # the version moved on
    await session.commit()
    stored = await session.get(Order, order.id, populate_existing=True)
    assert stored is not None and stored.version == stale.version + 1


async def test_a_concurrent_move_waits_for_the_first_then_finds_the_version_moved(
    migrated_postgres_url: str,
) -> None:
    """PostgreSQL: the write locks the row until the commit, so a second move read before
    the first committed waits, then writes nothing."""
    async with emptied_postgres(migrated_postgres_url) as sessions:
        async with sessions() as setup:
            rows = Rows(setup)
            customer, washer = await rows.user(), await rows.washer()
            order = await rows.order(customer, status=OrderStatus.EN_ROUTE, washer=washer)
            await setup.commit()
        async with sessions() as first, sessions() as second, sessions() as watcher:
            seen_first = await order_for_move(first, order.id)
            seen_second = await order_for_move(second, order.id)
            assert seen_first is not None and seen_second is not None
            change = OrderChange("arrived", washer.id, LATER, None, seen_first.last_event_seq + 1)
            assert await write_move(first, seen_first, change, LATER) is not None

            waiting = asyncio.create_task(write_move(second, seen_second, change, LATER))
            blocked = await wait_until_blocked_on_a_lock(watcher, waiting)
            assert blocked == 1 and not waiting.done()
            await first.commit()

            assert await asyncio.wait_for(waiting, 10) is None
            await second.commit()
        async with sessions() as check:
            stored = await check.get(Order, order.id)
            assert stored is not None and stored.version == seen_first.version + 1

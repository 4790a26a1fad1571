"""Two senders of one order's chat on PostgreSQL: the access read that queues on the order's
row (`persistence.chat.order_facts_row(..., queue=True)`) makes the second wait until the
first commits, so each INSERT numbers its message after the other's."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders import OrderStatus
from persistence import chat
from tests.integration.persistence.conftest import NOW, Rows
from tests.support.database import emptied_postgres, wait_until_blocked_on_a_lock


async def test_a_second_sender_waits_for_the_first_then_takes_the_next_number(
    migrated_postgres_url: str,
) -> None:
    async with emptied_postgres(migrated_postgres_url) as sessions:
        async with sessions() as setup:
            rows = Rows(setup)
            customer, washer = await rows.user(), await rows.washer()
            order = await rows.order(customer, status=OrderStatus.ASSIGNED, washer=washer)
            await setup.commit()

        async def send(session: AsyncSession, sender: int, body: str) -> int:
            facts = await chat.order_facts_row(session, order.id, queue=True)
            assert facts is not None and facts.customer_id == customer.id
            message = await chat.insert_next_message(
                session,
                order_id=order.id,
                sender_id=sender,
                sender_role="customer",
                body=body,
                sent_at=NOW,
            )
            return int(message.seq)

        async with sessions() as first, sessions() as second, sessions() as watcher:
            assert await send(first, customer.id, "first") == 1
            waiting = asyncio.create_task(send(second, washer.id, "second"))
            assert await wait_until_blocked_on_a_lock(watcher, waiting) == 1
            assert not waiting.done()
            await first.commit()

            assert await asyncio.wait_for(waiting, 10) == 2
            await second.commit()
        async with sessions() as check:
            page = await chat.messages_page(check, order.id, before=None, after=None, limit=5)
            assert [(m.seq, m.body) for m in page] == [(2, "second"), (1, "first")]

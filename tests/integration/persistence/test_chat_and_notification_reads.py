"""The chat history's and the notification list's reads, on both back-ends: each page is
one Core statement per shape of cursor, and the chat's head (the order's access facts and
every read receipt) is one more."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders import OrderStatus
from persistence import chat, notifications
from persistence.models import ChatRead, Notification
from tests.integration.persistence.conftest import NOW, Rows
from tests.support.statements import counted_statements


async def _chat_of_three(session: AsyncSession, rows: Rows) -> tuple[int, int, int]:
    """An assigned order with three messages; (order id, customer id, washer id)."""
    customer, washer = await rows.user(), await rows.washer()
    order = await rows.order(customer, status=OrderStatus.ASSIGNED, washer=washer)
    for n in range(3):
        await chat.insert_next_message(
            session,
            order_id=order.id,
            sender_id=customer.id,
            sender_role="customer",
            body=f"message {n + 1}",
            sent_at=NOW + timedelta(seconds=n),
        )
    return order.id, customer.id, washer.id


async def test_the_chat_head_is_the_orders_facts_and_every_receipt_in_one_statement(
    session: AsyncSession, rows: Rows
) -> None:
    order_id, customer_id, washer_id = await _chat_of_three(session, rows)
    for user_id, seq in ((washer_id, 2), (customer_id, 3)):
        session.add(ChatRead(order_id=order_id, user_id=user_id, last_read_seq=seq, read_at=NOW))
    await session.commit()

    with counted_statements(session) as sent:
        head = await chat.chat_head(session, order_id)

    assert len(sent) == 1, sent
    assert head is not None
    assert (head.order.id, head.order.customer_id, head.order.washer_id) == (
        order_id,
        customer_id,
        washer_id,
    )
    assert head.order.status == OrderStatus.ASSIGNED
    ordered = sorted([(customer_id, 3), (washer_id, 2)])
    assert [(r.user_id, r.last_read_seq) for r in head.receipts] == ordered
    assert all(r.read_at == NOW for r in head.receipts)


async def test_a_chat_nobody_has_read_has_no_receipts_and_an_unknown_order_no_head(
    session: AsyncSession, rows: Rows
) -> None:
    order_id, _, _ = await _chat_of_three(session, rows)
    await session.commit()

    head = await chat.chat_head(session, order_id)
    assert head is not None and head.receipts == []
    assert await chat.chat_head(session, order_id + 1_000) is None


async def test_each_shape_of_history_page_is_one_statement(
    session: AsyncSession, rows: Rows
) -> None:
    order_id, _, _ = await _chat_of_three(session, rows)
    await session.commit()

    with counted_statements(session) as sent:
        newest = await chat.messages_page(session, order_id, before=None, after=None, limit=2)
        older = await chat.messages_page(session, order_id, before=3, after=None, limit=5)
        later = await chat.messages_page(session, order_id, before=None, after=1, limit=1)

    assert len(sent) == 3, sent
    assert [(m.seq, m.body) for m in newest] == [(3, "message 3"), (2, "message 2")]
    assert [m.seq for m in older] == [2, 1]
    assert [m.seq for m in later] == [2]
    assert newest[0].sent_at == NOW + timedelta(seconds=2)


async def test_each_shape_of_notification_page_is_one_statement(
    session: AsyncSession, rows: Rows
) -> None:
    user, other = await rows.user(), await rows.user()
    for n, owner in enumerate((user, user, other, user)):
        read_at = NOW if n == 0 else None
        session.add(
            Notification(
                user_id=owner.id, kind="k", payload={"n": n}, created_at=NOW, read_at=read_at
            )
        )
    await session.commit()

    with counted_statements(session) as sent:
        every = await notifications.notifications_page(
            session, user.id, unread_only=False, before=None, limit=10
        )
        unread = await notifications.notifications_page(
            session, user.id, unread_only=True, before=None, limit=10
        )
        older = await notifications.notifications_page(
            session, user.id, unread_only=False, before=every[0].id, limit=1
        )

    assert len(sent) == 3, sent
    assert [n.payload for n in every] == [{"n": 3}, {"n": 1}, {"n": 0}]
    assert [n.payload["n"] for n in unread] == [3, 1]
    assert [n.payload["n"] for n in older] == [1]
    assert every[-1].read_at == NOW and every[0].read_at is None

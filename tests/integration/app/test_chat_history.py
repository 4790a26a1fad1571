"""`app.services.chat.list_messages`: a history page is two statements, and a caller who
may not see the chat is refused after the first, before any message is read."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.principal import Principal
from app.services.chat import list_messages
from domain.errors import NotFound
from domain.orders import OrderStatus
from domain.roles import Role
from persistence import chat
from persistence.models import ChatRead
from tests.integration.persistence.conftest import NOW, Rows
from tests.support.statements import counted_statements


def _principal(user_id: int, role: Role) -> Principal:
    return Principal(id=user_id, role=role, email=f"{user_id}@example.test", expires_at=0.0)


async def _assigned_chat(session: AsyncSession) -> tuple[int, int, int, int]:
    """(order id, its customer, its washer, a stranger): two messages, the washer read one."""
    rows = Rows(session)
    customer, washer, stranger = await rows.user(), await rows.washer(), await rows.user()
    order = await rows.order(customer, status=OrderStatus.ASSIGNED, washer=washer)
    for body in ("hello", "on my way?"):
        await chat.insert_next_message(
            session,
            order_id=order.id,
            sender_id=customer.id,
            sender_role="customer",
            body=body,
            sent_at=NOW,
        )
    session.add(ChatRead(order_id=order.id, user_id=washer.id, last_read_seq=1, read_at=NOW))
    await session.commit()
    return order.id, customer.id, washer.id, stranger.id


async def test_a_page_of_history_is_two_statements(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        order_id, customer_id, washer_id, _ = await _assigned_chat(session)
        with counted_statements(session) as sent:
            messages, receipts = await list_messages(
                session,
                _principal(customer_id, Role.CUSTOMER),
                order_id,
                before=None,
                after=None,
                limit=50,
            )

    assert len(sent) == 2, sent
    assert [m.body for m in messages] == ["on my way?", "hello"]
    assert [(r.user_id, r.last_read_seq) for r in receipts] == [(washer_id, 1)]


async def test_a_stranger_is_refused_before_any_message_is_read(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        order_id, _, _, stranger_id = await _assigned_chat(session)
        stranger = _principal(stranger_id, Role.CUSTOMER)
        with counted_statements(session) as sent, pytest.raises(NotFound):
            await list_messages(session, stranger, order_id, before=None, after=None, limit=50)
        with pytest.raises(NotFound):
            await list_messages(session, stranger, order_id + 99, before=None, after=None, limit=5)

    assert len(sent) == 1, sent
    assert "chat_message" not in sent[0]

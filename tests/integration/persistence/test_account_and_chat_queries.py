"""Refresh-token, chat, retention and erasure statements, on both back-ends: the
conditional UPDATEs answer exactly what they changed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.erasure import ERASED_PLATE, ERASED_TEXT
from domain.retention import EXPIRED_CHAT_BODY, RetainedKind
from persistence import chat, sessions
from persistence.models import ChatMessage, EndedAccess, RefreshToken, Vehicle
from persistence.privacy import scrub_personal_rows
from persistence.retention import purge_oldest
from tests.integration.persistence.conftest import NOW, Rows


async def _token(
    session: AsyncSession, user_id: int, family: str, name: str, *, days: int = 1
) -> None:
    session.add(
        RefreshToken(
            user_id=user_id,
            token_hash=name,
            family_id=family,
            expires_at=NOW + timedelta(days=days),
        )
    )
    await session.flush()


async def test_a_token_is_claimed_once_and_revocations_name_their_families(
    session: AsyncSession, rows: Rows
) -> None:
    user = await rows.user()
    await _token(session, user.id, "f1", "a")
    await _token(session, user.id, "f1", "b")
    await _token(session, user.id, "f2", "c")
    await _token(session, user.id, "f3", "d", days=-1)  # expired, never revoked

    assert await sessions.claim_live_token(session, "a", NOW) == (user.id, "f1")
    assert await sessions.claim_live_token(session, "a", NOW) is None
    assert await sessions.claim_live_token(session, "d", NOW) is None
    state = await sessions.token_state(session, "a")
    assert state is not None and state.revoked_at is not None
    assert set((await sessions.family_starts(session, user.id, {"f1", "f2"})).keys()) == {
        "f1",
        "f2",
    }
    assert {t.token_hash for t in await sessions.live_tokens(session, user.id, NOW)} == {"b", "c"}

    revoked = "session_revoked"
    live = await sessions.revoke_tokens(
        session, user.id, NOW, reason=revoked, keep="f2", unexpired_only=True
    )
    assert live == ["f1"]
    assert {t.token_hash for t in await sessions.live_tokens(session, user.id, NOW)} == {"c"}
    assert await sessions.revoke_tokens(session, user.id, NOW, reason=revoked) == ["f2", "f3"]
    assert await sessions.revoke_tokens(session, user.id, NOW, reason=revoked) == []
    assert await sessions.live_tokens(session, user.id, NOW) == []
    ended = select(EndedAccess.family_id, EndedAccess.reason, EndedAccess.ended_at)
    assert (await session.execute(ended.order_by(EndedAccess.id))).tuples().all() == [
        ("f1", revoked, NOW),
        ("f2", revoked, NOW),
        ("f3", revoked, NOW),
    ]


async def test_messages_are_numbered_per_order_by_the_insert(
    session: AsyncSession, rows: Rows
) -> None:
    customer = await rows.user()
    first, second = await rows.order(customer), await rows.order(customer)
    for order_id in (first.id, first.id, second.id, first.id):
        assert await chat.order_facts_row(session, order_id, queue=True) is not None
        await chat.insert_next_message(
            session,
            order_id=order_id,
            sender_id=customer.id,
            sender_role="customer",
            body=f"to {order_id}",
            sent_at=NOW,
        )
    assert await chat.last_seq(session, first.id) == 3
    assert await chat.last_seq(session, second.id) == 1
    newest = await chat.messages_page(session, first.id, before=None, after=None, limit=2)
    assert [m.seq for m in newest] == [3, 2]
    older = await chat.messages_page(session, first.id, before=2, after=None, limit=5)
    assert [m.seq for m in older] == [1]
    later = await chat.messages_page(session, first.id, before=None, after=1, limit=5)
    assert [m.seq for m in later] == [2, 3]
    assert await chat.read_receipt(session, first.id, customer.id) is None
    await session.commit()

    session.add(
        ChatMessage(
            order_id=second.id,
            seq=1,
            sender_id=customer.id,
            sender_role="customer",
            body="a clash",
            sent_at=NOW,
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
    else:  # pragma: no cover - the unique key is what makes the sender retry
        raise AssertionError("two messages of one order took the same number")


async def test_retention_purges_a_bounded_batch_and_keeps_chat_rows(
    session: AsyncSession, rows: Rows
) -> None:
    customer = await rows.user()
    order = await rows.order(customer)
    for seq in range(1, 4):
        session.add(
            ChatMessage(
                order_id=order.id,
                seq=seq,
                sender_id=customer.id,
                sender_role="customer",
                body="hello",
                sent_at=NOW - timedelta(days=seq),
            )
        )
    await session.flush()
    cutoff = NOW - timedelta(hours=36)  # messages 2 and 3 are older
    assert await purge_oldest(session, RetainedKind.CHAT_BODIES, cutoff, 1) == 1
    assert await purge_oldest(session, RetainedKind.CHAT_BODIES, cutoff, 5) == 1
    assert await purge_oldest(session, RetainedKind.CHAT_BODIES, cutoff, 5) == 0
    bodies = await session.execute(
        select(ChatMessage.seq, ChatMessage.body)
        .where(ChatMessage.order_id == order.id)
        .order_by(ChatMessage.seq)
    )
    assert list(bodies.tuples()) == [(1, "hello"), (2, EXPIRED_CHAT_BODY), (3, EXPIRED_CHAT_BODY)]


async def test_scrubbing_a_person_leaves_others_alone(session: AsyncSession, rows: Rows) -> None:
    gone, kept = await rows.user(), await rows.user()
    order = await rows.order(gone)
    await rows.vehicle(kept)
    await _token(session, gone.id, "g", "g1")
    await _token(session, kept.id, "k", "k1")
    session.add(
        ChatMessage(
            order_id=order.id,
            seq=1,
            sender_id=gone.id,
            sender_role="customer",
            body="my address",
            sent_at=NOW,
        )
    )
    await session.flush()
    await scrub_personal_rows(session, gone.id)
    found = await session.execute(select(Vehicle.owner_id, Vehicle.plate))
    plates = {owner: plate for owner, plate in found.tuples()}
    assert plates[gone.id] == ERASED_PLATE and plates[kept.id] != ERASED_PLATE
    assert await session.scalar(select(ChatMessage.body)) == ERASED_TEXT
    owners = set(await session.scalars(select(RefreshToken.user_id)))
    assert owners == {kept.id}

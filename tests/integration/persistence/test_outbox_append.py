"""`persistence.outbox.append` is the one builder of outbox rows: every event it adds
carries the committing span's trace context and wakes the relay after the commit, and the
audit trail's live entry is the stored row's own fields."""

from __future__ import annotations

import msgspec
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.event_data import AuditEntryData
from domain.events import AUDIT_ENTRY
from persistence.audit import AuditOrigin, add_audit_event
from persistence.models import AuditEvent, OutboxEvent
from persistence.notifications import Notice, notify_all
from persistence.outbox import OUTBOX, add_commit_waker, append, remove_commit_waker
from realtime.tracing import current_traceparent
from tests.integration.persistence.conftest import NOW, Rows


async def test_an_event_added_inside_a_span_keeps_its_traceparent(session: AsyncSession) -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request"):
        expected = current_traceparent()
        append(
            session,
            topic="order",
            aggregate_id=7,
            seq=1,
            event_type="order.status",
            payload={"a": 1},
            created_at=NOW,
        )
    append(
        session,
        topic="order",
        aggregate_id=7,
        seq=2,
        event_type="order.status",
        payload={"a": 2},
        created_at=NOW,
    )
    await session.commit()
    stored = list(await session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)))
    assert expected is not None
    assert [row.trace_context for row in stored] == [expected, None]
    assert [(row.aggregate_id, row.seq, row.payload) for row in stored] == [
        (7, 1, {"a": 1}),
        (7, 2, {"a": 2}),
    ]
    assert all(row.published_at is None and row.created_at == NOW for row in stored)


async def test_the_relay_is_woken_by_the_commit_and_not_before(
    session: AsyncSession, rows: Rows
) -> None:
    woken: list[int] = []

    def waker() -> None:
        woken.append(1)

    add_commit_waker(waker, OUTBOX)
    try:
        user = await rows.user()
        await notify_all(session, [Notice(user.id, "notification", {"x": 1})], NOW)
        assert woken == []
        await session.commit()
        assert woken == [1]
        await session.commit()  # a later commit with no new event wakes nobody
        assert woken == [1]
    finally:
        remove_commit_waker(waker, OUTBOX)


async def test_the_live_audit_entry_is_the_stored_row(session: AsyncSession) -> None:
    add_audit_event(
        session,
        action="package.updated",
        now=NOW,
        origin=AuditOrigin(request_id="req-1", address="10.0.0.9"),
        actor_id=3,
        actor_role="admin",
        target_type="package",
        target_id=5,
        before={"base_price_cents": 1000},
        after={"base_price_cents": 1200},
        detail={"why": "season"},
    )
    await session.commit()
    stored = await session.scalar(select(AuditEvent))
    event = await session.scalar(select(OutboxEvent).where(OutboxEvent.topic == "audit"))
    assert stored is not None and event is not None
    assert event.event_type == AUDIT_ENTRY
    live = msgspec.convert(event.payload, AuditEntryData)
    for field in AuditEntryData.__struct_fields__:
        if field != "occurred_at":
            assert getattr(live, field) == getattr(stored, field), field
    assert stored.occurred_at == NOW
    assert live.occurred_at == str(msgspec.to_builtins(NOW))
    assert (stored.request_id, stored.address, stored.detail) == (
        "req-1",
        "10.0.0.9",
        {"why": "season"},
    )

"""The location pipeline's active-job cache, on both back-ends: cold washers that send their
first fixes together are answered by one query, and each gets its own order."""

from __future__ import annotations

import asyncio
from typing import Any

from app.settings import Settings
from app.workers.location_adapters import CachedActiveJobs
from domain.orders import OrderStatus
from persistence.database import create_engine, create_session_factory
from tests.integration.api.conftest import Advance, MakeOrder
from tests.support.api import ApiUser


async def test_misses_that_arrive_together_share_one_query(
    settings: Settings,
    make_order: MakeOrder,
    advance: Advance,
    customer_a: ApiUser,
    customer_b: ApiUser,
    washer: ApiUser,
    other_washer: ApiUser,
) -> None:
    first: dict[str, Any] = await make_order(customer_a)
    second: dict[str, Any] = await make_order(customer_b)
    await advance(first["id"], washer, "en_route")
    await advance(second["id"], other_washer, "assigned")
    engine = create_engine(settings.database_url)
    try:
        jobs = CachedActiveJobs(create_session_factory(engine))
        found = await asyncio.gather(
            jobs.current(washer.id),
            jobs.current(other_washer.id),
            jobs.current(customer_a.id),  # nobody's washer: no job
            jobs.current(washer.id),  # asked twice at once: answered once
        )
        assert jobs.queries == 1
        mine, theirs, nobody, again = found
        assert mine is not None and mine.order_id == first["id"]
        assert mine.status is OrderStatus.EN_ROUTE
        assert theirs is not None and theirs.order_id == second["id"]
        assert theirs.status is OrderStatus.ASSIGNED
        assert nobody is None
        assert again == mine

        assert await jobs.current(other_washer.id) == theirs
        assert jobs.queries == 1  # served from the cache
        jobs.forget(other_washer.id)
        assert await jobs.current(other_washer.id) == theirs
        assert jobs.queries == 2
    finally:
        await engine.dispose()

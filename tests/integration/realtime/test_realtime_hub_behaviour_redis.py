"""The hub behaviour tests of tests/unit/realtime, run again on RedisBroker and real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from realtime.broker import Broker
from realtime.redis_broker import RedisBroker
from tests.unit.realtime.realtime_helpers import BrokerFactory
from tests.unit.realtime.test_realtime_hub_behaviour import (  # noqa: F401 - collected here too
    fallback,
    test_database_channel_falls_back_instead_of_reset,
    test_database_channel_served_from_history_when_covered,
    test_ephemeral_events_go_live_only_and_move_no_position,
    test_events_published_while_history_is_read_are_not_lost,
    test_ids_are_monotonic_and_epoch_tagged,
    test_late_out_of_order_offset_never_leaves_a_silent_hole,
    test_live_events_reach_every_subscriber_as_the_same_bytes,
    test_lossy_channel_resumes_with_latest_instead_of_reset,
    test_offset_is_required_exactly_for_database_channels,
    test_other_epoch_gets_reset,
    test_republished_offset_neither_duplicates_history_nor_delivery,
    test_resume_has_no_holes_and_no_duplicates,
    test_subscribe_without_since_starts_from_now,
    test_too_old_since_gets_reset_then_live,
    test_unsubscribe_stops_delivery,
    test_up_to_date_since_needs_nothing,
)

pytestmark = pytest.mark.redis


@pytest.fixture
async def broker_factory(clean_redis_url: str, redis_prefix: str) -> AsyncIterator[BrokerFactory]:
    made: list[Broker] = []

    async def make(**options: Any) -> Broker:
        broker = RedisBroker(clean_redis_url, prefix=redis_prefix, **options)
        made.append(broker)
        return broker

    yield make
    for broker in made:
        await broker.close()

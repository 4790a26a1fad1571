"""Fixtures of the realtime unit tests: an in-process hub, and for the live-session tests the
facts the database would hold and the process's session registry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from domain.orders import OrderStatus
from realtime.hub import Hub
from realtime.memory_broker import MemoryBroker
from realtime.sessions import LiveSessions
from tests.unit.realtime.session_helpers import ORDER, OrderBook, facts


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    hub = Hub(MemoryBroker())
    await hub.start()
    yield hub
    await hub.close()


@pytest.fixture
def book() -> OrderBook:
    book = OrderBook()
    book.orders[ORDER] = facts(OrderStatus.ASSIGNED)
    return book


@pytest.fixture
async def sessions() -> AsyncIterator[LiveSessions]:
    sessions = LiveSessions()
    sessions.start()
    yield sessions
    await sessions.stop()

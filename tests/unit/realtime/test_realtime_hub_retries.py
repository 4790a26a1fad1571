"""The hub resumes a subscription on its own when listening fails while the broker's link
stays up: no reconnect will come to do it (a subscribe confirmed too late on a busy process)."""

from __future__ import annotations

from realtime.broker import BrokerUnavailable, Listener
from realtime.hub import Hub
from realtime.memory_broker import MemoryBroker
from realtime.subscriber import Subscriber
from tests.unit.realtime.realtime_helpers import offsets, publish_many, take_until

USER = "user:7"


class ListenFailsFirst(MemoryBroker):
    """The first `failures` listens fail while the broker stays up: a pub/sub subscribe
    whose confirmation timed out on a link that did not drop."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def listen(self, channel: str, listener: Listener) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise BrokerUnavailable("subscribe not confirmed in time")
        await super().listen(channel, listener)


async def test_a_failed_listen_is_retried_while_the_broker_stays_up() -> None:
    broker = ListenFailsFirst(failures=2)
    hub = Hub(broker, history_page=4)
    await hub.start()
    published = await publish_many(hub.publish, USER, 3)
    subscriber = Subscriber()
    await hub.subscribe(subscriber, USER, since=published[0].id)  # listening fails twice
    await publish_many(hub.publish, USER, 2)  # nobody listens yet: history only
    await hub.publish(USER, "marker", {})
    items = await take_until(subscriber, "marker", within=15.0)
    assert offsets(items) == [2, 3, 4, 5, 6]
    assert broker.failures == 0
    await hub.publish(USER, "live", {})  # and the subscription is live from then on
    assert offsets(await take_until(subscriber, "live", within=5.0)) == [7]
    await hub.close()

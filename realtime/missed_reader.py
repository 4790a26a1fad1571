"""Reading what a subscription missed, for the hub's gapless subscribe and resume.

Kept apart from :mod:`realtime.hub` because it is the one part of catch-up that talks to
history: the broker's retained events page by page, the database for database-backed
channels whose history was lost, or a reset when neither covers the gap. The hub decides
when to catch up (and retries); this module only reads and queues.
"""

from __future__ import annotations

from realtime import metrics
from realtime.broker import Broker, HistoryPage
from realtime.envelope import parse_id
from realtime.subscription import HistoryFallback, Subscription


class MissedReader:
    """Reads history for one hub: ``page`` bounds each history or database read."""

    def __init__(self, broker: Broker, fallback: HistoryFallback | None, page: int) -> None:
        self._broker = broker
        self._fallback = fallback
        self._page = page

    async def read(self, subscription: Subscription) -> None:
        """Queue what ``subscription`` missed after ``last``: the history (or the database)
        page by page, or a reset where events were lost; with no ``last``, only mark where
        the stream starts now."""
        channel, limit = subscription.channel, self._page
        if subscription.last is None:
            now = await self._broker.history(channel, None, 0)
            subscription.last = parse_id(now.top) if now.top else None
            if now.top:
                subscription.subscriber.start_at(channel, now.top)
            elif subscription.database_backed:
                subscription.subscriber.start_at(channel, "0")  # nothing held: from the start
            return
        since = subscription.last
        page = await self._read_history(subscription)
        if page is None or not subscription.wants_more:
            return
        if subscription.lossy:
            for envelope in page.events:
                await subscription.emit_caught_up(envelope)
            return
        if subscription.database_backed and self._fallback is not None and since.epoch == "":
            metrics.FALLBACK_READS.inc()
            while subscription.wants_more:
                assert subscription.last is not None
                events = await self._fallback.events_after(channel, subscription.last.offset, limit)
                for envelope in events:
                    await subscription.emit_caught_up(envelope)
                if len(events) < limit:
                    return
            return
        # The reset points just before the oldest retained event, and what follows it is
        # read at once: after a Redis restart the new epoch may already hold events (an
        # order that moved as Redis came back) whose live copy this process never heard.
        await subscription.emit_reset(parse_id(page.floor) if page.floor else None)
        if page.floor is None or page.floor == page.top:
            return
        again = await self._read_history(subscription)
        if again is not None and subscription.wants_more:
            # The history was recreated again between the two reads (another restart).
            await subscription.emit_reset(parse_id(again.top) if again.top else None)

    async def _read_history(self, subscription: Subscription) -> HistoryPage | None:
        """Queue the history after ``last`` page by page; the first page that is not
        covered (events were lost), or ``None`` once everything was queued."""
        while subscription.wants_more:
            assert subscription.last is not None
            read = await self._broker.history(
                subscription.channel, str(subscription.last), self._page
            )
            if not read.covered:
                return read
            for envelope in read.events:
                await subscription.emit_caught_up(envelope)
            if len(read.events) < self._page:
                return None
        return None

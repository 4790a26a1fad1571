"""The delivery probe: proof, every few seconds, that events still cross the live path.

Each process publishes a small probe on the private channel `PROBE_CHANNEL` through the
same broker and reader that carry order events, and every process (itself included) times
its arrival. A missing sequence number is a lost delivery, counted at once; silence shows as
the age of the last arrival. Customers never have to tell us that events stopped.

Latency between two pods is measured with their wall clocks, so it includes their clock
offset; a process's own probe measures its round trip through Redis without any offset.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from typing import Any

from app.metrics import (
    PROBE_LAST_RECEIVED,
    PROBE_LATENCY,
    PROBE_LOST,
    PROBE_RECEIVED,
    PROBE_SENT,
)
from realtime.broker import Broker, BrokerUnavailable
from realtime.channel_traits import PROBE_CHANNEL
from realtime.envelope import Envelope

log = logging.getLogger(__name__)
PROBE_EVENT = "probe"
FORGET_AFTER_INTERVALS = 20
"""A sender silent this many intervals is forgotten (its pod is gone): no unbounded map."""


class ProbeGaps:
    """What arrived from which sender: counts lost probes from gaps in each sequence.

    Pure bookkeeping (no I/O) so the rule is one place: a first probe from a sender starts
    its sequence; a repeat or an older one is ignored; a jump of k counts k - 1 lost.
    """

    def __init__(self) -> None:
        self._last: dict[str, tuple[int, float]] = {}

    def arrived(self, origin: str, seq: int, now: float) -> int:
        """Record ``seq`` from ``origin``; returns how many probes before it were lost."""
        last = self._last.get(origin)
        if last is not None and seq <= last[0]:
            return 0
        self._last[origin] = (seq, now)
        return 0 if last is None else seq - last[0] - 1

    def forget_older_than(self, moment: float) -> None:
        for origin in [o for o, (_, seen) in self._last.items() if seen < moment]:
            del self._last[origin]


class DeliveryProbe:
    """One per process: `send` publishes the next probe (`app.workers.heartbeat` calls it
    every ``interval`` seconds); `on_probe` times every probe that arrives."""

    def __init__(self, broker: Broker, interval: float) -> None:
        self.broker = broker
        self._interval = interval
        self.origin = uuid.uuid4().hex[:12]
        self._seq = 0
        self._gaps = ProbeGaps()
        self.received = 0
        self.lost = 0

    async def start(self) -> None:
        PROBE_LAST_RECEIVED.set(time.time())
        with contextlib.suppress(BrokerUnavailable):  # active once the broker is back
            await self.broker.listen(PROBE_CHANNEL, self.on_probe)

    async def stop(self) -> None:
        with contextlib.suppress(BrokerUnavailable):
            await self.broker.unlisten(PROBE_CHANNEL, self.on_probe)

    async def send(self) -> None:
        """Publish the next probe. A probe that cannot be published (Redis down) still uses
        its number: receivers count it lost, which is what it was."""
        self._seq += 1
        data: dict[str, Any] = {"origin": self.origin, "seq": self._seq, "sent": time.time()}
        try:
            await self.broker.publish_ephemeral(PROBE_CHANNEL, PROBE_EVENT, data)
        except BrokerUnavailable:
            log.warning("delivery probe %s not published: broker unavailable", self._seq)
            return
        PROBE_SENT.inc()

    def on_probe(self, envelope: Envelope) -> None:
        """Broker listener: must not block (see `realtime.broker.Listener`)."""
        data = envelope.data
        try:
            origin, seq, sent = str(data["origin"]), int(data["seq"]), float(data["sent"])
        except (KeyError, TypeError, ValueError):
            log.warning("malformed delivery probe ignored")
            return
        now = time.time()
        lost = self._gaps.arrived(origin, seq, now)
        self._gaps.forget_older_than(now - FORGET_AFTER_INTERVALS * self._interval)
        self.received += 1
        self.lost += lost
        PROBE_RECEIVED.inc()
        PROBE_LATENCY.observe(max(0.0, now - sent))
        PROBE_LAST_RECEIVED.set(now)
        if lost:
            PROBE_LOST.inc(lost)
            log.warning("delivery probe gap: %d probe(s) from %s never arrived", lost, origin)

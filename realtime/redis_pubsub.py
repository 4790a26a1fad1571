"""The process's single Redis pub/sub connection, shared by every channel.

It owns one raw connection and one reader task. Channels are (un)subscribed as the broker's
reference counts say; :meth:`RedisPubSub.subscribe` returns only once Redis confirmed, so
a history read after it cannot miss an event. When the connection drops it tells the broker
at once (buffer from now on), reconnects with capped, jittered exponential backoff,
resubscribes every channel, and only then reports the reconnection (resume now).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Callable

from redis.asyncio.connection import Connection, ConnectionPool
from redis.backoff import EqualJitterBackoff
from redis.exceptions import RedisError

from realtime.broker import BrokerUnavailable

log = logging.getLogger(__name__)

_BATCH = 500


class RedisPubSub:
    def __init__(
        self,
        url: str,
        *,
        on_message: Callable[[bytes, bytes], None],
        on_disconnect: Callable[[], None],
        on_reconnect: Callable[[], None],
        client_name: str,
        backoff_base: float = 0.1,
        backoff_cap: float = 5.0,
        ping_interval: float = 10.0,
        confirm_timeout: float = 5.0,
    ) -> None:
        self._pool = ConnectionPool.from_url(
            url, client_name=client_name, socket_connect_timeout=confirm_timeout
        )
        self._on_message = on_message
        self._on_disconnect = on_disconnect
        self._on_reconnect = on_reconnect
        self._backoff = EqualJitterBackoff(cap=backoff_cap, base=backoff_base)
        self._ping_interval = ping_interval
        self._confirm_timeout = confirm_timeout
        self._channels: set[bytes] = set()
        self._pending: dict[bytes, deque[asyncio.Future[None]]] = {}
        self._conn: Connection | None = None
        self._connected = False
        self._up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._first_attempt: asyncio.Future[None] | None = None
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        return self._connected

    async def wait_connected(self) -> None:
        """Until subscribed again after an outage (readiness probes, tests)."""
        await self._up.wait()

    @property
    def connection_count(self) -> int:
        """Open pub/sub connections: 0 or 1, however many channels are subscribed."""
        return 1 if self._connected else 0

    @property
    def channel_count(self) -> int:
        return len(self._channels)

    async def start(self) -> None:
        """Connect in the background; waits for the first attempt but never fails on it,
        so the app starts (and serves CRUD) while Redis is down."""
        if self._task is not None:
            return
        self._closing = False
        self._first_attempt = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(), name="redis-pubsub")
        await asyncio.shield(self._first_attempt)

    async def close(self) -> None:
        if self._task is not None:
            # The flag and a dropped link as well as the cancel: a cancellation swallowed in
            # the client library while Redis restarts must not keep the reader, and the
            # shutdown waiting on it, alive; the dropped link ends a read at once.
            self._closing = True
            self._task.cancel()
            await self._drop_connection()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop_connection()
        await self._pool.disconnect()

    async def subscribe(self, channel: bytes) -> None:
        self._channels.add(channel)
        conn = self._conn
        if not self._connected or conn is None:
            raise BrokerUnavailable("redis pub/sub is reconnecting")
        confirmed = asyncio.get_running_loop().create_future()
        self._pending.setdefault(channel, deque()).append(confirmed)
        try:
            await conn.send_command("SUBSCRIBE", channel)
            async with asyncio.timeout(self._confirm_timeout):
                await confirmed
        except (RedisError, OSError, TimeoutError) as exc:
            raise BrokerUnavailable(f"redis subscribe failed: {exc}") from exc

    async def unsubscribe(self, channel: bytes) -> None:
        self._channels.discard(channel)
        conn = self._conn
        if self._connected and conn is not None:
            with contextlib.suppress(RedisError, OSError):
                await conn.send_command("UNSUBSCRIBE", channel)

    async def _run(self) -> None:
        attempt = 0
        while not self._closing:
            try:
                await self._connect()
                attempt = 0
                self._signal_first_attempt()
                self._on_reconnect()
                await self._read_forever()
            except (RedisError, OSError, TimeoutError) as exc:
                was_connected = self._connected
                await self._drop_connection()
                self._signal_first_attempt()
                if was_connected:
                    log.warning("redis pub/sub connection lost: %s", exc)
                    self._on_disconnect()
                if self._closing:
                    return
                await asyncio.sleep(self._backoff.compute(attempt))
                attempt = min(attempt + 1, 30)

    def _signal_first_attempt(self) -> None:
        if self._first_attempt is not None and not self._first_attempt.done():
            self._first_attempt.set_result(None)

    async def _connect(self) -> None:
        conn = self._pool.make_connection()
        self._conn = conn
        await conn.connect()
        subscribed: set[bytes] = set()
        while missing := list(self._channels - subscribed):
            for start in range(0, len(missing), _BATCH):
                batch = missing[start : start + _BATCH]
                await conn.send_command("SUBSCRIBE", *batch)
                await self._await_confirmations(conn, set(batch))
            subscribed.update(missing)
        self._connected = True
        self._up.set()
        self.reconnects += 1

    async def _await_confirmations(self, conn: Connection, waiting: set[bytes]) -> None:
        async with asyncio.timeout(self._confirm_timeout):
            while waiting:
                reply = await conn.read_response(timeout=math.inf, push_request=True)
                if isinstance(reply, list) and reply and reply[0] == b"subscribe":
                    waiting.discard(reply[1])
                    self._confirm(reply[1])
                else:
                    self._handle(reply)

    async def _read_forever(self) -> None:
        """Read until the link fails or stays silent: the keepalive's PING gets a reply
        every ``ping_interval``, so 2-3 intervals without any reply mean a dead link.

        The deadline moves at most once per interval, not once per message: a timeout
        entered per message (a timer scheduled and cancelled each time) was ~5 % of the
        server's CPU with one event per channel (docs/benchmarks.md, "Live path speed")."""
        conn = self._conn
        assert conn is not None
        keepalive = asyncio.create_task(self._keepalive(conn))
        loop = asyncio.get_running_loop()
        interval = self._ping_interval
        try:
            async with asyncio.timeout(interval * 3) as deadline:
                moved_at = loop.time()
                while True:
                    reply = await conn.read_response(timeout=math.inf, push_request=True)
                    now = loop.time()
                    if now - moved_at >= interval:
                        deadline.reschedule(now + interval * 3)
                        moved_at = now
                    self._handle(reply)
        finally:
            keepalive.cancel()

    async def _keepalive(self, conn: Connection) -> None:
        """A PING makes a silently dead link fail the reader's timeout instead of hanging."""
        with contextlib.suppress(RedisError, OSError):
            while True:
                await asyncio.sleep(self._ping_interval)
                await conn.send_command("PING")

    def _handle(self, reply: object) -> None:
        if not isinstance(reply, list) or not reply:
            return
        kind = reply[0]
        if kind == b"message":
            self._on_message(reply[1], reply[2])
        elif kind == b"subscribe":
            self._confirm(reply[1])

    def _confirm(self, channel: bytes) -> None:
        waiters = self._pending.get(channel)
        if waiters:
            waiter = waiters.popleft()
            if not waiters:
                del self._pending[channel]
            if not waiter.done():
                waiter.set_result(None)

    async def _drop_connection(self) -> None:
        self._connected = False
        self._up.clear()
        for waiters in self._pending.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(BrokerUnavailable("redis pub/sub connection lost"))
        self._pending.clear()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.disconnect()

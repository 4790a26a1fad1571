"""The production broker: history in Redis streams, live fan-out over Redis pub/sub.

Publish is one Lua script (meta hash + XADD with MAXLEN + PUBLISH), so an event's history
entry and its live delivery share one id and cannot be separated by a crash. Every process
holds one pub/sub connection (``RedisPubSub``) whatever the number of channels; an incoming
message costs a dict lookup and one call per local listener of its channel.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from realtime import metrics
from realtime.broker import (
    BrokerEvents,
    BrokerUnavailable,
    HistoryPage,
    Listener,
    floor_id,
    history_covers,
    top_id,
)
from realtime.channel_traits import ChannelClassifier, domain_traits
from realtime.envelope import EPHEMERAL_ID, Envelope, format_id, parse_id
from realtime.memory_broker import new_epoch
from realtime.redis_pubsub import RedisPubSub
from realtime.redis_scripts import HISTORY, PUBLISH
from realtime.tracing import current_traceparent

log = logging.getLogger(__name__)

_NEWLINE = b"\n"


def _offset(stream_id: bytes | str) -> int:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    return int(text.partition("-")[0])


class RedisBroker:
    """``prefix`` namespaces keys and pub/sub channels.

    Pub/sub ignores database numbers, so the URL's database number is part of the pub/sub
    channel names: two deployments on one Redis server but different databases never hear
    each other's events, as their keys already do not meet.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "washline:",
        history_size: int = 100,
        lossy_history_size: int = 1,
        history_ttl: float = 3600.0,
        meta_ttl: float = 86400.0,
        classify: ChannelClassifier = domain_traits,
        backoff_base: float = 0.1,
        backoff_cap: float = 5.0,
        ping_interval: float = 10.0,
        max_connections: int = 50,
    ) -> None:
        # A blocking pool makes a burst of subscribes (each reads history) wait for a free
        # connection instead of failing with "too many connections"; the retry survives the
        # dead pooled connections a Redis restart leaves behind.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=10,
            socket_connect_timeout=2.0,
            socket_timeout=5.0,
            retry=Retry(NoBackoff(), 1),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        self._redis = aioredis.Redis(connection_pool=pool)
        self._prefix = prefix
        database = int(pool.connection_kwargs.get("db") or 0)
        scope = f"{prefix}db{database}:" if database else prefix
        self._pubsub_prefix = f"{scope}c:".encode()
        self._history_size = history_size
        self._lossy_history_size = lossy_history_size
        self._history_ttl_ms = str(int(history_ttl * 1000))
        self._meta_ttl_ms = str(int(max(meta_ttl, history_ttl) * 1000))
        self._classify = classify
        self._publish_script = self._redis.register_script(PUBLISH)
        self._history_script = self._redis.register_script(HISTORY)
        self._listeners: dict[str, list[Listener]] = {}
        self._events: BrokerEvents | None = None
        self.client_name = f"washline-pubsub-{uuid.uuid4().hex[:8]}"
        self._pubsub = RedisPubSub(
            url,
            on_message=self._on_message,
            on_disconnect=self._on_disconnect,
            on_reconnect=self._on_reconnect,
            client_name=self.client_name,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            ping_interval=ping_interval,
        )

    @property
    def client(self) -> aioredis.Redis:
        """The command connection pool, for presence and other Redis-backed helpers."""
        return self._redis

    @property
    def pubsub(self) -> RedisPubSub:
        return self._pubsub

    async def start(self) -> None:
        await self._pubsub.start()

    async def close(self) -> None:
        await self._pubsub.close()
        await self._redis.aclose()

    def set_events(self, events: BrokerEvents | None) -> None:
        self._events = events

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping()) and self._pubsub.connected
        except (RedisError, OSError):
            return False

    def _keys(self, channel: str) -> list[str]:
        # The hash tag keeps a channel's two keys in one Redis Cluster slot.
        return [f"{self._prefix}h:{{{channel}}}", f"{self._prefix}m:{{{channel}}}"]

    async def publish(
        self,
        channel: str,
        event: str,
        data: Any,
        *,
        offset: int | None = None,
        ts: str | None = None,
    ) -> Envelope:
        keys, args, draft = self._publish_command(channel, event, data, offset, ts)
        try:
            raw_id = await self._publish_script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"publish to {channel} failed: {exc}") from exc
        metrics.EVENTS_PUBLISHED.inc()
        return Envelope(channel, raw_id.decode(), event, draft.ts, draft.raw_data, draft.trace)

    def publish_command(
        self, channel: str, event: str, data: Any
    ) -> tuple[list[str], list[bytes | str | int]]:
        """The KEYS and ARGV with which `redis_scripts.PUBLISH` (or a script that ends with
        it) publishes `data` on a channel that is not database-backed, exactly as `publish`
        would: for callers that send it with other commands in one round trip. They count
        it in `metrics.EVENTS_PUBLISHED` once it is done."""
        keys, args, _ = self._publish_command(channel, event, data, None, None)
        return keys, args

    def _publish_command(
        self, channel: str, event: str, data: Any, offset: int | None, ts: str | None
    ) -> tuple[list[str], list[bytes | str | int], Envelope]:
        traits = self._classify(channel)
        if traits.database_backed != (offset is not None):
            raise ValueError(f"{channel}: offset is required exactly for database-backed channels")
        draft = Envelope.create(channel, "", event, data, ts, current_traceparent())
        size = self._lossy_history_size if traits.lossy else self._history_size
        args: list[bytes | str | int] = [
            self._pubsub_prefix + channel.encode(),
            draft.body(),
            size,
            self._history_ttl_ms,
            self._meta_ttl_ms,
            new_epoch(),
            "" if offset is None else str(offset),
        ]
        return self._keys(channel), args, draft

    async def publish_ephemeral(self, channel: str, event: str, data: Any) -> Envelope:
        self._classify(channel)
        envelope = Envelope.create(channel, EPHEMERAL_ID, event, data)
        try:
            await self._redis.publish(
                self._pubsub_prefix + channel.encode(), _NEWLINE + envelope.body()
            )
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"publish to {channel} failed: {exc}") from exc
        return envelope

    async def history(self, channel: str, since: str | None, limit: int) -> HistoryPage:
        traits = self._classify(channel)
        position = parse_id(since) if since is not None else None
        args: list[bytes | str | int] = [
            "" if position is None else str(position.offset),
            limit,
            "" if traits.database_backed else new_epoch(),
            self._meta_ttl_ms,
        ]
        try:
            raw_epoch, raw_top, raw_first, entries = await self._history_script(
                keys=self._keys(channel), args=args
            )
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"history of {channel} failed: {exc}") from exc
        epoch = raw_epoch.decode()
        top = int(raw_top) if raw_top else None
        first = _offset(raw_first) if raw_first else None
        page = HistoryPage(
            top=top_id(top, epoch, traits.database_backed),
            floor=floor_id(first, top, epoch, traits.database_backed),
        )
        if position is None:
            return page
        page.covered = history_covers(
            position, database_backed=traits.database_backed, epoch=epoch, top=top, first=first
        )
        if page.covered:
            page.events = self._envelopes(channel, epoch, entries)
        elif traits.lossy and limit > 0:
            try:
                latest = await self._redis.xrevrange(self._keys(channel)[0], count=limit)
            except (RedisError, OSError) as exc:
                raise BrokerUnavailable(f"history of {channel} failed: {exc}") from exc
            page.events = self._envelopes(channel, epoch, list(reversed(latest or [])))
        return page

    @staticmethod
    def _envelopes(channel: str, epoch: str, entries: list[Any]) -> list[Envelope]:
        envelopes = []
        for stream_id, fields in entries:
            body = fields[b"b"] if isinstance(fields, dict) else fields[1]
            envelopes.append(
                Envelope.from_body(channel, format_id(_offset(stream_id), epoch), body)
            )
        return envelopes

    async def listen(self, channel: str, listener: Listener) -> None:
        listeners = self._listeners.setdefault(channel, [])
        if listener not in listeners:
            listeners.append(listener)
        await self._pubsub.subscribe(self._pubsub_prefix + channel.encode())

    async def unlisten(self, channel: str, listener: Listener) -> None:
        listeners = self._listeners.get(channel)
        if not listeners or listener not in listeners:
            return
        listeners.remove(listener)
        if not listeners:
            del self._listeners[channel]
            await self._pubsub.unsubscribe(self._pubsub_prefix + channel.encode())

    def _on_message(self, redis_channel: bytes, payload: bytes) -> None:
        channel = redis_channel[len(self._pubsub_prefix) :].decode()
        listeners = self._listeners.get(channel)
        if not listeners:
            return
        raw_id, _, body = payload.partition(_NEWLINE)
        try:
            envelope = Envelope.from_body(channel, raw_id.decode(), body)
        except ValueError:
            log.exception("undecodable event on %s", channel)
            return
        for listener in listeners:
            try:
                listener(envelope)
            except Exception:
                log.exception("listener of %s failed", channel)

    def _on_disconnect(self) -> None:
        if self._events is not None:
            self._events.on_broker_disconnected()

    def _on_reconnect(self) -> None:
        if self._events is not None:
            self._events.on_broker_reconnected()

"""Diagnosis: many concurrent first subscribes in one process against the Redis broker.

Found by the benchmark (W1 lost every event for a few clients): each subscribe reads the
channel's history through the broker's command connection pool; when more history reads run
at once than the pool allows, redis-py raises ``MaxConnectionsError`` at once, the broker
reports ``BrokerUnavailable``, and the hub leaves the subscription buffering "until the
broker reconnects", which never happens because the pub/sub link never dropped. This script
reproduces it without a server and counts the stuck subscriptions:

    .venv/bin/python -m bench.diag_subscribe_storm --subscribers 2000
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import time
from typing import Any

from realtime.hub import Hub
from realtime.redis_broker import RedisBroker
from realtime.subscriber import Subscriber


async def main_async(args: argparse.Namespace) -> None:
    errors: collections.Counter[str] = collections.Counter()
    broker = RedisBroker(args.redis, prefix=f"diagstorm:{time.time_ns()}:")
    history = broker.history

    async def counted_history(*a: Any, **k: Any) -> Any:
        try:
            return await history(*a, **k)
        except Exception as exc:
            cause = exc.__cause__ or exc
            errors[f"{type(cause).__name__}: {cause}"[:120]] += 1
            raise

    broker.history = counted_history  # type: ignore[method-assign]
    hub = Hub(broker)
    await hub.start()
    subscribers = [Subscriber() for _ in range(args.subscribers)]
    started = time.monotonic()
    await asyncio.gather(*(hub.subscribe(s, args.channel) for s in subscribers))
    elapsed = time.monotonic() - started
    await asyncio.sleep(2.0)
    await broker.publish(args.channel, "diag", {"n": 1})
    await asyncio.sleep(1.0)
    received = sum(1 for s in subscribers if len(s) > 0)
    pool = broker.client.connection_pool
    print(f"{args.subscribers} concurrent subscribes to {args.channel} in {elapsed:.2f} s")
    print(f"pool max_connections: {getattr(pool, 'max_connections', '?')}")
    print(f"history reads that failed: {sum(errors.values())} {dict(errors)}")
    print(f"subscribers that received the event published 2 s later: {received}")
    print(f"subscribers left silently buffering: {args.subscribers - received}")
    await hub.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--channel", default="ops")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the hub logs one warning per failed catch-up
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()

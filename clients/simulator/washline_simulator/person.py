"""What simulated washers and customers have in common: an account, a live socket, an inbox
of events, a once-a-second rhythm, and chat typed a moment after reading.

A person's loop waits on its inbox until the next tick, so it sleeps when nothing happens
and reacts to an event at once when something does.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from typing import Any

from washline_simulator.accounts import Session
from washline_simulator.api import Api, ApiError
from washline_simulator.config import SimConfig
from washline_simulator.live import Frame, Live, LiveError
from washline_simulator.report import Reporter

TERMINAL = frozenset({"completed", "cancelled", "no_show"})
CONNECT_WAIT = 10.0
MAX_MESSAGES_PER_ORDER = 3
"""Nobody says more than this on one order: two bots answering each other would never stop."""
REPEAT_QUIET = 30.0
POLL_SECONDS = 15.0
"""How often a person re-reads an order over REST, in case an event was lost on the way."""


class Ticker:
    """A fixed-rate clock that skips missed beats instead of bursting to catch up."""

    def __init__(self, interval: float, phase: float = 0.0) -> None:
        self.interval = interval
        self.next = time.monotonic() + phase

    def due(self) -> bool:
        now = time.monotonic()
        if now < self.next:
            return False
        missed = math.floor((now - self.next) / self.interval)
        self.next += self.interval * (missed + 1)
        return True


class OrderView:
    """What a participant knows of one order: its status at the newest sequence seen, from
    live events and REST reads alike (whichever is newer wins)."""

    def __init__(self, order: dict[str, Any]) -> None:
        self.order_id = int(order["id"])
        self.lat = float(order["lat"])
        self.lng = float(order["lng"])
        self.status = str(order["status"])
        self.seq = int(order.get("seq", 0))
        self.washer_id: int | None = order.get("washer_id")

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def apply_event(self, frame: Frame) -> bool:
        """Take an `order.*` event about this order; True when the status moved on."""
        if frame.get("type") != "event" or not str(frame.get("event", "")).startswith("order."):
            return False
        data = frame.get("data")
        if not isinstance(data, dict) or data.get("order_id") != self.order_id:
            return False
        if "status" not in data or "seq" not in data:
            return False
        return self._update(int(data["seq"]), str(data["status"]), data.get("washer_id"))

    def apply_rest(self, order: dict[str, Any]) -> bool:
        return self._update(int(order["seq"]), str(order["status"]), order.get("washer_id"))

    def _update(self, seq: int, status: str, washer_id: Any) -> bool:
        if seq <= self.seq:
            return False
        changed = status != self.status
        self.seq, self.status = seq, status
        self.washer_id = int(washer_id) if washer_id is not None else None
        return changed


def chat_event(frame: Frame, order_id: int) -> dict[str, Any] | None:
    """The data of a chat message on the order's chat channel, else None."""
    if frame.get("type") != "event" or frame.get("event") != "chat.message":
        return None
    data = frame.get("data")
    if not isinstance(data, dict) or data.get("order_id") != order_id:
        return None
    return data


class Person:
    kind = "person"

    def __init__(
        self, index: int, config: SimConfig, api: Api, rng: random.Random, reporter: Reporter
    ) -> None:
        self.index = index
        self.name = f"{self.kind} {index}"
        self.config = config
        self.api = api
        self.rng = rng
        self.reporter = reporter
        self.session: Session | None = None
        self.live: Live | None = None
        self.inbox: asyncio.Queue[Frame] = asyncio.Queue()
        # Each phone on its own beat: a city's fixes spread over the second, not in a burst.
        self.ticker = Ticker(config.fix_interval, phase=rng.uniform(0, config.fix_interval))
        self.ready = False
        self._refresher: asyncio.Task[None] | None = None
        self._chat_due: list[tuple[float, int, str]] = []
        self._said: dict[int, int] = {}
        self._noticed: dict[str, float] = {}

    async def run(self) -> None:
        """Live this person's life until cancelled; raise to be restarted by the city."""
        raise NotImplementedError

    async def close(self) -> None:
        """Leave cleanly (the city is stopping)."""
        await self.disconnect()

    def say(self, text: str, counted: str | None = None) -> None:
        self.reporter.say(f"{self.name} {text}")
        if counted:
            self.reporter.count(counted)

    def notice(self, text: str) -> None:
        """Report a problem; the same one again within `REPEAT_QUIET` seconds is not
        repeated (a refused fix would otherwise fill the screen once a second)."""
        now = time.monotonic()
        if now - self._noticed.get(text, -REPEAT_QUIET) < REPEAT_QUIET:
            return
        if len(self._noticed) > 100:
            self._noticed.clear()
        self._noticed[text] = now
        self.reporter.say(f"{self.name}: {text}")

    @property
    def user(self) -> Session:
        if self.session is None:
            raise RuntimeError(f"{self.name} has no session yet")
        return self.session

    async def _token(self, force: bool) -> str:
        return await self.user.token(force)

    async def connect(self) -> Live:
        """Open the live socket (it keeps itself connected) and keep the token fresh."""
        live = Live(
            self.config.ws_url,
            self._token,
            on_frame=self.inbox.put_nowait,
            on_notice=self.notice,
            rng=random.Random(self.rng.getrandbits(32)),  # reconnect timing: its own stream
        )
        self.live = live
        live.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(live.connected.wait(), CONNECT_WAIT)
        self._refresher = asyncio.create_task(self.user.keep_fresh(live.reauthenticate))
        return live

    async def disconnect(self) -> None:
        """Close the socket and stop refreshing; safe to call twice or before connecting."""
        self.ready = False
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._refresher
            self._refresher = None
        if self.live is not None:
            await self.live.close()
            self.live = None
        while not self.inbox.empty():
            self.inbox.get_nowait()
        self._chat_due.clear()

    async def next_frame(self) -> Frame | None:
        """The next event, or None at the next tick (whichever comes first)."""
        timeout = max(0.0, self.ticker.next - time.monotonic())
        try:
            return await asyncio.wait_for(self.inbox.get(), timeout)
        except TimeoutError:
            return None

    async def follow_order(self, order_id: int) -> None:
        """Status from the start (ids are the order's sequence, so "0" replays it all) and
        chat from now on."""
        if self.live is not None:
            await self.live.follow(f"order:{order_id}", since="0")
            await self.live.follow(f"order:{order_id}:chat")

    async def unfollow_order(self, order_id: int) -> None:
        if self.live is not None:
            await self.live.unfollow(f"order:{order_id}")
            await self.live.unfollow(f"order:{order_id}:chat")
        self._chat_due = [item for item in self._chat_due if item[1] != order_id]
        self._said.pop(order_id, None)

    async def read_order(self, view: OrderView) -> bool:
        """Re-read the order over REST; True when its status moved on."""
        try:
            detail = await self.user.call("GET", f"/api/orders/{view.order_id}")
        except ApiError as exc:
            if exc.status == 404:  # no longer ours to see (e.g. released, reassigned)
                view.status, view.washer_id = "gone", None
                return True
            self.notice(f"could not read order {view.order_id}: {exc}")
            return False
        return view.apply_rest(detail["order"])

    async def chat_later(self, order_id: int, body: str) -> None:
        """Show 'typing…' now and send `body` a few seconds later, like a person would."""
        if self.live is None or self._said.get(order_id, 0) >= MAX_MESSAGES_PER_ORDER:
            return
        self._said[order_id] = self._said.get(order_id, 0) + 1
        await self.live.send("typing", order_id=order_id)
        self._chat_due.append((time.monotonic() + self.rng.uniform(1.5, 4.0), order_id, body))

    async def flush_chat(self) -> None:
        """Send the chat messages whose typing time is over (called every tick)."""
        if not self._chat_due or self.live is None:
            return
        now = time.monotonic()
        due = [item for item in self._chat_due if item[0] <= now]
        self._chat_due = [item for item in self._chat_due if item[0] > now]
        for _, order_id, body in due:
            try:
                await self.live.request("chat", order_id=order_id, body=body)
                self.say(f"said on order {order_id}: {body}")
            except (LiveError, TimeoutError) as exc:
                self.notice(f"chat on order {order_id} failed: {exc}")

    async def transition(self, view: OrderView, to: str, reason: str | None = None) -> bool:
        """Move the order; False (with the view refreshed) when the server says no, e.g. it
        was cancelled meanwhile or another washer got it first."""
        body: dict[str, Any] = {"to": to}
        if reason:
            body["reason"] = reason
        try:
            order = await self.user.call(
                "POST", f"/api/orders/{view.order_id}/transitions", body=body
            )
        except ApiError as exc:
            if exc.status in (400, 403, 404, 409):
                await self.read_order(view)
                return False
            raise
        view.apply_rest(order)
        return True

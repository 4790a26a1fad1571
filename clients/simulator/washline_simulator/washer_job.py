"""A simulated washer working one order: driving a street-like route to the address with a
fix every beat, waiting for the server's geofence (and declaring the arrival itself if it
never comes), washing, completing, and answering the customer's messages on the way.

`washer.WasherBot` adds the shift around it: going on duty, idling, taking offers.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from washline_simulator import script
from washline_simulator.coords import LatLng
from washline_simulator.geo import Area, Step, Trip, Wander, plan_route
from washline_simulator.live import Frame
from washline_simulator.person import POLL_SECONDS, OrderView, Person, chat_event

ARRIVAL_POLL_AFTER = 8.0
"""At the address without the geofence's `arrived`: re-read the order after this long..."""
ARRIVAL_GIVE_UP_AFTER = 20.0
"""...and after this long declare the arrival ourselves (a washer may)."""
GPS_ACCURACY_M = (4.0, 12.0)


class JobOver(Exception):
    """The order is no longer this washer's to work (cancelled, released, taken back)."""


class OrderWorker(Person):
    """A washer working orders: where it is, how it reports a fix, and the steps of a job.
    The subclass places it (``area``, ``position``, ``wander``) before any job starts."""

    kind = "washer"
    area: Area
    position: LatLng
    wander: Wander | None
    _commute: tuple[Trip, float] | None
    """A drive back into the area (trip, departure time), when the washer is outside."""

    async def _report(self, step: Step, *, wait: bool = False) -> None:
        """Send one GPS fix on the live socket (stamped now, in UTC)."""
        if self.live is None:
            return
        self.position = step.position
        fix: dict[str, Any] = {
            "lat": round(step.position.lat, 7),
            "lng": round(step.position.lng, 7),
            "ts": datetime.now(UTC).isoformat(),
            "heading": round(step.heading % 360.0, 1),
            "speed": round(step.speed, 2),
            "accuracy": round(self.rng.uniform(*GPS_ACCURACY_M), 1),
        }
        if not wait:
            await self.live.send("location", **fix)
            return
        try:
            await self.live.request("location", **fix)
        except Exception as exc:
            self.notice(f"first fix not taken: {exc}")

    async def _work(self, view: OrderView) -> None:
        order_id = view.order_id
        await self.follow_order(order_id)
        try:
            if view.status == "assigned":
                if self.rng.random() < self.config.release_fraction:
                    reason = self.rng.choice(script.RELEASE_REASONS)
                    if await self.transition(view, "pending", reason):
                        self.say(f"released order {order_id} ({reason})", "released")
                    return
                if self.rng.random() < self.config.chat_chance:
                    await self.chat_later(order_id, self.rng.choice(script.WASHER_OPENERS))
                await self._move(view, "en_route")
                self.say(f"is driving to order {order_id}")
            if view.status == "en_route":
                await self._drive(view)
            if view.status == "arrived":
                await self._pause(view, self.rng.uniform(1.0, 3.0))
                if self.rng.random() < self.config.chat_chance:
                    await self.chat_later(order_id, self.rng.choice(script.WASHER_ARRIVALS))
                await self._move(view, "in_progress")
                self.say(f"started washing order {order_id}")
            if view.status == "in_progress":
                wash = self.config.wash_seconds * self.rng.uniform(0.8, 1.2)
                await self._pause(view, wash)
                await self._move(view, "completed")
                self.say(f"completed order {order_id}", "completed")
        except JobOver:
            self.say(f"stopped working order {order_id} (now {view.status})")
        finally:
            await self.unfollow_order(order_id)

    async def _move(self, view: OrderView, to: str) -> None:
        if not await self.transition(view, to) and view.status != to:
            raise JobOver

    def _check(self, view: OrderView) -> None:
        if view.done or view.status in ("pending", "gone"):
            raise JobOver

    async def _handle(self, view: OrderView, frame: Frame) -> None:
        """React to one event while working: status changes, and the customer's messages."""
        view.apply_event(frame)
        message = chat_event(frame, view.order_id)
        if (
            message is not None
            and message.get("sender_role") == "customer"
            and self.rng.random() < self.config.chat_chance * 1.5
        ):
            await self.chat_later(view.order_id, self.rng.choice(script.WASHER_REPLIES))

    async def _drive(self, view: OrderView) -> None:
        """Drive a street-like route to the address at the configured speed, one fix per
        tick, until the server says we arrived (its geofence) or we declare it ourselves."""
        destination = LatLng(view.lat, view.lng)
        self._commute = None
        # Inside the area, unless we start outside it or the order predates the area.
        bounds = self.area.including(self.position, destination)
        trip = Trip(plan_route(self.position, destination, self.rng, bounds), self.config.speed_mps)
        departed = time.monotonic()
        reached_at: float | None = None
        next_poll = departed + POLL_SECONDS
        while view.status == "en_route":
            if self.ticker.due():
                now = time.monotonic()
                step = trip.at(now - departed)
                await self._report(step)
                await self.flush_chat()
                if step.done and reached_at is None:
                    reached_at = now
                    next_poll = min(next_poll, now + ARRIVAL_POLL_AFTER)
                if now >= next_poll:
                    next_poll = now + POLL_SECONDS
                    await self.read_order(view)
                overdue = reached_at is not None and now - reached_at >= ARRIVAL_GIVE_UP_AFTER
                if overdue and view.status == "en_route":
                    self.notice(f"no geofence arrival for order {view.order_id}; arriving")
                    await self._move(view, "arrived")
            frame = await self.next_frame()
            if frame is not None:
                await self._handle(view, frame)
            self._check(view)
        if view.status == "arrived":
            self.say(f"arrived at order {view.order_id}")

    async def _pause(self, view: OrderView, seconds: float) -> None:
        """Stay put for `seconds`, still reporting fixes (a silent washer goes stale) and
        answering chat; stop if the order is taken away."""
        until = time.monotonic() + seconds
        next_poll = time.monotonic() + POLL_SECONDS
        heading = self.wander.heading if self.wander else 0.0
        while time.monotonic() < until:
            if self.ticker.due():
                await self._report(Step(self.position, heading, 0.0))
                await self.flush_chat()
                if time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + POLL_SECONDS
                    await self.read_order(view)
            frame = await self.next_frame()
            if frame is not None:
                await self._handle(view, frame)
            self._check(view)

"""A simulated washer: on duty, reporting GPS once a second, taking offers, driving to the
address, washing, completing; chatting with customers now and then. The work on one order
is `washer_job.OrderWorker`; this module is the shift around it.

Everything goes through the public API and `/ws`, like the washer app: fixes are `location`
ops, offers arrive as `dispatch.offer` on `user:{id}`, the arrival is left to the server's
geofence (with a fallback if it never comes), and a lost race for an offer (409) is normal.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from washline_simulator import script
from washline_simulator.accounts import Session, washer_session
from washline_simulator.api import Api, ApiError
from washline_simulator.config import SIM_PASSWORD, SimConfig, washer_email
from washline_simulator.coords import LatLng
from washline_simulator.geo import Area, Step, Trip, Wander, plan_route
from washline_simulator.person import OrderView
from washline_simulator.report import Reporter
from washline_simulator.washer_job import OrderWorker
from washline_simulator.zones import is_zone, zone_center, zone_of

ACTIVE = ("assigned", "en_route", "arrived", "in_progress")
OFFER_POLL_SECONDS = 20.0
"""Idle washers also list their open offers this often, in case a live one was missed."""


class WasherBot(OrderWorker):
    """A washer's shift: on duty, idling where the demand is, taking offers; the orders
    themselves are worked by `OrderWorker`."""

    def __init__(
        self,
        index: int,
        config: SimConfig,
        api: Api,
        rng: random.Random,
        reporter: Reporter,
        area: Area,
        admin: Callable[[], Awaitable[Session | None]],
        *,
        account_exists: bool = True,
        login: tuple[str, str] | None = None,
        on_duty: Callable[[], bool] = lambda: True,
    ) -> None:
        super().__init__(index, config, api, rng, reporter)
        self.account_exists = account_exists
        self.email, self.password = login or (washer_email(index), SIM_PASSWORD)
        self.on_duty = on_duty
        """Whether the scenario wants this washer working now (a storm sends some home)."""
        self.area = area
        self._admin = admin
        self.position = area.center
        self.wander = None
        self._commute = None
        self._zone_channel: str | None = None
        """The `zone:{cell}` channel followed while idle (its hotspot says where to go)."""

    async def run(self) -> None:
        """Start a shift and work it until cancelled; raises on failures the city retries."""
        await self._start_shift()
        for order in await self._active_orders():
            self.say(f"resumes order {order['id']} ({order['status']})")
            await self._work(OrderView(order))
        while True:
            view = await self._wait_for_work()
            await self._work(view)

    async def close(self) -> None:
        """Go off duty (best effort) and hang up."""
        if self.session is not None and self.ready:
            with contextlib.suppress(ApiError, TimeoutError):
                await asyncio.wait_for(self._set_available(False), 3.0)
        await self.disconnect()

    # -- shift ------------------------------------------------------------------------

    async def _start_shift(self) -> None:
        await self.disconnect()
        email = self.email
        session, created = await washer_session(
            self.api,
            email,
            self.password,
            script.person_name(self.rng),
            self._admin,
            exists=self.account_exists,
        )
        self.session, self.account_exists = session, True
        self.say(f"{'signed up and ' if created else ''}logged in as {email}")
        self.position = await self._last_known_position()
        self.wander = Wander(self.position, self.rng, self.area)
        live = await self.connect()
        await live.follow(f"user:{session.user_id}")
        # A fix before going on duty, so dispatch can place us the moment we are available.
        await self._report(Step(self.position, self.wander.heading, 0.0), wait=True)
        await self._set_available(True)
        self.ready = True
        self.say("is on duty")

    async def _last_known_position(self) -> LatLng:
        """Where the server last saw us (a washer resuming a shift is where they left off,
        and the server rejects fixes that teleport); a random spot for a new washer."""
        try:
            me = await self.user.call("GET", "/api/washers/me")
        except ApiError:
            me = {}
        lat, lng = me.get("last_lat"), me.get("last_lng")
        if lat is not None and lng is not None:
            return LatLng(float(lat), float(lng))
        return self.area.random_point(self.rng, margin_m=100.0)

    async def _set_available(self, available: bool) -> None:
        await self.user.call(
            "PUT", "/api/washers/me/availability", body={"is_available": available}
        )

    async def _active_orders(self) -> list[dict[str, Any]]:
        page = await self.user.call(
            "GET", "/api/orders", params={"status": list(ACTIVE), "limit": 10}
        )
        return sorted(page["items"], key=lambda o: int(o["id"]))

    # -- idle -------------------------------------------------------------------------

    async def _wait_for_work(self) -> OrderView:
        """Potter about, reporting fixes, until an offer is accepted."""
        assert self.wander is not None
        if self.area.contains(self.position):
            self.wander.move_to(self.position)
        else:  # e.g. the area changed since the last shift: drive back in, do not teleport
            inside = self.area.clamp(self.position)
            route = plan_route(self.position, inside, self.rng, self.area.including(self.position))
            self._commute = (Trip(route, self.config.speed_mps), time.monotonic())
        next_poll = time.monotonic() + OFFER_POLL_SECONDS
        try:
            while True:
                if self.ticker.due():
                    if not self.on_duty():
                        await self._sit_out()
                    await self._report(self._idle_step())
                    await self._follow_zone()
                    if time.monotonic() >= next_poll:
                        next_poll = time.monotonic() + OFFER_POLL_SECONDS
                        for offer in await self._open_offers():
                            view = await self._consider(offer)
                            if view is not None:
                                return view
                frame = await self.next_frame()
                if frame is not None and frame.get("event") == "dispatch.offer":
                    view = await self._consider(frame.get("data") or {})
                    if view is not None:
                        return view
                if frame is not None and frame.get("event") == "surge.zone":
                    self._drift_toward((frame.get("data") or {}).get("hotspot"))
        finally:
            await self._leave_zone()

    async def _follow_zone(self) -> None:
        """Follow the live price of the zone we are in (its newest first), so its hotspot
        tells us where the demand is."""
        channel = f"zone:{zone_of(self.position, self.config.zone_resolution)}"
        if channel == self._zone_channel or self.live is None:
            return
        await self._leave_zone()
        self._zone_channel = channel
        await self.live.follow(channel, since="0")

    async def _leave_zone(self) -> None:
        if self._zone_channel is not None and self.live is not None:
            await self.live.unfollow(self._zone_channel)
        self._zone_channel = None

    def _drift_toward(self, hotspot: Any) -> None:
        """Idle and nowhere to be: drive toward the nearest zone that pays more."""
        if self._commute is not None or not isinstance(hotspot, dict):
            return
        if not is_zone(str(hotspot.get("zone", ""))):
            return
        target = self.area.clamp(zone_center(str(hotspot.get("zone", ""))))
        route = plan_route(self.position, target, self.rng, self.area.including(self.position))
        self._commute = (Trip(route, self.config.speed_mps), time.monotonic())
        self.say(f"drives toward {hotspot.get('summary', 'high demand')}", "drifted")

    async def _sit_out(self) -> None:
        """Go offline (off duty, no fixes: the map shows no signal) until the scenario
        wants this washer back, then report where we are and take work again."""
        await self._set_available(False)
        self.say("went offline", "went offline")
        while not self.on_duty():
            await asyncio.sleep(self.config.fix_interval)
            while not self.inbox.empty():
                self.inbox.get_nowait()
        assert self.wander is not None
        await self._report(Step(self.position, self.wander.heading, 0.0), wait=True)
        await self._set_available(True)
        self.say("is back on duty")

    def _idle_step(self) -> Step:
        """The next idle fix: driving back into the area if outside it, else pottering."""
        assert self.wander is not None
        if self._commute is None:
            return self.wander.step(self.config.fix_interval)
        trip, departed = self._commute
        step = trip.at(time.monotonic() - departed)
        if step.done:
            self._commute = None
            self.wander.move_to(step.position)
        return step

    async def _open_offers(self) -> list[dict[str, Any]]:
        try:
            offers = await self.user.call("GET", "/api/washers/me/offers")
        except ApiError as exc:
            self.notice(f"could not list offers: {exc}")
            return []
        return list(offers or [])

    async def _consider(self, offer: dict[str, Any]) -> OrderView | None:
        """Think a moment, then try to accept; None if the offer was gone or lost."""
        order_id = offer.get("order_id")
        if not isinstance(order_id, int):
            return None
        try:
            where: LatLng | None = LatLng(float(offer["lat"]), float(offer["lng"]))
        except (KeyError, TypeError, ValueError):
            where = None  # the server will tell us where once we have it
        if where is not None and not self.area.contains(where):
            return None  # not ours to drive to: the simulated city stays in its area
        self.say(f"was offered order {order_id} ({offer.get('distance_m', '?')} m away)")
        await asyncio.sleep(self.rng.uniform(0.3, 2.0))
        try:
            order = await self.user.call(
                "POST", f"/api/orders/{order_id}/transitions", body={"to": "assigned"}
            )
        except ApiError as exc:
            if exc.status in (404, 409):
                self.say(f"missed order {order_id} ({exc.code})", "missed offers")
                return None
            raise
        self.say(f"accepted order {order_id}", "accepted")
        return OrderView(order)

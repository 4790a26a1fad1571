"""A simulated customer: books a wash when the city asks, watches it live, chats a little,
sometimes cancels while waiting, and reviews the finished wash.

The city decides *when* someone books (a Poisson process over all customers); the customer
decides everything else, so one slow or failing customer never holds up the others.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from washline_simulator import script
from washline_simulator.accounts import customer_session
from washline_simulator.api import Api, ApiError
from washline_simulator.config import SIM_PASSWORD, SimConfig, customer_email
from washline_simulator.coords import LatLng
from washline_simulator.person import POLL_SECONDS, OrderView, Person, chat_event
from washline_simulator.report import Reporter

OPEN = ("pending", "assigned", "en_route", "arrived", "in_progress")


@dataclass(frozen=True, slots=True)
class Booking:
    """Where the city wants this customer's next wash."""

    point: LatLng
    address: str


def declines_quote(multiplier: float, config: SimConfig, rng: random.Random) -> bool:
    """Price sensitivity: at `decline_above` or more, a `decline_share` of customers walks
    away (one draw per quote, so the share holds over many bookings)."""
    return multiplier >= config.decline_above and rng.random() < config.decline_share


class CustomerBot(Person):
    kind = "customer"

    def __init__(
        self, index: int, config: SimConfig, api: Api, rng: random.Random, reporter: Reporter
    ) -> None:
        super().__init__(index, config, api, rng, reporter)
        self.vehicle_id: int | None = None
        self._request: Booking | None = None
        self._busy = False

    @property
    def idle(self) -> bool:
        """Ready, with no order open and none about to be booked: the city may ask."""
        return self.ready and not self._busy and self._request is None

    def request_booking(self, booking: Booking) -> None:
        self._request = booking

    async def run(self) -> None:
        await self._start()
        for order in await self._open_orders():
            self.say(f"keeps watching order {order['id']} ({order['status']})")
            await self._watch(OrderView(order), booked_now=False)
        self.ready = True
        while True:
            booking = await self._next_booking()
            view = await self._book(booking)
            if view is not None:
                await self._watch(view, booked_now=True)

    async def _start(self) -> None:
        await self.disconnect()
        self._busy, self._request = False, None
        email = customer_email(self.index)
        session, created = await customer_session(
            self.api, email, SIM_PASSWORD, script.person_name(self.rng)
        )
        self.session = session
        self.say(f"{'signed up and ' if created else ''}logged in as {email}")
        self.vehicle_id = await self._vehicle()
        live = await self.connect()
        await live.follow(f"user:{session.user_id}")

    async def _vehicle(self) -> int:
        """The customer's car, added on first use."""
        vehicles = await self.user.call("GET", "/api/vehicles")
        if vehicles:
            return int(vehicles[0]["id"])
        make, model, size = self.rng.choice(script.VEHICLES)
        vehicle = await self.user.call(
            "POST",
            "/api/vehicles",
            body={
                "make": make,
                "model": model,
                "size": size,
                "plate": script.plate(self.rng),
                "color": self.rng.choice(script.COLORS),
            },
        )
        self.say(f"added a {make} {model}")
        return int(vehicle["id"])

    async def _open_orders(self) -> list[dict[str, Any]]:
        page = await self.user.call("GET", "/api/orders", params={"status": list(OPEN)})
        return sorted(page["items"], key=lambda o: int(o["id"]))

    async def _next_booking(self) -> Booking:
        """Wait (draining stale events once a tick) until the city asks for a booking."""
        while self._request is None:
            if self.ticker.due():
                while not self.inbox.empty():
                    self.inbox.get_nowait()
            await self.next_frame()
        booking, self._request = self._request, None
        return booking

    async def _book(self, booking: Booking) -> OrderView | None:
        self._busy = True
        try:
            packages = await self.user.call("GET", "/api/packages")
            if not packages:
                self._busy = False
                self.notice("no service packages to book")
                return None
            package = self.rng.choice(packages)
            where = {"lat": round(booking.point.lat, 6), "lng": round(booking.point.lng, 6)}
            wanted = {"vehicle_id": self.vehicle_id, "package_id": package["id"]}
            quote = await self.user.call("POST", "/api/quotes", body={**wanted, **where})
            if self.declines(float(quote["multiplier"])):
                self._busy = False
                self.say(f"declined a wash at {quote['multiplier']}x surge", "declined")
                return None
            body = {**wanted, **where, "address": booking.address, "quote_id": quote["quote_id"]}
            try:
                order = await self.user.call("POST", "/api/orders", body=body)
            except ApiError as exc:
                if exc.code != "quote_expired":
                    raise
                del body["quote_id"]  # the quote lapsed while deciding: take today's price
                order = await self.user.call("POST", "/api/orders", body=body)
        except ApiError as exc:
            self._busy = False
            self.notice(f"could not book: {exc}")
            return None
        self.say(f"booked order {order['id']} ({package['name']}) at {booking.address}", "booked")
        return OrderView(order)

    def declines(self, multiplier: float) -> bool:
        return declines_quote(multiplier, self.config, self.rng)

    async def _watch(self, view: OrderView, *, booked_now: bool) -> None:
        """Follow the order to its end: chat, maybe cancel while pending, review at the end."""
        self._busy = True
        order_id = view.order_id
        await self.follow_order(order_id)
        started = time.monotonic()
        cancel_at = None
        if booked_now and self.rng.random() < self.config.cancel_fraction:
            cancel_at = started + self.rng.uniform(3.0, 20.0)
        give_up_at = started + self.config.patience_seconds
        next_poll = started + POLL_SECONDS
        try:
            while not view.done and view.status != "gone":
                if self.ticker.due():
                    await self.flush_chat()
                    now = time.monotonic()
                    if view.status == "pending" and cancel_at is not None and now >= cancel_at:
                        await self._cancel(view, self.rng.choice(script.CANCEL_REASONS))
                    elif view.status == "pending" and now >= give_up_at:
                        await self._cancel(view, "no washer came")
                    if now >= next_poll:
                        next_poll = now + POLL_SECONDS
                        await self.read_order(view)
                frame = await self.next_frame()
                if frame is None:
                    continue
                before = view.status
                if view.apply_event(frame) and view.status != before:
                    await self._on_status(view)
                message = chat_event(frame, order_id)
                if (
                    message is not None
                    and message.get("sender_role") == "washer"
                    and self.rng.random() < self.config.chat_chance * 1.5
                ):
                    await self.chat_later(order_id, self.rng.choice(script.CUSTOMER_REPLIES))
            if view.status == "completed":
                await self._review(view)
        finally:
            await self.unfollow_order(order_id)
            self._busy = False

    async def _on_status(self, view: OrderView) -> None:
        if view.status == "assigned" and self.rng.random() < self.config.chat_chance:
            await self.chat_later(view.order_id, self.rng.choice(script.CUSTOMER_OPENERS))
        elif view.status == "pending":
            self.say(f"is waiting again for a washer on order {view.order_id}")

    async def _cancel(self, view: OrderView, reason: str) -> None:
        if await self.transition(view, "cancelled", reason):
            self.say(f"cancelled order {view.order_id} ({reason})", "cancelled")

    async def _review(self, view: OrderView) -> None:
        stars = script.review_stars(self.rng)
        comment = self.rng.choice(script.REVIEW_COMMENTS)
        body: dict[str, Any] = {"stars": stars}
        if comment:
            body["comment"] = comment
        try:
            await self.user.call("POST", f"/api/orders/{view.order_id}/review", body=body)
        except ApiError as exc:
            if exc.status != 409:  # already reviewed (e.g. by an earlier run)
                self.notice(f"could not review order {view.order_id}: {exc}")
            return
        self.say(f"rated order {view.order_id} {stars}/5", "reviewed")

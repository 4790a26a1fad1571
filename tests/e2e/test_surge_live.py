"""Surge over real servers: a demand spike lights a zone up on a subscribed client at the
next computation, and washers arriving calm it down again.

Two processes on one PostgreSQL and Redis: the customer's stream is on the process that does
not necessarily compute (one computes at a time, under an advisory lock), so the numbers it
gets are the ones every pod streams.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from domain.roles import Role
from tests.e2e.streams import eventually, sse_stream
from tests.support.journey import ADDRESS
from tests.support.live import SseReader, live_client

FAST = {
    "SURGE_INTERVAL_SECONDS": "0.5",
    "SURGE_MIN_HOLD_SECONDS": "0",
    "MAX_OPEN_ORDERS_PER_CUSTOMER": "10",
    "DISPATCH_INTERVAL_SECONDS": "3600",
}
SPIKE = 3
"""Orders booked at once in the zone with nobody to serve them: pressure 3, so 2.0x."""
WASHERS = 6
"""Idle washers that drive in: pressure 0.5, low enough to clear the hysteresis to 1.0x."""


def prices(reader: SseReader) -> list[dict[str, Any]]:
    return [data["data"] for _, event, data in reader.events if event == "surge.zone"]


async def test_a_spike_raises_the_zone_on_the_client_and_arriving_washers_calm_it(
    start_server: Any, make_account: Any, http: Any, postgres_url: str, clean_redis_url: str
) -> None:
    one = start_server(postgres_url, clean_redis_url, **FAST)
    two = start_server(postgres_url, clean_redis_url, **FAST)
    await spike_and_calm(one, two, postgres_url, make_account, http)


async def test_embedded_mode_surges_and_calms_the_same_way(
    start_server: Any, make_account: Any, http: Any, sqlite_url: str
) -> None:
    server = start_server(sqlite_url, **FAST)
    await spike_and_calm(server, server, sqlite_url, make_account, http)


async def spike_and_calm(
    one: Any, two: Any, database_url: str, make_account: Any, http: Any
) -> None:
    """Book a spike through ``one``, watch the zone on ``two``, then send washers in."""
    admin = await make_account(one, database_url, Role.ADMIN)
    customer = await make_account(one, database_url, Role.CUSTOMER)
    washers = [await make_account(one, database_url, Role.WASHER) for _ in range(WASHERS)]
    api = http(one)
    package = await api.post(
        "/api/packages",
        headers=admin.headers,
        json={"name": "Surge wash", "base_price_cents": 2000, "duration_minutes": 30},
    )
    vehicle = await api.post(
        "/api/vehicles",
        headers=customer.headers,
        json={"make": "Volvo", "model": "V70", "plate": "SRG-1", "size": "small"},
    )
    booking = {"vehicle_id": vehicle.json()["id"], "package_id": package.json()["id"], **ADDRESS}
    asked = {key: value for key, value in booking.items() if key != "address"}
    where = f"/api/pricing/stream?lat={ADDRESS['lat']}&lng={ADDRESS['lng']}"

    async with AsyncExitStack() as stack:
        stream, _ = await stack.enter_async_context(
            sse_stream(two.base_url, where, customer.headers)
        )
        quote = await api.post("/api/quotes", headers=customer.headers, json=asked)
        assert quote.status_code == 200, quote.text
        zone = quote.json()["zone"]
        assert quote.json()["multiplier"] == 1.0

        for _ in range(SPIKE):
            response = await api.post("/api/orders", headers=customer.headers, json=booking)
            assert response.status_code == 201, response.text
        booked_at = datetime.now(UTC)

        async def computed_after_the_spike() -> bool:
            return any(datetime.fromisoformat(p["computed_at"]) > booked_at for p in prices(stream))

        await eventually(computed_after_the_spike)
        first = next(
            p for p in prices(stream) if datetime.fromisoformat(p["computed_at"]) > booked_at
        )
        # The first computation after the spike already carries it to the client.
        assert first["zone"] == zone
        assert (first["demand"], first["supply"]) == (SPIKE, 0)
        assert first["multiplier"] == 2.0
        surged = await api.post("/api/quotes", headers=customer.headers, json=asked)
        assert (surged.json()["multiplier"], surged.json()["price_cents"]) == (2.0, 4000)

        arrived_at = datetime.now(UTC)
        for washer in washers:
            response = await api.put(
                "/api/washers/me/availability", headers=washer.headers, json={"is_available": True}
            )
            assert response.status_code == 200, response.text
            phone = await stack.enter_async_context(live_client(one.ws_url, washer.token))
            fix = {
                "lat": ADDRESS["lat"],
                "lng": ADDRESS["lng"],
                "ts": datetime.now(UTC).isoformat(),
            }
            reply = await phone.request("location", **fix)
            assert reply["type"] == "reply", reply

        async def calmed() -> bool:
            return any(
                datetime.fromisoformat(p["computed_at"]) > arrived_at
                and p["supply"] == WASHERS
                and p["multiplier"] == 1.0
                for p in prices(stream)
            )

        await eventually(calmed)
        calm = await api.post("/api/quotes", headers=customer.headers, json=asked)
        assert (calm.json()["multiplier"], calm.json()["price_cents"]) == (1.0, 2000)
        seen = [p["multiplier"] for p in prices(stream)]
        assert max(seen) == 2.0 and seen[-1] == 1.0

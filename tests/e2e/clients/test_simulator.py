"""The city simulator (`python -m washline_simulator`, what `washline simulate` runs) against
a real server: simulated people book, drive, wash and review.

The simulator runs as its own process, exactly as `washline run` starts it, and everything
here is checked over the public API afterwards: it must have made orders, carried at least
one through every state with a washer who really drove there (the server's geofence marked
the arrival), left positions on the washers, and exited 0 at the end of its duration.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import httpx
import pytest
from washline_simulator.coords import LatLng
from washline_simulator.geo import Area

from domain.roles import Role
from tests.support.database import PASSWORD
from tests.support.server import ROOT

pytestmark = pytest.mark.e2e

AREA = Area(30.2600, -97.7500, 30.2690, -97.7400)
"""About 1 km across, so drives take seconds at the test's speed, not minutes."""
DURATION = 30
LIFECYCLE = ["pending", "assigned", "en_route", "arrived", "in_progress", "completed"]


async def run_simulator(base_url: str, admin_email: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "washline_simulator",
        "--base-url", base_url,
        "--washers", "3",
        "--customers", "3",
        "--seed", "7",
        "--orders-per-minute", "60",
        "--wash-seconds", "2",
        "--speed-mps", "30",
        "--duration", str(DURATION),
        "--area", f"{AREA.south},{AREA.west},{AREA.north},{AREA.east}",
        "--admin-email", admin_email,
        "--admin-password", PASSWORD,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        output, _ = await asyncio.wait_for(process.communicate(), DURATION + 60)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        pytest.fail(f"the simulator did not stop after its duration:\n{output.decode()}")
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


async def test_the_simulated_city_books_drives_washes_and_reviews(
    sqlite_url: str, start_server: Any, make_account: Any, http: Any
) -> None:
    server = start_server(sqlite_url, DISPATCH_INTERVAL_SECONDS="0.5")
    account = await make_account(server, sqlite_url, Role.ADMIN)
    admin = account.headers
    api: httpx.AsyncClient = http(server)
    package = await api.post(
        "/api/packages",
        headers=admin,
        json={"name": "Express Exterior", "base_price_cents": 2900, "duration_minutes": 30},
    )
    assert package.status_code == 201, package.text

    status, output = await run_simulator(server.base_url, account.email)
    assert status == 0, output

    orders = (await api.get("/api/orders", headers=admin, params={"limit": 100})).json()
    assert orders["total"] >= 3, output
    for order in orders["items"]:
        assert AREA.contains(LatLng(order["lat"], order["lng"])), order

    completed = [o for o in orders["items"] if o["status"] == "completed"]
    assert completed, output
    washers = (await api.get("/api/washers", headers=admin, params={"limit": 100})).json()
    sim_washers = {w["id"]: w for w in washers if w["email"].startswith("sim-washer-")}
    assert len(sim_washers) == 3
    arrivals_by_geofence, stars = 0, []
    for order in completed:
        assert order["washer_id"] in sim_washers, order
        detail = (await api.get(f"/api/orders/{order['id']}", headers=admin)).json()
        statuses = [e["to_status"] for e in detail["events"]]
        last_pending = len(statuses) - 1 - statuses[::-1].index("pending")
        assert ["pending", *statuses[last_pending + 1 :]] == LIFECYCLE, detail
        arrived = next(e for e in detail["events"][::-1] if e["to_status"] == "arrived")
        arrivals_by_geofence += arrived["actor_role"] == "system"
        review = await api.get(f"/api/orders/{order['id']}/review", headers=admin)
        if review.status_code == 200:
            stars.append(review.json()["stars"])
    assert arrivals_by_geofence >= 1, output
    assert stars and all(3 <= s <= 5 for s in stars), output

    for washer in sim_washers.values():
        assert washer["last_lat"] is not None and washer["last_lng"] is not None, washer
        assert AREA.contains(LatLng(washer["last_lat"], washer["last_lng"])), washer
        assert washer["is_available"] is False, washer  # went off duty when the city stopped

    assert "washer" in output and "accepted order" in output
    assert "stopped;" in output.splitlines()[-1]

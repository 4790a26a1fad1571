"""The surge heatmap in a real browser: a demand spike lights its zone up on the map (hexagon
coloured by multiplier, demand and supply in its tooltip), the surge tiles fill in, and an
admin pins the zone from the page, which the next computation applies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from playwright.async_api import Browser, expect

from domain.roles import Role
from tests.browser.conftest import ADMIN_EMAIL, Site
from tests.browser.test_dashboard import WAIT_MS, sign_in
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.journey import ADDRESS

FAST = {"SURGE_INTERVAL_SECONDS": "0.5", "SURGE_MIN_HOLD_SECONDS": "0"}


async def book_spike(base_url: str, database_url: str, orders: int) -> None:
    """A customer books ``orders`` washes at one address nobody serves."""
    email = "spike@browser.test"
    await add_user(settings_for(database_url), email, Role.CUSTOMER, "Spike Customer")
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:

        async def token(address: str) -> dict[str, str]:
            login = await client.post(
                "/api/auth/login", json={"email": address, "password": PASSWORD}
            )
            login.raise_for_status()
            return {"Authorization": f"Bearer {login.json()['access_token']}"}

        admin, customer = await token(ADMIN_EMAIL), await token(email)
        package = await client.post(
            "/api/packages",
            headers=admin,
            json={"name": "Heatmap wash", "base_price_cents": 2000, "duration_minutes": 30},
        )
        package.raise_for_status()
        vehicle = await client.post(
            "/api/vehicles",
            headers=customer,
            json={"make": "Volvo", "model": "V70", "plate": "HEAT-1", "size": "small"},
        )
        vehicle.raise_for_status()
        body: dict[str, Any] = {
            "vehicle_id": vehicle.json()["id"],
            "package_id": package.json()["id"],
            **ADDRESS,
        }
        for _ in range(orders):
            (await client.post("/api/orders", headers=customer, json=body)).raise_for_status()


async def test_a_spike_lights_its_zone_and_an_admin_pins_it(
    browser: Browser, make_site: Callable[..., Site], ops_database: str
) -> None:
    site = make_site(**FAST)
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await sign_in(page, site.base_url, ADMIN_EMAIL)
    await expect(page.locator("#console")).to_be_visible(timeout=WAIT_MS)

    await book_spike(site.base_url, ops_database, orders=3)
    hot = page.locator('polygon[data-zone][data-multiplier="2"]')
    await expect(hot).to_have_count(1, timeout=WAIT_MS)
    await expect(hot.locator("title")).to_contain_text("demand 3 · supply 0")
    fill = await hot.get_attribute("fill")
    assert fill is not None and fill.startswith("hsl(")
    average = page.locator("#surge-average")
    # the three bookings were made before the zone surged: they average 1.0x
    await expect(average).to_have_attribute("data-value", "1", timeout=WAIT_MS)
    await expect(average).to_have_text("1.00x")
    await expect(page.locator("#surge-revenue")).to_have_attribute("data-value", "0")

    zone = await hot.get_attribute("data-zone")
    await hot.click(force=True)
    panel = page.locator("#zone-panel")
    await expect(panel).to_be_visible()
    await expect(panel).to_have_attribute("data-zone", zone or "")
    await page.fill("#zone-pin", "1.5")
    await page.click("#zone-save")
    await expect(panel).to_have_attribute("data-saved", '{"cap":null,"pin":1.5}', timeout=WAIT_MS)
    pinned = page.locator(f'polygon[data-zone="{zone}"]')
    await expect(pinned).to_have_attribute("data-multiplier", "1.5", timeout=WAIT_MS)
    await expect(pinned.locator("title")).to_contain_text("pinned")

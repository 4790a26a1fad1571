"""The shareable live tracking page (`/track/{token}`) in a real Chromium against a real
server on PostgreSQL + Redis: someone holding only the link sees the washer move on the map,
the status and ETA change live and the destination as a pin, the page end when the wash is
done or the link is revoked, and no names or address; a dead link shows a clear page.
Everything waits on the page's state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser
from washline_client import WashlineClient

from domain.roles import Role
from tests.browser.conftest import ADMIN_EMAIL, Site
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.journey import ADDRESS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

WAIT_MS = 30_000
CUSTOMER_NAME = "Casey Customer"
WASHER_NAME = "Wesley Quentin Washer"
ENDED = "This tracking link has ended"


def fix(north_m: float, seconds_ago: float) -> dict[str, Any]:
    """A fix `north_m` metres north of the address, driving south at 8 m/s."""
    return {
        "lat": ADDRESS["lat"] + north_m / 111_000,
        "lng": ADDRESS["lng"],
        "ts": (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat(),
        "speed": 8.0,
        "heading": 180.0,
    }


async def test_a_recipient_watches_the_washer_drive_and_the_wash_finish(
    browser: Browser, site: Site, ops_database: str, output_dir: Path
) -> None:
    settings = settings_for(ops_database)
    await add_user(settings, "track-customer@browser.test", Role.CUSTOMER, CUSTOMER_NAME)
    await add_user(settings, "track-washer@browser.test", Role.WASHER, WASHER_NAME)
    async with (
        WashlineClient(site.base_url) as admin,
        WashlineClient(site.base_url) as customer,
        WashlineClient(site.base_url) as washer,
    ):
        await admin.login(ADMIN_EMAIL, PASSWORD)
        await customer.login("track-customer@browser.test", PASSWORD)
        await washer.login("track-washer@browser.test", PASSWORD)
        package = await admin.call(
            "POST",
            "/api/packages",
            {"name": "Track", "base_price_cents": 1500, "duration_minutes": 9},
        )
        vehicle = await customer.add_vehicle("Mini", "One", "TRK-1", "small")
        order = await customer.book(vehicle_id=vehicle.id, package_id=package["id"], **ADDRESS)
        await admin.transition(order.id, "assigned", washer_id=washer.user.id)
        link = await customer.call("POST", f"/api/orders/{order.id}/share")
        await washer.transition(order.id, "en_route")

        page = await browser.new_page(viewport={"width": 900, "height": 700})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        opened = await page.goto(f"{site.base_url}{link['url']}")
        assert opened is not None and opened.status == 200
        await page.wait_for_selector("#tracking[data-state=live]", timeout=WAIT_MS)
        await page.wait_for_selector("#status[data-status=en_route]", timeout=WAIT_MS)
        pin = await page.wait_for_selector("#destination-pin", timeout=WAIT_MS)
        assert pin is not None
        assert float(await pin.get_attribute("data-lat") or 0) == round(ADDRESS["lat"], 3)
        assert float(await pin.get_attribute("data-lng") or 0) == round(ADDRESS["lng"], 3)

        async def drive(north_m: float, seconds_ago: float, moves: int) -> dict[str, str]:
            body = {"fixes": [fix(north_m, seconds_ago)]}
            await washer.call("POST", "/api/washers/me/location", body)
            marker = await page.wait_for_selector(
                f"#washer-marker[data-moves='{moves}']", timeout=WAIT_MS
            )
            assert marker is not None
            return dict(await marker.evaluate("(node) => ({x: node.dataset.x, y: node.dataset.y})"))

        far = await drive(3000, 40, 1)
        eta_far = await page.text_content("#eta")
        near = await drive(1500, 5, 2)
        assert float(near["y"]) > float(far["y"])  # moved south, down the map
        assert near["x"] == far["x"]
        assert eta_far != await page.text_content("#eta")
        await page.screenshot(path=str(output_dir / "track-page.png"))

        await washer.transition(order.id, "arrived")
        await page.wait_for_selector("#status[data-status=arrived]", timeout=WAIT_MS)
        await washer.transition(order.id, "in_progress")
        await page.wait_for_selector("#status[data-status=in_progress]", timeout=WAIT_MS)
        await washer.transition(order.id, "completed")
        await page.wait_for_selector("#tracking[data-state=ended]", timeout=WAIT_MS)
        assert await page.get_attribute("#status", "data-status") == "completed"
        assert await page.get_attribute("#ended", "data-code") == "share_ended"
        assert await page.text_content("h1") == ENDED

        shown = await page.content()
        for private in (*CUSTOMER_NAME.split(), *WASHER_NAME.split(), ADDRESS["address"], "TRK-1"):
            assert private not in shown
        assert errors == []

        async with httpx.AsyncClient(base_url=site.base_url, timeout=10) as api:
            gone = await api.get(f"/api/share/{link['token']}")
            assert gone.status_code == 404
        ended = await browser.new_page()
        answer = await ended.goto(f"{site.base_url}{link['url']}")
        assert answer is not None and answer.status == 404
        assert await ended.text_content("h1") == ENDED
        unknown = await ended.goto(f"{site.base_url}/track/{'U' * 43}")
        assert unknown is not None and unknown.status == 404
        assert await ended.text_content("h1") == ENDED


async def test_a_revoked_link_ends_the_open_page_and_shows_ended_on_reload(
    browser: Browser, site: Site, ops_database: str
) -> None:
    settings = settings_for(ops_database)
    await add_user(settings, "revoke-customer@browser.test", Role.CUSTOMER, "Rhoda Revoker")
    async with (
        WashlineClient(site.base_url) as admin,
        WashlineClient(site.base_url) as customer,
    ):
        await admin.login(ADMIN_EMAIL, PASSWORD)
        await customer.login("revoke-customer@browser.test", PASSWORD)
        package = await admin.call(
            "POST",
            "/api/packages",
            {"name": "Revoked", "base_price_cents": 1100, "duration_minutes": 9},
        )
        vehicle = await customer.add_vehicle("Seat", "Ibiza", "RVK-1", "small")
        order = await customer.book(vehicle_id=vehicle.id, package_id=package["id"], **ADDRESS)
        link = await customer.share(order.id)

        page = await browser.new_page()
        await page.goto(f"{site.base_url}{link.url}")
        await page.wait_for_selector("#tracking[data-state=live]", timeout=WAIT_MS)
        assert await page.text_content("h1") != ENDED
        assert await customer.revoke_shares(order.id) == 1
        await page.wait_for_selector("#tracking[data-state=ended]", timeout=WAIT_MS)
        assert await page.text_content("h1") == ENDED
        assert await page.get_attribute("#ended", "data-code") == "share_ended"

        reloaded = await page.reload()
        assert reloaded is not None and reloaded.status == 404
        assert await page.text_content("h1") == ENDED
        assert "Rhoda" not in await page.content()


SHARE_AND_FOLLOW = """async ([email, password, orderId]) => {
  const sdk = await import('/sdk/washline.js');
  const client = new sdk.WashlineClient();
  await client.login(email, password);
  window.client = client;
  const link = await client.share(orderId);
  window.seen = { snapshots: [], ends: [], states: [] };
  const follow = (token, into) => new sdk.ShareFollower({
    token,
    backoff: { baseMs: 100, capMs: 500 },
    onSnapshot: (order) => into.snapshots.push(order),
    onEnd: (ended) => into.ends.push(ended),
    onState: (state) => into.states.push(state),
  });
  window.bogus = { snapshots: [], ends: [], states: [] };
  follow(link.token, window.seen).start();
  follow('A'.repeat(43), window.bogus).start();
  return link;
}"""


async def test_the_js_sdk_shares_revokes_and_follows_a_link_to_its_end(
    browser: Browser, site: Site, ops_database: str
) -> None:
    settings = settings_for(ops_database)
    await add_user(settings, "sdk-sharer@browser.test", Role.CUSTOMER, "Sharon Sharer")
    async with (
        WashlineClient(site.base_url) as admin,
        WashlineClient(site.base_url) as customer,
    ):
        await admin.login(ADMIN_EMAIL, PASSWORD)
        await customer.login("sdk-sharer@browser.test", PASSWORD)
        package = await admin.call(
            "POST",
            "/api/packages",
            {"name": "Shared", "base_price_cents": 900, "duration_minutes": 9},
        )
        vehicle = await customer.add_vehicle("Kia", "Rio", "SHR-2", "small")
        order = await customer.book(vehicle_id=vehicle.id, package_id=package["id"], **ADDRESS)

    page = await browser.new_page()
    await page.goto(f"{site.base_url}/health")
    link = await page.evaluate(SHARE_AND_FOLLOW, ["sdk-sharer@browser.test", PASSWORD, order.id])
    assert link["url"] == f"/track/{link['token']}"
    await page.wait_for_function("() => window.seen.snapshots.length === 1", timeout=WAIT_MS)
    await page.wait_for_function("() => window.bogus.ends.length === 1", timeout=WAIT_MS)
    bogus = await page.evaluate("window.bogus")
    assert bogus["ends"] == [
        {"code": "share_not_found", "message": "this share link does not exist or has expired"}
    ]
    assert bogus["snapshots"] == []

    revoked = await page.evaluate(f"window.client.revokeShares({order.id})")
    assert revoked == {"revoked": 1}
    await page.wait_for_function("() => window.seen.ends.length === 1", timeout=WAIT_MS)
    seen = await page.evaluate("window.seen")
    assert seen["snapshots"][0]["status"] == "pending"
    assert seen["ends"][0]["code"] == "share_ended"
    assert seen["states"][:2] == ["connecting", "live"] and seen["states"][-1] == "closed"

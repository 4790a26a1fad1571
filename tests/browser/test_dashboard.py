"""The admin dashboard in a real Chromium against a real server fed by the city simulator:
it logs in, fills its KPI tiles, moves washers, streams events, opens an order, and survives
the server being killed and started again (the browser resumes from its last event id).

Everything waits on the page's own state (Playwright's expect / wait_for_function with
timeouts); nothing sleeps and nothing asserts on timing.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from domain.roles import Role
from tests.browser.conftest import ADMIN_EMAIL, Site
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

WAIT_MS = 30_000
NUMBER = re.compile(r"^\d+(\.\d+)?$")
ALWAYS_NUMBERS = [
    "active_orders",
    "unassigned",
    "washers.online",
    "washers.idle",
    "washers.busy",
    "time_to_assign.count",
    "sla.breaches",
    "today.completed",
    "today.cancelled",
    "today.revenue_cents",
    "connections.ws",
    "connections.sse",
]
"""KPI figures the snapshot always has (the others may be null, shown as a dash)."""
CANCELLABLE = ["pending", "assigned", "en_route", "arrived"]
CANCEL_ATTEMPTS = 5
ACTIVE_ORDERS_TOLERANCE = 4
"""The city keeps changing between the page's last tick and our own request."""

STATE = "document.querySelector('#connection-state').dataset.state"
POSITIONS = """() => Object.fromEntries(
    [...document.querySelectorAll('#map [data-washer-id]')]
        .filter((m) => m.dataset.state !== 'stale')
        .map((m) => [m.dataset.washerId, [m.dataset.lat, m.dataset.lng]]))"""
A_WASHER_MOVED = """(before) => [...document.querySelectorAll('#map [data-washer-id]')]
  .some((m) => {
    const was = before[m.dataset.washerId];
    return was !== undefined && (was[0] !== m.dataset.lat || was[1] !== m.dataset.lng);
})"""
SESSION_TOKEN = (
    "JSON.parse(sessionStorage.getItem('washline.dashboard.session') || '{}').accessToken"
)
MARK_FEED_SEEN = "document.querySelectorAll('#feed li').forEach((li) => { li.dataset.seen = '1'; })"
NEW_ORDER_ENTRY = '#feed li[data-event^="order."]:not([data-seen]):not([data-backfill])'


@asynccontextmanager
async def admin_client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        login = await client.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD}
        )
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client


async def server_kpis(base_url: str) -> dict[str, Any]:
    async with admin_client(base_url) as client:
        response = await client.get("/api/admin/kpis")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


async def cancel_an_active_order(base_url: str) -> int:
    """Cancel, as an admin, the newest order that is not finished; returns its id. The
    simulator keeps moving orders: one it finished between the listing and the cancel
    answers 409, and the next listing names another."""
    async with admin_client(base_url) as client:
        statuses = "&".join(f"status={s}" for s in CANCELLABLE)
        for _ in range(CANCEL_ATTEMPTS):
            listing = await client.get(f"/api/orders?{statuses}&limit=1")
            listing.raise_for_status()
            items = listing.json()["items"]
            assert items, "the city has no order left to cancel"
            order_id: int = items[0]["id"]
            response = await client.post(
                f"/api/orders/{order_id}/transitions",
                json={"to": "cancelled", "reason": "browser test: cancelled by operations"},
            )
            if response.status_code != 409:
                response.raise_for_status()
                return order_id
        pytest.fail(f"every order moved on before it could be cancelled: {response.text}")


async def sign_in(page: Page, base_url: str, email: str) -> None:
    await page.goto(f"{base_url}/dashboard")
    await page.fill("#login-email", email)
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")


async def connection_states(page: Page, since: int = 0) -> list[str]:
    states: list[str] = await page.evaluate(
        "(since) => window.washlineDashboard.state.connectionHistory.slice(since)"
        ".map((entry) => entry.state)",
        since,
    )
    return states


async def wait_for_new_order_event(page: Page) -> None:
    await page.evaluate(MARK_FEED_SEEN)
    await expect(page.locator(NEW_ORDER_ENTRY).first).to_be_attached(timeout=WAIT_MS)


async def wait_for_a_washer_to_move(page: Page) -> None:
    await page.wait_for_function(f"() => Object.keys(({POSITIONS})()).length > 0", timeout=WAIT_MS)
    before = await page.evaluate(POSITIONS)
    await page.wait_for_function(A_WASHER_MOVED, arg=before, timeout=WAIT_MS)


async def open_order_from_feed(page: Page) -> None:
    """Click the newest order entry of the feed: the panel shows that order's history."""
    newest = page.locator("#feed li[data-order-id]").first
    order_id = await newest.get_attribute("data-order-id") or ""
    # The feed keeps moving: click that order's entry, not whichever is first by then.
    await page.locator(f'#feed li[data-order-id="{order_id}"]').first.click()
    drilldown = page.locator("#drilldown")
    await expect(drilldown).to_be_visible(timeout=WAIT_MS)
    await expect(drilldown).to_have_attribute("data-order-id", order_id, timeout=WAIT_MS)
    await expect(page.locator("#drilldown-events li").first).to_be_attached(timeout=WAIT_MS)
    await expect(page.locator("#drilldown-chat")).to_be_attached(timeout=WAIT_MS)


async def open_order_on_map(page: Page, status: str) -> None:
    """Click an order marker in `status`: its panel opens and its washer's track is drawn."""
    marker = page.locator(f'#map [data-order-id][data-status="{status}"]').first
    await expect(marker).to_be_attached(timeout=WAIT_MS)
    order_id = await marker.get_attribute("data-order-id") or ""
    # Dispatched rather than clicked with the mouse: a washer may be driving over it.
    await marker.dispatch_event("click")
    drilldown = page.locator("#drilldown")
    await expect(drilldown).to_have_attribute("data-order-id", order_id, timeout=WAIT_MS)
    await expect(page.locator("#drilldown-track")).to_be_attached(timeout=WAIT_MS)
    await expect(page.locator("#map polyline.track")).to_be_attached(timeout=WAIT_MS)


def save_evidence(output_dir: Path, site: Site, tmp_path: Path) -> None:
    """On failure: keep the logs next to the screenshot, where CI collects them."""
    for log in tmp_path.glob("*.log"):
        shutil.copy(log, output_dir / log.name)


async def test_dashboard_streams_the_city_and_resumes_after_the_server_is_killed(
    browser: Browser,
    site: Site,
    simulator: subprocess.Popen[bytes],
    output_dir: Path,
    tmp_path: Path,
) -> None:
    page = await browser.new_page(viewport={"width": 1440, "height": 900})
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        await sign_in(page, site.base_url, ADMIN_EMAIL)
        badge = page.locator("#connection-state")
        await expect(badge).to_have_attribute("data-state", "live", timeout=WAIT_MS)

        # KPI tiles hold the server's figures (from GET /api/admin/kpis, then kpi.tick).
        for kpi in ALWAYS_NUMBERS:
            await expect(page.locator(f'[data-kpi="{kpi}"]')).to_have_attribute(
                "data-value", NUMBER, timeout=WAIT_MS
            )
        await page.wait_for_function(  # the page's own stream is one of the SSE connections
            "() => Number(document.querySelector('#kpi-connections-sse').dataset.value) >= 1",
            timeout=WAIT_MS,
        )
        shown = int(await page.locator("#kpi-active-orders").get_attribute("data-value") or -1)
        actual = (await server_kpis(site.base_url))["active_orders"]
        assert abs(shown - actual) <= ACTIVE_ORDERS_TOLERANCE, (shown, actual)

        await wait_for_a_washer_to_move(page)
        await wait_for_new_order_event(page)

        # A washer working an order is drawn busy, with its order en route on the map.
        await expect(page.locator('#map [data-washer-id][data-state="busy"]').first).to_be_attached(
            timeout=WAIT_MS
        )
        await open_order_from_feed(page)
        await open_order_on_map(page, "en_route")
        await page.screenshot(path=output_dir / "dashboard.png")

        # The server dies without a goodbye and comes back on the same port: the page says
        # so, reconnects by itself and resumes from its last event id (history is in Redis).
        seen_before = len(await connection_states(page))
        last_id_before = await page.evaluate("window.washlineDashboard.lastEventId")
        assert last_id_before, "the stream never gave an event id"
        site.kill()
        await expect(badge).to_have_attribute("data-state", "reconnecting", timeout=WAIT_MS)
        await asyncio.to_thread(site.start)
        await page.wait_for_function(
            f"() => ['resumed', 'live'].includes({STATE})", timeout=2 * WAIT_MS
        )
        states = await connection_states(page, seen_before)
        assert states[0] == "reconnecting", states
        assert "resumed" in states and "reset" not in states, states

        assert simulator.poll() is None, "the simulator stopped when the server went away"
        await wait_for_a_washer_to_move(page)
        await page.wait_for_function(  # positions moved the stream on past where it stopped
            "(before) => window.washlineDashboard.lastEventId !== before",
            arg=last_id_before,
            timeout=WAIT_MS,
        )
        # An order event the new process publishes reaches the feed (the simulated customers
        # may all be waiting for washers now, so the test makes one itself).
        cancelled = await cancel_an_active_order(site.base_url)
        await expect(
            page.locator(
                f'#feed li[data-event="order.status"][data-order-id="{cancelled}"].status-cancelled'
            )
        ).to_be_attached(timeout=WAIT_MS)
        ticked = await page.get_attribute("#kpis", "data-generated-at")
        await page.wait_for_function(  # KPI ticks flow from the new process too
            "(before) => document.querySelector('#kpis').dataset.generatedAt !== before",
            arg=ticked,
            timeout=WAIT_MS,
        )
        await page.screenshot(path=output_dir / "dashboard-after-restart.png")
        history = await page.evaluate("window.washlineDashboard.state.connectionHistory")
        (output_dir / "connection-history.json").write_text(json.dumps(history, indent=1))
        assert page_errors == [], page_errors
    except BaseException:
        await page.screenshot(path=output_dir / "dashboard-failure.png")
        save_evidence(output_dir, site, tmp_path)
        raise


async def test_a_non_admin_is_told_the_console_is_for_administrators(
    browser: Browser, site: Site, ops_database: str
) -> None:
    email = "washer@browser.test"
    await add_user(settings_for(ops_database), email, Role.WASHER, "Walt Washer")
    page = await browser.new_page()
    await sign_in(page, site.base_url, email)
    error = page.locator("#login-error")
    await expect(error).to_be_visible(timeout=WAIT_MS)
    await expect(error).to_contain_text("administrators")
    await expect(page.locator("#console")).to_be_hidden()
    assert await page.evaluate("sessionStorage.length") == 0  # no session kept for it


async def test_tokens_are_refreshed_and_the_stream_reconnects_with_the_new_one(
    browser: Browser, make_site: Callable[..., Site]
) -> None:
    """With 6-second access tokens the page refreshes them on its own; when the server comes
    back after the first token has long expired, the stream reconnects with a fresh one."""
    site = make_site(ACCESS_TOKEN_TTL_SECONDS="6")
    page = await browser.new_page()
    await sign_in(page, site.base_url, ADMIN_EMAIL)
    badge = page.locator("#connection-state")
    await expect(badge).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    first = await page.evaluate(SESSION_TOKEN)
    # Three refreshes, each at the latest halfway through a token's life: the first token
    # has expired by then, whatever the timing.
    seen = [first]
    for _ in range(3):
        await page.wait_for_function(
            f"(last) => ({SESSION_TOKEN}) !== last", arg=seen[-1], timeout=WAIT_MS
        )
        seen.append(await page.evaluate(SESSION_TOKEN))
    assert len(set(seen)) == 4

    site.kill()
    await expect(badge).to_have_attribute("data-state", "reconnecting", timeout=WAIT_MS)
    await asyncio.to_thread(site.start)
    await page.wait_for_function(
        f"() => ['resumed', 'live'].includes({STATE})", timeout=2 * WAIT_MS
    )
    ticked = await page.get_attribute("#kpis", "data-generated-at")
    await page.wait_for_function(
        "(before) => document.querySelector('#kpis').dataset.generatedAt !== before",
        arg=ticked,
        timeout=WAIT_MS,
    )
    await expect(page.locator("#console")).to_be_visible()
    await expect(page.locator("#login-view")).to_be_hidden()

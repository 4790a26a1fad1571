"""The dashboard's audit panel in a real Chromium against a real server on PostgreSQL + Redis:
it opens with the entries written before the page (GET /api/admin/audit), takes each new one
live from the `audit` channel without a reload, and unfolds an entry's before/after changes.
When the admin's sessions are revoked, the page goes back to the sign-in form and its live
stream does not try to reconnect: the server has said the session is over.

Everything waits on the page's own state; the one pause is the window in which a reconnect,
were one attempted, would show up (several of the SDK's backoff delays).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, Request, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from domain.roles import Role
from tests.browser.conftest import ADMIN_EMAIL, Site
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

WAIT_MS = 30_000
RECONNECT_WINDOW_S = 3.0
"""Longer than several first backoff delays (at most 0.5 s each): a retry would be seen."""
PROBES = 10
PROBE_WAIT_MS = 3_000
RECONNECTING_PATHS = ("/api/admin/stream", "/api/admin/audit/events", "/api/me", "/api/auth/")


@asynccontextmanager
async def admin_api(base_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """An admin's REST client (its own session) and the admin's user id."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        login = await client.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD}
        )
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client, login.json()["user"]["id"]


async def until_the_panel_is_live(page: Page, base_url: str) -> None:
    """An SSE stream is open before the server has subscribed it: log the admin in over REST
    (an `auth.login` entry) until one such entry reaches the panel live."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        for _ in range(PROBES):
            login = await client.post(
                "/api/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD}
            )
            login.raise_for_status()
            try:
                await page.wait_for_function(
                    "() => document.querySelector('#audit li:not([data-backfill])') !== null",
                    timeout=PROBE_WAIT_MS,
                )
                return
            except PlaywrightTimeout:
                continue
    pytest.fail("no audit entry reached the panel live")


async def test_audit_entries_reach_the_panel_live_and_a_revoked_session_signs_out(
    browser: Browser, site: Site, ops_database: str, output_dir: Path
) -> None:
    washer_email = "audited-washer@browser.test"
    washer_id = await add_user(settings_for(ops_database), washer_email, Role.WASHER, "Wanda")
    async with httpx.AsyncClient(base_url=site.base_url, timeout=10) as anonymous:
        wrong = {"email": washer_email, "password": "not-the-password"}
        assert (await anonymous.post("/api/auth/login", json=wrong)).status_code == 401

    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        await page.goto(f"{site.base_url}/dashboard")
        await page.fill("#login-email", ADMIN_EMAIL)
        await page.fill("#login-password", PASSWORD)
        await page.click("#login-submit")
        await expect(page.locator("#connection-state")).to_have_attribute(
            "data-state", "live", timeout=WAIT_MS
        )
        # The backfill: the failed login happened before the page opened.
        earlier = page.locator(
            f'#audit li[data-backfill][data-action="auth.login_failed"]'
            f'[data-target-id="{washer_id}"]'
        )
        await expect(earlier).to_have_count(1, timeout=WAIT_MS)
        await expect(page.locator("#audit-count")).to_contain_text("from before")
        await until_the_panel_is_live(page, site.base_url)

        async with admin_api(site.base_url) as (api, admin_id):
            (await api.delete(f"/api/washers/{washer_id}")).raise_for_status()
            live = page.locator(
                f'#audit li:not([data-backfill])[data-action="washer.deactivated"]'
                f'[data-target-id="{washer_id}"]'
            )
            await expect(live).to_have_count(1, timeout=WAIT_MS)
            await expect(page.locator("#audit li").first).to_have_attribute(
                "data-action", "washer.deactivated"
            )  # newest first
            assert "is_active" in (await live.get_attribute("title") or "")
            await live.click()
            change = live.locator('.audit-diff tr[data-field="is_active"]')
            await expect(change.locator("td.was")).to_have_text("true")
            await expect(change.locator("td.is")).to_have_text("false")
            box = await page.locator(".audit-panel").bounding_box()
            assert box is not None and box["y"] + box["height"] <= 720, box
            await page.screenshot(path=output_dir / "dashboard-audit.png")

            # The admin's sessions end: the page is told, shows the sign-in form, and its
            # stream does not come back (no reconnect, no refresh, no probe of /api/me).
            requests: list[str] = []

            def record(request: Request) -> None:
                if any(path in request.url for path in RECONNECTING_PATHS):
                    requests.append(request.url)

            page.on("request", record)
            revoked = await api.delete(f"/api/admin/users/{admin_id}/sessions")
            assert revoked.status_code == 200, revoked.text

        await expect(page.locator("#login-view")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#console")).to_be_hidden()
        await expect(page.locator("#login-error")).to_contain_text("sign in again")
        await expect(page.locator("#audit li")).to_have_count(0)
        await asyncio.sleep(RECONNECT_WINDOW_S)
        assert requests == [], requests
        assert await page.evaluate("sessionStorage.length") == 0
        assert page_errors == [], page_errors
    except BaseException:
        await page.screenshot(path=output_dir / "dashboard-audit-failure.png")
        raise

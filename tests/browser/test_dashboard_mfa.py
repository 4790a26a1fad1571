"""An admin with an authenticator app signs in to the dashboard in two steps, in Chromium."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pyotp
from playwright.async_api import Browser, expect

from tests.browser.conftest import ADMIN_EMAIL, Site
from tests.support.database import PASSWORD

WAIT_MS = 20_000


def code_at(secret: str, steps_ahead: int) -> str:
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * steps_ahead))


def enrol_admin(base_url: str) -> str:
    """Give the browser tests' admin an authenticator app, through the API; its secret."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        login = client.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD})
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        started = client.post("/api/me/mfa/totp", json={"password": PASSWORD})
        started.raise_for_status()
        secret: str = started.json()["secret"]
        confirm = client.post("/api/me/mfa/totp/confirm", json={"code": code_at(secret, 0)})
        confirm.raise_for_status()
    return secret


async def test_an_admin_with_a_second_factor_signs_in_with_the_code(
    browser: Browser, site: Site
) -> None:
    secret = enrol_admin(site.base_url)
    page = await browser.new_page()
    await page.goto(f"{site.base_url}/dashboard")
    await page.fill("#login-email", ADMIN_EMAIL)
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")

    code_row = page.locator("#login-code-row")
    await expect(code_row).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#login-error")).to_contain_text("authenticator")
    await expect(page.locator("#console")).to_be_hidden()

    await page.fill("#login-code", "000000" if code_at(secret, 0) != "000000" else "111111")
    await page.click("#login-submit")
    await expect(page.locator("#login-error")).to_contain_text("wrong", timeout=WAIT_MS)
    await expect(page.locator("#console")).to_be_hidden()

    await page.fill("#login-code", code_at(secret, 1))
    await page.click("#login-submit")
    await expect(page.locator("#console")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#login-view")).to_be_hidden()
    stored = await page.evaluate("JSON.parse(sessionStorage.getItem('washline.dashboard.session'))")
    assert stored["user"]["email"] == ADMIN_EMAIL

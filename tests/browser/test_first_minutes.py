"""A new user's first minutes, as `make run` sets them up: demo data, a real server, and the
default simulated city driving it (its own washers and customers, and the demo washers).

`/` leads to the dashboard; the login page shows no stream state; after signing in the feed
already holds what happened before, money carries its currency, the order panel names the
customer, every washer on the map has a signal (the demo ones too, whose demo orders get
worked), and at 1280x720 the whole console, map included, fits the window. The README's
screenshot is taken here (WASHLINE_UPDATE_SCREENSHOT=1), of this city rather than a tiny one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from washline_simulator.config import SimConfig

from app.demo import ADMIN_EMAIL, ADMIN_PASSWORD, WASHERS, load_demo_data
from persistence.database import create_engine, create_session_factory
from tests.browser.conftest import Site
from tests.support.api import test_settings as settings_for
from tests.support.database import truncate_all
from tests.support.polling import poll_until
from tests.support.server import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

WAIT_MS = 60_000
VIEWPORT = {"width": 1280, "height": 720}
SCREENSHOT_ENV = "WASHLINE_UPDATE_SCREENSHOT"
DOCS_SCREENSHOT = ROOT / "docs" / "dashboard.png"
CITY_WASHERS = SimConfig().washers + len(WASHERS)
DEMO_ASSIGNED_ORDER = 2
"""The demo order left `assigned` to a demo washer (app.demo.ORDER_PATHS)."""
BOX = "(selector) => document.querySelector(selector).getBoundingClientRect().toJSON()"


@pytest.fixture
async def demo_site(ops_database: str, make_site: Callable[..., Site]) -> Site:
    """The demo data (and nothing else) on a fresh database, served."""
    await truncate_all(ops_database)
    engine = create_engine(ops_database)
    try:
        await load_demo_data(create_session_factory(engine), settings_for(ops_database))
    finally:
        await engine.dispose()
    return make_site()


@pytest.fixture
def default_city(demo_site: Site, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The simulator as `washline run` starts it: default city, demo washers included."""
    log = (tmp_path / "simulator.log").open("ab")
    command = [sys.executable, "-m", "app.cli", "simulate", "--base-url", demo_site.base_url]
    command += ["--demo-washers", str(len(WASHERS))]
    home = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=home,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def save_logs(tmp_path: Path, output_dir: Path) -> None:
    """On failure: keep the server's and the simulator's logs beside the screenshot."""
    for log in tmp_path.glob("*.log"):
        (output_dir / f"first-minutes-{log.name}").write_bytes(log.read_bytes())


async def customer_id(page: Page) -> int:
    """The selected order's customer id, as the page's store has it."""
    value = await page.evaluate(
        "() => { const s = window.washlineDashboard.state;"
        " return s.orders.get(s.selectedOrderId).customerId; }"
    )
    return int(value)


async def order_status(base_url: str, order_id: int) -> str:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        login = await client.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        response = await client.get(f"/api/orders/{order_id}", headers=headers)
        response.raise_for_status()
        status: str = response.json()["order"]["status"]
        return status


async def test_the_first_minutes_of_a_new_user(
    browser: Browser,
    demo_site: Site,
    default_city: subprocess.Popen[bytes],
    output_dir: Path,
    tmp_path: Path,
) -> None:
    page = await browser.new_page(viewport=VIEWPORT)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        # `/` in a browser is the dashboard; before signing in there is no stream to show.
        await page.goto(f"{demo_site.base_url}/")
        assert page.url == f"{demo_site.base_url}/dashboard"
        badge = page.locator("#connection-state")
        await expect(page.locator("#login-form")).to_be_visible()
        await expect(badge).to_be_hidden()

        await page.fill("#login-email", ADMIN_EMAIL)
        await page.fill("#login-password", ADMIN_PASSWORD)
        await page.click("#login-submit")
        await expect(badge).to_be_visible()
        await expect(badge).to_have_attribute("data-state", "live", timeout=WAIT_MS)

        # The feed opens with the demo's history, below whatever streamed in since; a new
        # order's price is in the server's currency.
        created = page.locator('#feed li[data-backfill][data-event="order.created"]')
        await expect(created.first).to_be_attached(timeout=WAIT_MS)
        assert await created.count() >= 6  # the six demo orders were booked before we came
        await expect(created.first).to_contain_text("$")
        await expect(page.locator("#feed-count")).to_contain_text("from before")
        await expect(page.locator("#kpi-revenue-today")).to_contain_text("$", timeout=WAIT_MS)

        # Every washer of the city, the demo ones included, reports: none without a signal.
        markers = page.locator("#map [data-washer-id]")
        await expect(markers).to_have_count(CITY_WASHERS, timeout=WAIT_MS)
        await page.wait_for_function(
            """(count) => {
                const live = [...document.querySelectorAll('#map [data-washer-id]')]
                    .filter((m) => m.dataset.state !== 'stale');
                return live.length === count;
            }""",
            arg=CITY_WASHERS,
            timeout=WAIT_MS,
        )
        # The demo order assigned to a demo washer is worked, not left assigned forever.
        status = await poll_until(
            lambda: order_status(demo_site.base_url, DEMO_ASSIGNED_ORDER),
            lambda s: s != "assigned",
            within=WAIT_MS / 1000,
            every=1.0,
        )
        assert status != "assigned"

        # The order panel names the customer, not just a number.
        entry = page.locator(f'#feed li[data-order-id="{DEMO_ASSIGNED_ORDER}"]').first
        await entry.click()
        customer = page.locator('#drilldown [data-fact="customer"]')
        await expect(customer).to_have_text(
            f"Gus Moreno (#{await customer_id(page)})", timeout=WAIT_MS
        )

        # At 1280x720 the console fits the window and the map fills its panel.
        assert await page.evaluate("document.documentElement.scrollHeight") <= VIEWPORT["height"]
        wrap = await page.evaluate(BOX, ".map-wrap")
        area = await page.evaluate(BOX, "#map .area")
        assert wrap["bottom"] <= VIEWPORT["height"], wrap
        assert area["width"] >= 0.7 * wrap["width"], (area, wrap)
        assert area["height"] >= 0.7 * wrap["height"], (area, wrap)
        # The audit trail (this sign-in is its newest entry) fits beside the feed.
        await expect(page.locator("#audit li").first).to_be_attached(timeout=WAIT_MS)
        audit = await page.evaluate(BOX, ".audit-panel")
        assert audit["bottom"] <= VIEWPORT["height"] and audit["height"] >= 100, audit

        await page.locator("#drilldown-close").click()
        await page.screenshot(path=output_dir / "dashboard-first-minutes.png")
        if os.environ.get(SCREENSHOT_ENV) == "1":
            await page.screenshot(path=DOCS_SCREENSHOT)
        assert default_city.poll() is None, "the simulator stopped"
        assert page_errors == [], page_errors
    except BaseException:
        await page.screenshot(path=output_dir / "first-minutes-failure.png")
        save_logs(tmp_path, output_dir)
        raise

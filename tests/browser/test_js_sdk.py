"""The JavaScript SDK (`/sdk/washline.js`) in a real Chromium against a real server on
PostgreSQL + Redis: chat keeps flowing while the server is killed and started again, and the
page's app receives every message once, in order, over the WebSocket and over SSE; a lost
history reaches the app as `onReset`; the socket outlives its access tokens by
re-authenticating in place.

The page is the server's own origin (`/health`), where the module is imported as an app would.
Everything waits on the page's state; nothing sleeps to let time pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout
from washline_client import WashlineClient

from domain.roles import Role
from tests.browser.conftest import ADMIN_EMAIL, Site
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.journey import ADDRESS
from tests.support.sdk import post_until_stored

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

WAIT_MS = 30_000
MESSAGES = 24
RESTART_AFTER = 8

OPEN_LIVE = """async ([email, password, transport, chat]) => {
  const sdk = await import('/sdk/washline.js');
  const client = new sdk.WashlineClient();
  await client.login(email, password);
  window.seen = { events: [], resets: [], states: [], rotations: 0 };
  client.tokens.onRefresh(() => { window.seen.rotations += 1; });
  const live = client.live({
    transport,
    backoff: { baseMs: 200, capMs: 2000 },
    onEvent: (event) => window.seen.events.push(event),
    onReset: (channel) => window.seen.resets.push(channel),
    onState: (state) => window.seen.states.push(state),
  });
  window.live = live;
  await live.start();
  await live.subscribe(chat, { since: '0' });
  return client.user.id;
}"""
CHAT_EVENTS = "(n) => window.seen.events.filter((e) => e.event === 'chat.message').length >= n"


@asynccontextmanager
async def order_with_chat(site: Site, database_url: str) -> AsyncIterator[tuple[int, list[str]]]:
    """An assigned order of `sdk-customer@browser.test`, and the access tokens of three people
    who may write in its chat (each user's chat has its own rate limit)."""
    settings = settings_for(database_url)
    customer_email, washer_email = "sdk-customer@browser.test", "sdk-washer@browser.test"
    await add_user(settings, customer_email, Role.CUSTOMER, "Casey")
    await add_user(settings, washer_email, Role.WASHER, "Wes")
    async with (
        WashlineClient(site.base_url) as admin,
        WashlineClient(site.base_url) as customer,
        WashlineClient(site.base_url) as washer,
    ):
        await admin.login(ADMIN_EMAIL, PASSWORD)
        await customer.login(customer_email, PASSWORD)
        await washer.login(washer_email, PASSWORD)
        package = await admin.call(
            "POST", "/api/packages", {"name": "JS", "base_price_cents": 1000, "duration_minutes": 9}
        )
        vehicle = await customer.add_vehicle("Mini", "One", "JS-1", "small")
        order = await customer.book(vehicle_id=vehicle.id, package_id=package["id"], **ADDRESS)
        await admin.transition(order.id, "assigned", washer_id=washer.user.id)
        writers = [c.tokens.pair.access_token for c in (washer, customer, admin)]
        yield order.id, writers


async def open_page(browser: Browser, site: Site) -> Page:
    page = await browser.new_page()
    await page.goto(f"{site.base_url}/health")
    return page


@pytest.mark.parametrize("transport", ["ws", "sse"])
async def test_the_sdk_loses_and_repeats_nothing_when_the_server_is_killed(
    transport: str, browser: Browser, make_site: Callable[..., Site], ops_database: str
) -> None:
    """Killed, the server may leave a message half-answered (stored, its answer lost), so the
    truth is the chat history the server keeps: the page must have received exactly it."""
    site = make_site()
    async with order_with_chat(site, ops_database) as (order_id, writers):
        page = await open_page(browser, site)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        chat = f"order:{order_id}:chat"
        customer_id = await page.evaluate(
            OPEN_LIVE, ["sdk-customer@browser.test", PASSWORD, transport, chat]
        )
        lost = f"user:{customer_id}"
        await page.evaluate("(c) => window.live.subscribe(c, { since: '7-lostepoch' })", lost)
        await page.wait_for_function(
            "(c) => window.seen.resets.includes(c)", arg=lost, timeout=WAIT_MS
        )

        async with httpx.AsyncClient(base_url=site.base_url, timeout=5) as api:

            async def write(n: int) -> None:
                token = writers[n % len(writers)]
                await post_until_stored(api, token, order_id, f"message {n}", after_a_crash=True)

            for n in range(1, RESTART_AFTER + 1):
                await write(n)
            await page.wait_for_function(CHAT_EVENTS, arg=RESTART_AFTER, timeout=WAIT_MS)

            async def write_the_rest() -> None:
                for n in range(RESTART_AFTER + 1, MESSAGES + 1):
                    await write(n)
                    await asyncio.sleep(0.05)

            writer = asyncio.create_task(write_the_rest())
            await asyncio.sleep(0.2)  # a few messages in flight when the server dies
            site.kill()
            await asyncio.to_thread(site.start)
            await writer
            stored = await stored_chat(api, order_id)
            await page.wait_for_function(CHAT_EVENTS, arg=len(stored), timeout=2 * WAIT_MS)
            await write(MESSAGES + 1)  # a last one: anything repeated would arrive before it
            await page.wait_for_function(CHAT_EVENTS, arg=len(stored) + 1, timeout=WAIT_MS)

        seen: dict[str, Any] = await page.evaluate("window.seen")
        connects = await page.evaluate("window.live.connects")
        await page.evaluate("window.live.stop()")
    received = [(e["id"], e["data"]["body"]) for e in seen["events"] if e["channel"] == chat]
    assert len(stored) >= RESTART_AFTER + 1
    assert received == [*stored, (str(len(stored) + 1), f"message {MESSAGES + 1}")]
    # Said again after the reconnect: no event has moved that channel past the lost position.
    assert seen["resets"] and set(seen["resets"]) == {lost}
    assert "reconnecting" in seen["states"] and "resumed" in seen["states"], seen["states"]
    assert connects >= 2
    assert errors == []


async def stored_chat(api: httpx.AsyncClient, order_id: int) -> list[tuple[str, str]]:
    """The order's chat as the server keeps it, oldest first: (seq, body)."""
    login = await api.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    page = await api.get(
        f"/api/orders/{order_id}/messages", params={"after": 0, "limit": 100}, headers=headers
    )
    assert page.status_code == 200, page.text
    return [(str(m["seq"]), m["body"]) for m in page.json()["items"]]


async def test_the_socket_outlives_its_access_tokens(
    browser: Browser, make_site: Callable[..., Site], ops_database: str
) -> None:
    site = make_site(ACCESS_TOKEN_TTL_SECONDS="8")
    async with order_with_chat(site, ops_database) as (order_id, _writers):
        page = await open_page(browser, site)
        chat = f"order:{order_id}:chat"
        await page.evaluate(OPEN_LIVE, ["sdk-customer@browser.test", PASSWORD, "ws", chat])
        await page.wait_for_function("() => window.seen.rotations >= 2", timeout=WAIT_MS)
        async with httpx.AsyncClient(base_url=site.base_url, timeout=5) as api:
            # The writers' tokens have expired by now: log one in again.
            login = await api.post(
                "/api/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD}
            )
            await post_until_stored(api, login.json()["access_token"], order_id, "still there")
        await page.wait_for_function(CHAT_EVENTS, arg=1, timeout=WAIT_MS)
        connects = await page.evaluate("window.live.connects")
        states = await page.evaluate("window.seen.states")
        await page.evaluate("window.live.stop()")
    assert connects == 1, states  # re-authenticated in place: never reconnected
    assert "reconnecting" not in states


async def test_auto_falls_back_to_sse_when_websockets_do_not_get_through(
    browser: Browser, make_site: Callable[..., Site], ops_database: str
) -> None:
    """The server refuses this page's WebSocket handshake (its origin is not allowed), as a
    proxy that drops WebSockets would: the SDK finds the server answering over HTTP and
    follows the same channels over SSE."""
    site = make_site(WS_ALLOWED_ORIGINS="https://elsewhere.example")
    async with order_with_chat(site, ops_database) as (order_id, writers):
        page = await open_page(browser, site)
        chat = f"order:{order_id}:chat"
        await page.evaluate(OPEN_LIVE, ["sdk-customer@browser.test", PASSWORD, "auto", chat])
        async with httpx.AsyncClient(base_url=site.base_url, timeout=5) as api:
            for n in (1, 2):
                await post_until_stored(api, writers[n], order_id, f"over sse {n}")
        await page.wait_for_function(CHAT_EVENTS, arg=2, timeout=WAIT_MS)
        transport = await page.evaluate("window.live.transport")
        bodies = await page.evaluate("window.seen.events.map((e) => e.data.body)")
        await page.evaluate("window.live.stop()")
    assert transport == "sse"
    assert bodies == ["over sse 1", "over sse 2"]


BUILDING_BLOCKS = """async () => {
  const sdk = await import('/sdk/washline.js');
  const positions = new sdk.Positions();
  const order = ['1', '2', '2', '1', '3'].map((id) => positions.accept('order:1', id));
  const ops = ['9-ab', '10-ab', '9-ab', '1-cd'].map((id) => positions.accept('ops', id));
  const typing = [positions.accept('order:1:chat', ''), positions.accept('order:1:chat', '')];
  let n = 0;
  const backoff = new sdk.Backoff({ baseMs: 500, capMs: 8000, random: () => [0, 1, 0.5][n++ % 3] });
  const delays = Array.from({ length: 8 }, () => backoff.next());
  backoff.reset();
  const afterReset = backoff.next();
  return {
    order, ops, typing, delays, afterReset,
    last: positions.snapshot(),
    streams: ['order:7', 'order:7:track', 'user:3', 'user:4', 'ops', 'audit']
      .map((c) => sdk.streamPath(c, 3)),
    resume: sdk.lastEventIdFor('/api/orders/7/events', { 'order:7': '3', 'order:7:chat': '1' },
                               ['order:7:chat', 'order:7']),
    single: sdk.lastEventIdFor('/api/admin/stream', { ops: '5-x' }, ['ops']),
  };
}"""


async def test_the_sdk_building_blocks_in_the_browser(
    browser: Browser, make_site: Callable[..., Site]
) -> None:
    """De-duplication by id, the backoff's jitter and cap, and the SSE resume positions."""
    page = await open_page(browser, make_site())
    result = await page.evaluate(BUILDING_BLOCKS)
    assert result["order"] == [True, True, False, False, True]
    assert result["ops"] == [True, True, False, True]  # 10 > 9 as numbers; a new epoch is new
    assert result["typing"] == [True, True]  # no id: never dropped
    assert result["last"] == {"order:1": "3", "ops": "1-cd"}
    ceilings = [min(8000, 500 * 2**k) for k in range(8)]
    assert result["delays"] == [
        c / 2 + r * c / 2 for c, r in zip(ceilings, [0, 1, 0.5] * 3, strict=False)
    ]
    assert result["afterReset"] <= 500
    assert result["streams"] == [
        "/api/orders/7/events",
        "/api/orders/7/events",
        "/api/me/events",
        None,
        "/api/admin/stream",
        "/api/admin/audit/events",
    ]
    assert result["resume"] == "order:7@3,order:7:chat@1"
    assert result["single"] == "5-x"


OPEN_AUDIT = """async ([email, password, transport]) => {
  const sdk = await import('/sdk/washline.js');
  const client = new sdk.WashlineClient();
  await client.login(email, password);
  window.seen = { events: [], states: [], ended: [] };
  const live = client.live({
    transport,
    backoff: { baseMs: 200, capMs: 2000 },
    onEvent: (event) => window.seen.events.push(event),
    onState: (state) => window.seen.states.push(state),
    onEnded: (ended) => window.seen.ended.push(ended),
  });
  window.live = live;
  await live.start();
  await live.subscribe('audit');
  return client.user.id;
}"""
AUDIT_ACTIONS = (
    "() => window.seen.events.filter((e) => e.event === 'audit.entry').map((e) => e.data.action)"
)
RECONNECT_WINDOW_S = 2.0
"""Several of the page's first backoff delays (0.2 s to 0.8 s): a retry would be seen."""


@pytest.mark.parametrize("transport", ["ws", "sse"])
async def test_audit_entries_arrive_and_a_revoked_session_is_not_reconnected(
    transport: str, browser: Browser, make_site: Callable[..., Site]
) -> None:
    """An admin follows `audit` (`audit.entry`); then an admin ends that session: the server
    says `access_revoked` (a WebSocket error frame and close 4001, or the SSE `end` event),
    the app hears it once through `onEnded`, and the SDK never connects again."""
    site = make_site()
    page = await open_page(browser, site)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    admin_id = await page.evaluate(OPEN_AUDIT, [ADMIN_EMAIL, PASSWORD, transport])
    async with httpx.AsyncClient(base_url=site.base_url, timeout=10) as api:
        # The stream may be open before the server has subscribed it: log in until an
        # entry arrives (each login is one).
        for _ in range(10):
            login = await api.post(
                "/api/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD}
            )
            login.raise_for_status()
            try:
                await page.wait_for_function(f"() => ({AUDIT_ACTIONS})().length > 0", timeout=3000)
                break
            except PlaywrightTimeout:
                continue
        assert "auth.login" in await page.evaluate(AUDIT_ACTIONS)
        connects = await page.evaluate("window.live.connects")

        attempts: list[str] = []
        page.on(
            "request",
            lambda request: (
                attempts.append(request.url)
                if "/ws" in request.url or "/events" in request.url or "/auth/" in request.url
                else None
            ),
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        revoked = await api.delete(f"/api/admin/users/{admin_id}/sessions", headers=headers)
        assert revoked.status_code == 200, revoked.text

    await page.wait_for_function("() => window.seen.ended.length > 0", timeout=WAIT_MS)
    await asyncio.sleep(RECONNECT_WINDOW_S)
    seen: dict[str, Any] = await page.evaluate("window.seen")
    assert seen["ended"] == [
        {
            "code": "access_revoked",
            "reason": "session_revoked",
            "message": seen["ended"][0]["message"],
        }
    ]
    assert seen["states"][-1] == "closed" and "reconnecting" not in seen["states"], seen["states"]
    assert await page.evaluate("window.live.connects") == connects
    assert await page.evaluate("window.live.ended.code") == "access_revoked"
    assert attempts == []
    assert errors == []

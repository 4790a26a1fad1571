"""A 429 and the SDK's `RetryPolicy`, against the real chat flood limit (ten messages in ten
seconds; its 429 says `Retry-After`): a client that may wait that long tries again only once
the wait is over, never sooner; one that may not raises the `ApiError` with `retry_after` at
once, without sending the request again."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from washline_client import ApiError, RetryPolicy, WashlineClient

from domain.roles import Role
from tests.support.api import test_settings as settings_for
from tests.support.database import PASSWORD, add_user
from tests.support.journey import ADDRESS
from tests.support.sdk import sdk_client


async def _flooded_order(admin: WashlineClient, customer: WashlineClient) -> int:
    """An order whose chat is at its limit: the next message is refused with 429."""
    package = await admin.call(
        "POST", "/api/packages", {"name": "Flood", "base_price_cents": 900, "duration_minutes": 9}
    )
    vehicle = await customer.add_vehicle("Fiat", "Uno", "FLD-1", "small")
    order = await customer.book(vehicle_id=vehicle.id, package_id=package["id"], **ADDRESS)
    for n in range(50):
        try:
            await customer.send_message(order.id, f"flood {n}")
        except ApiError as refused:
            assert (refused.status, refused.code) == (429, "rate_limited")
            return order.id
    raise AssertionError("the chat limit never answered 429")


async def test_a_429_is_tried_again_only_after_its_retry_after(
    start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url)
    events: list[tuple[float, str, int]] = []

    async def on_request(request: httpx.Request) -> None:
        events.append((time.monotonic(), "request", 0))

    async def on_response(response: httpx.Response) -> None:
        events.append((time.monotonic(), "response", response.status_code))

    waits: list[tuple[int, float]] = []
    policy = RetryPolicy(attempts=3, max_wait=30.0, on_wait=lambda s, w: waits.append((s, w)))
    hooks = {"request": [on_request], "response": [on_response]}
    async with (
        sdk_client(server, postgres_url, Role.ADMIN) as admin,
        sdk_client(server, postgres_url, Role.CUSTOMER, "flooder") as plain,
        httpx.AsyncClient(base_url=server.base_url, event_hooks=hooks) as pool,
    ):
        order_id = await _flooded_order(admin, plain)
        patient = WashlineClient(server.base_url, http=pool, retry=policy)
        patient.tokens.set(plain.tokens.pair)  # the same person, through a patient client
        message = await patient.send_message(order_id, "after the wait")
        assert message.body == "after the wait"

    assert [status for status, _ in waits] == [429]
    asked = waits[0][1]
    assert asked >= 1
    refused_at = next(t for t, kind, status in events if kind == "response" and status == 429)
    retried_at = [t for t, kind, _ in events if kind == "request" and t > refused_at]
    assert retried_at, "the request was never sent again"
    assert retried_at[0] - refused_at >= asked  # never sooner than the server asked
    assert events[-1][1:] == ("response", 201)


async def test_a_wait_longer_than_the_policy_allows_raises_at_once(
    start_server: Any, postgres_url: str, clean_redis_url: str
) -> None:
    server = start_server(postgres_url, clean_redis_url)
    sent: list[httpx.Request] = []

    async def on_request(request: httpx.Request) -> None:
        sent.append(request)

    email = "impatient@e2e.test"
    await add_user(settings_for(postgres_url), email, Role.CUSTOMER, "Impatient")
    async with (
        sdk_client(server, postgres_url, Role.ADMIN) as admin,
        httpx.AsyncClient(base_url=server.base_url, event_hooks={"request": [on_request]}) as pool,
    ):
        impatient = WashlineClient(
            server.base_url, http=pool, retry=RetryPolicy(attempts=5, max_wait=0.5)
        )
        await impatient.login(email, PASSWORD)
        order_id = await _flooded_order(admin, impatient)
        before = len(sent)
        with pytest.raises(ApiError) as refused:
            await impatient.send_message(order_id, "too soon")
        assert refused.value.status == 429
        assert refused.value.retry_after is not None and refused.value.retry_after > 0.5
        assert len(sent) == before + 1  # asked once, not again before the wait

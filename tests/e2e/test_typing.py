"""Typing indicators over a real server: participants see each other type, live only;
a stranger is refused; a burst of signals is answered without refusing any."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from domain.roles import Role
from tests.support.journey import book_order, move
from tests.support.live import live_client


async def test_participants_see_typing_and_strangers_are_refused(
    start_server: Any, make_account: Any, http: Any, sqlite_url: str
) -> None:
    server = start_server(sqlite_url)
    api = http(server)
    admin = await make_account(server, sqlite_url, Role.ADMIN)
    customer = await make_account(server, sqlite_url, Role.CUSTOMER)
    washer = await make_account(server, sqlite_url, Role.WASHER)
    stranger = await make_account(server, sqlite_url, Role.CUSTOMER, "stranger")
    order = await book_order(api, api, customer.headers, admin.headers)
    await move(api, admin.headers, order["id"], "assigned", washer_id=washer.id)
    chat = f"order:{order['id']}:chat"

    async with AsyncExitStack() as stack:
        buyer = await stack.enter_async_context(live_client(server.ws_url, customer.token))
        worker = await stack.enter_async_context(live_client(server.ws_url, washer.token))
        outsider = await stack.enter_async_context(live_client(server.ws_url, stranger.token))
        assert (await worker.subscribe(chat))["ok"] is True
        replies = [await buyer.request("typing", order_id=order["id"]) for _ in range(5)]
        assert [r["type"] for r in replies] == ["reply"] * 5
        typing = await worker.wait_events(chat, 5)
        assert {(t["event"], t["id"], t["data"]["user_id"]) for t in typing} == {
            ("chat.typing", "", customer.id)
        }
        refused = await outsider.request("typing", order_id=order["id"])
        assert (refused["type"], refused["code"]) == ("error", "forbidden")
        # a late subscriber gets no replay of old typing signals
        late = await stack.enter_async_context(live_client(server.ws_url, admin.token))
        assert (await late.subscribe(chat, since="0"))["ok"] is True
        await late.request("ping")
        assert late.events(chat) == []

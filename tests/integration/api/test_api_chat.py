"""Order chat over HTTP: who may talk, per-order numbering, history paging, read receipts,
bad input, the per-user flood limit and senders racing for the next number."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from httpx import AsyncClient, Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.settings import Settings
from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]
Order = dict[str, Any]
ConcurrentApi = Callable[[], AbstractAsyncContextManager[AsyncClient]]


def url(order_id: int, rest: str = "") -> str:
    return f"/api/orders/{order_id}/messages{rest}"


async def say(api: Client, user: ApiUser, order_id: int, body: str) -> Response:
    return await api.post(url(order_id), json={"body": body}, headers=user.headers)


async def history(api: Client, user: ApiUser, order_id: int, **params: Any) -> Any:
    return expect(await api.get(url(order_id), params=params, headers=user.headers), 200)


async def read_up_to(api: Client, user: ApiUser, order_id: int, up_to: int) -> Any:
    response = await api.post(url(order_id, "/read"), json={"up_to": up_to}, headers=user.headers)
    return expect(response, 200)


def seqs(page: dict[str, Any]) -> list[int]:
    return [m["seq"] for m in page["items"]]


def receipts(page: dict[str, Any]) -> dict[int, int]:
    return {r["user_id"]: r["last_read_seq"] for r in page["receipts"]}


# --- who may talk --------------------------------------------------------------------------


async def test_the_customer_its_washer_and_an_admin_talk_in_numbered_order(
    api: Client, assigned_order: Order, customer_a: ApiUser, washer: ApiUser, admin: ApiUser
) -> None:
    order_id = assigned_order["id"]
    lines = [(customer_a, "Gate code is 4711"), (washer, "On my way"), (admin, "Support here")]
    sent = [expect(await say(api, user, order_id, text), 201) for user, text in lines]

    assert [m["seq"] for m in sent] == [1, 2, 3]
    assert [(m["sender_id"], m["sender_role"], m["body"]) for m in sent] == [
        (customer_a.id, "customer", "Gate code is 4711"),
        (washer.id, "washer", "On my way"),
        (admin.id, "admin", "Support here"),
    ]
    assert all(m["order_id"] == order_id for m in sent)
    for reader in (customer_a, washer, admin):
        page = await history(api, reader, order_id)
        assert page["items"] == list(reversed(sent))
        assert (page["receipts"], page["next_before"]) == ([], None)


async def test_the_body_is_stored_without_surrounding_whitespace(
    api: Client, assigned_order: Order, customer_a: ApiUser
) -> None:
    sent = expect(await say(api, customer_a, assigned_order["id"], "  \n Hello there\t "), 201)
    assert sent["body"] == "Hello there"
    page = await history(api, customer_a, assigned_order["id"])
    assert [m["body"] for m in page["items"]] == ["Hello there"]


async def test_each_order_has_its_own_numbering(
    api: Client, make_order: Any, customer_a: ApiUser, admin: ApiUser
) -> None:
    first, second = await make_order(customer_a), await make_order(customer_a)
    expect(await say(api, customer_a, first["id"], "one"), 201)
    expect(await say(api, customer_a, first["id"], "two"), 201)
    on_second = expect(await say(api, admin, second["id"], "hello"), 201)
    assert on_second["seq"] == 1
    assert seqs(await history(api, admin, first["id"])) == [2, 1]
    assert seqs(await history(api, admin, second["id"])) == [1]


async def test_a_pending_order_chats_between_customer_and_admins_only(
    api: Client, order_a: Order, offer: Any, customer_a: ApiUser, washer: ApiUser, admin: ApiUser
) -> None:
    """A washer merely offered the order may see it, but joins its chat only by taking it."""
    order_id = order_a["id"]
    await offer(order_id, washer)
    expect(await say(api, customer_a, order_id, "Anyone?"), 201)
    expect(await say(api, admin, order_id, "Finding you a washer"), 201)
    assert expect(await say(api, washer, order_id, "Me!"), 404)["code"] == "not_found"
    assert (await api.get(url(order_id), headers=washer.headers)).status_code == 404

    accepted = await api.post(
        f"/api/orders/{order_id}/transitions", json={"to": "assigned"}, headers=washer.headers
    )
    expect(accepted, 200)
    assert expect(await say(api, washer, order_id, "Me!"), 201)["seq"] == 3
    assert seqs(await history(api, washer, order_id)) == [3, 2, 1]


@pytest.mark.parametrize("caller", ["other_customer", "other_washer"])
async def test_outsiders_get_the_same_404_as_for_an_order_that_does_not_exist(
    api: Client,
    assigned_order: Order,
    customer_a: ApiUser,
    callers: dict[str, dict[str, str]],
    admin: ApiUser,
    caller: str,
) -> None:
    order_id = assigned_order["id"]
    expect(await say(api, customer_a, order_id, "private"), 201)
    headers = callers[caller]
    missing_id = order_id + 1000
    for target in (order_id, missing_id):
        answers = [
            await api.post(url(target), json={"body": "hi"}, headers=headers),
            await api.get(url(target), headers=headers),
            await api.post(url(target, "/read"), json={"up_to": 1}, headers=headers),
        ]
        for response in answers:
            assert expect(response, 404) == {"code": "not_found", "message": "order not found"}
    page = await history(api, admin, order_id)
    assert ([m["body"] for m in page["items"]], page["receipts"]) == (["private"], [])


async def test_anonymous_callers_are_401(
    api: Client, assigned_order: Order, customer_a: ApiUser
) -> None:
    order_id = assigned_order["id"]
    answers = [
        await api.post(url(order_id), json={"body": "hi"}),
        await api.get(url(order_id)),
        await api.post(url(order_id, "/read"), json={"up_to": 1}),
    ]
    assert [r.status_code for r in answers] == [401, 401, 401]
    assert {r.json()["code"] for r in answers} == {"unauthorized"}
    assert (await history(api, customer_a, order_id))["items"] == []


async def test_an_unknown_order_is_404_even_for_admins(api: Client, admin: ApiUser) -> None:
    assert expect(await say(api, admin, 999_999, "hello"), 404)["code"] == "not_found"
    response = await api.get(url(999_999), headers=admin.headers)
    assert expect(response, 404)["code"] == "not_found"


# --- history -------------------------------------------------------------------------------


async def test_history_pages_newest_first_with_before_and_next_before(
    api: Client, assigned_order: Order, customer_a: ApiUser, washer: ApiUser
) -> None:
    order_id = assigned_order["id"]
    for n in range(1, 6):
        expect(await say(api, customer_a if n % 2 else washer, order_id, f"message {n}"), 201)

    first = await history(api, washer, order_id, limit=2)
    assert (seqs(first), first["next_before"]) == ([5, 4], 4)
    second = await history(api, washer, order_id, limit=2, before=first["next_before"])
    assert (seqs(second), second["next_before"]) == ([3, 2], 2)
    last = await history(api, washer, order_id, limit=2, before=second["next_before"])
    assert (seqs(last), last["next_before"]) == ([1], None)
    assert [m["body"] for m in first["items"] + second["items"] + last["items"]] == [
        f"message {n}" for n in range(5, 0, -1)
    ]
    whole = await history(api, washer, order_id)
    assert (seqs(whole), whole["next_before"]) == ([5, 4, 3, 2, 1], None)
    assert seqs(await history(api, washer, order_id, before=1)) == []


async def test_after_lists_newer_messages_oldest_first(
    api: Client, assigned_order: Order, customer_a: ApiUser
) -> None:
    order_id = assigned_order["id"]
    for n in range(1, 6):
        expect(await say(api, customer_a, order_id, f"message {n}"), 201)

    newer = await history(api, customer_a, order_id, after=2)
    assert (seqs(newer), newer["next_before"]) == ([3, 4, 5], None)
    assert [m["body"] for m in newer["items"]] == ["message 3", "message 4", "message 5"]
    assert seqs(await history(api, customer_a, order_id, after=0, limit=2)) == [1, 2]
    assert seqs(await history(api, customer_a, order_id, after=5)) == []


@pytest.mark.parametrize(
    "params",
    [{"before": -1}, {"after": -1}, {"limit": 0}, {"limit": 101}, {"before": "x"}],
    ids=["negative-before", "negative-after", "limit-0", "limit-101", "before-not-a-number"],
)
async def test_bad_history_parameters_are_validation_errors(
    api: Client, assigned_order: Order, customer_a: ApiUser, params: dict[str, Any]
) -> None:
    response = await api.get(url(assigned_order["id"]), params=params, headers=customer_a.headers)
    error = expect(response, 400)
    assert error["code"] == "validation_error"
    assert [e["field"] for e in error["errors"]] == list(params)


# --- read receipts -------------------------------------------------------------------------


async def test_read_receipts_show_in_the_history_and_only_move_forward(
    api: Client, assigned_order: Order, customer_a: ApiUser, washer: ApiUser
) -> None:
    order_id = assigned_order["id"]
    for n in range(1, 4):
        expect(await say(api, customer_a, order_id, f"message {n}"), 201)

    receipt = await read_up_to(api, washer, order_id, 2)
    assert (receipt["user_id"], receipt["last_read_seq"]) == (washer.id, 2)
    assert receipts(await history(api, customer_a, order_id)) == {washer.id: 2}

    backwards = await read_up_to(api, washer, order_id, 1)
    assert backwards == receipt  # neither the seq nor the time it was read moves back
    assert receipts(await history(api, customer_a, order_id)) == {washer.id: 2}

    forward = await read_up_to(api, washer, order_id, 3)
    assert forward["last_read_seq"] == 3
    assert forward["read_at"] >= receipt["read_at"]
    await read_up_to(api, customer_a, order_id, 3)
    assert receipts(await history(api, washer, order_id, limit=1)) == {
        washer.id: 3,
        customer_a.id: 3,
    }


async def test_reading_beyond_the_last_message_stops_at_the_last_message(
    api: Client, assigned_order: Order, customer_a: ApiUser, washer: ApiUser
) -> None:
    order_id = assigned_order["id"]
    assert (await read_up_to(api, washer, order_id, 50))["last_read_seq"] == 0  # empty chat
    for n in range(1, 3):
        expect(await say(api, customer_a, order_id, f"message {n}"), 201)
    assert (await read_up_to(api, washer, order_id, 50))["last_read_seq"] == 2
    expect(await say(api, customer_a, order_id, "message 3"), 201)
    assert receipts(await history(api, customer_a, order_id)) == {washer.id: 2}
    assert (await read_up_to(api, washer, order_id, 3))["last_read_seq"] == 3


@pytest.mark.parametrize(
    "body",
    [{"up_to": -1}, {"up_to": "three"}, {"up_to": 1.5}, {}, {"up_to": 1, "seq": 1}],
    ids=["negative", "word", "fraction", "missing", "unknown-field"],
)
async def test_a_bad_read_receipt_is_a_validation_error(
    api: Client, assigned_order: Order, washer: ApiUser, body: dict[str, Any]
) -> None:
    response = await api.post(url(assigned_order["id"], "/read"), json=body, headers=washer.headers)
    assert expect(response, 400)["code"] == "validation_error"


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [" ", "   \n\t  "], ids=["space", "whitespace"])
async def test_a_blank_message_is_400_empty_message(
    api: Client, assigned_order: Order, customer_a: ApiUser, body: str
) -> None:
    error = expect(await say(api, customer_a, assigned_order["id"], body), 400)
    assert error["code"] == "empty_message"
    assert (await history(api, customer_a, assigned_order["id"]))["items"] == []


async def test_an_empty_body_fails_validation(
    api: Client, assigned_order: Order, customer_a: ApiUser
) -> None:
    error = expect(await say(api, customer_a, assigned_order["id"], ""), 400)
    assert (error["code"], error["errors"][0]["field"]) == ("validation_error", "body")


async def test_2000_characters_is_the_longest_message(
    api: Client, assigned_order: Order, customer_a: ApiUser
) -> None:
    order_id = assigned_order["id"]
    error = expect(await say(api, customer_a, order_id, "x" * 2001), 400)
    assert (error["code"], error["errors"][0]["field"]) == ("validation_error", "body")
    sent = expect(await say(api, customer_a, order_id, "y" * 2000), 201)
    assert (sent["seq"], len(sent["body"])) == (1, 2000)


@pytest.mark.parametrize(
    "body",
    [{"body": "hi", "sender_id": 1}, {"text": "hi"}, {}, {"body": 5}, {"body": None}],
    ids=["unknown-field", "wrong-field", "missing", "number", "null"],
)
async def test_a_malformed_message_is_a_validation_error(
    api: Client, assigned_order: Order, customer_a: ApiUser, body: dict[str, Any]
) -> None:
    response = await api.post(url(assigned_order["id"]), json=body, headers=customer_a.headers)
    assert expect(response, 400)["code"] == "validation_error"
    assert (await history(api, customer_a, assigned_order["id"]))["items"] == []


@pytest.mark.parametrize("path", ["", "/read"])
async def test_malformed_json_is_400_malformed_json(
    api: Client, assigned_order: Order, customer_a: ApiUser, path: str
) -> None:
    response = await api.post(
        url(assigned_order["id"], path),
        content=b'{"body": "hi",',
        headers={**customer_a.headers, "content-type": "application/json"},
    )
    assert expect(response, 400)["code"] == "malformed_json"


# --- flood limit ---------------------------------------------------------------------------


async def test_the_eleventh_message_within_ten_seconds_is_rate_limited(
    api: Client, assigned_order: Order, customer_a: ApiUser, washer: ApiUser
) -> None:
    order_id = assigned_order["id"]
    for n in range(1, 11):
        expect(await say(api, customer_a, order_id, f"message {n}"), 201)
    error = expect(await say(api, customer_a, order_id, "one too many"), 429)
    assert error["code"] == "rate_limited"

    assert expect(await say(api, washer, order_id, "my turn"), 201)["seq"] == 11  # per user
    page = await history(api, washer, order_id)
    assert seqs(page) == list(range(11, 0, -1))
    assert "one too many" not in [m["body"] for m in page["items"]]


async def test_refused_messages_do_not_use_up_the_flood_budget(
    api: Client, assigned_order: Order, customer_a: ApiUser
) -> None:
    order_id = assigned_order["id"]
    for _ in range(5):
        expect(await say(api, customer_a, order_id, "   "), 400)
    for n in range(1, 11):
        expect(await say(api, customer_a, order_id, f"message {n}"), 201)


# --- races ---------------------------------------------------------------------------------


async def test_concurrent_senders_get_distinct_consecutive_numbers(
    api: Client,
    concurrent_api: ConcurrentApi,
    settings: Settings,
    assigned_order: Order,
    customer_a: ApiUser,
    washer: ApiUser,
    admin: ApiUser,
) -> None:
    order_id = assigned_order["id"]
    senders = (customer_a, washer, admin)
    wanted = [(user, f"{user.role} says {n}") for user in senders for n in range(3)]
    async with concurrent_api() as client:
        responses = await asyncio.gather(
            *(
                client.post(url(order_id), json={"body": text}, headers=user.headers)
                for user, text in wanted
            )
        )

    refused = [r.json() for r in responses if r.status_code != 201]
    assert [r.status_code for r in responses] == [201] * len(wanted), refused
    sent = [r.json() for r in responses]
    assert sorted(m["seq"] for m in sent) == list(range(1, len(wanted) + 1))
    assert [(m["sender_id"], m["body"]) for m in sent] == [(u.id, text) for u, text in wanted]

    page = await history(api, admin, order_id)
    assert seqs(page) == list(range(len(wanted), 0, -1))
    by_seq = {m["seq"]: (m["sender_id"], m["body"]) for m in sent}
    assert {m["seq"]: (m["sender_id"], m["body"]) for m in page["items"]} == by_seq

"""Offers as a resource: the offered washer accepts or declines an offer by its id."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from app.settings import Settings
from persistence.database import create_engine, create_session_factory
from persistence.models import DispatchOffer, OrderEvent
from tests.support.api import ApiUser, expect
from tests.support.polling import poll_until

Client = AsyncTestClient[Litestar]
Order = dict[str, Any]
OFFERS = "/api/washers/me/offers"


async def open_offers(api: Client, washer: ApiUser) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = expect(await api.get(OFFERS, headers=washer.headers), 200)
    return listed


async def offer_id_of(api: Client, washer: ApiUser, order_id: int) -> int:
    [offer] = [o for o in await open_offers(api, washer) if o["order_id"] == order_id]
    return int(offer["offer_id"])


async def answer(api: Client, who: ApiUser, offer_id: int, verb: str, **body: Any) -> Any:
    return await api.post(f"/api/offers/{offer_id}/{verb}", json=body or None, headers=who.headers)


async def stored_offers(settings: Settings, order_id: int) -> dict[int, str]:
    """Each washer's offer status for the order, straight from the database."""
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        rows = await session.execute(
            select(DispatchOffer.washer_id, DispatchOffer.status).where(
                DispatchOffer.order_id == order_id
            )
        )
        statuses = {washer_id: status for washer_id, status in rows.tuples()}
    await engine.dispose()
    return statuses


async def expire(settings: Settings, offer_id: int) -> None:
    """Move the offer's expiry into the past, as if its time had run out."""
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        await session.execute(
            update(DispatchOffer)
            .where(DispatchOffer.id == offer_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    await engine.dispose()


# --- listing ---------------------------------------------------------------------------------


async def test_a_listed_offer_carries_what_the_washer_needs_to_decide(
    api: Client, order_a: Order, offer: Any, package: dict[str, Any], washer: ApiUser
) -> None:
    await offer(order_a["id"], washer)
    [listed] = await open_offers(api, washer)
    assert set(listed) == {
        "offer_id",
        "order_id",
        "status",
        "offered_at",
        "expires_at",
        "distance_m",
        "address",
        "lat",
        "lng",
        "package_id",
        "package_name",
        "duration_minutes",
        "price_cents",
    }
    assert (listed["package_id"], listed["package_name"], listed["duration_minutes"]) == (
        package["id"],
        package["name"],
        package["duration_minutes"],
    )
    offered_at = datetime.fromisoformat(listed["offered_at"])
    assert offered_at < datetime.fromisoformat(listed["expires_at"])


# --- accepting -------------------------------------------------------------------------------


async def test_accepting_assigns_the_order_to_me_and_closes_the_offers(
    api: Client,
    settings: Settings,
    order_a: Order,
    offer: Any,
    washer: ApiUser,
    other_washer: ApiUser,
) -> None:
    order_id = order_a["id"]
    await offer(order_id, washer, other_washer)
    offer_id = await offer_id_of(api, washer, order_id)

    taken = expect(await answer(api, washer, offer_id, "accept", reason="on my way"), 200)
    assert (taken["id"], taken["status"], taken["washer_id"]) == (order_id, "assigned", washer.id)
    assert await stored_offers(settings, order_id) == {
        washer.id: "accepted",
        other_washer.id: "withdrawn",
    }
    assert await open_offers(api, washer) == []
    assert await open_offers(api, other_washer) == []
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        reasons = await session.scalars(
            select(OrderEvent.reason).where(
                OrderEvent.order_id == order_id, OrderEvent.to_status == "assigned"
            )
        )
        assert list(reasons) == ["on my way"]
    await engine.dispose()


async def test_accepting_twice_is_offer_unavailable(
    api: Client, order_a: Order, offer: Any, washer: ApiUser
) -> None:
    await offer(order_a["id"], washer)
    offer_id = await offer_id_of(api, washer, order_a["id"])
    expect(await answer(api, washer, offer_id, "accept"), 200)
    again = expect(await answer(api, washer, offer_id, "accept"), 409)
    assert again["code"] == "offer_unavailable"


async def test_an_offer_lost_to_another_washer_is_offer_unavailable(
    api: Client, order_a: Order, offer: Any, washer: ApiUser, other_washer: ApiUser
) -> None:
    await offer(order_a["id"], washer, other_washer)
    mine = await offer_id_of(api, washer, order_a["id"])
    theirs = await offer_id_of(api, other_washer, order_a["id"])
    expect(await answer(api, other_washer, theirs, "accept"), 200)
    for verb in ("accept", "decline"):
        assert expect(await answer(api, washer, mine, verb), 409)["code"] == "offer_unavailable"


async def test_a_washer_working_an_order_cannot_take_another(
    api: Client,
    make_order: Any,
    offer: Any,
    customer_a: ApiUser,
    customer_b: ApiUser,
    admin: ApiUser,
    washer: ApiUser,
) -> None:
    first, second = await make_order(customer_a), await make_order(customer_b)
    await offer(first["id"], washer)
    await offer(second["id"], washer)
    expect(await answer(api, washer, await offer_id_of(api, washer, first["id"]), "accept"), 200)

    busy = expect(
        await answer(api, washer, await offer_id_of(api, washer, second["id"]), "accept"), 409
    )
    assert busy["code"] == "washer_busy"
    assigned = await api.post(
        f"/api/orders/{second['id']}/transitions",
        json={"to": "assigned", "washer_id": washer.id},
        headers=admin.headers,
    )
    assert expect(assigned, 409)["code"] == "washer_busy"
    seen = expect(await api.get(f"/api/orders/{second['id']}", headers=admin.headers), 200)
    assert (seen["order"]["status"], seen["order"]["washer_id"]) == ("pending", None)


async def test_of_two_orders_accepted_at_once_by_one_washer_one_wins(
    api: Client,
    make_order: Any,
    offer: Any,
    customer_a: ApiUser,
    customer_b: ApiUser,
    washer: ApiUser,
) -> None:
    orders = [await make_order(customer_a), await make_order(customer_b)]
    for order in orders:
        await offer(order["id"], washer)
    offer_ids = [await offer_id_of(api, washer, order["id"]) for order in orders]
    answers = await asyncio.gather(*(answer(api, washer, o, "accept") for o in offer_ids))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    mine = expect(await api.get("/api/orders", headers=washer.headers), 200)["items"]
    assert [o["status"] for o in mine] == ["assigned"]


async def test_another_washers_offer_is_not_found_like_a_missing_one(
    api: Client, order_a: Order, offer: Any, washer: ApiUser, other_washer: ApiUser
) -> None:
    await offer(order_a["id"], washer)
    offer_id = await offer_id_of(api, washer, order_a["id"])
    for verb in ("accept", "decline"):
        refused = expect(await answer(api, other_washer, offer_id, verb), 404)
        missing = expect(await answer(api, other_washer, offer_id + 1000, verb), 404)
        assert refused == missing == {"code": "not_found", "message": "offer not found"}
    assert [o["offer_id"] for o in await open_offers(api, washer)] == [offer_id]


async def test_an_expired_offer_is_offer_unavailable(
    api: Client, settings: Settings, order_a: Order, offer: Any, washer: ApiUser
) -> None:
    await offer(order_a["id"], washer)
    offer_id = await offer_id_of(api, washer, order_a["id"])
    await expire(settings, offer_id)
    for verb in ("accept", "decline"):
        assert expect(await answer(api, washer, offer_id, verb), 409)["code"] == "offer_unavailable"
    assert await open_offers(api, washer) == []


@pytest.mark.parametrize("caller", ["owner", "admin"])
@pytest.mark.parametrize("verb", ["accept", "decline"])
async def test_only_washers_answer_offers(
    api: Client,
    order_a: Order,
    offer: Any,
    washer: ApiUser,
    callers: dict[str, dict[str, str]],
    caller: str,
    verb: str,
) -> None:
    """403 before any lookup: the role alone decides, so no offer's existence leaks."""
    await offer(order_a["id"], washer)
    offer_id = await offer_id_of(api, washer, order_a["id"])
    response = await api.post(f"/api/offers/{offer_id}/{verb}", headers=callers[caller])
    assert expect(response, 403)["code"] == "forbidden"
    assert [o["offer_id"] for o in await open_offers(api, washer)] == [offer_id]


async def test_a_body_is_optional_but_checked(
    api: Client, order_a: Order, offer: Any, washer: ApiUser
) -> None:
    await offer(order_a["id"], washer)
    offer_id = await offer_id_of(api, washer, order_a["id"])
    bad = await api.post(
        f"/api/offers/{offer_id}/accept", json={"washer_id": 1}, headers=washer.headers
    )
    assert expect(bad, 400)["code"] == "validation_error"
    taken = await api.post(f"/api/offers/{offer_id}/accept", headers=washer.headers)
    assert expect(taken, 200)["washer_id"] == washer.id


# --- declining -------------------------------------------------------------------------------


async def test_declining_closes_my_offer_and_leaves_the_order_pending(
    api: Client,
    settings: Settings,
    order_a: Order,
    offer: Any,
    washer: ApiUser,
    customer_a: ApiUser,
) -> None:
    await offer(order_a["id"], washer)
    offer_id = await offer_id_of(api, washer, order_a["id"])
    declined = expect(await answer(api, washer, offer_id, "decline", reason="too far"), 200)
    assert (declined["offer_id"], declined["status"]) == (offer_id, "declined")
    assert await stored_offers(settings, order_a["id"]) == {washer.id: "declined"}
    assert await open_offers(api, washer) == []
    again = expect(await answer(api, washer, offer_id, "decline"), 409)
    assert again["code"] == "offer_unavailable"
    late = expect(await answer(api, washer, offer_id, "accept"), 409)
    assert late["code"] == "offer_unavailable"
    order = expect(await api.get(f"/api/orders/{order_a['id']}", headers=customer_a.headers), 200)
    assert (order["order"]["status"], order["order"]["washer_id"]) == ("pending", None)


async def test_after_a_decline_dispatch_offers_the_order_to_another_washer(
    api: Client, order_a: Order, washer: ApiUser, other_washer: ApiUser
) -> None:
    """Dispatch runs in the background: only `washer` is on duty at first, so only they are
    offered the order; once they decline, the next sweep offers it to `other_washer`."""
    near = {"lat": order_a["lat"] + 0.002, "lng": order_a["lng"]}
    for who, on_duty in ((washer, True), (other_washer, False)):
        response = await api.put(
            "/api/washers/me/availability", json={"is_available": on_duty}, headers=who.headers
        )
        expect(response, 200)
        fix = {**near, "ts": datetime.now(UTC).isoformat()}
        response = await api.post(
            "/api/washers/me/location", json={"fixes": [fix]}, headers=who.headers
        )
        assert expect(response, 200)["accepted"] == 1

    listed = await poll_until(lambda: open_offers(api, washer), bool)
    assert [o["order_id"] for o in listed] == [order_a["id"]]
    response = await api.put(
        "/api/washers/me/availability", json={"is_available": True}, headers=other_washer.headers
    )
    expect(response, 200)
    assert await open_offers(api, other_washer) == []  # the order still has an open offer

    expect(await answer(api, washer, listed[0]["offer_id"], "decline"), 200)
    theirs = await poll_until(lambda: open_offers(api, other_washer), bool)
    assert [o["order_id"] for o in theirs] == [order_a["id"]]
    assert await open_offers(api, washer) == []  # a declined order is never offered again
    taken = expect(await answer(api, other_washer, theirs[0]["offer_id"], "accept"), 200)
    assert taken["washer_id"] == other_washer.id


# --- the transition path still works ---------------------------------------------------------


async def test_a_declined_offer_cannot_be_taken_by_transition_either(
    api: Client, order_a: Order, offer: Any, move: Any, washer: ApiUser
) -> None:
    await offer(order_a["id"], washer)
    offer_id = await offer_id_of(api, washer, order_a["id"])
    expect(await answer(api, washer, offer_id, "decline"), 200)
    assert expect(await move(washer, order_a["id"], "assigned"), 409)["code"] == (
        "offer_unavailable"
    )


# --- OpenAPI ---------------------------------------------------------------------------------


async def test_openapi_documents_the_offer_routes_and_their_refusals(api: Client) -> None:
    document = expect(await api.get("/schema/openapi.json"), 200)
    listed = document["paths"]["/api/washers/me/offers"]["get"]["responses"]["200"]
    items = listed["content"]["application/json"]["schema"]["items"]
    assert items["$ref"].endswith("/OfferOut")
    offer_schema = document["components"]["schemas"]["OfferOut"]
    assert {"offer_id", "expires_at", "package_name"} <= set(offer_schema["properties"])
    for verb in ("accept", "decline"):
        responses = document["paths"][f"/api/offers/{{offer_id}}/{verb}"]["post"]["responses"]
        assert {"200", "403", "404", "409"} <= set(responses)
        for code in ("404", "409"):
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith("/ErrorBody")
        assert "offer_unavailable" in responses["409"]["description"]
        assert "45 s" in responses["409"]["description"]

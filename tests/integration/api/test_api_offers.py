"""A washer's live work over HTTP: open dispatch offers, taking an offered order (or having
an admin assign it), and batched GPS fixes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.settings import Settings
from persistence.database import create_engine, create_session_factory
from persistence.models import DispatchOffer
from tests.support.api import ApiUser, expect
from tests.support.polling import poll_until

Client = AsyncTestClient[Litestar]
Order = dict[str, Any]
OFFERS = "/api/washers/me/offers"
LOCATION = "/api/washers/me/location"


async def open_offers(api: Client, washer: ApiUser) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = expect(await api.get(OFFERS, headers=washer.headers), 200)
    return listed


async def take(api: Client, washer: ApiUser, order_id: int, **fields: Any) -> Any:
    return await api.post(
        f"/api/orders/{order_id}/transitions",
        json={"to": "assigned", **fields},
        headers=washer.headers,
    )


async def orders_of(api: Client, user: ApiUser) -> list[int]:
    body = expect(await api.get("/api/orders", headers=user.headers), 200)
    return [o["id"] for o in body["items"]]


def fix(seconds_ago: float = 1.0, **fields: Any) -> dict[str, Any]:
    """A plausible fix near the test orders' address, `seconds_ago` before now."""
    ts = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return {"lat": 52.52, "lng": 13.405, "ts": ts.isoformat(), **fields}


async def upload(api: Client, user: ApiUser, fixes: list[dict[str, Any]]) -> Any:
    return await api.post(LOCATION, json={"fixes": fixes}, headers=user.headers)


# --- open offers ---------------------------------------------------------------------------


async def test_a_washer_sees_only_the_open_offers_made_to_it(
    api: Client,
    make_order: Any,
    offer: Any,
    customer_a: ApiUser,
    customer_b: ApiUser,
    washer: ApiUser,
    other_washer: ApiUser,
) -> None:
    mine, theirs, shared = (
        await make_order(customer_a),
        await make_order(customer_b),
        await make_order(customer_b),
    )
    await offer(mine["id"], washer)
    await offer(theirs["id"], other_washer)
    await offer(shared["id"], washer, other_washer)

    listed = await open_offers(api, washer)
    assert [o["order_id"] for o in listed] == [mine["id"], shared["id"]]
    first = listed[0]
    assert (first["status"], first["distance_m"]) == ("open", 250.0)
    assert (first["address"], first["lat"], first["lng"], first["price_cents"]) == (
        mine["address"],
        mine["lat"],
        mine["lng"],
        mine["price_cents"],
    )
    assert datetime.fromisoformat(first["expires_at"]) > datetime.now(UTC)
    assert len({o["offer_id"] for o in listed}) == 2
    assert [o["order_id"] for o in await open_offers(api, other_washer)] == [
        theirs["id"],
        shared["id"],
    ]


async def test_a_washer_without_offers_has_an_empty_list(api: Client, washer: ApiUser) -> None:
    assert await open_offers(api, washer) == []


@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [
        ("owner", 403, "forbidden"),
        ("admin", 403, "forbidden"),
        ("anonymous", 401, "unauthorized"),
    ],
)
async def test_only_washers_have_offers(
    api: Client, callers: dict[str, dict[str, str]], caller: str, status: int, code: str
) -> None:
    assert expect(await api.get(OFFERS, headers=callers[caller]), status)["code"] == code


async def test_an_expired_offer_is_neither_listed_nor_acceptable(
    api: Client, settings: Settings, order_a: Order, washer: ApiUser
) -> None:
    now = datetime.now(UTC)
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        session.add(
            DispatchOffer(
                order_id=order_a["id"],
                washer_id=washer.id,
                status="open",
                distance_m=100.0,
                created_at=now - timedelta(minutes=2),
                expires_at=now - timedelta(minutes=1),
            )
        )
        await session.commit()
    await engine.dispose()

    assert await open_offers(api, washer) == []
    assert expect(await take(api, washer, order_a["id"]), 409)["code"] == "offer_unavailable"


# --- taking an order -----------------------------------------------------------------------


async def test_the_first_accept_wins_and_closes_every_offer(
    api: Client, order_a: Order, offer: Any, washer: ApiUser, other_washer: ApiUser
) -> None:
    order_id = order_a["id"]
    await offer(order_id, washer, other_washer)

    taken = expect(await take(api, washer, order_id), 200)
    assert (taken["status"], taken["washer_id"]) == ("assigned", washer.id)
    assert await open_offers(api, washer) == []
    assert await open_offers(api, other_washer) == []

    late = expect(await take(api, other_washer, order_id), 409)
    assert late["code"] == "offer_unavailable"
    assert await orders_of(api, washer) == [order_id]
    assert await orders_of(api, other_washer) == []


async def test_a_washer_not_offered_the_order_cannot_take_it_or_see_it(
    api: Client, order_a: Order, offer: Any, washer: ApiUser, other_washer: ApiUser
) -> None:
    order_id = order_a["id"]
    await offer(order_id, washer)
    refused = expect(await take(api, other_washer, order_id), 404)
    assert refused == {"code": "not_found", "message": "order not found"}
    response = await api.get(f"/api/orders/{order_id}", headers=other_washer.headers)
    assert expect(response, 404)["code"] == "not_found"
    assert [o["order_id"] for o in await open_offers(api, washer)] == [order_id]
    assert expect(await take(api, washer, order_id), 200)["washer_id"] == washer.id


async def test_an_offered_washer_sees_the_order_until_it_is_taken(
    api: Client, order_a: Order, offer: Any, washer: ApiUser, other_washer: ApiUser
) -> None:
    order_id = order_a["id"]
    await offer(order_id, washer, other_washer)
    seen = expect(await api.get(f"/api/orders/{order_id}", headers=other_washer.headers), 200)
    assert (seen["order"]["status"], seen["allowed_transitions"]) == ("pending", ["assigned"])
    expect(await take(api, washer, order_id), 200)
    response = await api.get(f"/api/orders/{order_id}", headers=other_washer.headers)
    assert expect(response, 404)["code"] == "not_found"


async def test_an_admin_assigns_an_offered_order_to_a_washer_by_hand(
    api: Client,
    order_a: Order,
    offer: Any,
    admin: ApiUser,
    washer: ApiUser,
    other_washer: ApiUser,
) -> None:
    order_id = order_a["id"]
    await offer(order_id, washer)

    assigned = expect(await take(api, admin, order_id, washer_id=other_washer.id), 200)
    assert (assigned["status"], assigned["washer_id"]) == ("assigned", other_washer.id)
    assert await open_offers(api, washer) == []
    assert expect(await take(api, washer, order_id), 409)["code"] == "offer_unavailable"
    assert await orders_of(api, other_washer) == [order_id]
    notified = expect(await api.get("/api/me/notifications", headers=washer.headers), 200)
    assert [(n["kind"], n["payload"]["order_id"]) for n in notified] == [
        ("dispatch.offer_withdrawn", order_id)
    ]
    started = await api.post(
        f"/api/orders/{order_id}/transitions", json={"to": "en_route"}, headers=other_washer.headers
    )
    assert expect(started, 200)["status"] == "en_route"


async def test_the_dispatcher_offers_an_order_to_a_washer_on_duty_nearby(
    api: Client, order_a: Order, washer: ApiUser, other_washer: ApiUser
) -> None:
    """Dispatch runs in the background, so wait for the offer to show up."""
    for who, lat in ((washer, order_a["lat"] + 0.002), (other_washer, order_a["lat"] - 0.002)):
        response = await api.put(
            "/api/washers/me/availability",
            json={"is_available": who is washer},
            headers=who.headers,
        )
        expect(response, 200)
        assert expect(await upload(api, who, [fix(lat=lat)]), 200)["accepted"] == 1

    listed = await wait_for_offers(api, washer)
    assert [o["order_id"] for o in listed] == [order_a["id"]]
    assert 150 < listed[0]["distance_m"] < 300  # 0.002 degrees of latitude is about 222 m
    assert await open_offers(api, other_washer) == []  # off duty
    assert expect(await take(api, washer, order_a["id"]), 200)["washer_id"] == washer.id
    assert await open_offers(api, washer) == []


async def wait_for_offers(api: Client, washer: ApiUser) -> list[dict[str, Any]]:
    return await poll_until(lambda: open_offers(api, washer), bool)


# --- location batches ----------------------------------------------------------------------


async def test_a_batch_of_fixes_is_accepted_and_counted(api: Client, washer: ApiUser) -> None:
    sent = [fix(30 - 10 * k, lat=52.52 + 0.0005 * k, speed=5.0, heading=0.0) for k in range(3)]
    body = expect(await upload(api, washer, sent), 200)
    assert (body["accepted"], body["rejected"]) == (3, 0)
    assert [(r["accepted"], r["reason"]) for r in body["results"]] == [(True, None)] * 3
    assert [datetime.fromisoformat(r["ts"]) for r in body["results"]] == [
        datetime.fromisoformat(f["ts"]) for f in sent
    ]
    assert (body["order_id"], body["eta_seconds"]) == (None, None)  # no job right now


async def test_results_come_back_oldest_first_whatever_the_upload_order(
    api: Client, washer: ApiUser
) -> None:
    sent = [fix(5), fix(25, lat=52.5201), fix(15, lat=52.5202)]
    body = expect(await upload(api, washer, sent), 200)
    stamps = [datetime.fromisoformat(r["ts"]) for r in body["results"]]
    assert stamps == sorted(datetime.fromisoformat(f["ts"]) for f in sent)
    assert body["accepted"] == 3


async def test_the_job_in_hand_gets_an_eta(
    api: Client, order_a: Order, advance: Any, washer: ApiUser
) -> None:
    await advance(order_a["id"], washer, "en_route")
    body = expect(await upload(api, washer, [fix(lat=order_a["lat"] + 0.01)]), 200)
    assert body["order_id"] == order_a["id"]
    assert isinstance(body["eta_seconds"], int) and body["eta_seconds"] > 0


async def test_bad_fixes_are_reported_with_a_reason_and_the_rest_kept(
    api: Client, washer: ApiUser
) -> None:
    sent = [
        fix(60),
        fix(-3600),  # an hour in the future
        fix(3 * 86400),  # three days old
        fix(50, speed=500.0),
        fix(40, heading=400.0),
        fix(30, accuracy=5000.0),
        fix(20, lat=52.53),
    ]
    body = expect(await upload(api, washer, sent), 200)
    assert (body["accepted"], body["rejected"]) == (2, 5)
    by_ts = {datetime.fromisoformat(r["ts"]): r["reason"] for r in body["results"]}
    reasons = [by_ts[datetime.fromisoformat(f["ts"])] for f in sent]
    assert reasons == [
        None,
        "from_future",
        "too_old",
        "bad_speed",
        "bad_heading",
        "inaccurate",
        None,
    ]


async def test_a_fix_older_than_the_last_accepted_one_is_out_of_order(
    api: Client, washer: ApiUser
) -> None:
    assert expect(await upload(api, washer, [fix(5)]), 200)["accepted"] == 1
    body = expect(await upload(api, washer, [fix(30, lat=52.5201)]), 200)
    assert [(r["accepted"], r["reason"]) for r in body["results"]] == [(False, "out_of_order")]


async def test_a_jump_faster_than_any_car_is_implausible(api: Client, washer: ApiUser) -> None:
    body = expect(await upload(api, washer, [fix(20), fix(10, lat=53.52)]), 200)  # 111 km in 10 s
    assert [r["reason"] for r in body["results"]] == [None, "implausible_speed"]


@pytest.mark.parametrize(
    ("bad", "field"),
    [({"lat": 91.0}, "lat"), ({"lat": -90.5}, "lat"), ({"lng": 181.0}, "lng")],
    ids=["lat-91", "lat-minus-90.5", "lng-181"],
)
async def test_coordinates_out_of_range_fail_validation(
    api: Client, washer: ApiUser, bad: dict[str, float], field: str
) -> None:
    error = expect(await upload(api, washer, [fix(10), fix(5, **bad)]), 400)
    assert error["code"] == "validation_error"
    assert [e["field"] for e in error["errors"]] == [f"fixes[1].{field}"]


@pytest.mark.parametrize("count", [0, 101])
async def test_a_batch_must_hold_1_to_100_fixes(api: Client, washer: ApiUser, count: int) -> None:
    sent = [fix(200 - k, lat=52.52 + 0.00001 * k) for k in range(count)]
    error = expect(await upload(api, washer, sent), 400)
    assert (error["code"], [e["field"] for e in error["errors"]]) == ("validation_error", ["fixes"])


async def test_a_batch_of_100_fixes_is_the_largest_accepted(api: Client, washer: ApiUser) -> None:
    sent = [fix(200 - k, lat=52.52 + 0.00001 * k) for k in range(100)]
    assert expect(await upload(api, washer, sent), 200)["accepted"] == 100


@pytest.mark.parametrize(
    "body",
    [
        {"fixes": [{"lat": 52.5, "lng": 13.4}]},
        {"fixes": [{**fix(), "altitude": 30.0}]},
        {"fixes": [{**fix(), "ts": "yesterday"}]},
        {"fix": [fix()]},
    ],
    ids=["no-timestamp", "unknown-field", "bad-timestamp", "wrong-key"],
)
async def test_malformed_batches_are_validation_errors(
    api: Client, washer: ApiUser, body: dict[str, Any]
) -> None:
    response = await api.post(LOCATION, json=body, headers=washer.headers)
    assert expect(response, 400)["code"] == "validation_error"


@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [
        ("owner", 403, "forbidden"),
        ("admin", 403, "forbidden"),
        ("anonymous", 401, "unauthorized"),
    ],
)
async def test_only_washers_upload_fixes(
    api: Client, callers: dict[str, dict[str, str]], caller: str, status: int, code: str
) -> None:
    response = await api.post(LOCATION, json={"fixes": [fix()]}, headers=callers[caller])
    assert expect(response, status)["code"] == code

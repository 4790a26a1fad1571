"""The authorisation matrix: every protected endpoint against the six kinds of caller.

Callers: `owner` (customer A, who owns the vehicle and the order), `other_customer` (B),
`assigned_washer` (the washer working the order), `other_washer`, `admin`, `anonymous`.
Someone else's vehicle or order answers 404, never 403, so its existence does not leak;
a role that may never use an endpoint gets 403; no token at all gets 401.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.settings import Settings
from domain.roles import Role
from tests.support.api import ApiUser, expect

Client = AsyncTestClient[Litestar]
CALLERS = ("owner", "other_customer", "assigned_washer", "other_washer", "admin", "anonymous")

GOLF = {"make": "Volkswagen", "model": "Golf", "plate": "B-WL-2", "size": "small"}
NEW_PACKAGE = {"name": "Ceramic coat", "base_price_cents": 12000, "duration_minutes": 120}
NEW_WASHER = {"email": "new-washer@example.test", "password": "long-enough-pw", "full_name": "N"}
NEW_USER = {**NEW_WASHER, "email": "new-user@example.test", "role": "customer"}
BOOKING = {"vehicle_id": "{vehicle}", "package_id": "{package}", "address": "1 Elm Row"}
BOOKING |= {"lat": 52.5, "lng": 13.4}


def statuses(*codes: int) -> dict[str, int]:
    """Expected statuses written in CALLERS order."""
    assert len(codes) == len(CALLERS)
    return dict(zip(CALLERS, codes, strict=True))


# (method, path, JSON body or None, expected status per caller)
#                                                  owner other-c washer other-w admin anon
MATRIX: dict[str, tuple[str, str, Any, dict[str, int]]] = {
    "me": ("GET", "/api/me", None, statuses(200, 200, 200, 200, 200, 401)),
    "list vehicles": ("GET", "/api/vehicles", None, statuses(200, 200, 403, 403, 403, 401)),
    "add vehicle": ("POST", "/api/vehicles", GOLF, statuses(201, 201, 403, 403, 403, 401)),
    "read vehicle": (
        "GET", "/api/vehicles/{vehicle}", None, statuses(200, 404, 403, 403, 403, 401),
    ),
    "change vehicle": (
        "PATCH", "/api/vehicles/{vehicle}", {"color": "blue"},
        statuses(200, 404, 403, 403, 403, 401),
    ),
    "delete vehicle": (
        "DELETE", "/api/vehicles/{vehicle}", None, statuses(204, 404, 403, 403, 403, 401),
    ),
    "list packages": ("GET", "/api/packages", None, statuses(200, 200, 200, 200, 200, 200)),
    "read package": (
        "GET", "/api/packages/{package}", None, statuses(200, 200, 200, 200, 200, 200),
    ),
    "create package": (
        "POST", "/api/packages", NEW_PACKAGE, statuses(403, 403, 403, 403, 201, 401),
    ),
    "change package": (
        "PATCH", "/api/packages/{package}", {"description": "now with wax"},
        statuses(403, 403, 403, 403, 200, 401),
    ),
    "delete package": (
        "DELETE", "/api/packages/{package}", None, statuses(403, 403, 403, 403, 204, 401),
    ),
    "list washers": ("GET", "/api/washers", None, statuses(403, 403, 403, 403, 200, 401)),
    "create washer": (
        "POST", "/api/washers", NEW_WASHER, statuses(403, 403, 403, 403, 201, 401),
    ),
    "washer profile": ("GET", "/api/washers/me", None, statuses(403, 403, 200, 200, 403, 401)),
    "washer availability": (
        "PUT", "/api/washers/me/availability", {"is_available": True},
        statuses(403, 403, 200, 200, 403, 401),
    ),
    "read washer": (
        "GET", "/api/washers/{washer}", None, statuses(403, 403, 403, 403, 200, 401),
    ),
    "change washer": (
        "PATCH", "/api/washers/{washer}", {"full_name": "Walter"},
        statuses(403, 403, 403, 403, 200, 401),
    ),
    "deactivate washer": (
        "DELETE", "/api/washers/{washer}", None, statuses(403, 403, 403, 403, 204, 401),
    ),
    "washer reviews": (
        "GET", "/api/washers/{washer}/reviews", None, statuses(200, 200, 200, 200, 200, 401),
    ),
    "create user": ("POST", "/api/users", NEW_USER, statuses(403, 403, 403, 403, 201, 401)),
    "list orders": ("GET", "/api/orders", None, statuses(200, 200, 200, 200, 200, 401)),
    # B books with A's vehicle: the vehicle is "not found" for B.
    "book order": ("POST", "/api/orders", BOOKING, statuses(201, 404, 403, 403, 403, 401)),
    "read order": ("GET", "/api/orders/{order}", None, statuses(200, 404, 200, 404, 200, 401)),
    "drive to order": (
        "POST", "/api/orders/{order}/transitions", {"to": "en_route"},
        statuses(403, 404, 200, 404, 200, 401),
    ),
    "cancel order": (
        "POST", "/api/orders/{order}/transitions", {"to": "cancelled"},
        statuses(200, 404, 403, 404, 200, 401),
    ),
    # Both washers were offered the pending order; an admin must name the washer (400).
    "accept pending order": (
        "POST", "/api/orders/{pending}/transitions", {"to": "assigned"},
        statuses(403, 404, 200, 200, 400, 401),
    ),
    "review order": (
        "POST", "/api/orders/{completed}/review", {"stars": 5},
        statuses(201, 404, 403, 403, 403, 401),
    ),
    "read review": (
        "GET", "/api/orders/{reviewed}/review", None, statuses(200, 404, 200, 404, 200, 401),
    ),
}  # fmt: skip

# Server-Sent Event streams: only the status line is checked (the stream itself is
# the end-to-end tests' business).
SSE_MATRIX: dict[str, tuple[str, dict[str, int]]] = {
    "order stream": ("/api/orders/{order}/events", statuses(200, 404, 200, 404, 200, 401)),
    "my stream": ("/api/me/events", statuses(200, 200, 200, 200, 200, 401)),
    "admin stream": ("/api/admin/stream", statuses(403, 403, 403, 403, 200, 401)),
}


def cases(matrix: dict[str, Any]) -> list[Any]:
    return [
        pytest.param(name, caller, id=f"{name}-{caller}") for name in matrix for caller in CALLERS
    ]


ROLE_OF_CALLER = {
    "owner": Role.CUSTOMER,
    "other_customer": Role.CUSTOMER,
    "assigned_washer": Role.WASHER,
    "other_washer": Role.WASHER,
    "admin": Role.ADMIN,
}


class Scene:
    """The callers and A's vehicle, orders and a package, each made only when a row needs it
    (a matrix has hundreds of cases; making every user for each would dominate the run)."""

    def __init__(
        self,
        api: Client,
        make_user: Any,
        make_package: Any,
        make_vehicle: Any,
        make_order: Any,
        advance: Any,
        offer: Any,
    ) -> None:
        self.api, self.make_user, self.make_package = api, make_user, make_package
        self.make_vehicle, self.make_order = make_vehicle, make_order
        self.advance, self.offer = advance, offer
        self.users: dict[str, ApiUser] = {}
        self.built: dict[str, int] = {}

    async def user(self, caller: str) -> ApiUser:
        if caller not in self.users:
            self.users[caller] = await self.make_user(ROLE_OF_CALLER[caller], caller)
        return self.users[caller]

    async def headers(self, caller: str) -> dict[str, str]:
        return {} if caller == "anonymous" else (await self.user(caller)).headers

    async def build(self, name: str) -> int:
        if name not in self.built:
            self.built[name] = await self._build(name)
        return self.built[name]

    async def _build(self, name: str) -> int:
        if name == "washer":
            return (await self.user("assigned_washer")).id
        if name == "vehicle":
            return int((await self.make_vehicle(await self.user("owner")))["id"])
        if name == "package":
            return int((await self.make_package("Matrix wash"))["id"])
        owner, washer = await self.user("owner"), await self.user("assigned_washer")
        order = await self.make_order(owner)
        if name == "pending":
            await self.offer(order["id"], washer, await self.user("other_washer"))
        if name == "order":
            await self.advance(order["id"], washer, "assigned")
        elif name in {"completed", "reviewed"}:
            await self.advance(order["id"], washer, "completed")
        if name == "reviewed":
            url = f"/api/orders/{order['id']}/review"
            expect(await self.api.post(url, json={"stars": 4}, headers=owner.headers), 201)
        return int(order["id"])

    async def fill(self, template: Any) -> Any:
        """Replace every `{name}` in a path or body with the id of the thing it names."""
        if isinstance(template, dict):
            return {key: await self.fill(value) for key, value in template.items()}
        if not isinstance(template, str):
            return template
        whole = re.fullmatch(r"\{(\w+)\}", template)
        if whole:
            return await self.build(whole.group(1))
        for name in re.findall(r"\{(\w+)\}", template):
            template = template.replace(f"{{{name}}}", str(await self.build(name)))
        return template


@pytest.fixture
def scene(
    api: Client,
    make_user: Any,
    make_package: Any,
    make_vehicle: Any,
    make_order: Any,
    advance: Any,
    offer: Any,
) -> Scene:
    return Scene(api, make_user, make_package, make_vehicle, make_order, advance, offer)


@pytest.mark.parametrize(("endpoint", "caller"), cases(MATRIX))
async def test_rest_endpoint_answers_each_caller_as_expected(
    api: Client,
    scene: Scene,
    endpoint: str,
    caller: str,
) -> None:
    method, path_template, body_template, expected = MATRIX[endpoint]
    path = await scene.fill(path_template)
    body = await scene.fill(body_template)
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    response = await api.request(method, path, headers=await scene.headers(caller), **kwargs)
    assert response.status_code == expected[caller], f"{method} {path}: {response.text}"
    if response.status_code >= 400:
        error = response.json()
        assert error["code"] in {"unauthorized", "forbidden", "not_found", "washer_required"}
        assert error["message"]


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[Litestar]:
    async with app.lifespan():
        yield app


async def stream_status(app: Litestar, path: str, headers: dict[str, str]) -> int:
    """Open a streaming GET on the ASGI app, take the status line, then hang up."""
    started = asyncio.Event()
    status: dict[str, int] = {}
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await started.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status["code"] = message["status"]
            started.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    await asyncio.wait_for(app(scope, receive, send), timeout=10)  # type: ignore[arg-type]
    return status["code"]


@pytest.mark.parametrize(("endpoint", "caller"), cases(SSE_MATRIX))
async def test_event_stream_answers_each_caller_as_expected(
    settings: Settings,
    scene: Scene,
    endpoint: str,
    caller: str,
) -> None:
    path_template, expected = SSE_MATRIX[endpoint]
    path = await scene.fill(path_template)
    headers = await scene.headers(caller)
    async with running(create_app(settings)) as app:
        assert await stream_status(app, path, headers) == expected[caller]


async def test_a_washer_sees_a_pending_order_only_once_it_is_theirs(
    api: Client, order_a: dict[str, Any], advance: Any, washer: ApiUser
) -> None:
    url = f"/api/orders/{order_a['id']}"
    assert expect(await api.get(url, headers=washer.headers), 404)["code"] == "not_found"
    await advance(order_a["id"], washer, "assigned")
    expect(await api.get(url, headers=washer.headers), 200)


async def test_an_unknown_order_and_someone_elses_order_look_the_same(
    api: Client, order_a: dict[str, Any], customer_b: ApiUser
) -> None:
    theirs = await api.get(f"/api/orders/{order_a['id']}", headers=customer_b.headers)
    missing = await api.get("/api/orders/424242", headers=customer_b.headers)
    assert expect(theirs, 404) == expect(missing, 404)


async def test_a_stale_version_on_someone_elses_order_is_still_not_found(
    api: Client, order_a: dict[str, Any], move: Any, customer_b: ApiUser
) -> None:
    response = await move(customer_b, order_a["id"], "cancelled", expected_version=999)
    assert expect(response, 404)["code"] == "not_found"


async def test_a_washer_whose_offer_was_withdrawn_no_longer_sees_the_order(
    api: Client, order_a: dict[str, Any], offer: Any, washer: ApiUser, other_washer: ApiUser
) -> None:
    await offer(order_a["id"], washer, other_washer)
    url = f"/api/orders/{order_a['id']}"
    expect(await api.get(url, headers=other_washer.headers), 200)  # offered: may look
    expect(
        await api.post(f"{url}/transitions", json={"to": "assigned"}, headers=washer.headers), 200
    )
    assert expect(await api.get(url, headers=other_washer.headers), 404)["code"] == "not_found"

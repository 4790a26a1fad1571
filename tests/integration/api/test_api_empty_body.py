"""An empty body where JSON is required says so, in words a client can act on."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.api import ApiUser, expect

JSON = {"content-type": "application/json"}


async def test_an_empty_body_is_missing_body_before_and_after_sign_in(
    api: AsyncTestClient[Litestar], customer_a: ApiUser
) -> None:
    public = expect(await api.post("/api/auth/login", content=b"", headers=JSON), 400)
    signed_in = expect(
        await api.post("/api/orders", content=b"", headers={**JSON, **customer_a.headers}), 400
    )
    for body in (public, signed_in):
        assert (body["code"], body["message"]) == ("validation_error", "a JSON body is required")
        assert body["errors"] == [
            {"field": None, "source": "body", "message": "a JSON body is required"}
        ]

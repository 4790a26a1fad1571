"""The JavaScript SDK is served by the app, without a token, as a module browsers accept, and
is the very file kept in clients/js (one copy)."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]
CLIENTS_JS = Path(__file__).resolve().parents[3] / "clients" / "js"


async def test_the_sdk_module_and_its_types_are_served_without_a_token(api: Client) -> None:
    module = await api.get("/sdk/washline.js")
    assert module.status_code == 200, module.text
    assert module.headers["content-type"].split(";")[0] == "text/javascript"
    assert module.headers["access-control-allow-origin"] == "*"
    assert module.headers["cache-control"] == "no-cache"
    assert module.text == (CLIENTS_JS / "washline.js").read_text()
    assert "export class LiveConnection" in module.text
    types = await api.get("/sdk/washline.d.ts")
    assert types.status_code == 200
    assert types.text == (CLIENTS_JS / "washline.d.ts").read_text()


async def test_the_dashboard_imports_the_served_sdk(api: Client) -> None:
    stream = await api.get("/dashboard/static/stream.js")
    assert "from '/sdk/washline.js'" in stream.text
    assert (await api.get("/sdk/other.js")).status_code == 404

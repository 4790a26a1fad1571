"""The admin dashboard page and its assets are served from the package, with types browsers
accept for ES modules, without a token, and nothing missing that a module imports."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.dashboard.routes import STATIC_DIR

Client = AsyncTestClient[Litestar]
ASSET_REFERENCE = re.compile(r'(?:src|href)="(/dashboard/static/[^"]+)"')
MODULE_IMPORT = re.compile(r"""from\s+'\./([\w.-]+\.js)'""")


async def test_dashboard_page_is_served_without_a_token(api: Client) -> None:
    for path in ("/dashboard", "/dashboard/"):
        response = await api.get(path)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert 'id="connection-state"' in response.text
        assert 'id="login-form"' in response.text
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy


async def test_every_asset_the_page_and_its_modules_reference_is_served(api: Client) -> None:
    page = (await api.get("/dashboard")).text
    assets = set(ASSET_REFERENCE.findall(page))
    assert "/dashboard/static/main.js" in assets and "/dashboard/static/style.css" in assets
    modules = {path.name for path in STATIC_DIR.glob("*.js")}
    for module in modules:
        imported = MODULE_IMPORT.findall((STATIC_DIR / module).read_text())
        assert set(imported) <= modules, f"{module} imports a module that is not shipped"
        assets.add(f"/dashboard/static/{module}")
    for asset in sorted(assets):
        response = await api.get(asset)
        assert response.status_code == 200, asset
        expected = "text/javascript" if asset.endswith(".js") else "text/css"
        assert response.headers["content-type"].split(";")[0] == expected, asset
        assert response.headers["cache-control"] == "no-cache"


async def test_unknown_assets_and_paths_outside_the_static_folder_are_not_served(
    api: Client,
) -> None:
    assert (await api.get("/dashboard/static/missing.js")).status_code == 404
    escaped = await api.get("/dashboard/static/..%2Froutes.py")
    assert escaped.status_code in (400, 404)
    assert "STATIC_DIR" not in escaped.text

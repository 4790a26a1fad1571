"""`/`: a browser lands on the dashboard, an API client on an index of links, not a 404."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.http.controllers.root import wants_html

Client = AsyncTestClient[Litestar]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def test_a_browser_is_sent_to_the_dashboard(api: Client) -> None:
    response = await api.get("/", headers={"Accept": BROWSER_ACCEPT}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    assert "accept" in response.headers["vary"].lower()
    page = await api.get("/", headers={"Accept": BROWSER_ACCEPT}, follow_redirects=True)
    assert page.status_code == 200 and 'id="login-form"' in page.text


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
async def test_an_api_client_gets_links_without_a_token(api: Client, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await api.get("/", headers=headers, follow_redirects=False)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    links = response.json()["links"]
    assert links["dashboard"] == "/dashboard" and links["schema"] == "/schema"
    for path in links.values():
        assert (await api.get(path)).status_code == 200, path


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html", True),
        (BROWSER_ACCEPT, True),
        ("application/json, text/html;q=0.5", False),
        ("text/html;q=0", False),
        ("", False),
        ("*/*", False),
    ],
)
def test_html_is_chosen_only_when_preferred(accept: str, html: bool) -> None:
    assert wants_html(accept) is html

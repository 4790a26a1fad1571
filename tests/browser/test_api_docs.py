"""The interactive API docs (`app.http.api_docs`) in Chromium with the network cut off: every
request that is not to the app itself is refused, and the page must still list the
operations and run "Try it out" against the server."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import Browser, Route, expect

from tests.browser.conftest import Site

WAIT_MS = 20_000


async def test_swagger_ui_works_offline_and_tries_a_public_operation(
    browser: Browser, site: Site
) -> None:
    context = await browser.new_context()
    refused: list[str] = []

    async def only_the_app(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_the_app)
    page = await context.new_page()
    failures: list[str] = []
    page.on("requestfailed", lambda request: failures.append(request.url))
    await page.goto(f"{site.base_url}/schema")

    operations = page.locator(".opblock")
    await expect(operations.first).to_be_visible(timeout=WAIT_MS)
    assert await operations.count() >= 50
    packages = page.locator("#operations-packages-ApiPackagesListPackages")
    await expect(packages).to_be_visible()

    await packages.locator(".opblock-summary").click()
    await packages.get_by_role("button", name="Try it out").click()
    await packages.get_by_role("button", name="Execute").click()
    status = packages.locator(".live-responses-table tbody .response-col_status").first
    await expect(status).to_have_text("200", timeout=WAIT_MS)
    await expect(packages.locator(".live-responses-table .microlight").first).to_contain_text("[")

    assert refused == [] and failures == []
    await context.close()

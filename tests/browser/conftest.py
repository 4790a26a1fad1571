"""Browser fixtures: Debian's Chromium driven by Playwright, a real server on PostgreSQL +
Redis (so the `ops` history outlives a server restart) and the city simulator feeding it.

Playwright's own browser download is never used: the system Chromium at /usr/bin/chromium is
(`make test` installs it when missing, see tests/support/ensure_chromium.sh). A missing browser
fails the test with what to install; it never skips.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from domain.roles import Role
from persistence.migrate import upgrade
from tests.support.api import test_settings
from tests.support.database import PASSWORD, add_user, truncate_all
from tests.support.server import ROOT, ServerProcess

CHROMIUM = os.environ.get("WASHLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
OUTPUT_DIR = ROOT / "test-output" / "browser"
ADMIN_EMAIL = "ops-admin@browser.test"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}; run tests/support/ensure_chromium.sh as root "
            "or `apt-get install -y --no-install-recommends chromium`"
        )
    return CHROMIUM


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield instance
        finally:
            await instance.close()


@pytest.fixture
def output_dir() -> Path:
    """Screenshots and logs worth keeping after the run (git-ignored)."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(scope="session")
def browser_postgres_url(fresh_postgres_database: str) -> str:
    upgrade(fresh_postgres_database)
    return fresh_postgres_database


@pytest.fixture
async def ops_database(browser_postgres_url: str) -> str:
    """The browser tests' PostgreSQL database, emptied, with an admin account."""
    await truncate_all(browser_postgres_url)
    await add_user(test_settings(browser_postgres_url), ADMIN_EMAIL, Role.ADMIN, "Ops Admin")
    return browser_postgres_url


@dataclass
class Site:
    """A server that can be killed and started again on the same port."""

    env: dict[str, str]
    log_dir: Path
    port: int = 0
    server: ServerProcess | None = None
    starts: int = 0

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return self.server.base_url

    def start(self) -> ServerProcess:
        self.starts += 1
        log = self.log_dir / f"server-{self.starts}.log"
        self.server = ServerProcess(self.env, log, port=self.port or None)
        self.port = self.server.port
        self.server.start()
        return self.server

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye; clients see the connection drop."""
        assert self.server is not None
        self.server.signal(signal.SIGKILL)
        self.server.wait(timeout=10)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture
def make_site(
    ops_database: str, clean_redis_url: str, tmp_path: Path
) -> Iterator[Callable[..., Site]]:
    """Start a site with extra settings (e.g. a short token lifetime); stopped afterwards."""
    sites: list[Site] = []

    def make(**env: str) -> Site:
        settings = {"DATABASE_URL": ops_database, "REDIS_URL": clean_redis_url, **env}
        running = Site(settings, tmp_path)
        sites.append(running)
        running.start()
        return running

    yield make
    for running in sites:
        running.stop()


@pytest.fixture
def site(make_site: Callable[..., Site]) -> Site:
    return make_site()


PACKAGES = [
    {"name": "Express Exterior", "base_price_cents": 2900, "duration_minutes": 30},
    {"name": "Full Detail", "base_price_cents": 8900, "duration_minutes": 90},
]


def stock_catalog(base_url: str) -> None:
    """Service packages, as an admin sets them up: customers can book nothing without them."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        login = client.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for package in PACKAGES:
            client.post("/api/packages", json=package, headers=headers).raise_for_status()


@pytest.fixture
def simulator(site: Site, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`washline simulate`: washers and customers as real clients of the site."""
    stock_catalog(site.base_url)
    log = (tmp_path / "simulator.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "simulate",
            "--base-url",
            site.base_url,
            "--washers",
            "4",
            "--customers",
            "4",
            "--seed",
            "3",
            "--orders-per-minute",
            "60",
            "--wash-seconds",
            "3",
            "--admin-email",
            ADMIN_EMAIL,
            "--admin-password",
            PASSWORD,
        ],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

"""Building blocks for API tests: a migrated database per back-end and users with tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from httpx import AsyncClient, Response

from app.settings import Settings
from domain.geo import ServiceArea


def test_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for an app under test: cheap password hashing, generous rate limits."""
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "password_hash_fast": True,
        "auth_rate_limit_per_minute": 10_000,
        "auth_account_rate_limit_per_minute": 10_000,
        # Share links' per-address limits have their own tests.
        "share_rate_limit_per_minute": 10_000,
        "share_max_streams_per_address": 1000,
        "log_level": "WARNING",
        # The API fixtures book in Berlin, the end-to-end journeys in Austin: serve both.
        "service_area": ServiceArea(south=25.0, west=-100.0, north=60.0, east=20.0),
        # Many tests book several orders for one customer; the cap has its own tests.
        "max_open_orders_per_customer": 1000,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class ApiUser:
    """A logged-in user as a test sees it: id, role and ready-made auth headers."""

    id: int
    email: str
    role: str
    access_token: str
    refresh_token: str
    headers: dict[str, str] = field(default_factory=dict)


def expect(response: Response, status: int) -> Any:
    """Assert the status (showing the body when it differs) and return the JSON body."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None


async def login(client: AsyncClient, email: str, password: str) -> ApiUser:
    body = expect(
        await client.post("/api/auth/login", json={"email": email, "password": password}), 200
    )
    return ApiUser(
        id=body["user"]["id"],
        email=email,
        role=body["user"]["role"],
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )

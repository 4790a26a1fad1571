"""Building blocks for API tests: a migrated database per back-end and users with tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from httpx import AsyncClient, Response

from app.settings import Settings


def test_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for an app under test: cheap password hashing, generous auth rate limits."""
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "password_hash_fast": True,
        "auth_rate_limit_per_minute": 10_000,
        "auth_account_rate_limit_per_minute": 10_000,
        "log_level": "WARNING",
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

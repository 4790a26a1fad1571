"""Settings: embedded defaults, parsing, and one clear line naming a bad variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.settings import DEFAULT_JWT_SECRET, Settings, SettingsError
from domain.geo import GEOFENCE_RADIUS_M


def test_defaults_are_the_embedded_setup() -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite+aiosqlite://")
    assert settings.redis_url == ""
    assert not settings.uses_redis


def test_the_geofence_default_is_the_domains() -> None:
    assert Settings.from_env({}).geofence_radius_m == GEOFENCE_RADIUS_M
    radius = next(row for row in Settings.documentation() if row[0] == "GEOFENCE_RADIUS_M")
    assert radius[1] == "75"


def test_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "ACCESS_TOKEN_TTL_SECONDS": "60",
            "CORS_ORIGINS": "https://a.test, https://b.test",
            "REDIS_URL": "redis://localhost:6379/0",
            "PASSWORD_HASH_FAST": "yes",
        }
    )
    assert settings.access_token_ttl_seconds == 60
    assert settings.cors_origins == ("https://a.test", "https://b.test")
    assert settings.uses_redis and settings.password_hash_fast


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://x"),
        ("REDIS_URL", "http://x"),
        ("ACCESS_TOKEN_TTL_SECONDS", "soon"),
        ("ACCESS_TOKEN_TTL_SECONDS", "-5"),
        ("LOG_LEVEL", "LOUD"),
        ("PASSWORD_HASH_FAST", "maybe"),
        ("HEARTBEAT_SECONDS", "0"),
        ("CURRENCY", "dollars"),
        ("CURRENCY", "U$D"),
        ("CURRENCY", ""),
    ],
)
def test_a_malformed_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: value})
    assert str(error.value).startswith(f"invalid {name}=")
    assert "\n" not in str(error.value)


def test_production_refuses_the_embedded_secret() -> None:
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        Settings.from_env({"WASHLINE_ENV": "production", "JWT_SECRET": DEFAULT_JWT_SECRET})


def test_every_setting_is_documented_and_named_once() -> None:
    names = Settings.env_names()
    assert len(names) == len(set(names))
    assert all(doc for _, _, doc in Settings.documentation())


def test_the_command_stops_with_one_line(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "current"],
        env={"DATABASE_URL": "oracle://nope", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "washline: invalid DATABASE_URL='oracle://nope': expected a sqlite+aiosqlite:// or "
        "postgresql+asyncpg:// URL"
    ]


def test_currency_is_an_iso_code_defaulting_to_dollars() -> None:
    assert Settings.from_env({}).currency == "USD"
    assert Settings.from_env({"CURRENCY": "eur"}).currency == "EUR"


def test_admins_need_a_second_factor_in_production_unless_told_otherwise() -> None:
    assert Settings(environment="production").requires_admin_mfa
    assert not Settings(environment="development").requires_admin_mfa
    assert not Settings(environment="production", admin_mfa_required="false").requires_admin_mfa
    assert Settings(environment="test", admin_mfa_required="true").requires_admin_mfa
